"""Account handoffs, their state history and their discussion."""

from __future__ import annotations

import json

from store.db import Store

_SELECT = """
SELECT h.*, a.name AS account_name, a.arr AS arr, a.renewal_date AS renewal_date, a.health AS health,
       a.owner AS owner_now,
       -- A correlated lookup, not a join: joining the view would tier every account (0.8 s at 1M).
       (SELECT x.tier FROM account_tiers x WHERE x.crm_id = h.crm_id) AS tier,
       f.name AS from_name, f.manager AS from_manager, f.slack_user_id AS from_slack,
       t.name AS to_name, t.manager AS to_manager, t.slack_user_id AS to_slack
FROM handoffs h
LEFT JOIN accounts a ON a.crm_id = h.crm_id
LEFT JOIN csms f ON f.id = h.from_csm
LEFT JOIN csms t ON t.id = h.to_csm
"""


def create(
    store: Store,
    *,
    crm_id: str,
    from_csm: str | None,
    to_csm: str,
    reason: str,
    effective_date: str | None,
    guardrails: list[dict],
    actor: str,
    at: str,
) -> int:
    cursor = store.execute(
        "INSERT INTO handoffs(crm_id, from_csm, to_csm, reason, effective_date, guardrails, requested_by, "
        "requested_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (crm_id, from_csm, to_csm, reason, effective_date, json.dumps(guardrails), actor, at, at),
    )
    handoff_id = int(cursor.lastrowid or 0)
    add_event(store, handoff_id, "proposed", at, actor, reason)
    return handoff_id


def add_event(store: Store, handoff_id: int, state: str, at: str, actor: str, note: str | None) -> None:
    store.execute(
        "INSERT INTO handoff_events(handoff_id, state, at, actor, note) VALUES (?, ?, ?, ?, ?)",
        (handoff_id, state, at, actor, note),
    )


def move(store: Store, handoff_id: int, from_state: str, to_state: str, at: str, actor: str, note: str | None) -> bool:
    """Change the state only if it is still ``from_state``; False when someone got there first."""
    cursor = store.execute(
        "UPDATE handoffs SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
        (to_state, at, handoff_id, from_state),
    )
    if cursor.rowcount != 1:
        return False
    add_event(store, handoff_id, to_state, at, actor, note)
    return True


def set_guardrails(store: Store, handoff_id: int, guardrails: list[dict]) -> None:
    store.execute("UPDATE handoffs SET guardrails = ? WHERE id = ?", (json.dumps(guardrails), handoff_id))


def set_exception(store: Store, handoff_id: int, note: str, actor: str) -> None:
    store.execute("UPDATE handoffs SET exception_note = ?, exception_by = ? WHERE id = ?", (note, actor, handoff_id))


def set_thread(store: Store, handoff_id: int, channel: str, ts: str) -> None:
    store.execute("UPDATE handoffs SET channel = ?, ts = ? WHERE id = ?", (channel, ts, handoff_id))


def get(store: Store, handoff_id: int) -> dict | None:
    rows = store.query(_SELECT + " WHERE h.id = ?", (handoff_id,))
    return rows[0] if rows else None


def by_thread(store: Store, channel: str, ts: str) -> dict | None:
    rows = store.query(_SELECT + " WHERE h.channel = ? AND h.ts = ?", (channel, ts))
    return rows[0] if rows else None


def in_state(store: Store, state: str) -> list[dict]:
    return store.query(_SELECT + " WHERE h.state = ? ORDER BY h.id", (state,))


def open_for(store: Store, crm_id: str, states: list[str]) -> list[dict]:
    """The account's handoffs in ``states`` (those still in flight), oldest first."""
    marks = ", ".join("?" for _ in states)
    return store.query(_SELECT + f" WHERE h.crm_id = ? AND h.state IN ({marks}) ORDER BY h.id", (crm_id, *states))


def listing(store: Store, states: list[str] | None = None, limit: int = 200) -> list[dict]:
    if not states:
        return store.query(_SELECT + " ORDER BY h.id DESC LIMIT ?", (limit,))
    marks = ", ".join("?" for _ in states)
    return store.query(_SELECT + f" WHERE h.state IN ({marks}) ORDER BY h.id DESC LIMIT ?", (*states, limit))


def events(store: Store, handoff_id: int) -> list[dict]:
    return store.query("SELECT * FROM handoff_events WHERE handoff_id = ? ORDER BY id", (handoff_id,))


def moves_in(store: Store, csm_ids: list[str], start: str, end: str, states: list[str], exclude: int | None) -> dict:
    """How many handoffs in ``states`` each CSM takes part in (giving or taking), effective in [start, end]."""
    if not csm_ids:
        return {}
    marks = ", ".join("?" for _ in csm_ids)
    state_marks = ", ".join("?" for _ in states)
    counts: dict[str, int] = {}
    for column in ("from_csm", "to_csm"):
        rows = store.rows(
            f"SELECT {column}, COUNT(*) FROM handoffs WHERE {column} IN ({marks}) AND state IN ({state_marks}) "
            "AND effective_date BETWEEN ? AND ? AND id != ? GROUP BY 1",
            (*csm_ids, *states, start, end, exclude or 0),
        )
        for csm_id, n in rows:
            counts[csm_id] = counts.get(csm_id, 0) + int(n)
    return counts


def add_comment(store: Store, handoff_id: int, author: str, text: str, ts: str, at: str) -> bool:
    """Keep a thread reply; False when it was kept already (a retried event)."""
    cursor = store.execute(
        "INSERT OR IGNORE INTO handoff_comments(handoff_id, author, text, ts, at) VALUES (?, ?, ?, ?, ?)",
        (handoff_id, author, text, ts, at),
    )
    return cursor.rowcount == 1


def edit_comment(store: Store, handoff_id: int, ts: str, text: str, at: str) -> bool:
    cursor = store.execute(
        "UPDATE handoff_comments SET text = ?, edited_at = ? WHERE handoff_id = ? AND ts = ?",
        (text, at, handoff_id, ts),
    )
    return cursor.rowcount == 1


def comments(store: Store, handoff_id: int) -> list[dict]:
    return store.query("SELECT * FROM handoff_comments WHERE handoff_id = ? ORDER BY ts", (handoff_id,))
