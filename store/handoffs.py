"""Account handoffs and their state history."""

from __future__ import annotations

from store.db import Store

_SELECT = """
SELECT h.*, a.name AS account_name, a.arr AS arr, a.renewal_date AS renewal_date,
       f.name AS from_name, f.manager AS from_manager, t.name AS to_name, t.manager AS to_manager
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
    actor: str,
    at: str,
) -> int:
    cursor = store.execute(
        "INSERT INTO handoffs(crm_id, from_csm, to_csm, reason, effective_date, requested_by, requested_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (crm_id, from_csm, to_csm, reason, effective_date, actor, at, at),
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


def get(store: Store, handoff_id: int) -> dict | None:
    rows = store.query(_SELECT + " WHERE h.id = ?", (handoff_id,))
    return rows[0] if rows else None


def in_state(store: Store, state: str, crm_id: str | None = None) -> list[dict]:
    if crm_id is None:
        return store.query(_SELECT + " WHERE h.state = ? ORDER BY h.id", (state,))
    return store.query(_SELECT + " WHERE h.state = ? AND h.crm_id = ? ORDER BY h.id", (state, crm_id))


def events(store: Store, handoff_id: int) -> list[dict]:
    return store.query("SELECT * FROM handoff_events WHERE handoff_id = ? ORDER BY id", (handoff_id,))
