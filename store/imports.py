"""The record of every import that wrote something: file, hash, counts, header mapping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from store.db import Store


@dataclass(frozen=True)
class ImportRecord:
    kind: str
    file_name: str
    file_sha256: str
    rows_read: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    warnings: int
    mapping: dict[str, str]
    options: dict[str, Any]
    actor: str
    at: str
    id: int | None = None


def record(store: Store, entry: ImportRecord) -> int:
    """Write an import record inside the caller's transaction; return its id."""
    store.require_transaction()
    cursor = store.execute(
        "INSERT INTO imports(kind, file_name, file_sha256, rows_read, created, updated, unchanged, "
        "skipped, warnings, mapping, options, actor, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            entry.kind,
            entry.file_name,
            entry.file_sha256,
            entry.rows_read,
            entry.created,
            entry.updated,
            entry.unchanged,
            entry.skipped,
            entry.warnings,
            json.dumps(entry.mapping, ensure_ascii=False),
            json.dumps(entry.options, ensure_ascii=False, sort_keys=True),
            entry.actor,
            entry.at,
        ),
    )
    return int(cursor.lastrowid or 0)


def update_counts(store: Store, import_id: int, entry: ImportRecord) -> None:
    """Write an import's final counts and options (it is recorded before its rows, which name it;
    what it learned of the file, such as how it writes each column, is complete only at the end)."""
    store.require_transaction()
    store.execute(
        "UPDATE imports SET rows_read = ?, created = ?, updated = ?, unchanged = ?, skipped = ?, warnings = ?, "
        "options = ? WHERE id = ?",
        (
            entry.rows_read,
            entry.created,
            entry.updated,
            entry.unchanged,
            entry.skipped,
            entry.warnings,
            json.dumps(entry.options, ensure_ascii=False, sort_keys=True),
            import_id,
        ),
    )


def recent(store: Store, limit: int = 10) -> list[ImportRecord]:
    """The latest imports, newest first."""
    return [_record(row) for row in store.query("SELECT * FROM imports ORDER BY id DESC LIMIT ?", (limit,))]


def latest(store: Store, kind: str) -> ImportRecord | None:
    """The latest import of ``kind``."""
    rows = store.query("SELECT * FROM imports WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,))
    return _record(rows[0]) if rows else None


def with_maps(store: Store, kind: str, limit: int = 50) -> list[ImportRecord]:
    """The latest imports of ``kind`` that read columns by a ``--map`` choice, newest first."""
    rows = store.query(
        "SELECT * FROM imports WHERE kind = ? AND json_extract(options, '$.map') IS NOT NULL "
        "AND json_extract(options, '$.map') != '{}' ORDER BY id DESC LIMIT ?",
        (kind, limit),
    )
    return [_record(row) for row in rows]


def _record(row: dict[str, Any]) -> ImportRecord:
    return ImportRecord(**{**row, "mapping": json.loads(row["mapping"]), "options": json.loads(row["options"])})


def delete_all(store: Store) -> None:
    """Forget every import record (the demo's --replace)."""
    store.require_transaction()
    store.execute("DELETE FROM imports")


def find_by_hash(store: Store, kind: str, sha256: str) -> dict[str, Any] | None:
    """The latest import of the same file content, if any."""
    rows = store.query(
        "SELECT * FROM imports WHERE kind = ? AND file_sha256 = ? ORDER BY id DESC LIMIT 1",
        (kind, sha256),
    )
    return rows[0] if rows else None
