"""At-most-once: remember what was already acted on, so a retry, a replay or a double click does
nothing the second time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from store import Store, seen

KEEP_S = 24 * 3600  # Slack retries within minutes; a day is ample and keeps the table small
_PRUNE_EVERY = 1000


class Once:
    """Keys seen before, stored, so the answer survives a restart of the bot.

    For effects after the ack (sharing a card, activating a rule set): it writes.
    """

    def __init__(self, store: Store):
        self.store = store
        self._since_prune = 0

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` is offered; False for every repeat."""
        now = time.time()
        with self.store.transaction():
            fresh = seen.first_time(self.store, key, now)
            self._since_prune += 1
            if self._since_prune >= _PRUNE_EVERY:
                seen.forget_before(self.store, now - KEEP_S)
                self._since_prune = 0
        return fresh


class RecentKeys:
    """Keys of requests received, checked before the ack without waiting on any write.

    Memory answers first; a key not in memory is looked up in the store through a read-only
    connection (a restart must not forget an event Slack is about to retry); a new key is
    written to the store later, off the request's path. Writes can take seconds while an
    import or a re-tiering holds the store; an ack cannot.
    """

    def __init__(
        self,
        reader: Store,
        record_later: Callable[[str], None],
        *,
        keep_s: float = 600.0,
        now: Callable[[], float] = time.monotonic,
    ):
        self.reader = reader
        self.record_later = record_later
        self.keep_s = keep_s
        self.now = now
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        moment = self.now()
        with self._lock:
            if self._expiry.get(key, 0.0) > moment:
                return False
            self._expiry[key] = moment + self.keep_s
            if len(self._expiry) > 100_000:  # a burst: forget what has expired
                self._expiry = {k: t for k, t in self._expiry.items() if t > moment}
        if seen.was_seen(self.reader, key):
            return False
        self.record_later(key)
        return True


def remember(store: Store, key: str) -> None:
    """Write a key received (see ``RecentKeys``)."""
    with store.transaction():
        seen.first_time(store, key, time.time())
