"""Version counters, bumped in the same transaction as the data they describe, so a
long-running process can tell cheaply whether its in-memory copy is stale."""

from __future__ import annotations

from store.db import Store


def version(store: Store, key: str) -> int:
    value = store.scalar("SELECT value FROM meta WHERE key = ?", (key,))
    return int(str(value)) if value is not None else 0


def bump(store: Store, key: str) -> None:
    store.require_transaction()
    store.execute(
        "INSERT INTO meta(key, value) VALUES (?, '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        (key,),
    )
