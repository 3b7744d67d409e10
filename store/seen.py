"""Keys of requests already acted on, for at-most-once effects under retries and replays."""

from __future__ import annotations

from store.db import Store


def first_time(store: Store, key: str, now: float) -> bool:
    """Remember ``key``; True only the first time it is seen."""
    return store.execute("INSERT OR IGNORE INTO slack_seen(key, seen_at) VALUES (?, ?)", (key, now)).rowcount == 1


def forget_before(store: Store, moment: float) -> int:
    """Drop keys older than ``moment`` (epoch seconds)."""
    return store.execute("DELETE FROM slack_seen WHERE seen_at < ?", (moment,)).rowcount


def was_seen(store: Store, key: str) -> bool:
    return store.scalar("SELECT 1 FROM slack_seen WHERE key = ?", (key,)) is not None
