"""Bulk reads and writes of the imported tables (accounts, CSMs) as pandas frames.

Writes use ``executemany`` inside the caller's transaction: one transaction per import is both
the fastest way to load a million rows and the only way a killed import leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from store import meta
from store.db import Store, sql_literal
from store.migrations import ACCOUNTS_FTS_DELETE_TRIGGER

if TYPE_CHECKING:  # pandas loads with the first bulk read or write, not with the store
    import pandas as pd

VERSION_KEYS = {"accounts": "accounts_version", "csms": "csms_version"}
# Bumped only when account names may have changed (inserts, renames, deletes): the name-key index
# for customer notes is rebuilt on it, not on every owner change.
NAMES_VERSION = "names_version"
# Bumped only when an ARR or the set of accounts may have changed: the stored ARR ranks
# (store.ranks) are refreshed on it, not on every owner change.
ARR_VERSION = "arr_version"


def columns(store: Store, table: str) -> list[str]:
    """The table's columns, in schema order."""
    return [str(r[1]) for r in store.rows(f"PRAGMA table_info({table})")]


def count(store: Store, table: str) -> int:
    return int(str(store.scalar(f"SELECT COUNT(*) FROM {table}")))


def load_keys(store: Store, table: str, wanted: Sequence[str], key: str, keys: Sequence[object]) -> pd.DataFrame:
    """The rows whose ``key`` is one of ``keys`` (a chunk of an import), with the wanted columns."""
    import pandas as pd

    names = list(dict.fromkeys([key, *wanted]))
    values = [k for k in keys if isinstance(k, str)]
    if not values:
        return pd.DataFrame(columns=names)
    # One statement for a whole chunk: the keys travel as one JSON array, the primary key finds each.
    sql = f"SELECT {', '.join(names)} FROM {table} WHERE {key} IN (SELECT value FROM json_each(?))"
    return pd.DataFrame.from_records(store.rows(sql, (json.dumps(values, ensure_ascii=False),)), columns=names)


def walk(store: Store, table: str, wanted: Sequence[str], size: int = 100_000) -> Iterator[pd.DataFrame]:
    """The whole table a chunk of rows at a time (with their ``rowid``), so memory stays flat."""
    import pandas as pd

    names = ["rowid", *wanted]
    after = 0
    while True:
        rows = store.rows(
            f"SELECT {', '.join(names)} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, size)
        )
        if not rows:
            return
        yield pd.DataFrame.from_records(rows, columns=names)
        after = int(rows[-1][0])


def by_rowid(store: Store, table: str, wanted: Sequence[str], rowids: Sequence[int]) -> list[tuple]:
    """Some rows by ``rowid``, with the wanted columns."""
    if not rowids:
        return []
    sql = f"SELECT {', '.join(wanted)} FROM {table} WHERE rowid IN (SELECT value FROM json_each(?))"
    return store.rows(sql, (json.dumps([int(r) for r in rowids]),))


def unusual_keys(store: Store, table: str, key: str, name: str) -> list[tuple[str, str | None]]:
    """(key, name) of the rows whose key has a character outside printable ASCII (few, if any)."""
    return [(str(r[0]), r[1]) for r in store.rows(f"SELECT {key}, {name} FROM {table} WHERE {key} GLOB '*[^ -~]*'")]


def _values(series: pd.Series) -> list:
    """A column as Python values for sqlite3, with every kind of missing value as None."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_integer_dtype(series.dtype) and isinstance(series.dtype, np.dtype):
        return series.tolist()
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _columns(frame: pd.DataFrame, names: Sequence[str]) -> list[list]:
    return [_values(frame[n]) for n in names]


def _write_in_chunks(store: Store, sql: str, frame: pd.DataFrame, names: Sequence[str]) -> None:
    """``executemany`` over the frame, converting the next chunk to Python values meanwhile.

    sqlite3 releases the GIL while SQLite works, so a second thread can convert the next chunk's
    columns: measured a fifth faster than converting first and inserting after. The rows go to
    SQLite as a lazy ``zip`` of the columns, never a list of tuples: zip reuses one tuple when
    the driver is done with it (a third less time than building a million tuples first).
    """
    chunks = [frame.iloc[i : i + _CHUNK] for i in range(0, len(frame), _CHUNK)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_columns, chunks[0], names)
        for i in range(len(chunks)):
            columns = pending.result()
            if i + 1 < len(chunks):
                pending = pool.submit(_columns, chunks[i + 1], names)
            store.executemany(sql, zip(*columns, strict=True))


_CHUNK = 50_000


def insert(store: Store, table: str, frame: pd.DataFrame, at: str, created_by: str | None = None) -> int:
    """Insert new rows; return how many. ``created_by`` (accounts) names what created them."""
    store.require_transaction()
    if frame.empty:
        return 0
    known = set(columns(store, table))
    stamps = {"updated_at": at} | ({"created_by": created_by} if created_by and "created_by" in known else {})
    names = [c for c in frame.columns if c in known and c not in stamps]
    last_rowid = int(str(store.scalar(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}")))
    # The stamps are the same on every row: written into the statement rather than bound a
    # million times (they are tierbot's own values, quoted as SQL literals).
    values = ", ".join(["?"] * len(names) + [sql_literal(v) for v in stamps.values()])
    _write_in_chunks(store, f"INSERT INTO {table}({', '.join([*names, *stamps])}) VALUES ({values})", frame, names)
    if table == "accounts":
        # New rows always get rowids above the previous maximum, so this indexes exactly them.
        store.execute(
            "INSERT INTO accounts_fts(rowid, name) SELECT rowid, name FROM accounts WHERE rowid > ?",
            (last_rowid,),
        )
        meta.bump(store, NAMES_VERSION)
        meta.bump(store, ARR_VERSION)
    meta.bump(store, VERSION_KEYS[table])
    return len(frame)


def update(store: Store, table: str, frame: pd.DataFrame, key: str, at: str) -> int:
    """Overwrite the given columns of existing rows, matched on ``key``; return how many."""
    store.require_transaction()
    if frame.empty:
        return 0
    known = set(columns(store, table))
    names = [c for c in frame.columns if c in known and c not in (key, "updated_at")]
    frame = frame.assign(updated_at=at)
    assignments = ", ".join(f"{n} = ?" for n in [*names, "updated_at"])
    _write_in_chunks(store, f"UPDATE {table} SET {assignments} WHERE {key} = ?", frame, [*names, "updated_at", key])
    if table == "accounts" and "name" in names:
        meta.bump(store, NAMES_VERSION)
    if table == "accounts" and "arr" in names:
        meta.bump(store, ARR_VERSION)
    meta.bump(store, VERSION_KEYS[table])
    return len(frame)


def delete_all(store: Store, table: str) -> int:
    """Remove every row of ``table``; return how many were removed."""
    store.require_transaction()
    removed = count(store, table)
    if table == "accounts":
        # The per-row FTS trigger would make wiping a million accounts take minutes; clear the
        # index in one statement instead and put the trigger back in the same transaction.
        store.execute("DROP TRIGGER accounts_fts_delete")
        store.execute("DELETE FROM accounts")
        store.execute("INSERT INTO accounts_fts(accounts_fts) VALUES ('delete-all')")
        store.execute(ACCOUNTS_FTS_DELETE_TRIGGER)
        meta.bump(store, NAMES_VERSION)
        meta.bump(store, ARR_VERSION)
    else:
        store.execute(f"DELETE FROM {table}")
    meta.bump(store, VERSION_KEYS[table])
    return removed


def distinct_values(store: Store, table: str, column: str, limit: int = 5000) -> list[str]:
    """The distinct non-blank values of a column, most common first."""
    rows = store.rows(
        f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL AND {column} != '' "
        f"GROUP BY {column} ORDER BY COUNT(*) DESC LIMIT ?",
        (limit,),
    )
    return [str(r[0]) for r in rows]


def blank_counts(store: Store, table: str, names: Sequence[str]) -> dict[str, int]:
    """How many rows have each column blank (NULL or empty text), in one pass."""
    if not names:
        return {}
    sums = ", ".join(f"SUM(CASE WHEN {n} IS NULL OR {n} = '' THEN 1 ELSE 0 END)" for n in names)
    row = store.rows(f"SELECT {sums} FROM {table}")[0]
    return {n: int(v or 0) for n, v in zip(names, row, strict=True)}
