"""What-if: compare the tiers two rule sets give the same book."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.proposals import UNTIERED, TierRow, tier_table
from engine.rules import RuleSet

SHOWN_MOVERS = 50


@dataclass(frozen=True)
class Mover:
    """An account whose tier would change, and the rule that would now place it."""

    crm_id: str
    name: str
    arr: float
    before: str
    after: str
    rule: str


@dataclass(frozen=True)
class Simulation:
    """The movers matrix (accounts and ARR from each tier to each tier), the movers, and the
    per-tier totals before and after."""

    before: str
    after: str
    tiers: tuple[str, ...]
    accounts: dict[tuple[str, str], int]
    arr: dict[tuple[str, str], float]
    movers: tuple[Mover, ...]  # the largest movers by ARR, at most SHOWN_MOVERS
    moved: int
    moved_arr: float
    totals_before: tuple[TierRow, ...]
    totals_after: tuple[TierRow, ...]
    all_movers: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)

    def mover_table(self) -> pd.DataFrame:
        """Every mover, largest ARR first: crm_id, name, arr, before, after, rule."""
        return self.all_movers


def _code(names: list[str], name: str) -> int:
    """The code of tier ``name`` in ``names``, adding it if it is new."""
    if name not in names:
        names.append(name)
    return names.index(name)


def simulate(
    book: pd.DataFrame,
    before: pd.DataFrame | None,
    after: pd.DataFrame,
    before_set: RuleSet | None,
    after_set: RuleSet,
    overrides: pd.Series | None = None,
) -> Simulation:
    """Compare two tier assignments of the same book (``before`` None: nothing is tiered yet).

    ``overrides`` (a tier per account, blank where none) are in force on both sides, as they
    would be: an account set by hand does not move because the rules change.
    """
    n = len(book)
    order: list[str] = list(after_set.tiers)
    for tier in [*(before_set.tiers if before_set else ()), UNTIERED]:
        if tier not in order:
            order.append(tier)
    # Tiers as integer codes into ``names`` (a tier only an override names joins at the end):
    # grouping and comparing a million codes, not a million Python strings.
    names = list(order)
    untiered = names.index(UNTIERED)

    def codes_of(values: pd.Series) -> np.ndarray:
        codes, uniques = pd.factorize(values.reset_index(drop=True), use_na_sentinel=True)
        lookup = np.array([_code(names, str(u)) for u in uniques] or [untiered], dtype=np.int64)
        return np.where(codes < 0, untiered, lookup[np.maximum(codes, 0)])

    forced = codes_of(overrides) if overrides is not None else np.full(n, untiered)
    is_forced = (
        (pd.factorize(overrides.reset_index(drop=True), use_na_sentinel=True)[0] >= 0)
        if overrides is not None
        else np.zeros(n, dtype=bool)
    )
    old = codes_of(before["tier"]) if before is not None else np.full(n, untiered)
    new = codes_of(after["tier"])
    old = np.where(is_forced, forced, old)
    new = np.where(is_forced, forced, new)
    arr = pd.to_numeric(book["arr"], errors="coerce").fillna(0.0).to_numpy()
    width = len(names)
    grouped = pd.Series(arr).groupby(old * width + new, sort=False).agg(["count", "sum"])
    accounts = {(names[key // width], names[key % width]): int(row["count"]) for key, row in grouped.iterrows()}
    arr_moved = {(names[key // width], names[key % width]): float(row["sum"]) for key, row in grouped.iterrows()}
    moved_mask = old != new
    labels = np.array(["", *[r.title for r in after_set.rules]], dtype=object)[after["rule"].to_numpy()]
    labels = np.where(is_forced, "override", labels)
    moved_positions = np.flatnonzero(moved_mask)
    by_size = moved_positions[np.argsort(-arr[moved_positions], kind="stable")]
    biggest = by_size[:SHOWN_MOVERS]
    tier_names = np.array(names, dtype=object)
    all_movers = pd.DataFrame(
        {
            "crm_id": book["crm_id"].iloc[by_size].to_numpy(dtype=object),
            "name": book["name"].iloc[by_size].to_numpy(dtype=object),
            "arr": arr[by_size],
            "tier_now": tier_names[old[by_size]],
            "tier_under_draft": tier_names[new[by_size]],
            "rule": labels[by_size],
        }
    )
    movers = tuple(
        Mover(
            crm_id=str(book["crm_id"].iloc[i]),
            name=str(book["name"].iloc[i]),
            arr=float(arr[i]),
            before=names[old[i]],
            after=names[new[i]],
            rule=str(labels[i]) or "no rule",
        )
        for i in biggest
    )
    before_series = pd.Series(pd.Categorical.from_codes(np.where(old == untiered, -1, old), categories=names))
    after_series = pd.Series(pd.Categorical.from_codes(np.where(new == untiered, -1, new), categories=names))
    return Simulation(
        before=before_set.name if before_set else "(nothing tiered)",
        after=after_set.name,
        tiers=tuple(order),
        accounts=accounts,
        arr=arr_moved,
        movers=movers,
        moved=int(moved_mask.sum()),
        moved_arr=float(arr[moved_mask].sum()),
        totals_before=tuple(tier_table(book, before_series, before_set.tiers if before_set else ())),
        totals_after=tuple(tier_table(book, after_series, after_set.tiers)),
        all_movers=all_movers,
    )
