"""Version counters, bumped in the same transaction as the data they describe, so a
long-running process can tell cheaply whether its in-memory copy is stale."""

from __future__ import annotations

from store.db import Store


def version(store: Store, key: str) -> int:
    value = store.scalar("SELECT value FROM meta WHERE key = ?", (key,))
    return int(str(value)) if value is not None else 0


def token(store: Store, key: str) -> str:
    """A random name for the current version of ``key``: unlike the counter, never the same in
    two stores or in two copies of one store that were changed apart. Caches kept outside the
    store (the columnar copy of the book) are keyed by it."""
    value = store.scalar("SELECT value FROM meta WHERE key = ?", (token_key(key),))
    return str(value) if value is not None else ""


def token_key(key: str) -> str:
    return f"{key}:token"


def bump(store: Store, key: str) -> None:
    store.require_transaction()
    store.execute(
        "INSERT INTO meta(key, value) VALUES (?, '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        (key,),
    )
    store.execute(
        f"INSERT INTO meta(key, value) VALUES (?, {NEW_TOKEN}) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (token_key(key),),
    )


NEW_TOKEN = "lower(hex(randomblob(12)))"
