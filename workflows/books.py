"""The book of accounts as the rules engine reads it: from the columnar copy beside the store,
kept in memory between questions, and the ARR ranks one-account answers read.

Fetching a million accounts from SQLite row by row took seconds, ten times the evaluation
itself. Every command that needs the whole book reads the columnar copy instead
(``store.columnar``: an Arrow file memory-mapped in a tenth of a second, rebuilt by Arrow's own
SQLite reader when the accounts changed), and a long-running process (the chat, the Slack bot)
keeps one prepared frame and reloads it only when the accounts change
(``meta.accounts_version``) or the evaluation date moves.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.errors import StoreBusy
from store import Store, columnar, meta, records
from store import ranks as stored_ranks
from store import rules as stored_rules

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

COPY = "accounts"  # the columnar copy's name: tierbot.db-accounts.arrow
# Columns the copy leaves out: the CRM's own spellings and extra columns (JSON, for the export,
# which streams them from the store) and bookkeeping no question reads.
_NOT_IN_COPY = frozenset({"extra", "written", "updated_at", "created_by"})
_VERSION = records.VERSION_KEYS["accounts"]
# The derived fields that rank an account's ARR among all of them: kept in the copy, and in the
# store (account_ranks) while a rule set reads them.
RANK_FIELDS = ("arr_share_rank", "account_share_rank", "arr_percentile")


def book_table(store: Store) -> tuple[pa.Table, str]:
    """Every account (all columns rules and planning read) as Arrow, from the columnar copy, and
    the accounts' version token it holds; the copy is rebuilt first if the accounts changed."""
    with store.snapshot():
        data = columnar.load_copy(store, COPY, _VERSION, "accounts")
        if data is not None:
            return data, meta.token(store, _VERSION)
    return refresh_book(store)


def refresh_book(store: Store) -> tuple[pa.Table, str]:
    """Read the book from the store into a new columnar copy, with each account's ARR ranks
    beside its columns, and bring the stored ranks up to date with it. Any whole-book read runs
    it when the copy is stale.

    Inside a write transaction the book is read on the store's own connection, which sees the
    transaction's writes; a copy saved then is named by a token that exists only if the
    transaction commits, so a rolled-back one leaves a copy nothing will ever match.
    """
    columns = [c for c in records.columns(store, "accounts") if c not in _NOT_IN_COPY]
    data, tokens = columnar.read_table(store, "accounts", columns, [_VERSION, records.ARR_VERSION])
    ids, ranks = _ranks_of(data)
    for name, values in zip(RANK_FIELDS, ranks, strict=True):
        data = data.append_column(name, _float_column(values))
    columnar.save_copy(store, COPY, data, tokens[_VERSION])
    if stored_rules.any_reads(store, RANK_FIELDS):
        _store_ranks(store, ids, ranks, tokens[records.ARR_VERSION])
    return data, tokens[_VERSION]


def keep_ranks_current(store: Store) -> None:
    """After the accounts or the rule sets change (and commit): bring the stored ARR ranks up to
    date if a stored rule set reads them and the ARRs changed since they were computed, so the
    next one-account answer reads them. Books whose rules read no rank (most) never pay for them.
    Maintenance only: if the store is busy, answers work the ranks out until the next refresh."""
    if not stored_rules.any_reads(store, RANK_FIELDS) or stored_ranks.current(store):
        return
    with contextlib.suppress(StoreBusy):
        data, tokens = columnar.read_table(store, "accounts", ["crm_id", "arr"], [records.ARR_VERSION])
        _store_ranks(store, *_ranks_of(data), tokens[records.ARR_VERSION])


def _ranks_of(data: pa.Table) -> tuple[pd.Series, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The CRM ids and the three ARR rank fields of every account of ``data``."""
    import numpy as np

    from engine.tiering import arr_rank_fields

    ids = data.column("crm_id").to_pandas()
    arr = np.nan_to_num(data.column("arr").to_numpy(zero_copy_only=False), nan=0.0)
    return ids, arr_rank_fields(arr, ids)


def _float_column(values: np.ndarray) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, type=pa.float64())


def _store_ranks(store: Store, ids: pd.Series, ranks: tuple[np.ndarray, ...], token: str) -> None:
    if not token or stored_ranks.computed_at(store) == token:
        return
    stored_ranks.replace(store, ids.tolist(), tuple(r.tolist() for r in ranks), token)


@dataclass
class BookCache:
    """A prepared book and a CRM-id index over it, refreshed when the accounts change."""

    token: str = ""  # the accounts' version token the frame was read at
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

        current = meta.token(store, _VERSION)
        wanted = frozenset(columns) | {"crm_id", "name", "arr"}
        if self.frame is None or current != self.token or as_of != self.as_of or not wanted <= self.columns:
            # Keep what was loaded before too, so alternating questions do not reload.
            keep = wanted | (self.columns if current == self.token else frozenset())
            data, token = book_table(store)
            load = [c for c in ("crm_id", "name", "arr") if c in keep] + sorted(
                (keep | set(RANK_FIELDS)) & set(data.column_names) - {"crm_id", "name", "arr"}
            )
            self.frame = prepare_book(data.select(load).to_pandas(), as_of, ranked=set(RANK_FIELDS) <= set(load))
            self.positions = pd.Index(self.frame["crm_id"])
            self.token, self.as_of, self.columns = token, as_of, frozenset(keep)
        return self.frame

    def row(self, store: Store, as_of: date, columns: Sequence[str], crm_id: str) -> dict:
        """One account of the prepared book, as a plain dict."""
        with self._lock:
            frame = self.book(store, as_of, columns)
            return frame.iloc[self.positions.get_loc(crm_id)].to_dict()
