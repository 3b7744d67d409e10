"""Propose tier thresholds from target bands, and the table leaders choose from.

Bands are widths, largest accounts first: ``--by arr-share --bands 15,40`` asks for a top tier
holding about 15% of ARR, a next tier holding the next 40%, and the rest below. Thresholds are
ARR cut points rounded to numbers people use ($25k, $150k), so the rules read well and a CRM can
apply them; the table reports the shares the rounded thresholds really give.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.rules import AllOf, Comparison, Rule, RuleSet
from engine.tiering import assign_tiers

BY = ("arr-share", "account-share", "arr")
STRATEGIC = "Strategic"
MIN_SEGMENT = 20  # smaller segments share the general thresholds
UNTIERED = "(untiered)"
_NICE = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0)


def nice_number(value: float) -> float:
    """The closest "round" amount: 153,421 → 150,000; 23,800 → 25,000; 8,700 → 8,000."""
    if value <= 0 or not math.isfinite(value):
        return 0.0
    magnitude = 10 ** math.floor(math.log10(value))
    candidates = [m * magnitude for m in _NICE] + [10 * magnitude]
    return float(min(candidates, key=lambda c: (abs(c - value), c)))


@dataclass(frozen=True)
class TierRow:
    """One tier of a book: how many accounts and how much ARR."""

    tier: str
    accounts: int
    account_share: float
    arr: float
    arr_share: float
    min_arr: float | None
    max_arr: float | None
    average_arr: float | None


def tier_table(book: pd.DataFrame, tiers: pd.Series, order: Sequence[str]) -> list[TierRow]:
    """Accounts, ARR and their shares per tier, in the rule set's order; a tier no account is in
    shows with zeros, untiered accounts come last."""
    arr = pd.to_numeric(book["arr"], errors="coerce").fillna(0.0).to_numpy()
    total_arr = float(arr.sum())
    n = len(book)
    labels = pd.Series(tiers.to_numpy(dtype=object), dtype=object).fillna(UNTIERED)
    grouped = pd.DataFrame({"tier": labels.to_numpy(), "arr": arr}).groupby("tier", sort=False)["arr"]
    stats = grouped.agg(["count", "sum", "min", "max", "mean"])
    names = list(order) + [t for t in stats.index if t not in order and t != UNTIERED]
    if UNTIERED in stats.index:
        names.append(UNTIERED)
    rows = []
    for tier in names:
        if tier not in stats.index:
            rows.append(TierRow(str(tier), 0, 0.0, 0.0, 0.0, None, None, None))
            continue
        count, total, low, high, mean = stats.loc[tier]
        rows.append(
            TierRow(
                tier=str(tier),
                accounts=int(count),
                account_share=count / n if n else 0.0,
                arr=float(total),
                arr_share=total / total_arr if total_arr else 0.0,
                min_arr=float(low),
                max_arr=float(high),
                average_arr=float(mean),
            )
        )
    return rows


def _cut_points(arr: np.ndarray, by: str, bands: Sequence[float]) -> list[float]:
    """Raw ARR cut points where each band ends, largest accounts first."""
    ordered = np.sort(arr)[::-1]
    if len(ordered) == 0:
        return []
    ends = np.cumsum(np.asarray(bands, dtype=float)) / 100.0
    cuts = []
    if by == "arr-share":
        share = np.cumsum(ordered) / ordered.sum()
        for end in ends:
            position = int(np.searchsorted(share, end, side="left"))
            cuts.append(float(ordered[min(position, len(ordered) - 1)]))
    else:
        for end in ends:
            position = max(1, math.ceil(end * len(ordered)))
            cuts.append(float(ordered[min(position, len(ordered)) - 1]))
    return cuts


def _band_rules(cuts: Sequence[float], tier_names: Sequence[str], segment: Comparison | None, note: str) -> list[Rule]:
    rules = []
    for cut, tier in zip(cuts, tier_names, strict=False):
        test = Comparison("arr", ">=", float(cut))
        when = AllOf((segment, test)) if segment is not None else test
        label = f"{note}ARR ≥ {cut:,.0f}"
        rules.append(Rule(tier=tier, label=label, when=when))
    return rules


def nice_number_below(value: float) -> float:
    """The largest "round" amount not above ``value``."""
    if value <= 0 or not math.isfinite(value):
        return 0.0
    magnitude = 10 ** math.floor(math.log10(value))
    candidates = [m * magnitude for m in _NICE] + [10 * magnitude]
    return float(max(c for c in candidates if c <= value))


def _rounded(cuts: Sequence[float], largest: float) -> list[float]:
    """Cut points rounded to numbers people use, never above the largest account (a threshold
    nobody reaches would leave its tier empty). A band rounding squeezed to nothing goes."""
    kept: list[float] = []
    for cut in cuts:
        rounded = nice_number(cut)
        if rounded > largest:
            rounded = nice_number_below(cut)
        if rounded > 0 and (not kept or rounded < kept[-1]):
            kept.append(rounded)
    return kept


@dataclass(frozen=True)
class BandShare:
    """What a band asked for and what the rounded threshold gives, on the same base."""

    tier: str
    target: float  # share of the base (ARR or accounts) asked for
    actual: float


@dataclass(frozen=True)
class Proposal:
    """A proposed rule set, the shares its bands really give, and what to know about it."""

    rule_set: RuleSet
    bands: tuple[BandShare, ...]
    notes: tuple[str, ...]


def _check_bands(by: str, bands: Sequence[float], cuts: Sequence[float]) -> list[float]:
    if by == "arr":
        if bands:
            raise InputError("`--by arr` takes --cuts (ARR amounts), not --bands.")
        if not cuts:
            raise InputError("`--by arr` needs the ARR cut points, e.g. --cuts 150000,25000.")
        values = [float(c) for c in cuts]
        if any(not math.isfinite(c) or c <= 0 for c in values) or len(set(values)) != len(values):
            raise InputError("ARR cut points must be different amounts above zero, e.g. --cuts 150000,25000.")
        return sorted(values, reverse=True)
    if cuts:
        raise InputError(f"`--by {by}` takes --bands (percentages), not --cuts.")
    if not bands:
        raise InputError(f"`--by {by}` needs the band sizes in percent, e.g. --bands 15,40.")
    widths = [float(b) for b in bands]
    if any(not math.isfinite(b) or b <= 0 for b in widths) or sum(widths) >= 100:
        raise InputError(
            f"Bands {', '.join(f'{b:g}' for b in widths)} must each be above 0 and add up to "
            "less than 100 (the last tier takes the rest)."
        )
    return widths


def propose_rules(
    book: pd.DataFrame,
    *,
    name: str,
    by: str,
    bands: Sequence[float] = (),
    cuts: Sequence[float] = (),
    tier_names: Sequence[str] = (),
    within: str | None = None,
    keep_strategic: bool = True,
) -> Proposal:
    """A draft rule set whose ARR thresholds give about the requested bands.

    ``by`` is arr-share or account-share (with ``bands`` in percent, largest accounts first) or
    arr (with ``cuts`` in dollars). ``within`` names a category field (setting, region…): each
    segment of at least ``MIN_SEGMENT`` accounts gets thresholds of its own, the rest share the
    general ones. Designated strategic accounts stay Strategic, and the bands are taken on the
    other accounts.
    """
    if by not in BY:
        raise InputError(f"`--by {by}` is not a way to band accounts; use arr-share, account-share or arr.")
    checked = _check_bands(by, bands, cuts)
    levels = len(checked) + 1
    names = list(tier_names) or [f"Tier {i}" for i in range(1, levels + 1)]
    if len(names) != levels:
        raise InputError(
            f"{levels} tiers come out of these bands, but {len(names)} names were given: {', '.join(names)}."
        )
    strategic_mask = (
        pd.to_numeric(book["strategic"], errors="coerce").fillna(0).astype(bool)
        if keep_strategic and "strategic" in book
        else pd.Series(False, index=book.index)
    )
    strategic = bool(strategic_mask.any())
    if strategic and STRATEGIC in names:
        raise InputError(f"`{STRATEGIC}` is kept for designated strategic accounts; name the bands otherwise.")
    population = book[~strategic_mask]
    arr = pd.to_numeric(population["arr"], errors="coerce").fillna(0.0)
    notes: list[str] = []

    def thresholds(values: np.ndarray) -> list[float]:
        if by == "arr":
            return list(checked)
        return _rounded(_cut_points(values, by, checked), float(values.max()) if len(values) else 0.0)

    general = thresholds(arr.to_numpy())
    if len(general) < len(checked):
        if tier_names:
            raise InputError(
                f"Rounded to round amounts, these bands give only {len(general) + 1} distinct tiers "
                f"({', '.join(f'{c:,.0f}' for c in general)}): ask for fewer or wider bands."
            )
        names = [f"Tier {i}" for i in range(1, len(general) + 2)]
        notes.append(f"Rounding merged some bands: {len(general) + 1} tiers remain. Ask for wider bands to get more.")
    rules: list[Rule] = []
    if strategic:
        rules.append(Rule(STRATEGIC, "designated strategic", Comparison("strategic", "=", True)))
    description = f"Proposed from {by} " + (f"bands {','.join(f'{b:g}' for b in checked)}" if by != "arr" else "cuts")
    if strategic:
        description += " of the accounts not designated strategic"
    if within:
        rules += _segment_rules(population, arr, within, names, thresholds, notes)
        description += f", within {within}"
    rules += _band_rules(general, names, None, "")
    rules.append(Rule(names[-1], "everyone else", None, default=True))
    tiers = ([STRATEGIC] if strategic else []) + names
    rule_set = RuleSet(name=name, description=description, tiers=tuple(tiers), rules=tuple(rules))
    return Proposal(rule_set, _band_shares(population, rule_set, by, checked, names), tuple(notes))


def _segment_rules(
    population: pd.DataFrame,
    arr: pd.Series,
    within: str,
    names: Sequence[str],
    thresholds: Callable[[np.ndarray], list[float]],
    notes: list[str],
) -> list[Rule]:
    if within not in population:
        raise InputError(f"Cannot band within `{within}`: the accounts have no such column.")
    segments = population[within].astype(object).where(population[within].notna(), None)
    totals = arr.groupby(segments.to_numpy()).agg(["count", "sum"]).sort_values("sum", ascending=False)
    large = [(v, c) for v, (c, _) in totals.iterrows() if c >= MIN_SEGMENT and v not in (None, "")]
    if not large:
        raise InputError(
            f"No value of `{within}` covers {MIN_SEGMENT} accounts, so no segment can have thresholds "
            f"of its own: pick a field with fewer values (setting, region, plan, industry)."
        )
    small = [str(v) for v, (c, _) in totals.iterrows() if c < MIN_SEGMENT and v not in (None, "")]
    if small:
        shown = ", ".join(small[:8]) + ("…" if len(small) > 8 else "")
        notes.append(f"Segments under {MIN_SEGMENT} accounts share the general thresholds: {shown}.")
    rules: list[Rule] = []
    for value, _ in large:
        test = Comparison(within, "=", str(value))
        cut = thresholds(arr[segments == value].to_numpy())
        rules += _band_rules(cut, names, test, f"{value}: ")
        # The rest of the segment: its own bottom tier, not the general thresholds below.
        rules.append(Rule(names[-1], f"{value}: everyone else", test))
    return rules


def _band_shares(
    population: pd.DataFrame, rule_set: RuleSet, by: str, bands: Sequence[float], names: Sequence[str]
) -> tuple[BandShare, ...]:
    """Requested versus obtained band sizes, on the accounts the bands were taken on."""
    if by == "arr" or population.empty:
        return ()
    tiers = assign_tiers(population.reset_index(drop=True), rule_set)["tier"]
    weights = pd.to_numeric(population["arr"], errors="coerce").fillna(0.0).to_numpy()
    if by == "account-share":
        weights = np.ones(len(population))
    total = weights.sum() or 1.0
    shares = []
    for tier, target in zip(names, bands, strict=False):
        actual = float(weights[(tiers == tier).to_numpy()].sum() / total)
        shares.append(BandShare(tier, target / 100.0, actual))
    return tuple(shares)


def concentration_curve(arr: np.ndarray, points: int = 101) -> tuple[tuple[float, float], ...]:
    """(share of accounts, share of ARR they hold), the largest accounts first, at ``points``
    evenly spaced account shares from 0 to 1: "the top 10% of accounts hold 62% of ARR"."""
    values = np.sort(np.clip(np.nan_to_num(np.asarray(arr, dtype=float)), 0, None))[::-1]
    total = float(values.sum())
    if len(values) == 0 or total <= 0:
        return tuple((x, x) for x in np.linspace(0.0, 1.0, points).tolist())
    cumulative = np.concatenate([[0.0], np.cumsum(values) / total])
    shares = np.linspace(0.0, 1.0, points)
    held = np.interp(shares * len(values), np.arange(len(values) + 1), cumulative)
    return tuple(zip(shares.tolist(), held.tolist(), strict=True))
