"""The book of accounts as the rules engine reads it, kept in memory between questions.

Reading a million accounts from SQLite takes seconds, forty times the evaluation itself, so a
long-running process (the chat, the Slack bot) keeps one prepared copy and reloads it only when
the accounts change (``meta.accounts_version``) or the evaluation date moves.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from store import Store, meta, records

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class BookCache:
    """A prepared book and a CRM-id index over it, refreshed when the accounts change."""

    version: int = -1
    as_of: date | None = None
    columns: frozenset[str] = frozenset()
    # Empty until the first question that needs the book: a session that never asks one (or a
    # command that starts and ends) never loads pandas.
    frame: Any = None  # pd.DataFrame
    positions: Any = None  # pd.Index over the frame's CRM ids
    # The Slack bot answers on several threads at once: one reload at a time, and a row is
    # read from the frame its positions were built for.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def book(self, store: Store, as_of: date, columns: Sequence[str]) -> pd.DataFrame:
        """The prepared book with at least ``columns`` (plus every derived field)."""
        with self._lock:
            return self._book(store, as_of, columns)

    def _book(self, store: Store, as_of: date, columns: Sequence[str]) -> pd.DataFrame:
        import pandas as pd

        from engine.tiering import prepare_book

        current = meta.version(store, "accounts_version")
        wanted = frozenset(columns) | {"crm_id", "name", "arr"}
        if self.frame is None or current != self.version or as_of != self.as_of or not wanted <= self.columns:
            # Keep what was loaded before too, so alternating questions do not reload.
            keep = wanted | (self.columns if current == self.version else frozenset())
            available = set(records.columns(store, "accounts"))
            load = [c for c in ("crm_id", "name", "arr") if c in keep] + sorted(
                keep & available - {"crm_id", "name", "arr"}
            )
            self.frame = prepare_book(records.load(store, "accounts", load), as_of)
            self.positions = pd.Index(self.frame["crm_id"])
            self.version, self.as_of, self.columns = current, as_of, frozenset(keep)
        return self.frame

    def row(self, store: Store, as_of: date, columns: Sequence[str], crm_id: str) -> dict:
        """One account of the prepared book, as a plain dict."""
        with self._lock:
            frame = self.book(store, as_of, columns)
            return frame.iloc[self.positions.get_loc(crm_id)].to_dict()
