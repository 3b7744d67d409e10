"""The outbox: effects still to deliver (Slack messages, replies, drafting a note), each once.

A row is written in the transaction of the decision it follows, claimed by one deliverer at a
time (a lease: another may take it over when it runs out, or at once when the claimer's process
is gone), and marked done in the transaction that records what the delivery changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from store.db import Store

_COLUMNS = "id, key, kind, payload, state, attempts, due_at, claimed_by, created_at, created_by, result, error"


def _row(row: dict[str, Any]) -> dict[str, Any]:
    row["payload"] = json.loads(row["payload"])
    row["result"] = json.loads(row["result"]) if row.get("result") else None
    return row


def add(
    store: Store, rows: Iterable[tuple[str, str, dict[str, Any]]], *, due_at: float, at: str, actor: str
) -> list[int]:
    """Record (key, kind, payload) effects; a key already recorded is left as it is (one effect,
    once). Returns the ids of the rows added."""
    added = []
    for key, kind, payload in rows:
        cursor = store.execute(
            "INSERT OR IGNORE INTO outbox(key, kind, payload, due_at, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, kind, json.dumps(payload, sort_keys=True), due_at, at, actor),
        )
        if cursor.rowcount == 1:
            added.append(int(cursor.lastrowid or 0))
    return added


def ids_of(store: Store, keys: Sequence[str]) -> list[int]:
    if not keys:
        return []
    marks = ", ".join("?" * len(keys))
    return [int(r[0]) for r in store.rows(f"SELECT id FROM outbox WHERE key IN ({marks}) ORDER BY id", tuple(keys))]


def exists(store: Store, key: str) -> bool:
    return store.scalar("SELECT 1 FROM outbox WHERE key = ?", (key,)) is not None


def claim(
    store: Store, *, now: float, lease_s: float, claimer: str, limit: int, ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Take up to ``limit`` effects that are due (or whose claim ran out) for ``claimer``."""
    store.require_transaction()
    only = f" AND id IN ({', '.join(str(int(i)) for i in ids)})" if ids is not None else ""
    if ids is not None and not ids:
        return []
    rows = store.query(
        f"SELECT {_COLUMNS} FROM outbox WHERE ((state = 'pending' AND due_at <= ?) OR "
        f"(state = 'sending' AND lease_until < ?)){only} ORDER BY due_at, id LIMIT ?",
        (now, now, limit),
    )
    for row in rows:
        store.execute(
            "UPDATE outbox SET state = 'sending', claimed_by = ?, lease_until = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (claimer, now + lease_s, row["id"]),
        )
        row["attempts"] += 1
    return [_row(r) for r in rows]


def finish(store: Store, effect_id: int, *, at: str, result: dict[str, Any] | None) -> None:
    store.execute(
        "UPDATE outbox SET state = 'done', done_at = ?, result = ?, lease_until = NULL, error = NULL WHERE id = ?",
        (at, json.dumps(result, sort_keys=True) if result is not None else None, effect_id),
    )


def postpone(store: Store, effect_id: int, *, due_at: float, error: str) -> None:
    store.execute(
        "UPDATE outbox SET state = 'pending', due_at = ?, error = ?, lease_until = NULL, claimed_by = NULL "
        "WHERE id = ?",
        (due_at, error, effect_id),
    )


def fail(store: Store, effect_id: int, *, at: str, error: str) -> None:
    store.execute(
        "UPDATE outbox SET state = 'failed', done_at = ?, error = ?, lease_until = NULL WHERE id = ?",
        (at, error, effect_id),
    )


def requeue(store: Store, effect_ids: Sequence[int], *, due_at: float) -> int:
    """Failed effects back in the queue (someone fixed the cause: invited the bot, say)."""
    count = 0
    for effect_id in effect_ids:
        count += store.execute(
            "UPDATE outbox SET state = 'pending', due_at = ?, attempts = 0, done_at = NULL WHERE id = ? "
            "AND state = 'failed'",
            (due_at, effect_id),
        ).rowcount
    return count


def hurry(store: Store, effect_ids: Sequence[int], *, due_at: float) -> int:
    count = 0
    for effect_id in effect_ids:
        count += store.execute(
            "UPDATE outbox SET due_at = ? WHERE id = ? AND state = 'pending'", (due_at, effect_id)
        ).rowcount
    return count


def release_claims_of(store: Store, claimers: Sequence[str], *, now: float) -> int:
    """Effects claimed by processes that are gone: due again at once."""
    count = 0
    for claimer in claimers:
        count += store.execute(
            "UPDATE outbox SET state = 'pending', due_at = ?, lease_until = NULL, claimed_by = NULL "
            "WHERE state = 'sending' AND claimed_by = ?",
            (now, claimer),
        ).rowcount
    return count


def claimers(store: Store) -> list[str]:
    return [str(r[0]) for r in store.rows("SELECT DISTINCT claimed_by FROM outbox WHERE state = 'sending'")]


def covered(store: Store, kind: str, field: str, value: object, *, before_id: int, at: str, by: int) -> int:
    """Pending effects of ``kind`` with ``payload.field == value`` recorded before ``before_id``:
    done, as the delivery of ``by`` covered them (a message refreshed once for several decisions)."""
    return store.execute(
        "UPDATE outbox SET state = 'done', done_at = ?, result = ? WHERE kind = ? AND state = 'pending' "
        "AND json_extract(payload, ?) = ? AND id < ?",
        (at, json.dumps({"covered_by": by}), kind, f"$.{field}", value, before_id),
    ).rowcount


def get(store: Store, effect_id: int) -> dict[str, Any] | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (effect_id,))
    return _row(rows[0]) if rows else None


def listing(store: Store, states: Sequence[str], limit: int = 100) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(states))
    rows = store.query(
        f"SELECT {_COLUMNS} FROM outbox WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?", (*states, limit)
    )
    return [_row(r) for r in rows]


def siblings(store: Store, kind: str, field: str, value: object) -> list[dict[str, Any]]:
    """Every effect of ``kind`` whose payload has ``field == value`` (the parts of one digest)."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM outbox WHERE kind = ? AND json_extract(payload, ?) = ? ORDER BY id",
        (kind, f"$.{field}", value),
    )
    return [_row(r) for r in rows]


def next_due(store: Store, ids: Sequence[int] | None = None) -> float | None:
    only = f" AND id IN ({', '.join(str(int(i)) for i in ids)})" if ids else ""
    value = store.scalar(f"SELECT MIN(due_at) FROM outbox WHERE state = 'pending'{only}")
    return float(value) if value is not None else None  # type: ignore[arg-type]


def forget_done_before(store: Store, at: str) -> int:
    """Delivered effects older than ``at`` (their keys too: nothing re-records them after a day)."""
    return store.execute("DELETE FROM outbox WHERE state = 'done' AND done_at < ?", (at,)).rowcount
