"""One account's tier, with every reason: the single-account path of rule evaluation.

Plain Python, no numpy or pandas, so explaining one account (``tierbot tier acme``) starts and
answers in milliseconds. ``decide`` follows exactly the semantics of the vectorised bulk path in
``engine.tiering``; property tests hold the two to it on every account.

The derived fields of one account (``account_fields``) are computed the way ``prepare_book``
computes them for the whole book, down to the order of the floating-point additions, so a rank
exactly on a threshold falls on the same side both ways.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Union

from engine.fields import text_matches
from engine.rules import DATE, FLAG, NUMBER, RULE_FIELDS, AllOf, Comparison, Condition, Not, Rule, RuleSet

# What each derived field is computed from.
_DERIVED_FROM = {
    "arr_share_rank": ("arr",),
    "account_share_rank": ("arr",),
    "arr_percentile": ("arr",),
    "expected_arr": ("arr", "potential_arr"),
    "days_to_renewal": ("renewal_date",),
}


def columns_needed(rule_sets: Iterable[RuleSet]) -> list[str]:
    """The account columns a book needs for these rule sets (always crm_id, name and arr)."""
    needed = {"crm_id", "name", "arr"}
    for rule_set in rule_sets:
        for name in rule_set.fields_used():
            needed.update(_DERIVED_FROM.get(name, (name,)))
    ordered = ["crm_id", "name", "arr"]
    return ordered + sorted(needed - set(ordered))


@dataclass(frozen=True)
class ComparisonTrace:
    """A comparison as evaluated on one account: the value read and whether it held."""

    comparison: Comparison
    read: Any
    held: bool


@dataclass(frozen=True)
class GroupTrace:
    """``all``, ``any`` or ``not`` as evaluated on one account."""

    kind: str
    parts: tuple[Trace, ...]
    held: bool


Trace = Union[ComparisonTrace, GroupTrace]  # noqa: UP007


@dataclass(frozen=True)
class RuleTrace:
    """A rule as evaluated on one account (``trace`` is None for the default rule)."""

    position: int
    rule: Rule
    held: bool
    trace: Trace | None


@dataclass(frozen=True)
class TierDecision:
    """An account's tier under a rule set, with the reasons: the rule that fired and why the
    earlier ones did not."""

    rule_set: str
    tier: str | None
    fired: RuleTrace | None
    earlier: tuple[RuleTrace, ...]

    @property
    def rule(self) -> int:
        return self.fired.position if self.fired else 0


def read_value(field_name: str, row: Mapping[str, Any]) -> Any:
    """A field of one account in the form comparisons use: float, ISO date, text or bool; None if
    blank. Reads exactly as the bulk path does (``pd.to_numeric``, 1/0 flags, strict ISO dates)."""
    value = row.get(field_name)
    if _blank(value):
        return None
    kind = RULE_FIELDS[field_name].kind
    if kind in (NUMBER, FLAG):
        number = _number(value)
        if number is None:
            return None
        if kind == FLAG:
            return {1.0: True, 0.0: False}.get(number)
        return number
    if kind == DATE:
        # The same reading as the bulk path's pd.to_datetime(format="%Y-%m-%d").
        try:
            return datetime.strptime(str(value), "%Y-%m-%d").date().isoformat()
        except ValueError:
            return None
    text = str(value)
    return text if text != "" else None


def _blank(value: Any) -> bool:
    """None, NaN, or pandas' own missing markers (a row of a frame holds them; recognised by
    type so this path never imports pandas)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    kind = type(value)
    return kind.__module__.startswith("pandas") and kind.__name__ in ("NAType", "NaTType")


# What ``pd.to_numeric`` reads as a number in text: ASCII decimals with an optional exponent,
# spaces around, and the words for infinity and not-a-number in any case (no `1_000`, no `1,000`).
_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)
_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf, "+infinity": math.inf}
_SPECIAL["-infinity"] = -math.inf


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real):  # int, float and numpy's scalars
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if _NUMBER_TEXT.fullmatch(value):
            number = float(value)
        elif text in _SPECIAL:
            number = _SPECIAL[text]
        else:
            return None
    else:
        return None
    return None if math.isnan(number) else number


def comparison_holds(test: Comparison, read: Any) -> bool:
    """Whether a test holds for a value read from an account (None = blank)."""
    if test.op == "empty":
        return (read is None) == test.value
    if read is None:
        return False
    kind = RULE_FIELDS[test.field].kind
    if kind not in (NUMBER, DATE, FLAG) and test.op in ("=", "!=", "in", "not_in"):
        asked = test.value if isinstance(test.value, tuple) else (test.value,)
        hit = any(text_matches(test.field, str(read), str(v)) for v in asked)
        return hit if test.op in ("=", "in") else not hit
    if kind not in (NUMBER, DATE, FLAG):
        read = read.lower()
        value = tuple(v.lower() for v in test.value) if isinstance(test.value, tuple) else test.value.lower()
    else:
        value = test.value
    op = test.op
    if op == "=":
        return bool(read == value)
    if op == "!=":
        return bool(read != value)
    if op == "<":
        return bool(read < value)
    if op == "<=":
        return bool(read <= value)
    if op == ">":
        return bool(read > value)
    if op == ">=":
        return bool(read >= value)
    if op == "between":
        return bool(value[0] <= read <= value[1])
    if op == "in":
        return read in value
    if op == "not_in":
        return read not in value
    raise ValueError(op)  # pragma: no cover - the parser admits only the operators above


def trace(condition: Condition, row: Mapping[str, Any]) -> Trace:
    """Evaluate a condition on one account, keeping every test's value and outcome."""
    if isinstance(condition, Comparison):
        read = read_value(condition.field, row)
        return ComparisonTrace(condition, read, comparison_holds(condition, read))
    if isinstance(condition, Not):
        inner = trace(condition.part, row)
        return GroupTrace("not", (inner,), not inner.held)
    parts = tuple(trace(p, row) for p in condition.parts)
    held = all(p.held for p in parts) if isinstance(condition, AllOf) else any(p.held for p in parts)
    return GroupTrace("all" if isinstance(condition, AllOf) else "any", parts, held)


def decide(row: Mapping[str, Any], rule_set: RuleSet) -> TierDecision:
    """Tier one account of a prepared book, tracing the rules up to the one that fires."""
    earlier: list[RuleTrace] = []
    for position, rule in enumerate(rule_set.rules, start=1):
        if rule.default or rule.when is None:
            return TierDecision(rule_set.name, rule.tier, RuleTrace(position, rule, True, None), tuple(earlier))
        result = trace(rule.when, row)
        if result.held:
            return TierDecision(rule_set.name, rule.tier, RuleTrace(position, rule, True, result), tuple(earlier))
        earlier.append(RuleTrace(position, rule, False, result))
    return TierDecision(rule_set.name, None, None, tuple(earlier))


def leaf_traces(found: Trace | None) -> list[ComparisonTrace]:
    """Every test of a trace, in order."""
    if found is None:
        return []
    if isinstance(found, ComparisonTrace):
        return [found]
    return [leaf for part in found.parts for leaf in leaf_traces(part)]


# ---------------------------------------------------------------------------------- derived fields


@dataclass(frozen=True)
class ArrRanks:
    """Where one account's ARR stands in the whole book (the rank fields rules may read)."""

    arr_share_rank: float  # share of total ARR held by this account and every larger one
    account_share_rank: float  # the same by count
    arr_percentile: float  # share of accounts with a smaller ARR, 0-100


def arr_ranks(crm_id: str, book: Iterable[tuple[str, Any]]) -> ArrRanks | None:
    """The rank fields of ``crm_id``, from every account's (CRM id, ARR) in the order
    ``prepare_book`` ranks them: ARR descending, ties by CRM id (None if it is not there).

    The running total is added up in that order, as ``np.cumsum`` does, and the book's total is
    the last running total, as in ``prepare_book``: the shares agree to the last bit.
    """
    running = 0.0
    n = 0
    mine: tuple[float, int, float] | None = None  # running total, position, own ARR
    smaller = 0
    for account, value in book:
        arr = _arr(value)
        running += arr
        n += 1
        if mine is None:
            if account == crm_id:
                mine = (running, n, arr)
        elif arr < mine[2]:
            smaller += 1
    if mine is None:
        return None
    share = mine[0] / running if running > 0 else math.nan
    return ArrRanks(share, mine[1] / n, 100.0 * smaller / n)


def _arr(value: Any) -> float:
    number = _number(value) if not _blank(value) else None
    return 0.0 if number is None else number


def account_fields(row: Mapping[str, Any], ranks: ArrRanks | None, as_of: date) -> dict[str, Any]:
    """One account's columns plus the derived fields, as ``prepare_book`` adds them to the book."""
    out = dict(row)
    out["arr_share_rank"] = ranks.arr_share_rank if ranks else math.nan
    out["account_share_rank"] = ranks.account_share_rank if ranks else math.nan
    out["arr_percentile"] = ranks.arr_percentile if ranks else math.nan
    potential = None if _blank(row.get("potential_arr")) else _number(row.get("potential_arr"))
    out["expected_arr"] = potential if potential is not None else _arr(row.get("arr"))
    out["days_to_renewal"] = _days_until(row.get("renewal_date"), as_of)
    return out


def _days_until(value: Any, as_of: date) -> float:
    if _blank(value):
        return math.nan
    try:
        day = datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        return math.nan
    return float((day - as_of).days)
