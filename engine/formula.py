"""Render a rule set as a Salesforce formula field, so the CRM can tier new accounts itself.

The formula is nested ``IF``s over the Account's API field names. Every test is written so a
blank field gives false, as in tierbot (a blank satisfies only ``empty``), and text compares
ignoring case. Fields that depend on the whole book (the share ranks) have no CRM equivalent:
the rules that use them are named in the error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.errors import InputError
from engine.rules import (
    BOOK_WIDE_FIELDS,
    RULE_FIELDS,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Not,
    RuleSet,
    comparisons_of,
)

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
    """A number as a formula literal: never in scientific notation (1e-05), which formulas reject."""
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.10f}".rstrip("0").rstrip(".")


def _date(value: str) -> str:
    year, month, day = (int(p) for p in value.split("-"))
    return f"DATE({year}, {month}, {day})"


class _Writer:
    def __init__(self, fields: Mapping[str, tuple[str, str]], spellings: Mapping[str, Sequence[str]]):
        self.fields = fields
        self.spellings = spellings
        self.used: dict[str, str] = {}
        self.texts: dict[str, set[str]] = {}  # text values compared, by field

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
            if test.field == "region":
                # Regions are kept as the CRM writes them: "North America" is NA in tierbot too.
                values = tuple(dict.fromkeys(w for v in values for w in (v, *self.spellings.get(str(v).upper(), ()))))
            self.texts.setdefault(test.field, set()).update(str(v) for v in values)
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


# What a field's kind allows as a CRM field type.
_FITS = {"number": (NUMBER,), "date": (DATE,), "flag": (CHECKBOX,), "text": (TEXT, PICKLIST)}


def check_mapping(overrides: Mapping[str, tuple[str, str]]) -> None:
    """Refuse an API-name mapping the formula cannot use: a blank name, a derived field, or a type
    that does not fit the field (ARR as text would compare numbers as words)."""
    for name, (api, kind) in overrides.items():
        if name in _DERIVED_FROM_FIELDS:
            raise InputError(
                f"`{name}` is derived: map {' and '.join(_DERIVED_FROM_FIELDS[name])} instead "
                "and the formula derives it the same way."
            )
        if not api:
            raise InputError(
                f"--field {name}= needs the API name, e.g. {name}={SALESFORCE_FIELDS.get(name, ('X__c',))[0]}."
            )
        allowed = _FITS[RULE_FIELDS[name].kind]
        if kind not in allowed:
            raise InputError(
                f"--field {name}={api}:{kind}: `{name}` is a {RULE_FIELDS[name].kind} field, "
                f"so its CRM type is {' or '.join(allowed)}."
            )


_DERIVED_FROM_FIELDS = {"expected_arr": ("arr", "potential_arr"), "days_to_renewal": ("renewal_date",)} | {
    name: ("arr",) for name in BOOK_WIDE_FIELDS
}


def salesforce_formula(
    rule_set: RuleSet,
    overrides: Mapping[str, tuple[str, str]] | None = None,
    region_spellings: Mapping[str, Sequence[str]] | None = None,
) -> Formula:
    """The rule set as one Salesforce formula-field expression returning the tier's name.

    ``region_spellings`` gives, per region (NA…), the other ways the accounts write it ("North
    America"), which the formula accepts as tierbot does.
    """
    check_mapping(overrides or {})
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
        fix = "map the field with --field, or " if any("depends on every account" not in b for b in blocked) else ""
        raise FormulaNotPossible(
            "The CRM cannot compute this rule set: "
            + "; ".join(dict.fromkeys(blocked))
            + f". To fix it, {fix}propose ARR thresholds instead (`tierbot rules propose`)."
        )
    writer = _Writer(fields, region_spellings or {})
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
    if writer.texts:
        compared = "; ".join(f"{name} {', '.join(sorted(values))}" for name, values in writer.texts.items())
        notes.append(
            f"Text compares as tierbot stores it after import ({compared}), ignoring case: if the CRM "
            "spells a value otherwise (USA, North America), change the formula or the CRM's value."
        )
    if len(expression) > SALESFORCE_LIMIT:
        notes.append(
            f"The formula is {len(expression):,} characters; Salesforce allows {SALESFORCE_LIMIT:,}. "
            "Fewer or simpler rules will fit."
        )
    return Formula("salesforce", rule_set.name, expression, dict(writer.used), tuple(notes))
