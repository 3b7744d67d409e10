"""The rule language: rule sets as data, checked against a typed vocabulary when loaded.

A rule set is an ordered list of rules; the first rule whose condition holds gives an account
its tier. Conditions compare account fields (and derived fields such as ``arr_share_rank``)
with operators; ``all``/``any``/``not`` combine them. ``parse_rule_set`` turns the exchange
format (YAML already loaded into dicts and lists) into value objects, listing every error with
where it is and the nearest valid name; ``to_document`` turns a rule set back into that format.

A blank value satisfies only ``empty: true``: every comparison with a blank is false (and so
``not`` around it is true).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Union

from engine.errors import InputError
from engine.fields import ACCOUNT_FIELDS
from engine.matching import did_you_mean

# ---------------------------------------------------------------------------------- vocabulary

NUMBER, TEXT, DATE, FLAG = "number", "text", "date", "flag"

_KIND_OF = {
    "money": NUMBER,
    "number": NUMBER,
    "integer": NUMBER,
    "date": DATE,
    "flag": FLAG,
}


@dataclass(frozen=True)
class RuleField:
    """A field rules can test."""

    name: str
    kind: str  # number, text, date or flag
    description: str
    derived: bool = False


DERIVED_FIELDS = (
    RuleField(
        "arr_share_rank",
        NUMBER,
        "Share of total ARR held by this account and every larger one, 0–1: the top accounts "
        'making 15% of ARR are {arr_share_rank: {"<=": 0.15}}.',
        derived=True,
    ),
    RuleField(
        "account_share_rank",
        NUMBER,
        "Share of accounts that are this large or larger, 0–1: the top 10% of accounts by ARR are "
        '{account_share_rank: {"<=": 0.10}}.',
        derived=True,
    ),
    RuleField(
        "arr_percentile",
        NUMBER,
        "Percentage of accounts with a smaller ARR, 0–100.",
        derived=True,
    ),
    RuleField(
        "expected_arr",
        NUMBER,
        "Potential ARR where it is set, else ARR: tier land-and-expand accounts on where they are going.",
        derived=True,
    ),
    RuleField(
        "days_to_renewal",
        NUMBER,
        "Days from the evaluation date to the renewal date (negative once it has passed).",
        derived=True,
    ),
)

RULE_FIELDS: dict[str, RuleField] = {
    f.name: RuleField(f.name, _KIND_OF.get(f.kind, TEXT), f.description) for f in ACCOUNT_FIELDS.fields
} | {f.name: f for f in DERIVED_FIELDS}

# Derived from every account at once: no single CRM record can compute them.
BOOK_WIDE_FIELDS = ("arr_share_rank", "account_share_rank", "arr_percentile")

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "empty")
_OPERATOR_ALIASES = {
    "==": "=",
    "<>": "!=",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "=>": ">=",
    "=<": "<=",
    "not in": "not_in",
    "notin": "not_in",
}
_ALLOWED = {
    NUMBER: OPERATORS,
    DATE: OPERATORS,
    TEXT: ("=", "!=", "in", "not_in", "empty"),
    FLAG: ("=", "!=", "empty"),
}
_COMBINATORS = ("all", "any", "not")
_TOP_KEYS = ("name", "description", "tiers", "rules")
_RULE_KEYS = ("tier", "label", "when", "default")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def describe_vocabulary() -> list[dict[str, object]]:
    """The fields and operators rules may use, as plain data (help text, Slack selects, prompts)."""
    return [
        {
            "name": f.name,
            "kind": f.kind,
            "derived": f.derived,
            "operators": list(_ALLOWED[f.kind]),
            "description": f.description,
        }
        for f in RULE_FIELDS.values()
    ]


# ---------------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Comparison:
    """A field compared with a value: ``arr >= 150000``."""

    field: str
    op: str
    value: Any  # float, str (text as written; compared ignoring case; dates ISO), bool, or a tuple


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Union[Comparison, AllOf, AnyOf, Not]  # noqa: UP007 - a runtime alias used in isinstance-free code


@dataclass(frozen=True)
class Rule:
    """One rule: a tier and the condition that gives it (or ``default``: every account left)."""

    tier: str
    label: str
    when: Condition | None
    default: bool = False

    @property
    def title(self) -> str:
        return self.label or self.tier


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of rules; the first that holds gives the tier."""

    name: str
    description: str
    tiers: tuple[str, ...]
    rules: tuple[Rule, ...]

    def fields_used(self) -> set[str]:
        used: set[str] = set()
        for rule in self.rules:
            if rule.when is not None:
                used |= {t.field for t in comparisons_of(rule.when)}
        return used

    def rank(self, tier: str | None) -> int:
        """A tier's position, highest first; untiered sorts last."""
        return self.tiers.index(tier) if tier in self.tiers else len(self.tiers)


@dataclass(frozen=True)
class RuleProblem:
    """One problem found in a rule set, with where it is."""

    where: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class RuleSetInvalid(InputError):
    """A rule set with errors; every error is listed and nothing is stored."""

    def __init__(self, source: str, problems: Sequence[RuleProblem]):
        errors = [p for p in problems if p.severity == "error"]
        lines = "\n".join(f"  • {p}" for p in errors)
        super().__init__(f"{source} has {len(errors)} error(s), so it was not loaded:\n{lines}")
        self.problems = list(problems)


def comparisons_of(condition: Condition) -> Iterable[Comparison]:
    """Every field test in a condition tree, in order."""
    if isinstance(condition, Comparison):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for part in condition.parts:
            yield from comparisons_of(part)
    elif isinstance(condition, Not):
        yield from comparisons_of(condition.part)


# ---------------------------------------------------------------------------------- parsing


MAX_DEPTH = 20  # nested all/any/not
MAX_COMPARISONS = 2_000  # in one rule set
MAX_CONDITIONS = 5_000  # condition nodes (comparisons and all/any/not) in one rule set
MAX_RULES = 500
MAX_TIERS = 50
MAX_LIST_VALUES = 1_000  # values of one `in`/`not_in` list
# Characters of each text a rule set holds: a rule set is read aloud in Slack, the chat and the CRM.
TEXT_LIMITS = {"name": 64, "description": 500, "tier": 60, "label": 200, "value": 200}
_TEXT_WHAT = {
    "name": "a rule set name",
    "description": "a description",
    "tier": "a tier name",
    "label": "a label",
    "value": "a text value",
}
RESERVED_TIERS = ("(untiered)",)


class _TooLarge(Exception):
    """A rule set past a hard limit: the walk stops at once (shared YAML nodes can make a small
    file describe billions of comparisons)."""


@dataclass
class _Parser:
    problems: list[RuleProblem] = field(default_factory=list)
    comparisons: int = 0
    conditions: int = 0

    def error(self, where: str, message: str) -> None:
        self.problems.append(RuleProblem(where, message))

    def stop(self, where: str, message: str) -> None:
        self.error(where, message)
        raise _TooLarge

    def text(self, where: str, value: str, kind: str) -> bool:
        """Whether ``value`` fits the limit for its kind; an error naming the field if not."""
        limit = TEXT_LIMITS[kind]
        if len(value) <= limit:
            return True
        shown = value[:20] + "…"
        self.error(
            where,
            f"`{shown}` has {len(value):,} characters; {_TEXT_WHAT[kind]} may have at most {limit:,} characters",
        )
        return False

    def warn(self, where: str, message: str) -> None:
        self.problems.append(RuleProblem(where, message, "warning"))

    def unknown(self, where: str, what: str, name: str, options: Sequence[str]) -> None:
        hint = did_you_mean(name, options)
        suggestion = f"; did you mean `{hint}`?" if hint else f" (use one of: {', '.join(options)})"
        self.error(where, f"unknown {what} `{name}`{suggestion}")

    # -- conditions

    def condition(self, raw: Any, where: str, depth: int = 0) -> Condition | None:
        if depth > MAX_DEPTH:
            self.error(where, f"conditions nest more than {MAX_DEPTH} levels deep: split the rule")
            return None
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            self.stop(where, f"more than {MAX_CONDITIONS:,} conditions in one rule set: simplify it")
        if not isinstance(raw, Mapping) or not raw:
            self.error(where, 'a condition is a mapping such as {arr: {">=": 150000}} or {all: [...]}')
            return None
        parts = [self._entry(str(key), value, f"{where} › {key}", depth) for key, value in raw.items()]
        found = [p for p in parts if p is not None]
        if len(found) != len(parts):
            return None
        return found[0] if len(found) == 1 else AllOf(tuple(found))

    def _entry(self, key: str, value: Any, where: str, depth: int) -> Condition | None:
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.error(where, f"`{key}` takes a non-empty list of conditions")
                return None
            parts = [self.condition(item, f"{where}[{i + 1}]", depth + 1) for i, item in enumerate(value)]
            if any(p is None for p in parts):
                return None
            children = tuple(p for p in parts if p is not None)
            return AllOf(children) if key == "all" else AnyOf(children)
        if key == "not":
            inner = self.condition(value, where, depth + 1)
            return Not(inner) if inner is not None else None
        if key not in RULE_FIELDS:
            self.unknown(where.rsplit(" › ", 1)[0], "field", key, [*RULE_FIELDS, *_COMBINATORS])
            return None
        rule_field = RULE_FIELDS[key]
        if isinstance(value, Mapping):
            if not value:
                self.error(where, 'give an operator and a value, e.g. {">=": 150000}')
                return None
            tests = [self._test(rule_field, str(op), operand, where) for op, operand in value.items()]
            if any(t is None for t in tests):
                return None
            found = tuple(t for t in tests if t is not None)
            return found[0] if len(found) == 1 else AllOf(found)
        if isinstance(value, list):
            return self._test(rule_field, "in", value, where)
        return self._test(rule_field, "=", value, where)

    def _test(self, rule_field: RuleField, op: str, operand: Any, where: str) -> Comparison | None:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            self.stop(where, f"more than {MAX_COMPARISONS:,} comparisons in one rule set: simplify it")
        op = _OPERATOR_ALIASES.get(op, op)
        allowed = _ALLOWED[rule_field.kind]
        if op not in OPERATORS:
            self.unknown(where, "operator", op, list(allowed))
            return None
        if op not in allowed:
            self.error(
                where,
                f"`{op}` does not apply to the {rule_field.kind} field `{rule_field.name}`; "
                f"use one of: {', '.join(allowed)}",
            )
            return None
        if op == "empty":
            if not isinstance(operand, bool):
                self.error(where, "`empty` takes true or false")
                return None
            return Comparison(rule_field.name, op, operand)
        if op in ("in", "not_in"):
            if not isinstance(operand, list) or not operand:
                self.error(where, f"`{op}` takes a non-empty list, e.g. [NA, EMEA]")
                return None
            if len(operand) > MAX_LIST_VALUES:
                self.stop(
                    where, f"{len(operand):,} values; a list may have at most {MAX_LIST_VALUES:,}: split the rule"
                )
            values = [self._value(rule_field, v, where) for v in operand]
            if any(v is None for v in values):
                return None
            return Comparison(rule_field.name, op, tuple(values))
        if op == "between":
            if not isinstance(operand, list) or len(operand) != 2:
                self.error(where, "`between` takes two values: [low, high]")
                return None
            low, high = (self._value(rule_field, v, where) for v in operand)
            if low is None or high is None:
                return None
            if low > high:
                self.error(where, f"`between` needs the low value first: [{operand[1]}, {operand[0]}]")
                return None
            return Comparison(rule_field.name, op, (low, high))
        value = self._value(rule_field, operand, where)
        if value is None:
            return None
        return Comparison(rule_field.name, op, value)

    def _value(self, rule_field: RuleField, raw: Any, where: str) -> Any:
        name, kind = rule_field.name, rule_field.kind
        if kind == NUMBER:
            number = parse_amount(raw)
            if number is None:
                self.error(where, f"`{name}` compares with numbers; `{raw}` is not one")
            return number
        if kind == DATE:
            if isinstance(raw, datetime):
                self.error(where, f"`{name}` compares with dates, not times: write {raw.date().isoformat()}")
                return None
            if isinstance(raw, date):
                return raw.isoformat()
            if isinstance(raw, str):
                with contextlib.suppress(ValueError):
                    return date.fromisoformat(raw.strip()).isoformat()
            self.error(where, f"`{name}` compares with dates written YYYY-MM-DD; `{raw}` is not one")
            return None
        if kind == FLAG:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
                return raw.strip().lower() == "true"
            self.error(where, f"`{name}` is true or false, not `{raw}`")
            return None
        if isinstance(raw, bool):
            # YAML reads unquoted NO, no, off, yes, on as booleans: almost always a country or a
            # plan name that needs quotes.
            self.error(
                where,
                f"`{name}` compares with text, but YAML read this value as {str(raw).lower()} "
                f"(it does so with unquoted yes, no, on, off): put the value in quotes",
            )
            return None
        if raw is None or isinstance(raw, Mapping | list):
            self.error(where, f"`{name}` compares with a single text value; use `empty: true` for blanks")
            return None
        text = str(raw).strip()
        return text if self.text(where, text, "value") else None

    # -- rules and the set

    def rule(self, raw: Any, position: int, tiers: Sequence[str]) -> Rule | None:
        """One rule; every problem of it is listed, not only the first."""
        where = f"rule {position}"
        if not isinstance(raw, Mapping):
            self.error(where, "a rule is a mapping with `tier` and `when` (or `default: true`)")
            return None
        tier_name = raw.get("tier")
        if isinstance(tier_name, str):
            where = f"rule {position} ({tier_name})"
        for key in raw:
            if key not in _RULE_KEYS:
                self.unknown(where, "key", str(key), _RULE_KEYS)
        valid = True
        if not isinstance(tier_name, str) or not tier_name.strip():
            self.error(where, "every rule needs a `tier`")
            valid = False
        elif not self.text(f"{where} › tier", tier_name.strip(), "tier"):
            valid = False
        elif tiers and tier_name not in tiers:
            self.unknown(where, "tier", tier_name, list(tiers))
        label = raw.get("label") or ""
        if not self.text(f"{where} › label", str(label).strip(), "label"):
            valid = False
        default = raw.get("default", False)
        if not isinstance(default, bool):
            self.error(where, "`default` is true or false")
            default, valid = False, False
        if default and "when" in raw:
            self.error(where, "a default rule has no `when`: it takes every account the rules above left")
            valid = False
        elif not default and "when" not in raw:
            self.error(where, "give the rule a `when` condition, or `default: true`")
            valid = False
        when = self.condition(raw["when"], f"{where} › when") if "when" in raw else None
        if not valid or (not default and when is None):
            return None
        return Rule(tier=str(tier_name).strip(), label=str(label).strip(), when=when, default=default)


_AMOUNT = re.compile(r"^[+-]?\$?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?([km])?$", re.IGNORECASE)


def parse_amount(raw: Any) -> float | None:
    """A number as rule authors and chat users write it: 150000, 150,000, $150k, 1.5m, 0.15.

    Commas only group thousands ("12,5" is not a number), and only finite numbers count.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str) and _AMOUNT.match(raw.strip()):
        text = raw.strip().replace(",", "").replace("$", "")
        scale = {"k": 1_000.0, "m": 1_000_000.0}.get(text[-1:].lower(), 1.0)
        number = float(text.rstrip("kKmM")) * scale
    else:
        return None
    return number if math.isfinite(number) else None


_NUMBER_TOKEN = re.compile(r"\$?[0-9][0-9,]*(?:\.[0-9]+)?[kKmM]?%?")
_THOUSANDS = re.compile(r"\$?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?[kKmM]?%?")


def parse_amounts(text: str) -> list[float] | None:
    """A list of numbers as people type it: "15 40", "15,40", "$150,000 $25k", "150000, 25000".

    A comma followed by three digits groups thousands; any other comma separates numbers.
    Returns None when something other than numbers is in the text.
    """
    found: list[float] = []
    leftover = _NUMBER_TOKEN.sub(" ", text).replace(",", " ").strip()
    if leftover:
        return None
    for token in _NUMBER_TOKEN.findall(text):
        parts = [token] if _THOUSANDS.fullmatch(token) else [p for p in token.split(",") if p]
        for part in parts:
            number = parse_amount(part.rstrip("%"))
            if number is None:
                return None
            found.append(number)
    return found


def parse_rule_set(document: Any, source: str = "The rule set") -> tuple[RuleSet, list[RuleProblem]]:
    """Check and build a rule set from its exchange format; return it with its warnings.

    Raises ``RuleSetInvalid`` listing every error (unknown field, operator or tier with the
    nearest valid name; wrong values; missing keys).
    """
    parser = _Parser()
    if not isinstance(document, Mapping):
        raise RuleSetInvalid(source, [RuleProblem("", "a rule set is a mapping with name, tiers and rules")])
    try:
        rule_set = _parse_document(parser, document)
    except _TooLarge:
        rule_set = None  # a hard limit: nothing past it was read
    if rule_set is None or any(p.severity == "error" for p in parser.problems):
        raise RuleSetInvalid(source, parser.problems)
    return rule_set, [p for p in parser.problems if p.severity == "warning"] + reachability(rule_set)


def _parse_document(parser: _Parser, document: Mapping[Any, Any]) -> RuleSet:
    for key in document:
        if key not in _TOP_KEYS:
            parser.unknown("", "key", str(key), _TOP_KEYS)
    name = document.get("name")
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        parser.error("name", "give the rule set a name of letters, digits, dots, dashes or underscores (fy27-tiers)")
        name = ""
    elif not parser.text("name", name.strip(), "name"):
        name = ""
    description = str(document.get("description") or "").strip()
    if not parser.text("description", description, "description"):
        description = ""
    tiers_raw = document.get("tiers")
    tiers: list[str] = []
    if not isinstance(tiers_raw, list) or not tiers_raw or not all(isinstance(t, str) and t.strip() for t in tiers_raw):
        parser.error("tiers", "list the tiers, highest first: [Strategic, Enterprise, Mid-Market, SMB]")
    elif len(tiers_raw) > MAX_TIERS:
        parser.stop("tiers", f"{len(tiers_raw):,} tiers; a rule set may have at most {MAX_TIERS}")
    else:
        tiers = [t.strip() for t in tiers_raw]
        for tier in tiers:
            parser.text("tiers", tier, "tier")
        repeated = sorted({t for t in tiers if tiers.count(t) > 1})
        if repeated:
            parser.error("tiers", f"each tier once; repeated: {', '.join(repeated)}")
        for reserved in RESERVED_TIERS:
            if reserved in tiers:
                parser.error("tiers", f"`{reserved}` is reserved for accounts no rule tiers: name the tier otherwise")
    rules_raw = document.get("rules")
    rules: list[Rule] = []
    if not isinstance(rules_raw, list) or not rules_raw:
        parser.error("rules", "give at least one rule")
    elif len(rules_raw) > MAX_RULES:
        parser.stop(
            "rules",
            f"{len(rules_raw):,} rules; a rule set may have at most {MAX_RULES:,}: "
            "combine rules with `in` lists or ranges",
        )
    else:
        for position, raw in enumerate(rules_raw, start=1):
            rule = parser.rule(raw, position, tiers)
            if rule is not None:
                rules.append(rule)
    return RuleSet(name=str(name).strip(), description=description, tiers=tuple(tiers), rules=tuple(rules))


# ---------------------------------------------------------------------------------- reachability


@dataclass(frozen=True)
class _Range:
    """Bounds on one field: numbers, or ISO dates (which compare correctly as text)."""

    low: Any = None
    low_closed: bool = True
    high: Any = None
    high_closed: bool = True

    def within(self, outer: _Range) -> bool:
        if outer.low is not None:
            if self.low is None or self.low < outer.low:
                return False
            if self.low == outer.low and self.low_closed and not outer.low_closed:
                return False
        if outer.high is not None:
            if self.high is None or self.high > outer.high:
                return False
            if self.high == outer.high and self.high_closed and not outer.high_closed:
                return False
        return True

    def meet(self, other: _Range) -> _Range:
        low, low_closed = self.low, self.low_closed
        if other.low is not None and (low is None or other.low > low or (other.low == low and not other.low_closed)):
            low, low_closed = other.low, other.low_closed
        high, high_closed = self.high, self.high_closed
        if other.high is not None and (
            high is None or other.high < high or (other.high == high and not other.high_closed)
        ):
            high, high_closed = other.high, other.high_closed
        return _Range(low, low_closed, high, high_closed)


def _constraint(test: Comparison) -> _Range | frozenset | None:
    """What a single test allows, when that can be written as a range or a set of values."""
    op, value = test.op, test.value
    is_set = RULE_FIELDS[test.field].kind in (TEXT, FLAG)
    if op == "=":
        return frozenset([_folded(value)]) if is_set else _Range(value, True, value, True)
    if op == "in":
        return frozenset(_folded(v) for v in value) if is_set else None
    if op == ">=":
        return _Range(low=value, low_closed=True)
    if op == ">":
        return _Range(low=value, low_closed=False)
    if op == "<=":
        return _Range(high=value, high_closed=True)
    if op == "<":
        return _Range(high=value, high_closed=False)
    if op == "between":
        return _Range(value[0], True, value[1], True)
    return None


def _folded(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _constraints(condition: Condition | None) -> dict[str, _Range | frozenset] | None:
    """The condition as one constraint per field, when it is a plain conjunction of tests."""
    if condition is None:
        return None
    parts = condition.parts if isinstance(condition, AllOf) else (condition,)
    found: dict[str, _Range | frozenset] = {}
    for part in parts:
        if not isinstance(part, Comparison):
            return None
        constraint = _constraint(part)
        if constraint is None:
            return None
        current = found.get(part.field)
        if current is None:
            found[part.field] = constraint
        elif isinstance(current, _Range) and isinstance(constraint, _Range):
            found[part.field] = current.meet(constraint)
        elif isinstance(current, frozenset) and isinstance(constraint, frozenset):
            found[part.field] = current & constraint
        else:
            return None
    return found


def _covers(earlier: Rule, later: Rule) -> bool:
    """Whether every account ``later`` would take is already taken by ``earlier``."""
    if earlier.default:
        return True
    if later.default:
        return False
    if earlier.when == later.when:
        return True
    outer, inner = _constraints(earlier.when), _constraints(later.when)
    if outer is None or inner is None:
        return False
    for name, allowed in outer.items():
        required = inner.get(name)
        if required is None:
            return False
        if isinstance(allowed, _Range) and isinstance(required, _Range):
            if not required.within(allowed):
                return False
        elif isinstance(allowed, frozenset) and isinstance(required, frozenset):
            if not required <= allowed:
                return False
        else:
            return False
    return True


def reachability(rule_set: RuleSet) -> list[RuleProblem]:
    """Warnings for rules that can never match, tiers no rule gives, and a missing default."""
    warnings: list[RuleProblem] = []
    for position, rule in enumerate(rule_set.rules, start=1):
        for earlier_position, earlier in enumerate(rule_set.rules[: position - 1], start=1):
            if _covers(earlier, rule):
                reason = (
                    f"rule {earlier_position} is the default"
                    if earlier.default
                    else f"rule {earlier_position} ({earlier.title}) already takes every account it would"
                )
                warnings.append(RuleProblem(f"rule {position} ({rule.title})", f"can never match: {reason}", "warning"))
                break
    given = {r.tier for r in rule_set.rules}
    for tier in rule_set.tiers:
        if tier not in given:
            warnings.append(RuleProblem("tiers", f"no rule gives the tier `{tier}`", "warning"))
    if not any(r.default for r in rule_set.rules):
        warnings.append(
            RuleProblem(
                "rules",
                "no default rule: accounts that match no rule stay untiered (they are counted and listed)",
                "warning",
            )
        )
    return warnings


# ---------------------------------------------------------------------------------- writing back


def _plain_value(test: Comparison, value: Any) -> Any:
    if RULE_FIELDS[test.field].kind == NUMBER and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def condition_document(condition: Condition) -> dict[str, Any]:
    """A condition in the exchange format."""
    if isinstance(condition, AllOf):
        return {"all": [condition_document(p) for p in condition.parts]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_document(p) for p in condition.parts]}
    if isinstance(condition, Not):
        return {"not": condition_document(condition.part)}
    raw = condition.value
    value = [_plain_value(condition, v) for v in raw] if isinstance(raw, tuple) else _plain_value(condition, raw)
    if condition.op == "=":
        return {condition.field: value}
    return {condition.field: {condition.op: value}}


def to_document(rule_set: RuleSet) -> dict[str, Any]:
    """The rule set in its exchange format (what YAML export writes)."""
    rules: list[dict[str, Any]] = []
    for rule in rule_set.rules:
        entry: dict[str, Any] = {"tier": rule.tier}
        if rule.label:
            entry["label"] = rule.label
        if rule.default:
            entry["default"] = True
        elif rule.when is not None:
            entry["when"] = condition_document(rule.when)
        rules.append(entry)
    document: dict[str, Any] = {"name": rule_set.name}
    if rule_set.description:
        document["description"] = rule_set.description
    document["tiers"] = list(rule_set.tiers)
    document["rules"] = rules
    return document


# ---------------------------------------------------------------------------------- reading aloud

_SYMBOLS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def show_value(field_name: str, value: Any) -> str:
    """A value as people read it: 150,000; 0.15; NA; 2027-01-31; true."""
    if value is None:
        return "blank"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        if field_name in ("arr_share_rank", "account_share_rank"):
            return f"{value:.4g}"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def describe(condition: Condition) -> str:
    """A condition in words: ``arr ≥ 150,000``, ``region in [NA, EMEA]``."""
    if isinstance(condition, AllOf):
        return "all of (" + "; ".join(describe(p) for p in condition.parts) + ")"
    if isinstance(condition, AnyOf):
        return "any of (" + "; ".join(describe(p) for p in condition.parts) + ")"
    if isinstance(condition, Not):
        return "not (" + describe(condition.part) + ")"
    name, op, value = condition.field, condition.op, condition.value
    if op == "empty":
        return f"{name} is blank" if value else f"{name} is filled in"
    if op in ("in", "not_in"):
        shown = ", ".join(show_value(name, v) for v in value)
        return f"{name} {'in' if op == 'in' else 'not in'} [{shown}]"
    if op == "between":
        return f"{name} between {show_value(name, value[0])} and {show_value(name, value[1])}"
    if RULE_FIELDS[name].kind == FLAG and op == "=":
        return f"{name} is {show_value(name, value)}"
    return f"{name} {_SYMBOLS[op]} {show_value(name, value)}"
