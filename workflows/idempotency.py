"""At-most-once: remember what was already acted on, so a retry or a double click does nothing."""

from __future__ import annotations

import time

from store import Store, seen

KEEP_S = 24 * 3600  # Slack retries within minutes; a day is ample and keeps the table small
_PRUNE_EVERY = 1000


class Once:
    """Keys seen before, stored, so the answer survives a restart of the bot."""

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
