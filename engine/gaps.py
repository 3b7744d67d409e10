"""Data gaps: which fields are blank on how many records, and what each blank blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.fields import TableSpec


@dataclass(frozen=True)
class Gap:
    """One field's blanks in one table."""

    table: str
    field: str
    label: str
    missing: int
    total: int
    blocks: tuple[str, ...]

    @property
    def share(self) -> float:
        return self.missing / self.total if self.total else 0.0


@dataclass(frozen=True)
class GapReport:
    """Blanks per field for accounts and CSMs, worst first."""

    accounts: int
    csms: int
    gaps: tuple[Gap, ...]

    @property
    def open_gaps(self) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if g.missing)


# Blanks that are an answer, not a gap: a CSM without specialties takes accounts of any industry.
_BLANK_IS_AN_ANSWER = {("csms", "specialties")}


def summarize_gaps(spec: TableSpec, missing: Mapping[str, int], total: int) -> list[Gap]:
    """Turn blank counts per field into gaps that say which later steps each blank blocks; a field
    no feature reads yet blocks nothing, so its blanks are no gap."""
    gaps = [
        Gap(spec.table, f.name, f.label, int(missing[f.name]), total, f.used_by)
        for f in spec.fields
        if f.name in missing and f.used_by and (spec.table, f.name) not in _BLANK_IS_AN_ANSWER
    ]
    return sorted(gaps, key=lambda g: -g.missing)


def unlinked_owner_gap(unlinked: int, total: int) -> Gap:
    """Accounts whose owner names nobody in the CSM roster."""
    return Gap(
        "accounts",
        "owner",
        "Owner not in the CSM roster",
        unlinked,
        total,
        ("handoffs", "App Home books", "hours per account in the workload summary"),
    )


def unlinked_manager_gap(unlinked: int, total: int) -> Gap:
    """CSMs whose manager names nobody in the roster."""
    return Gap("csms", "manager", "Manager not in the CSM roster", unlinked, total, ("handoff approvals",))
