"""Workload survey rounds, who each round asked, and the estimates CSMs submitted."""

from __future__ import annotations

from store.db import Store

ACTIVITY_COLUMNS = ("onboarding", "qbrs", "escalations", "renewals", "internal", "other")


def open_round(store: Store) -> dict | None:
    rows = store.query("SELECT * FROM workload_rounds WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


def get_round(store: Store, round_id: int) -> dict | None:
    rows = store.query("SELECT * FROM workload_rounds WHERE id = ?", (round_id,))
    return rows[0] if rows else None


def create_round(store: Store, period: str, channel: str | None, started_by: str, at: str) -> int:
    cursor = store.execute(
        "INSERT INTO workload_rounds(period, channel, started_by, started_at) VALUES (?, ?, ?, ?)",
        (period, channel, started_by, at),
    )
    return int(cursor.lastrowid or 0)


def close_round(store: Store, round_id: int, closed_by: str, at: str) -> bool:
    """Close an open round; False when it was already closed (a second click, a second leader)."""
    cursor = store.execute(
        "UPDATE workload_rounds SET closed_by = ?, closed_at = ? WHERE id = ? AND closed_at IS NULL",
        (closed_by, at, round_id),
    )
    return cursor.rowcount == 1


def add_request(
    store: Store, round_id: int, csm_id: str, slack_user_id: str | None, channel: str | None, ts: str | None, at: str
) -> None:
    store.execute(
        "INSERT INTO workload_requests(round_id, csm_id, slack_user_id, channel, ts, asked_at) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(round_id, csm_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts",
        (round_id, csm_id, slack_user_id, channel, ts, at),
    )


def requests(store: Store, round_id: int) -> list[dict]:
    """Who the round asked, with their roster name."""
    return store.query(
        "SELECT r.*, c.name FROM workload_requests r LEFT JOIN csms c ON c.id = r.csm_id "
        "WHERE r.round_id = ? ORDER BY c.name",
        (round_id,),
    )


def mark_reminded(store: Store, round_id: int, csm_id: str, at: str) -> None:
    store.execute(
        "UPDATE workload_requests SET reminders = reminders + 1, reminded_at = ? WHERE round_id = ? AND csm_id = ?",
        (at, round_id, csm_id),
    )


def submission(store: Store, csm_id: str, period: str) -> dict | None:
    rows = store.query("SELECT * FROM workload_submissions WHERE csm_id = ? AND period = ?", (csm_id, period))
    return rows[0] if rows else None


def save_submission(store: Store, row: dict) -> int:
    """Insert or update a CSM's estimate for the period; return its revision number."""
    columns = ["csm_id", "period", *ACTIVITY_COLUMNS, "capacity_hours", "note", "round_id", "submitted_by"]
    values = [row[c] for c in columns]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    store.execute(
        f"INSERT INTO workload_submissions({', '.join(columns)}, submitted_at) "
        f"VALUES ({', '.join('?' for _ in columns)}, ?) "
        f"ON CONFLICT(csm_id, period) DO UPDATE SET {updates}, submitted_at = excluded.submitted_at, "
        "revisions = revisions + 1",
        (*values, row["submitted_at"]),
    )
    return int(
        str(
            store.scalar(
                "SELECT revisions FROM workload_submissions WHERE csm_id = ? AND period = ?",
                (row["csm_id"], row["period"]),
            )
        )
    )


def submissions(store: Store, period: str) -> list[dict]:
    """Every estimate of a period, with the CSM's roster name and capacity."""
    return store.query(
        "SELECT s.*, c.name, c.capacity_hours AS roster_capacity FROM workload_submissions s "
        "LEFT JOIN csms c ON c.id = s.csm_id WHERE s.period = ? ORDER BY c.name",
        (period,),
    )


def accounts_owned(store: Store, csm_ids: list[str]) -> dict[str, int]:
    """How many accounts each CSM owns."""
    if not csm_ids:
        return {}
    marks = ", ".join("?" for _ in csm_ids)
    rows = store.rows(f"SELECT owner, COUNT(*) FROM accounts WHERE owner IN ({marks}) GROUP BY owner", tuple(csm_ids))
    return {r[0]: int(r[1]) for r in rows}


def latest_submission(store: Store, csm_id: str) -> dict | None:
    """A CSM's most recent estimate, whatever its period."""
    rows = store.query(
        "SELECT * FROM workload_submissions WHERE csm_id = ? ORDER BY period DESC, submitted_at DESC LIMIT 1",
        (csm_id,),
    )
    return rows[0] if rows else None
