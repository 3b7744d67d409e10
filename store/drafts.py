"""Customer transition notes: every draft of a handoff's note, and its approval."""

from __future__ import annotations

import json
from typing import Any

from store.db import Store


def create(store: Store, handoff_id: int, fields: dict[str, Any], *, at: str, actor: str) -> int:
    store.require_transaction()
    cursor = store.execute(
        "INSERT INTO handoff_drafts(handoff_id, subject, body, source, model, prompt_version, valid, problems, "
        "fallback, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            handoff_id,
            fields["subject"],
            fields["body"],
            fields["source"],
            fields.get("model"),
            fields["prompt_version"],
            int(bool(fields["valid"])),
            json.dumps(fields.get("problems", [])),
            fields.get("fallback"),
            at,
            actor,
        ),
    )
    return int(cursor.lastrowid or 0)


def get(store: Store, draft_id: int) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM handoff_drafts WHERE id = ?", (draft_id,))
    return rows[0] if rows else None


def latest(store: Store, handoff_id: int) -> dict[str, Any] | None:
    """The handoff's current draft: the newest one not discarded."""
    rows = store.query(
        "SELECT * FROM handoff_drafts WHERE handoff_id = ? AND state != 'discarded' ORDER BY id DESC LIMIT 1",
        (handoff_id,),
    )
    return rows[0] if rows else None


def decide(store: Store, draft_id: int, state: str, *, at: str, actor: str) -> bool:
    """Approve or discard a draft still waiting; False when it was decided already."""
    cursor = store.execute(
        "UPDATE handoff_drafts SET state = ?, decided_at = ?, decided_by = ? WHERE id = ? AND state = 'draft'",
        (state, at, actor, draft_id),
    )
    return cursor.rowcount == 1


def mark_sent(store: Store, draft_id: int, *, at: str, actor: str) -> bool:
    """Record that an approved draft went to the customer; False unless it was approved."""
    cursor = store.execute(
        "UPDATE handoff_drafts SET state = 'sent', sent_at = ?, sent_by = ? WHERE id = ? AND state = 'approved'",
        (at, actor, draft_id),
    )
    return cursor.rowcount == 1


def set_message(store: Store, draft_id: int, channel: str, ts: str) -> None:
    store.execute("UPDATE handoff_drafts SET channel = ?, ts = ? WHERE id = ?", (channel, ts, draft_id))


def names_with_tokens(store: Store, tokens: tuple[str, ...]) -> list[str]:
    """Account names holding every one of ``tokens`` (the full-text index; the caller compares)."""
    query = " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens)
    return [
        str(r[0])
        for r in store.rows(
            "SELECT name FROM accounts WHERE rowid IN (SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH ?)",
            (query,),
        )
    ]


def known_terms(store: Store, tokens: list[str]) -> set[str]:
    """Which of ``tokens`` appear in any account name."""
    found: set[str] = set()
    for start in range(0, len(tokens), 500):
        chunk = tokens[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found |= {
            str(r[0]) for r in store.rows(f"SELECT term FROM accounts_fts_terms WHERE term IN ({marks})", tuple(chunk))
        }
    return found
