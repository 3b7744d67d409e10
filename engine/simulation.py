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
    forced = overrides.astype(object).to_numpy() if overrides is not None else np.full(n, None, dtype=object)
    is_forced = pd.notna(forced)
    old = (
        before["tier"].astype(object).where(before["tier"].notna(), UNTIERED).to_numpy()
        if before is not None
        else np.full(n, UNTIERED, dtype=object)
    )
    new = after["tier"].astype(object).where(after["tier"].notna(), UNTIERED).to_numpy()
    old = np.where(is_forced, forced, old)
    new = np.where(is_forced, forced, new)
    arr = pd.to_numeric(book["arr"], errors="coerce").fillna(0.0).to_numpy()
    order: list[str] = list(after_set.tiers)
    for tier in [*(before_set.tiers if before_set else ()), UNTIERED]:
        if tier not in order:
            order.append(tier)
    frame = pd.DataFrame({"from": old, "to": new, "arr": arr})
    grouped = frame.groupby(["from", "to"], sort=False)["arr"].agg(["count", "sum"])
    accounts = {(str(f), str(t)): int(row["count"]) for (f, t), row in grouped.iterrows()}
    arr_moved = {(str(f), str(t)): float(row["sum"]) for (f, t), row in grouped.iterrows()}
    moved_mask = old != new
    labels = np.array(["", *[r.title for r in after_set.rules]], dtype=object)[after["rule"].to_numpy()]
    labels = np.where(is_forced, "override", labels)
    moved_positions = np.flatnonzero(moved_mask)
    by_size = moved_positions[np.argsort(-arr[moved_positions], kind="stable")]
    biggest = by_size[:SHOWN_MOVERS]
    all_movers = pd.DataFrame(
        {
            "crm_id": book["crm_id"].to_numpy()[by_size],
            "name": book["name"].to_numpy()[by_size],
            "arr": arr[by_size],
            "tier_now": old[by_size],
            "tier_under_draft": new[by_size],
            "rule": labels[by_size],
        }
    )
    movers = tuple(
        Mover(
            crm_id=str(book["crm_id"].iloc[i]),
            name=str(book["name"].iloc[i]),
            arr=float(arr[i]),
            before=str(old[i]),
            after=str(new[i]),
            rule=str(labels[i]) or "no rule",
        )
        for i in biggest
    )
    before_series = pd.Series(old).replace(UNTIERED, None)
    after_series = pd.Series(new).replace(UNTIERED, None)
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
