"""Tier assignments, their history, runs and overrides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from store import columnar, meta
from store.db import Store

if TYPE_CHECKING:  # frames only for the whole-book reads and writes, loaded when they run
    import pandas as pd


@dataclass(frozen=True)
class Run:
    """One `tiers apply`."""

    rule_set: str
    as_of: str
    accounts_version: int
    at: str
    actor: str
    accounts: int
    changed: int
    untiered: int
    id: int | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """A change of an account's tier."""

    crm_id: str
    tier: str | None
    previous_tier: str | None
    rule_set: str | None
    reason: str | None
    source: str  # rules, override, override cleared
    at: str
    actor: str


@dataclass(frozen=True)
class Override:
    """A tier set by hand."""

    id: int
    crm_id: str
    tier: str
    reason: str
    until: str | None
    at: str
    actor: str
    cleared_at: str | None = None
    cleared_by: str | None = None


# Bumped with every write of tier_assignments: the columnar copy of them is keyed by it.
TIERS_VERSION = "tiers_version"
ASSIGNMENT_COLUMNS = ["crm_id", "tier", "rule", "rule_label", "rule_set"]
_COPY = "tiers"  # tierbot.db-tiers.arrow


def assignments(store: Store) -> pd.DataFrame:
    """The current rule-given tier of every assigned account, from the columnar copy of them
    (read from the store first when the copy is missing or stale)."""
    with store.snapshot():
        data = columnar.load_copy(store, _COPY, TIERS_VERSION, "tier_assignments")
    if data is None:
        data, tokens = columnar.read_table(store, "tier_assignments", ASSIGNMENT_COLUMNS, [TIERS_VERSION])
        columnar.save_copy(store, _COPY, data, tokens[TIERS_VERSION])
    return data.select(ASSIGNMENT_COLUMNS).to_pandas()


def keep_assignments_copy(store: Store, frame: pd.DataFrame, token: str) -> None:
    """Save ``frame`` (every assignment, as of version ``token``) as the columnar copy, so the next
    run need not read them from the store. Call after the transaction that wrote them commits."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("crm_id", pa.large_string()),
            ("tier", pa.large_string()),
            ("rule", pa.float64()),
            ("rule_label", pa.large_string()),
            ("rule_set", pa.large_string()),
        ]
    )
    data = pa.Table.from_pandas(frame[ASSIGNMENT_COLUMNS], schema=schema, preserve_index=False)
    columnar.save_copy(store, _COPY, data, token)


def assignment(store: Store, crm_id: str) -> dict | None:
    rows = store.query("SELECT * FROM tier_assignments WHERE crm_id = ?", (crm_id,))
    return rows[0] if rows else None


def record_run(store: Store, run: Run) -> int:
    store.require_transaction()
    cursor = store.execute(
        "INSERT INTO tier_runs(rule_set, as_of, accounts_version, at, actor, accounts, changed, untiered) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run.rule_set,
            run.as_of,
            run.accounts_version,
            run.at,
            run.actor,
            run.accounts,
            run.changed,
            run.untiered,
        ),
    )
    return int(cursor.lastrowid or 0)


def last_run(store: Store) -> Run | None:
    rows = store.query("SELECT * FROM tier_runs ORDER BY id DESC LIMIT 1")
    return Run(**rows[0]) if rows else None


def write_assignments(store: Store, frame: pd.DataFrame, run_id: int, at: str) -> int:
    """Insert or update assignments (columns crm_id, tier, rule, rule_label, rule_set)."""
    store.require_transaction()
    rows = zip(
        frame["crm_id"].tolist(),
        frame["tier"].tolist(),
        frame["rule"].astype(int).tolist(),
        frame["rule_label"].tolist(),
        frame["rule_set"].tolist(),
        [run_id] * len(frame),
        [at] * len(frame),
        strict=True,
    )
    store.executemany(
        "INSERT INTO tier_assignments(crm_id, tier, rule, rule_label, rule_set, run_id, assigned_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(crm_id) DO UPDATE SET tier = excluded.tier, "
        "rule = excluded.rule, rule_label = excluded.rule_label, rule_set = excluded.rule_set, "
        "run_id = excluded.run_id, assigned_at = excluded.assigned_at",
        rows,
    )
    if len(frame):
        meta.bump(store, TIERS_VERSION)
    return len(frame)


def add_history(store: Store, entries: Iterable[HistoryEntry]) -> None:
    store.require_transaction()
    store.executemany(
        "INSERT INTO tier_history(crm_id, tier, previous_tier, rule_set, reason, source, at, actor) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((e.crm_id, e.tier, e.previous_tier, e.rule_set, e.reason, e.source, e.at, e.actor) for e in entries),
    )


def history(store: Store, crm_id: str, limit: int = 20) -> list[HistoryEntry]:
    """An account's tier changes, newest first."""
    rows = store.query(
        "SELECT crm_id, tier, previous_tier, rule_set, reason, source, at, actor FROM tier_history "
        "WHERE crm_id = ? ORDER BY id DESC LIMIT ?",
        (crm_id, limit),
    )
    return [HistoryEntry(**r) for r in rows]


# In force on a day: set by then, not cleared by then, and not past its `until`.
_IN_FORCE = (
    "substr(at, 1, 10) <= :day AND (cleared_at IS NULL OR substr(cleared_at, 1, 10) > :day) "
    "AND (until IS NULL OR until >= :day)"
)


def active_override(store: Store, crm_id: str, day: str) -> Override | None:
    """The override in force for an account on ``day`` (ISO date), if any."""
    rows = store.query(
        f"SELECT * FROM tier_overrides WHERE crm_id = :crm_id AND {_IN_FORCE} ORDER BY id DESC LIMIT 1",
        {"crm_id": crm_id, "day": day},
    )
    return Override(**rows[0]) if rows else None


def active_overrides(store: Store, day: str) -> pd.DataFrame:
    """Every override in force on ``day``: crm_id, tier, reason."""
    import pandas as pd

    rows = store.rows(f"SELECT crm_id, tier, reason FROM tier_overrides WHERE {_IN_FORCE} ORDER BY id", {"day": day})
    return pd.DataFrame.from_records(rows, columns=["crm_id", "tier", "reason"]).drop_duplicates("crm_id", keep="last")


def add_override(store: Store, crm_id: str, tier: str, reason: str, until: str | None, at: str, actor: str) -> int:
    store.require_transaction()
    cursor = store.execute(
        "INSERT INTO tier_overrides(crm_id, tier, reason, until, at, actor) VALUES (?, ?, ?, ?, ?, ?)",
        (crm_id, tier, reason, until, at, actor),
    )
    return int(cursor.lastrowid or 0)


def expired_overrides(store: Store, day: str) -> list[Override]:
    """Overrides whose `until` has passed but that nobody has closed yet."""
    rows = store.query("SELECT * FROM tier_overrides WHERE cleared_at IS NULL AND until < ? ORDER BY id", (day,))
    return [Override(**r) for r in rows]


def close_expired(store: Store, override_id: int, at: str) -> None:
    """Record that an override ended by itself."""
    store.require_transaction()
    store.execute("UPDATE tier_overrides SET cleared_at = ?, cleared_by = 'expired' WHERE id = ?", (at, override_id))


def clear_overrides(store: Store, crm_id: str, at: str, actor: str) -> int:
    """End every uncleared override of an account; return how many."""
    store.require_transaction()
    cursor = store.execute(
        "UPDATE tier_overrides SET cleared_at = ?, cleared_by = ? WHERE crm_id = ? AND cleared_at IS NULL",
        (at, actor, crm_id),
    )
    return cursor.rowcount


def delete_all(store: Store) -> None:
    """Forget every tier, run, override and history entry (the demo's --replace)."""
    store.require_transaction()
    for table in ("tier_assignments", "tier_history", "tier_overrides", "tier_runs"):
        store.execute(f"DELETE FROM {table}")
    meta.bump(store, TIERS_VERSION)
