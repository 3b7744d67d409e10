"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from store.db import Store


@dataclass(frozen=True)
class AuditEntry:
    """One change, as it is written to ``audit_log``."""

    at: str
    actor: str
    action: str
    entity: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


def _json(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def record(store: Store, entries: Iterable[AuditEntry]) -> int:
    """Append entries to the audit log inside the caller's transaction; return how many."""
    store.require_transaction()
    rows = [(e.at, e.actor, e.action, e.entity, _json(e.before), _json(e.after)) for e in entries]
    store.executemany(
        "INSERT INTO audit_log(at, actor, action, entity, before, after) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def recent(store: Store, limit: int = 20, entity: str | None = None) -> list[dict[str, Any]]:
    """The latest entries, newest first, optionally for one entity."""
    where = "WHERE entity = ?" if entity else ""
    params: tuple = (entity, limit) if entity else (limit,)
    rows = store.query(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", params)
    for row in rows:
        for key in ("before", "after"):
            row[key] = json.loads(row[key]) if row[key] else None
    return rows
