"""Customer transition notes: every draft of a handoff's note, and its approval."""

from __future__ import annotations

import json
from typing import Any

from store import meta
from store.db import Store

_FIELDS = (
    "subject",
    "body",
    "source",
    "model",
    "prompt_version",
    "valid",
    "problems",
    "fallback",
    "style",
    "to_name",
    "to_email",
    "from_name",
    "from_email",
)


def create(store: Store, handoff_id: int, fields: dict[str, Any], *, at: str, actor: str) -> int:
    store.require_transaction()
    values = {name: fields.get(name) for name in _FIELDS} | {
        "valid": int(bool(fields["valid"])),
        "problems": json.dumps(fields.get("problems", [])),
    }
    cursor = store.execute(
        f"INSERT INTO handoff_drafts(handoff_id, {', '.join(_FIELDS)}, created_at, created_by) "
        f"VALUES (?, {', '.join('?' for _ in _FIELDS)}, ?, ?)",
        (handoff_id, *values.values(), at, actor),
    )
    return int(cursor.lastrowid or 0)


def get(store: Store, draft_id: int) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM handoff_drafts WHERE id = ?", (draft_id,))
    return rows[0] if rows else None


def of_handoff(store: Store, handoff_id: int) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM handoff_drafts WHERE handoff_id = ? ORDER BY id", (handoff_id,))


def latest(store: Store, handoff_id: int) -> dict[str, Any] | None:
    """The handoff's current draft: the newest one not discarded."""
    rows = store.query(
        "SELECT * FROM handoff_drafts WHERE handoff_id = ? AND state != 'discarded' ORDER BY id DESC LIMIT 1",
        (handoff_id,),
    )
    return rows[0] if rows else None


def open_for_csm(store: Store, csm_id: str, handoff_states: list[str]) -> list[dict[str, Any]]:
    """Notes waiting on a new CSM: to approve (draft) or to send (approved), of live handoffs."""
    marks = ", ".join("?" for _ in handoff_states)
    return store.query(
        "SELECT d.* FROM handoff_drafts d JOIN handoffs h ON h.id = d.handoff_id "
        f"WHERE h.to_csm = ? AND d.state IN ('draft', 'approved') AND h.state IN ({marks}) ORDER BY d.id",
        (csm_id, *handoff_states),
    )


def decide(store: Store, draft_id: int, state: str, *, at: str, actor: str) -> bool:
    """Approve or discard a draft still waiting; False when it was decided already."""
    cursor = store.execute(
        "UPDATE handoff_drafts SET state = ?, decided_at = ?, decided_by = ? WHERE id = ? AND state = 'draft'",
        (state, at, actor, draft_id),
    )
    return cursor.rowcount == 1


def discard_open(store: Store, handoff_id: int, *, at: str, actor: str) -> int:
    """Discard the handoff's notes not sent yet (waiting or approved): a new draft replaces them,
    or the handoff was cancelled."""
    cursor = store.execute(
        "UPDATE handoff_drafts SET state = 'discarded', decided_at = ?, decided_by = ? "
        "WHERE handoff_id = ? AND state IN ('draft', 'approved')",
        (at, actor, handoff_id),
    )
    return cursor.rowcount


def mark_sent(store: Store, draft_id: int, *, at: str, actor: str) -> bool:
    """Record that an approved draft went to the customer; False unless it was approved."""
    cursor = store.execute(
        "UPDATE handoff_drafts SET state = 'sent', sent_at = ?, sent_by = ? WHERE id = ? AND state = 'approved'",
        (at, actor, draft_id),
    )
    return cursor.rowcount == 1


def set_message(store: Store, draft_id: int, channel: str, ts: str) -> None:
    store.execute("UPDATE handoff_drafts SET channel = ?, ts = ? WHERE id = ?", (channel, ts, draft_id))


def newest_in_message(store: Store, channel: str, ts: str) -> dict[str, Any] | None:
    """The latest draft shown in a Slack message (an edit takes over its draft's message)."""
    rows = store.query(
        "SELECT * FROM handoff_drafts WHERE channel = ? AND ts = ? ORDER BY id DESC LIMIT 1", (channel, ts)
    )
    return rows[0] if rows else None


def name_keys_stale(store: Store, scheme: int) -> bool:
    """Whether the name-key index misses a change of account names, or was keyed another way
    (``scheme``: the version of ``engine.drafts.name_key`` it must have been built with)."""
    built = meta.version(store, "name_keys_version") == meta.version(store, "names_version")
    return not built or meta.version(store, "name_keys_scheme") != scheme


def account_names(store: Store, after: int, batch: int) -> tuple[int, list[str]]:
    """A batch of account names after rowid ``after``: (the last rowid, the names)."""
    rows = store.rows("SELECT rowid, name FROM accounts WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, batch))
    return (int(rows[-1][0]) if rows else after), [str(r[1]) for r in rows]


def clear_name_keys(store: Store) -> None:
    store.require_transaction()
    store.execute("DELETE FROM account_name_keys")


def add_name_keys(store: Store, keyed: list[tuple[str, str]]) -> None:
    store.executemany("INSERT INTO account_name_keys(key, name) VALUES (?, ?)", keyed)


def name_keys_done(store: Store, scheme: int) -> None:
    """The name-key index now matches the accounts' current version, keyed by ``scheme``."""
    store.execute(
        "UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'names_version') WHERE key = 'name_keys_version'"
    )
    store.execute(
        "INSERT INTO meta(key, value) VALUES ('name_keys_scheme', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(scheme),),
    )


def names_by_key(store: Store, keys: list[str]) -> list[tuple[str, str]]:
    """(key, name) of the accounts whose name key is one of ``keys``."""
    found: list[tuple[str, str]] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found += [
            (str(r[0]), str(r[1]))
            for r in store.rows(f"SELECT key, name FROM account_name_keys WHERE key IN ({marks})", tuple(chunk))
        ]
    return found
