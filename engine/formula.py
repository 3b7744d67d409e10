"""Render a rule set as a Salesforce formula field, so the CRM can tier new accounts itself.

The formula is nested ``IF``s over the Account's API field names. Every test is written so a
blank field gives false, as in tierbot (a blank satisfies only ``empty``), and text compares
ignoring case. Fields that depend on the whole book (the share ranks) have no CRM equivalent:
the rules that use them are named in the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import InputError
from engine.rules import BOOK_WIDE_FIELDS, AllOf, AnyOf, Comparison, Condition, Not, RuleSet, comparisons_of

SALESFORCE_LIMIT = 3900  # characters in a formula field

NUMBER, TEXT, PICKLIST, DATE, CHECKBOX = "number", "text", "picklist", "date", "checkbox"
FIELD_TYPES = (NUMBER, TEXT, PICKLIST, DATE, CHECKBOX)

# tierbot field → (Account API name, type): Salesforce's standard fields where they exist,
# the usual custom-field spelling otherwise. `--field` changes any of them.
SALESFORCE_FIELDS: dict[str, tuple[str, str]] = {
    "crm_id": ("Id", TEXT),
    "name": ("Name", TEXT),
    "arr": ("ARR__c", NUMBER),
    "plan": ("Plan__c", PICKLIST),
    "industry": ("Industry", PICKLIST),
    "setting": ("Setting__c", PICKLIST),
    "employees": ("NumberOfEmployees", NUMBER),
    "region": ("Region__c", PICKLIST),
    "country": ("BillingCountry", TEXT),
    "use_case": ("Use_Case__c", PICKLIST),
    "health": ("Health__c", PICKLIST),
    "health_score": ("Health_Score__c", NUMBER),
    "nps": ("NPS__c", NUMBER),
    "renewal_date": ("Renewal_Date__c", DATE),
    "contract_start": ("Contract_Start__c", DATE),
    "potential_arr": ("Potential_ARR__c", NUMBER),
    "strategic": ("Strategic__c", CHECKBOX),
}
# Fields tierbot holds in its own terms: the owner is a roster id, not a Salesforce user.
_NO_EQUIVALENT = {"owner": "holds tierbot's CSM ids, not Salesforce users"}


class FormulaNotPossible(InputError):
    """The rule set uses fields a CRM formula cannot compute."""


@dataclass(frozen=True)
class Formula:
    """A CRM formula and what to know before pasting it."""

    crm: str
    rule_set: str
    text: str
    fields: dict[str, str]  # tierbot field → API name used
    notes: tuple[str, ...]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else repr(float(value))


def _date(value: str) -> str:
    year, month, day = (int(p) for p in value.split("-"))
    return f"DATE({year}, {month}, {day})"


class _Writer:
    def __init__(self, fields: Mapping[str, tuple[str, str]]):
        self.fields = fields
        self.used: dict[str, str] = {}

    def expression(self, name: str) -> tuple[str, str]:
        """The formula expression reading a field, and its type."""
        if name == "expected_arr":
            arr, potential = self.expression("arr")[0], self.expression("potential_arr")[0]
            return f"BLANKVALUE({potential}, {arr})", NUMBER
        if name == "days_to_renewal":
            return f"({self.expression('renewal_date')[0]} - TODAY())", NUMBER
        api, kind = self.fields[name]
        self.used[name] = api
        return api, kind

    def condition(self, condition: Condition) -> str:
        if isinstance(condition, AllOf):
            return "AND(" + ", ".join(self.condition(p) for p in condition.parts) + ")"
        if isinstance(condition, AnyOf):
            return "OR(" + ", ".join(self.condition(p) for p in condition.parts) + ")"
        if isinstance(condition, Not):
            return f"NOT({self.condition(condition.part)})"
        return self.test(condition)

    def test(self, test: Comparison) -> str:
        expr, kind = self.expression(test.field)
        op, value = test.op, test.value
        if kind == CHECKBOX:
            # A checkbox is never blank.
            if op == "empty":
                return "FALSE" if value else "TRUE"
            truth = value if op == "=" else not value
            return expr if truth else f"NOT({expr})"
        if kind in (TEXT, PICKLIST):
            text = f"TEXT({expr})" if kind == PICKLIST else expr
            if op == "empty":
                return f"ISBLANK({text})" if value else f"NOT(ISBLANK({text}))"
            lowered = f"LOWER({text})"
            values = value if isinstance(value, tuple) else (value,)
            hits = [f"{lowered} = {_quote(str(v).lower())}" for v in values]
            hit = hits[0] if len(hits) == 1 else "OR(" + ", ".join(hits) + ")"
            if op in ("=", "in"):
                return hit
            return f"AND(NOT(ISBLANK({text})), NOT({hit}))"
        literal = _date if kind == DATE else _number
        if op == "empty":
            return f"ISBLANK({expr})" if value else f"NOT(ISBLANK({expr}))"
        if op == "between":
            body = f"{expr} >= {literal(value[0])}, {expr} <= {literal(value[1])}"
        elif op in ("in", "not_in"):
            equals = ", ".join(f"{expr} = {literal(v)}" for v in value)
            body = f"OR({equals})" if op == "in" else f"NOT(OR({equals}))"
        else:
            symbol = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[op]
            body = f"{expr} {symbol} {literal(value)}"
        # A blank gives false, never "blank" (which Salesforce could treat as zero).
        return f"AND(NOT(ISBLANK({expr})), {body})"


def salesforce_formula(rule_set: RuleSet, overrides: Mapping[str, tuple[str, str]] | None = None) -> Formula:
    """The rule set as one Salesforce formula-field expression returning the tier's name."""
    fields = {**SALESFORCE_FIELDS, **(overrides or {})}
    blocked: list[str] = []
    for position, rule in enumerate(rule_set.rules, start=1):
        if rule.when is None:
            continue
        for test in comparisons_of(rule.when):
            if test.field in BOOK_WIDE_FIELDS:
                blocked.append(f"rule {position} ({rule.title}) uses `{test.field}`, which depends on every account")
            elif test.field in _NO_EQUIVALENT and test.field not in (overrides or {}):
                blocked.append(
                    f"rule {position} ({rule.title}) uses `{test.field}`, which {_NO_EQUIVALENT[test.field]}"
                )
    if blocked:
        raise FormulaNotPossible(
            "The CRM cannot compute this rule set: "
            + "; ".join(dict.fromkeys(blocked))
            + ". Propose ARR thresholds instead (`tierbot rules propose`), or map the field with --field."
        )
    writer = _Writer(fields)
    expression = '""'
    for rule in reversed(rule_set.rules):
        if rule.default or rule.when is None:
            expression = _quote(rule.tier)
        else:
            expression = f"IF({writer.condition(rule.when)}, {_quote(rule.tier)}, {expression})"
    notes = [
        "Create a Formula field of type Text on Account and paste the expression.",
        'Under "Blank Field Handling" choose "Treat blank fields as blanks".',
        "Check the API names above against your org (Setup → Object Manager → Account → Fields).",
    ]
    if len(expression) > SALESFORCE_LIMIT:
        notes.append(
            f"The formula is {len(expression):,} characters; Salesforce allows {SALESFORCE_LIMIT:,}. "
            "Fewer or simpler rules will fit."
        )
    return Formula("salesforce", rule_set.name, expression, dict(writer.used), tuple(notes))
