"""Transition plans, their lines, check-ins sent, and announcements."""

from __future__ import annotations

import json
from typing import Any

from store.db import Store

_LINES = """
SELECT l.*, a.name AS account_name, a.arr AS arr, f.name AS from_name, t.name AS to_name,
       t.slack_user_id AS to_slack, h.state AS handoff_state
FROM handoff_plan_lines l
LEFT JOIN accounts a ON a.crm_id = l.crm_id
LEFT JOIN csms f ON f.id = l.from_csm
LEFT JOIN csms t ON t.id = l.to_csm
LEFT JOIN handoffs h ON h.id = l.handoff_id
"""


def create(store: Store, plan: dict[str, Any], lines: list[dict[str, Any]]) -> int:
    store.require_transaction()
    cursor = store.execute(
        "INSERT INTO handoff_plans(source, start_date, weekly_limit, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
        (plan["source"], plan["start_date"], plan["weekly_limit"], plan["created_at"], plan["created_by"]),
    )
    plan_id = int(cursor.lastrowid or 0)
    store.executemany(
        "INSERT INTO handoff_plan_lines(plan_id, line, crm_id, from_csm, to_csm, reason, status, batch, "
        "effective_date, check_in_date, guardrails, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                plan_id,
                ln["line"],
                ln["crm_id"],
                ln["from_csm"],
                ln["to_csm"],
                ln["reason"],
                ln["status"],
                ln["batch"],
                ln["effective_date"],
                ln["check_in_date"],
                json.dumps(ln["guardrails"]),
                ln["note"],
            )
            for ln in lines
        ],
    )
    return plan_id


def moves_between(store: Store, first: str, last: str, states: list[str]) -> list[tuple[str | None, str, str]]:
    """(from, to, effective date) of handoffs in ``states`` and of plan lines still to decide,
    effective in [first, last]."""
    marks = ", ".join("?" for _ in states)
    rows = store.rows(
        f"SELECT from_csm, to_csm, effective_date FROM handoffs WHERE state IN ({marks}) "
        "AND effective_date BETWEEN ? AND ? "
        "UNION ALL SELECT from_csm, to_csm, effective_date FROM handoff_plan_lines WHERE status = 'planned' "
        "AND effective_date BETWEEN ? AND ?",
        (*states, first, last, first, last),
    )
    return [(r[0], str(r[1]), str(r[2])) for r in rows]


def get(store: Store, plan_id: int) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM handoff_plans WHERE id = ?", (plan_id,))
    return rows[0] if rows else None


def listing(store: Store) -> list[dict[str, Any]]:
    return store.query(
        "SELECT p.*, COUNT(l.line) AS lines, SUM(l.status = 'planned') AS planned, SUM(l.status = 'held') AS held, "
        "SUM(l.status = 'approved') AS approved, SUM(l.status = 'rejected') AS rejected, MAX(l.batch) AS batches "
        "FROM handoff_plans p LEFT JOIN handoff_plan_lines l ON l.plan_id = p.id GROUP BY p.id ORDER BY p.id DESC"
    )


def lines(store: Store, plan_id: int) -> list[dict[str, Any]]:
    return store.query(_LINES + " WHERE l.plan_id = ? ORDER BY l.line", (plan_id,))


def line(store: Store, plan_id: int, line_number: int) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM handoff_plan_lines WHERE plan_id = ? AND line = ?", (plan_id, line_number))
    return rows[0] if rows else None


def redate_line(store: Store, plan_id: int, line_number: int, effective: str, check_in: str) -> None:
    store.execute(
        "UPDATE handoff_plan_lines SET effective_date = ?, check_in_date = ? WHERE plan_id = ? AND line = ?",
        (effective, check_in, plan_id, line_number),
    )


def decide_line(
    store: Store, plan_id: int, line: int, status: str, *, handoff_id: int | None, actor: str, at: str
) -> bool:
    """Approve or reject a line still planned; False when it was decided already."""
    cursor = store.execute(
        "UPDATE handoff_plan_lines SET status = ?, handoff_id = ?, decided_by = ?, decided_at = ? "
        "WHERE plan_id = ? AND line = ? AND status = 'planned'",
        (status, handoff_id, actor, at, plan_id, line),
    )
    return cursor.rowcount == 1


def set_message(store: Store, plan_id: int, channel: str, ts: str) -> None:
    store.execute("UPDATE handoff_plans SET channel = ?, ts = ? WHERE id = ?", (channel, ts, plan_id))


def due_reminders(store: Store, on_or_before: str) -> list[dict[str, Any]]:
    """Completed handoffs (from a plan or not) whose new CSM's check-in day, 30 days after the move,
    has come and who was not reminded yet."""
    return store.query(
        "SELECT h.id AS handoff_id, h.crm_id, a.name AS account_name, h.to_csm, t.name AS to_name, "
        "t.slack_user_id AS to_slack, h.effective_date, date(h.effective_date, '+30 days') AS check_in_date "
        "FROM handoffs h LEFT JOIN accounts a ON a.crm_id = h.crm_id LEFT JOIN csms t ON t.id = h.to_csm "
        "WHERE h.state = 'completed' AND date(h.effective_date, '+30 days') <= ? "
        "AND NOT EXISTS (SELECT 1 FROM handoff_checkins c WHERE c.key = 'reminder:' || h.id) "
        "ORDER BY check_in_date, h.id",
        (on_or_before,),
    )


def batches(store: Store) -> list[dict[str, Any]]:
    """Every batch of every plan, with how its approved lines stand and whether it was reported."""
    return store.query(
        "SELECT l.plan_id, l.batch, MIN(l.effective_date) AS effective_date, COUNT(*) AS lines, "
        "SUM(l.status = 'approved') AS approved, SUM(l.status = 'rejected') AS rejected, "
        "SUM(l.status = 'planned') AS undecided, SUM(h.state = 'completed') AS completed, "
        "SUM(h.state = 'cancelled') AS cancelled, "
        "EXISTS (SELECT 1 FROM handoff_checkins c WHERE c.key = 'batch:' || l.plan_id || ':' || l.batch) AS reported "
        "FROM handoff_plan_lines l LEFT JOIN handoffs h ON h.id = l.handoff_id "
        "WHERE l.batch IS NOT NULL GROUP BY l.plan_id, l.batch ORDER BY l.plan_id, l.batch"
    )


def record_checkin(store: Store, key: str, kind: str, *, at: str, actor: str) -> bool:
    cursor = store.execute(
        "INSERT OR IGNORE INTO handoff_checkins(key, kind, sent_at, sent_by) VALUES (?, ?, ?, ?)",
        (key, kind, at, actor),
    )
    return cursor.rowcount == 1


def forget_checkin(store: Store, key: str) -> None:
    store.execute("DELETE FROM handoff_checkins WHERE key = ?", (key,))


def unmark_announced(store: Store, handoff_ids: list[int]) -> None:
    store.require_transaction()
    for handoff_id in handoff_ids:
        store.execute("UPDATE handoffs SET announced_at = NULL WHERE id = ?", (handoff_id,))


def unannounced(store: Store) -> list[int]:
    """Approved (and later) handoffs not in a digest yet, oldest decision first."""
    return [
        int(r[0])
        for r in store.rows(
            "SELECT id FROM handoffs WHERE announced_at IS NULL AND state IN "
            "('approved', 'scheduled', 'customer notified', 'introduced', 'completed') ORDER BY updated_at, id"
        )
    ]


def mark_announced(store: Store, handoff_ids: list[int], at: str) -> int:
    store.require_transaction()
    total = 0
    for handoff_id in handoff_ids:
        total += store.execute(
            "UPDATE handoffs SET announced_at = ? WHERE id = ? AND announced_at IS NULL", (at, handoff_id)
        ).rowcount
    return total
