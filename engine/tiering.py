"""Evaluate a rule set on the whole book at once (vectorised).

``prepare_book`` adds the derived fields to a table of accounts; ``assign_tiers`` tiers every
account with numpy masks (first matching rule wins, ``np.select``). ``engine.decisions`` tiers
one account and traces each condition with the value it read. Both follow the same semantics,
and property tests hold them to it: same data and rules, same tiers, whatever the order of rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from engine.fields import REGIONS, region_of
from engine.rules import DATE, FLAG, NUMBER, RULE_FIELDS, AllOf, AnyOf, Comparison, Condition, RuleSet

# ---------------------------------------------------------------------------------- the book


def prepare_book(accounts: pd.DataFrame, as_of: date, *, ranked: bool = False) -> pd.DataFrame:
    """Add the derived fields every rule may read.

    Ranks order accounts by ARR, largest first, ties broken by CRM id, so the same book gives the
    same ranks whatever the order of its rows. ``ranked`` says the frame already holds the rank
    fields for exactly these ARRs (the columnar copy keeps them, computed by ``arr_rank_fields``).
    """
    # No deep copy: pandas' copy-on-write keeps the caller's frame unchanged.
    book = accounts.reset_index(drop=True)
    arr = pd.to_numeric(book["arr"], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    if not ranked:
        share, position, percentile = arr_rank_fields(arr, book["crm_id"])
        book["arr_share_rank"] = share
        book["account_share_rank"] = position
        book["arr_percentile"] = percentile
    if "potential_arr" in book:
        potential = pd.to_numeric(book["potential_arr"], errors="coerce")
        book["expected_arr"] = potential.where(potential.notna(), arr).astype("float64")
    else:
        book["expected_arr"] = arr
    if "renewal_date" in book:
        book["days_to_renewal"] = _days_until(book["renewal_date"], as_of)
    else:
        book["days_to_renewal"] = np.nan
    return book


def arr_rank_fields(arr: np.ndarray, crm_ids: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each account's ARR share rank, account share rank and ARR percentile, from its ARR (blanks
    as 0) and CRM id: what rules read as ``arr_share_rank``, ``account_share_rank`` and
    ``arr_percentile``. The store keeps them (``account_ranks``) so one account is explained
    without reading every ARR; computed here, once, for both paths."""
    n = len(arr)
    ids, _ = pd.factorize(crm_ids.astype(str), sort=True)
    order = np.lexsort((ids, -arr))
    running = np.cumsum(arr[order])
    # The total is the last running total (not arr.sum(), which adds pairwise): the one-account
    # path (engine.decisions.arr_ranks) adds in the same order and gets the same bits.
    total = running[-1] if n else 0.0
    share = np.empty(n)
    with np.errstate(invalid="ignore"):  # an infinite ARR (typed into the file by hand) gives NaN shares
        share[order] = running / total if total > 0 else np.nan
    position = np.empty(n)
    position[order] = (np.arange(n) + 1) / n if n else []
    # Accounts with a smaller ARR, counted on the values already in order (searching a sorted
    # array with sorted values is several times faster than with the book's random order).
    ascending_order = order[::-1]
    ascending = arr[ascending_order]
    smaller = np.empty(n)
    smaller[ascending_order] = np.searchsorted(ascending, ascending, side="left")
    percentile = 100.0 * smaller / n if n else np.empty(0)
    return share, position, percentile


def _as_days(values: pd.Series) -> np.ndarray:
    """ISO dates as numpy days (NaT for blanks and non-dates), parsing each distinct date once:
    a million accounts renew on a few hundred different days."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    days = pd.to_datetime(pd.Series(uniques, dtype=object), errors="coerce", format="%Y-%m-%d")
    parsed = np.append(days.to_numpy(dtype="datetime64[D]"), np.datetime64("NaT", "D"))
    return parsed[np.where(codes < 0, len(uniques), codes)]


def _days_until(values: pd.Series, as_of: date) -> np.ndarray:
    days = _as_days(values)
    delta = (days - np.datetime64(as_of.isoformat(), "D")).astype("float64")
    delta[np.isnat(days)] = np.nan
    return delta


# ---------------------------------------------------------------------------------- the whole book


class _Masks:
    """Boolean masks of conditions over a book, each test computed once."""

    def __init__(self, book: pd.DataFrame):
        self.book = book
        self.n = len(book)
        self.cache: dict[Comparison, np.ndarray] = {}
        self.columns: dict[str, Any] = {}

    def of(self, condition: Condition) -> np.ndarray:
        if isinstance(condition, Comparison):
            if condition not in self.cache:
                self.cache[condition] = self._test(condition)
            return self.cache[condition]
        if isinstance(condition, AllOf):
            return np.logical_and.reduce([self.of(p) for p in condition.parts])
        if isinstance(condition, AnyOf):
            return np.logical_or.reduce([self.of(p) for p in condition.parts])
        return ~self.of(condition.part)

    def _column(self, name: str) -> Any:
        """The column in the form comparisons need, converted once per evaluation."""
        if name in self.columns:
            return self.columns[name]
        kind = RULE_FIELDS[name].kind
        raw = self.book[name] if name in self.book else pd.Series([None] * self.n, dtype=object)
        if kind in (NUMBER, FLAG):
            values: Any = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64")
            if kind == FLAG:
                # Only 1 and 0 are flags; anything else written into the file reads as blank.
                values = np.where(np.isin(values, (0.0, 1.0)), values, np.nan)
        elif kind == DATE:
            values = _as_days(raw)
        else:
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
            lowered = np.array([str(u).lower() for u in uniques], dtype=object)
            values = (codes, lowered)
        self.columns[name] = values
        return values

    def _test(self, test: Comparison) -> np.ndarray:
        kind = RULE_FIELDS[test.field].kind
        column = self._column(test.field)
        if kind in (NUMBER, FLAG):
            x = column
            present = ~np.isnan(x)
            value = _flag_number(test.value) if kind == FLAG else test.value
            return _compare(x, present, test.op, value)
        if kind == DATE:
            x = column
            present = ~np.isnat(x)
            value = _as_day(test.value)
            return _compare(x, present, test.op, value)
        codes, lowered = column
        present_values = np.array([u != "" for u in lowered], dtype=bool)
        if test.op == "empty":
            present = (codes >= 0) & np.append(present_values, False)[codes]
            return ~present if test.value else present
        asked = test.value if isinstance(test.value, tuple) else (test.value,)
        wanted = {str(v).lower() for v in asked}
        if test.field == "region":
            # A region written another way that can only mean the asked one ("North America").
            regions = {str(v).upper() for v in asked} & set(REGIONS)
            hits = np.array([u in wanted or region_of(u) in regions for u in lowered], dtype=bool)
        else:
            hits = np.array([u in wanted for u in lowered], dtype=bool)
        hits &= present_values
        # codes of -1 (blank) index the appended False
        hit = np.append(hits, False)[codes]
        present = np.append(present_values, False)[codes]
        if test.op in ("=", "in"):
            return hit
        return present & ~hit  # != and not_in: only filled-in values can differ


def _flag_number(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_flag_number(v) for v in value)
    return 1.0 if value is True else 0.0 if value is False else value


def _as_day(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_as_day(v) for v in value)
    return np.datetime64(value, "D") if isinstance(value, str) else value


def _compare(x: np.ndarray, present: np.ndarray, op: str, value: Any) -> np.ndarray:
    if op == "empty":
        return ~present if value else present
    with np.errstate(invalid="ignore"):
        if op == "=":
            result = x == value
        elif op == "!=":
            result = x != value
        elif op == "<":
            result = x < value
        elif op == "<=":
            result = x <= value
        elif op == ">":
            result = x > value
        elif op == ">=":
            result = x >= value
        elif op == "between":
            result = (x >= value[0]) & (x <= value[1])
        elif op == "in":
            result = np.isin(x, np.array(value))
        elif op == "not_in":
            result = ~np.isin(x, np.array(value))
        else:  # pragma: no cover - the parser admits only the operators above
            raise ValueError(op)
    return present & result


def assign_tiers(book: pd.DataFrame, rule_set: RuleSet) -> pd.DataFrame:
    """Tier every account of a prepared book: ``crm_id``, ``tier`` and ``rule`` (1-based, 0 = none)."""
    masks = _Masks(book)
    n = len(book)
    choices = [
        np.ones(n, dtype=bool) if rule.default or rule.when is None else masks.of(rule.when) for rule in rule_set.rules
    ]
    positions = np.arange(1, len(rule_set.rules) + 1)
    rule = np.select(choices, positions, default=0) if choices else np.zeros(n, dtype=int)
    tiers = np.array([None, *[r.tier for r in rule_set.rules]], dtype=object)
    # object dtype keeps None for untiered (pandas would otherwise make it NaN).
    return pd.DataFrame(
        {
            "crm_id": book["crm_id"].to_numpy(),
            "tier": pd.Series(tiers[rule], dtype=object),
            "rule": rule.astype(int),
        }
    )
