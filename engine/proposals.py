"""Propose tier thresholds from target bands, and the table leaders choose from.

Bands are widths, largest accounts first: ``--by arr-share --bands 15,40`` asks for a top tier
holding about 15% of ARR, a next tier holding the next 40%, and the rest below. Thresholds are
ARR cut points rounded to numbers people use ($25k, $150k), so the rules read well and a CRM can
apply them; the table reports the shares the rounded thresholds really give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.rules import AllOf, Comparison, Rule, RuleSet

BY = ("arr-share", "account-share", "arr")
STRATEGIC = "Strategic"
MIN_SEGMENT = 20  # smaller segments share the general thresholds
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
    """Accounts, ARR and their shares per tier, in the rule set's order (untiered last)."""
    arr = pd.to_numeric(book["arr"], errors="coerce").fillna(0.0).to_numpy()
    total_arr = float(arr.sum())
    n = len(book)
    labels = pd.Series(tiers.to_numpy(dtype=object), dtype=object).fillna("(untiered)")
    grouped = pd.DataFrame({"tier": labels.to_numpy(), "arr": arr}).groupby("tier", sort=False)["arr"]
    stats = grouped.agg(["count", "sum", "min", "max", "mean"])
    names = [t for t in order if t in stats.index] + [t for t in stats.index if t not in order]
    rows = []
    for tier in names:
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


def _rounded(cuts: Sequence[float], rounding: bool) -> list[float]:
    rounded = [nice_number(c) if rounding else float(c) for c in cuts]
    # A band that rounding squeezed to nothing disappears rather than give equal thresholds.
    kept: list[float] = []
    for cut in rounded:
        if cut > 0 and (not kept or cut < kept[-1]):
            kept.append(cut)
    return kept


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
) -> RuleSet:
    """A draft rule set whose ARR thresholds give about the requested bands.

    ``by`` is arr-share or account-share (with ``bands`` in percent) or arr (with ``cuts`` in
    dollars). ``within`` names a category field (setting, region…): each of its large enough
    segments gets thresholds of its own, then the rest share general ones. Designated strategic
    accounts stay Strategic.
    """
    if by not in BY:
        raise InputError(f"`--by {by}` is not a way to band accounts; use arr-share, account-share or arr.")
    if by == "arr":
        if not cuts:
            raise InputError("`--by arr` needs the ARR cut points, e.g. --cuts 150000,25000.")
        widths: list[float] = []
        raw_cuts = sorted((float(c) for c in cuts), reverse=True)
        levels = len(raw_cuts) + 1
    else:
        if not bands:
            raise InputError(f"`--by {by}` needs the band sizes in percent, e.g. --bands 15,40.")
        widths = [float(b) for b in bands]
        if any(b <= 0 for b in widths) or sum(widths) >= 100:
            raise InputError(
                f"Bands {', '.join(f'{b:g}' for b in widths)} must each be above 0 and add up to "
                "less than 100 (the last tier takes the rest)."
            )
        raw_cuts = []
        levels = len(widths) + 1
    names = list(tier_names) or [f"Tier {i}" for i in range(1, levels + 1)]
    if len(names) != levels:
        raise InputError(
            f"{levels} tiers come out of these bands, but {len(names)} names were given: {', '.join(names)}."
        )
    strategic = (
        keep_strategic
        and "strategic" in book
        and bool(pd.to_numeric(book["strategic"], errors="coerce").fillna(0).astype(bool).any())
    )
    if strategic and STRATEGIC in names:
        raise InputError(f"`{STRATEGIC}` is kept for designated strategic accounts; name the bands otherwise.")
    population = book
    if strategic:
        population = book[~pd.to_numeric(book["strategic"], errors="coerce").fillna(0).astype(bool)]
    arr = pd.to_numeric(population["arr"], errors="coerce").fillna(0.0)

    def thresholds(values: np.ndarray) -> list[float]:
        return _rounded(raw_cuts, rounding=False) if by == "arr" else _rounded(_cut_points(values, by, widths), True)

    rules: list[Rule] = []
    if strategic:
        rules.append(Rule(STRATEGIC, "designated strategic", Comparison("strategic", "=", True)))
    description = f"Proposed from {by} " + (f"bands {','.join(f'{b:g}' for b in widths)}" if widths else "cuts")
    if strategic:
        description += " of the accounts not designated strategic"
    if within:
        if within not in population:
            raise InputError(f"Cannot band within `{within}`: the accounts have no such column.")
        segments = population[within].astype(object).where(population[within].notna(), None)
        totals = arr.groupby(segments.to_numpy()).agg(["count", "sum"]).sort_values("sum", ascending=False)
        for value, (count, _) in totals.iterrows():
            if count < MIN_SEGMENT or value is None or value == "":
                continue
            segment_arr = arr[segments == value].to_numpy()
            test = Comparison(within, "=", str(value))
            rules += _band_rules(thresholds(segment_arr), names, test, f"{value}: ")
            # The rest of the segment: its own bottom tier, not the general thresholds below.
            rules.append(Rule(names[-1], f"{value}: everyone else", test))
        description += f", within {within}"
    rules += _band_rules(thresholds(arr.to_numpy()), names, None, "")
    rules.append(Rule(names[-1], "everyone else", None, default=True))
    tiers = ([STRATEGIC] if strategic else []) + names
    return RuleSet(name=name, description=description, tiers=tuple(tiers), rules=tuple(rules))
