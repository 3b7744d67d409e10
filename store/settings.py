"""Settings people change from the command line, kept as JSON values by key."""

from __future__ import annotations

import json
from typing import Any

from store.db import Store


def get(store: Store, key: str) -> Any:
    value = store.scalar("SELECT value FROM settings WHERE key = ?", (key,))
    return json.loads(str(value)) if value is not None else None


def put(store: Store, key: str, value: Any, actor: str, at: str) -> None:
    store.execute(
        "INSERT INTO settings(key, value, updated_by, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (key, json.dumps(value, sort_keys=True), actor, at),
    )
