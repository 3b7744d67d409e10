"""Propose tier thresholds from target bands, and the table leaders choose from.

Bands are widths, largest accounts first: ``--by arr-share --bands 15,40`` asks for a top tier
holding about 15% of ARR, a next tier holding the next 40%, and the rest below. Thresholds are
ARR cut points rounded to the coarsest numbers people use ($25k, $150k; finer only where needed)
that keep every band within 2 points of its ask, so the rules read well and a CRM can apply
them; the table reports the shares the thresholds really give, and why a band missed if one did.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.formatting import money
from engine.rules import AllOf, Comparison, Rule, RuleSet, show_value
from engine.tiering import assign_tiers

BY = ("arr-share", "account-share", "arr")
STRATEGIC = "Strategic"
MIN_SEGMENT = 20  # smaller segments share the general thresholds
UNTIERED = "(untiered)"


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
    # Grouped on integer codes: a million tier names as Python text would cost more than the sums.
    codes, uniques = pd.factorize(tiers.reset_index(drop=True), use_na_sentinel=True)
    grouped = pd.Series(arr).groupby(codes, sort=False)
    stats = grouped.agg(["count", "sum", "min", "max", "mean"])
    stats.index = [UNTIERED if code < 0 else str(uniques[code]) for code in stats.index]
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


def _band_rules(cuts: Sequence[float], tier_names: Sequence[str], segment: Comparison | None, note: str) -> list[Rule]:
    rules = []
    for cut, tier in zip(cuts, tier_names, strict=False):
        test = Comparison("arr", ">=", float(cut))
        when = AllOf((segment, test)) if segment is not None else test
        label = f"{note}ARR ≥ {show_value('arr', float(cut))}"
        rules.append(Rule(tier=tier, label=label, when=when))
    return rules


# ---------------------------------------------------------------------------------- numbers people use

TOLERANCE = 0.02  # every band within 2 points of the share asked for, whenever the book allows it

# How round an amount is, coarsest first, by its mantissa (the amount over the power of ten at or
# below it). Each level lists mantissas, or (step, from, to): multiples of step in [from, to).
_LEVELS: tuple[tuple[tuple[float, ...], tuple[tuple[float, float, float], ...]], ...] = (
    ((1.0, 2.0, 2.5, 5.0), ()),  # $1M, $2M, $250k, $500k
    ((1.5, 3.0, 4.0, 6.0, 7.0, 7.5, 8.0, 9.0), ()),  # $150k, $3M, $750k
    ((), ((0.5, 1, 10), (0.1, 1, 2))),  # halves, and tenths from 1 to 2: $3.5M, $450k, $1.2M, $120k
    ((), ((0.1, 1, 10), (0.25, 1, 10))),  # two significant digits, quarters: $370k, $1.25M
    ((), ((0.01, 1, 10),)),  # three significant digits: $1.38M, $137k
    ((), ((0.001, 1, 10),)),  # four: $1.384M
)
WHOLE_DOLLARS, EXACT = len(_LEVELS) + 1, len(_LEVELS) + 2  # then any whole amount; then cents
_ENUMERATED = 4096  # grid amounts looked at per level: the nearest to the ideal cut


def roundness(value: float) -> int:
    """How round an amount is: 1 ($1M, $250k) to 7 (whole dollars), 8 for anything finer."""
    if value <= 0 or not math.isfinite(value):
        return EXACT
    exponent = math.floor(math.log10(value))
    mantissa = value / 10**exponent
    for level, (mantissas, steps) in enumerate(_LEVELS, start=1):
        if any(math.isclose(mantissa, m, rel_tol=1e-9) for m in mantissas):
            return level
        for step, low, high in steps:
            if low <= mantissa < high and math.isclose(mantissa / step, round(mantissa / step), abs_tol=1e-6):
                return level
    return WHOLE_DOLLARS if math.isclose(value, round(value), rel_tol=0, abs_tol=1e-6) else EXACT


def _multiples(step: float, low: float, high: float, ideal: float) -> np.ndarray:
    """Multiples of ``step`` in (low, high), at most ``_ENUMERATED``, around ``ideal``."""
    first, last = math.floor(low / step) + 1, math.ceil(high / step) - 1
    if last < first:
        return np.empty(0)
    centre = min(max(round(ideal / step), first), last)
    ks = np.arange(max(first, centre - _ENUMERATED // 2), min(last, centre + _ENUMERATED // 2) + 1)
    return np.round(ks * step, max(0, 1 - math.floor(math.log10(step))))


def _grid(level: int, low: float, high: float, ideal: float) -> np.ndarray:
    """Amounts of roundness ``level`` (or coarser) in (low, high], the nearest to ``ideal`` first."""
    if high <= 0 or high <= low:
        return np.empty(0)
    found: list[np.ndarray] = []
    if level == WHOLE_DOLLARS:
        found.append(_multiples(1.0, low, math.floor(high) + 1, ideal))
    else:
        mantissas, steps = _LEVELS[level - 1]
        for exponent in range(math.floor(math.log10(max(low, high * 1e-12))), math.floor(math.log10(high)) + 1):
            base = 10.0**exponent
            found.append(np.array([m * base for m in mantissas]))
            found += [_multiples(step * base, start * base, end * base, ideal) for step, start, end in steps]
    values = np.unique(np.concatenate(found)) if found else np.empty(0)
    values = values[(values > low) & (values <= high)]
    return values[np.argsort(np.abs(values - ideal), kind="stable")][:_ENUMERATED]


# ---------------------------------------------------------------------------------- bands that hit


@dataclass(frozen=True)
class _Book:
    """One population sorted largest first, with where a threshold can cut it.

    ``cuts[p]`` is how many accounts lie above cut position ``p`` (0 and every account at the
    ends; in between only where two amounts differ: equal amounts cannot be split), ``share[p]``
    the share of the base (ARR or accounts) they hold.
    """

    ordered: np.ndarray  # ARR, largest first
    order: np.ndarray  # where each of them was in the input
    ascending: np.ndarray
    cuts: np.ndarray
    share: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, arr: np.ndarray, by: str) -> _Book:
        values = np.nan_to_num(np.asarray(arr, dtype=float))
        order = np.argsort(-values, kind="stable")
        ordered = values[order]
        n = len(ordered)
        weights = ordered if by == "arr-share" else np.ones(n)
        total = float(weights.sum()) or 1.0
        inner = np.flatnonzero(ordered[:-1] > ordered[1:]) + 1
        cuts = np.concatenate([[0], inner, [n]]).astype(int)
        cumulative = np.concatenate([[0.0], np.cumsum(weights) / total])
        return cls(ordered, order, ordered[::-1], cuts, cumulative[cuts], weights / total)

    def positions_of(self, thresholds: np.ndarray) -> np.ndarray:
        above = len(self.ordered) - np.searchsorted(self.ascending, thresholds, side="left")
        return np.searchsorted(self.cuts, above)

    def threshold_range(self, position: int) -> tuple[float, float]:
        """Thresholds that cut at ``position``: (the largest account left out, the smallest taken]."""
        count = int(self.cuts[position])
        below = float(self.ordered[count]) if count < len(self.ordered) else 0.0
        return below, float(self.ordered[count - 1])


def _reachable(book: _Book, sources: np.ndarray, width: float, tolerance: float, forward: bool) -> np.ndarray:
    """Cut positions one band of ``width`` away from some position in ``sources`` (a mask), the band
    within ``tolerance`` and holding at least one account."""
    share = book.share
    known = np.flatnonzero(sources)
    if not len(known):
        return np.zeros(len(share), dtype=bool)
    known_share = share[known]
    positions = np.arange(len(share))
    if forward:  # a band from a source above down to here
        low = np.searchsorted(known_share, share - width - tolerance, side="left")
        high = np.searchsorted(known_share, share - width + tolerance, side="right")
        high = np.minimum(high, np.searchsorted(known, positions, side="left"))  # sources above only
    else:  # a band from here down to a source below
        low = np.searchsorted(known_share, share + width - tolerance, side="left")
        high = np.searchsorted(known_share, share + width + tolerance, side="right")
        low = np.maximum(low, np.searchsorted(known, positions, side="right"))
    return high > low


def _inner(book: _Book, room: int = 0) -> np.ndarray:
    """Cut positions strictly inside the book, leaving ``room`` more inner cuts below them."""
    mask = np.zeros(len(book.share), dtype=bool)
    mask[1 : len(book.share) - 1 - room] = True
    return mask


def _feasible(book: _Book, widths: Sequence[float], tolerances: Sequence[float]) -> list[np.ndarray]:
    """Per inner boundary, the cut positions from which every band above and below can stay within
    its tolerance (forward and backward over the chain of bands; the last width is the rest)."""
    last = len(book.share) - 1
    inner = _inner(book)
    start = np.zeros(len(book.share), dtype=bool)
    start[0] = True
    forward = []
    for width, tolerance in zip(widths[:-1], tolerances[:-1], strict=True):
        start = _reachable(book, start, width, tolerance + 1e-12, True) & inner
        forward.append(start)
    end = np.zeros(len(book.share), dtype=bool)
    end[last] = True
    backward: list[np.ndarray] = []
    for width, tolerance in zip(reversed(widths[1:]), reversed(tolerances[1:]), strict=True):
        end = _reachable(book, end, width, tolerance + 1e-12, False) & inner
        backward.insert(0, end)
    return [f & b for f, b in zip(forward, backward, strict=True)]


def _tolerances(book: _Book, widths: Sequence[float]) -> list[float]:
    """How far each band may be from its ask: 2 points when the book allows it for all; otherwise,
    from the top, the least each band can miss by given the bands above (the rest comes last)."""
    uniform = [TOLERANCE] * len(widths)
    if _feasible(book, widths, uniform)[0].any():
        return uniform
    share, last = book.share, len(book.share) - 1
    tolerances: list[float] = []
    sources = np.zeros(len(share), dtype=bool)
    sources[0] = True
    for i, width in enumerate(widths):
        above = np.flatnonzero(sources)
        if i == len(widths) - 1:  # the rest: from each cut above to the end of the book
            least = float(np.min(np.abs(share[last] - share[above] - width)))
        else:
            targets = _inner(book, room=len(widths) - 2 - i)
            candidates = np.flatnonzero(targets)
            wanted = share[above] + width
            # The nearest share below each source's target, and the one after it, both below the source.
            at = np.searchsorted(share[candidates], wanted)
            errors = []
            for offset in (-1, 0):
                pick = np.clip(at + offset, 0, len(candidates) - 1)
                ok = candidates[pick] > above
                errors.append(np.where(ok, np.abs(share[candidates[pick]] - wanted), np.inf))
            least = float(np.min(np.minimum(*errors)))
        # A band that must miss may miss by up to 2 points more than it must: room to round.
        tolerance = TOLERANCE if least <= TOLERANCE else least + TOLERANCE
        tolerances.append(tolerance)
        if i < len(widths) - 1:
            sources = _reachable(book, sources, width, tolerance + 1e-12, True) & _inner(book, len(widths) - 2 - i)
    return tolerances


@dataclass(frozen=True)
class Banding:
    """Thresholds for one population and what each band (the rest last) really holds."""

    thresholds: tuple[float, ...]
    shares: tuple[float, ...]
    notes: tuple[str, ...]


def band_thresholds(
    arr: np.ndarray, by: str, bands: Sequence[float], tier_names: Sequence[str], names: Sequence[str] = ()
) -> Banding:
    """The roundest ARR thresholds that keep every band (and the rest) within 2 points of its ask.

    Band by band from the top, each threshold is the coarsest number people use (see
    ``roundness``) among those that keep this band within the tolerance *and* leave the bands
    below a way to stay within it; ties go to the share nearest the ask. In a book that allows no
    thresholds within 2 points, each band from the top misses by as little as the bands above
    let it, and each band that misses says why (``names`` name the accounts, in ``arr``'s order).
    """
    book = _Book.of(arr, by)
    widths = [b / 100.0 for b in bands] + [1.0 - sum(bands) / 100.0]
    inner_positions = len(book.cuts) - 2
    if inner_positions < len(bands):
        # Too few different amounts for this many tiers: every possible cut, and say so.
        chosen = list(range(1, inner_positions + 1))
        distinct = inner_positions + 1
        notes = [f"The accounts have only {distinct} different ARR amounts, so at most {max(distinct, 1)} tiers."]
        return Banding(
            tuple(float(book.ordered[book.cuts[p] - 1]) for p in chosen), _shares_at(book, chosen), tuple(notes)
        )
    tolerances = _tolerances(book, widths)
    feasible = _feasible(book, widths, tolerances)
    chosen_positions: list[int] = []
    thresholds: list[float] = []
    above = 0
    for i, width in enumerate(widths[:-1]):
        error = np.abs(book.share - book.share[above] - width)
        allowed = feasible[i] & (np.arange(len(book.share)) > above) & (error <= tolerances[i] + 1e-12)
        position, threshold = _roundest(book, allowed, error)
        chosen_positions.append(position)
        thresholds.append(threshold)
        above = position
    shares = _shares_at(book, chosen_positions)
    missed = [i for i in range(len(widths)) if abs(shares[i] - widths[i]) > TOLERANCE + 1e-12]
    notes = [
        _why_not(
            book,
            tier_names[i],
            widths[i],
            shares[i],
            chosen_positions,
            i,
            by,
            names,
            [tier_names[j] for j in missed if j < i],
        )
        for i in missed
    ]
    return Banding(tuple(thresholds), shares, tuple(notes))


def _shares_at(book: _Book, positions: Sequence[int]) -> tuple[float, ...]:
    edges = [0, *positions, len(book.share) - 1]
    return tuple(float(book.share[b] - book.share[a]) for a, b in itertools.pairwise(edges))


def _roundest(book: _Book, allowed: np.ndarray, error: np.ndarray) -> tuple[int, float]:
    """The coarsest threshold cutting at an allowed position; the nearest share breaks ties."""
    candidates = np.flatnonzero(allowed)
    best = int(candidates[np.argmin(error[candidates])])
    low = book.threshold_range(int(candidates.max()))[0]
    high = book.threshold_range(int(candidates.min()))[1]
    ideal = book.threshold_range(best)[1]
    for level in range(1, WHOLE_DOLLARS + 1):
        values = _grid(level, low, high, ideal)
        if not len(values):
            continue
        positions = book.positions_of(values)
        fits = allowed[positions]
        if fits.any():
            values, positions = values[fits], positions[fits]
            pick = int(np.lexsort((np.abs(values - ideal), error[positions]))[0])
            return int(positions[pick]), float(values[pick])
    return best, book.threshold_range(best)[1]  # the exact amount of the smallest account taken


def _why_not(
    book: _Book,
    tier: str,
    asked: float,
    got: float,
    positions: Sequence[int],
    band: int,
    by: str,
    names: Sequence[str],
    missed_above: Sequence[str],
) -> str:
    """Why a band misses its ask by more than the tolerance, in one sentence."""
    base = "ARR" if by == "arr-share" else "the accounts"
    head = f"{tier}: asked {asked:.0%}, got {got:.1%} of {base}"
    last_cut = len(book.share) - 1
    top = positions[band - 1] if band else 0
    if band == len(positions):  # the last tier: from its threshold to the end of the book
        if missed_above:
            return f"{head}: it takes the difference {_and(missed_above)} above could not avoid."
        above = positions[-2] if len(positions) > 1 else 0
        ideal, start, end = 1.0 - asked, above, last_cut - 1
    else:
        ideal, start, end = float(book.share[top]) + asked, top, last_cut - (len(positions) - band)
    # The account (or run of equal amounts) lying across where this band's threshold should be.
    edge = int(np.clip(np.searchsorted(book.share, ideal, side="left"), 1, last_cut))
    cuts_near = [p for p in (edge - 1, edge) if start < p <= end]
    if any(abs(book.share[p] - ideal) <= TOLERANCE + 1e-12 for p in cuts_near):
        if missed_above:
            return f"{head}: it takes the difference {_and(missed_above)} above could not avoid."
        # This threshold alone could do better, but not with the others: the steps are too coarse.
        steps = np.diff(book.share)
        largest = max(float(steps[max(p - 1, 0) : p + 1].max()) for p in positions)
        return (
            f"{head}: no thresholds get every band within {TOLERANCE * 100:g} points at once (the accounts at the "
            f"thresholds hold up to {largest:.1%} of {base} each), so this tier takes the difference."
        )
    first, last = int(book.cuts[edge - 1]), int(book.cuts[edge])
    held = float(book.weights[first:last].sum())
    head += f"; no threshold gets within {TOLERANCE * 100:g} points"
    if last - first == 1:
        index = int(book.order[first])
        who = str(names[index]) if index < len(names) else f"the account with {money(float(book.ordered[first]))} ARR"
        return f"{head}: {who} alone holds {held:.1%} of {base}."
    amount = money(float(book.ordered[first]))
    return (
        f"{head}: {last - first} accounts have the same ARR ({amount}), {held:.1%} of {base} together, "
        "and a threshold cannot split them."
    )


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class BandShare:
    """What a band asked for and what the thresholds give, on the same base (the last: the rest)."""

    tier: str
    target: float  # share of the base (ARR or accounts) asked for
    actual: float
    within: bool  # within TOLERANCE of the ask


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
    preferred_names: Sequence[str] = (),
    within: str | None = None,
    keep_strategic: bool = True,
) -> Proposal:
    """A draft rule set whose ARR thresholds give the requested bands, each within 2 points
    whenever the book allows it (``band_thresholds``).

    ``by`` is arr-share or account-share (with ``bands`` in percent, largest accounts first) or
    arr (with ``cuts`` in dollars). ``tier_names`` are the person's names for the tiers;
    ``preferred_names`` (the active rule set's) are used only when the count of tiers fits.
    ``within`` names a category field (setting, region…): each segment of at least
    ``MIN_SEGMENT`` accounts gets thresholds of its own, the rest share the general ones.
    Designated strategic accounts stay Strategic, and the bands are taken on the other accounts.
    """
    if by not in BY:
        raise InputError(f"`--by {by}` is not a way to band accounts; use arr-share, account-share or arr.")
    checked = _check_bands(by, bands, cuts)
    levels = len(checked) + 1
    if tier_names and len(tier_names) != levels:
        raise InputError(
            f"{levels} tiers come out of these bands, but {len(tier_names)} names were given: {', '.join(tier_names)}."
        )
    generic = [f"Tier {i}" for i in range(1, levels + 1)]
    names = list(tier_names) or (list(preferred_names) if len(preferred_names) == levels else generic)
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
    account_names: list[str] = population["name"].astype(str).tolist() if "name" in population else []
    notes: list[str] = []

    def thresholds(mask: np.ndarray | None, segment: str) -> list[float]:
        if by == "arr":
            return list(checked)
        values = arr.to_numpy() if mask is None else arr.to_numpy()[mask]
        who = account_names if mask is None or not account_names else [account_names[i] for i in np.flatnonzero(mask)]
        banding = band_thresholds(values, by, checked, names, who)
        notes.extend(f"{segment}{note}" for note in banding.notes)
        return list(banding.thresholds)

    general = thresholds(None, "")
    merged = len(general) < len(checked)
    if merged:
        if tier_names:
            raise InputError(
                f"These bands need {levels} tiers, but the accounts have only {len(general) + 1} different ARR "
                "amounts: ask for fewer bands or name fewer tiers."
            )
        names = [f"Tier {i}" for i in range(1, len(general) + 2)]
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
    shares = () if merged else _band_shares(population, rule_set, by, checked, names)
    return Proposal(rule_set, shares, tuple(notes))


def _segment_rules(
    population: pd.DataFrame,
    arr: pd.Series,
    within: str,
    names: Sequence[str],
    thresholds: Callable[[np.ndarray | None, str], list[float]],
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
        cut = thresholds((segments == value).to_numpy(), f"{value}: ")
        rules += _band_rules(cut, names, test, f"{value}: ")
        # The rest of the segment: its own bottom tier, not the general thresholds below.
        rules.append(Rule(names[-1], f"{value}: everyone else", test))
    return rules


def _band_shares(
    population: pd.DataFrame, rule_set: RuleSet, by: str, bands: Sequence[float], names: Sequence[str]
) -> tuple[BandShare, ...]:
    """Requested versus obtained band sizes (the rest last), on the accounts the bands were taken on."""
    if by == "arr" or population.empty:
        return ()
    tiers = assign_tiers(population.reset_index(drop=True), rule_set)["tier"]
    weights = pd.to_numeric(population["arr"], errors="coerce").fillna(0.0).to_numpy()
    if by == "account-share":
        weights = np.ones(len(population))
    total = weights.sum() or 1.0
    targets = [b / 100.0 for b in bands] + [1.0 - sum(bands) / 100.0]
    shares = []
    for tier, target in zip(names, targets, strict=True):
        actual = float(weights[(tiers == tier).to_numpy()].sum() / total)
        shares.append(BandShare(tier, target, actual, abs(actual - target) <= TOLERANCE + 1e-12))
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
