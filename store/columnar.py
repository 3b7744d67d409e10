"""Whole tables as Arrow, and a columnar copy of them kept beside the store.

Commands that read the whole book (tiering, what-ifs, the tier table) used to fetch a million
rows through ``sqlite3`` into Python tuples and then into pandas: seconds before any work. Here a
table is read by Arrow's own SQLite driver (ADBC, in C: no Python object per cell) and the result
is kept beside the store as an Arrow IPC file (``tierbot.db-accounts.arrow``) that later commands
memory-map in a fraction of a second.

The copy is a cache. Its footer names the version it was read at (the random token of the table's
version counter in ``meta``, bumped in the same transaction as every write) and how many rows the
table had; a copy whose token or row count differs from the store's is stale, is never used, and
is replaced by the next read. Deleting it loses nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import StoreError
from store import meta
from store.db import Store

if TYPE_CHECKING:  # Arrow loads with the first whole-table read, not with the store
    import pyarrow as pa

log = logging.getLogger("tierbot.store")
_TOKEN = b"tierbot.token"
_ROWS = b"tierbot.rows"
_NUMERIC = ("INT", "REAL", "FLOA", "DOUB", "NUM")  # SQLite's affinity rules, by declared type


def copy_path(store: Store, name: str) -> Path:
    """Where the columnar copy ``name`` of this store lives: beside the store, like its -wal file."""
    return store.path.with_name(f"{store.path.name}-{name}.arrow")


def _typed(store: Store, table: str, columns: Sequence[str]) -> tuple[list[str], dict[str, bool]]:
    """SELECT expressions giving each column one type on every row, and which are numbers.

    SQLite keeps whatever a row was given; Arrow wants one type per column. Numbers are read as
    REAL (what the rules compare) and any text in a number column as missing, which is what the
    engine makes of it anyway; everything else is read as text.
    """
    declared = {str(r[1]): str(r[2]).upper() for r in store.rows(f"PRAGMA table_info({table})")}
    expressions, numeric = [], {}
    for column in columns:
        is_number = any(kind in declared.get(column, "") for kind in _NUMERIC)
        numeric[column] = is_number
        if is_number:
            expressions.append(
                f"CASE WHEN typeof({column}) IN ('integer', 'real') THEN CAST({column} AS REAL) END AS {column}"
            )
        else:
            expressions.append(f"CAST({column} AS TEXT) AS {column}")
    return expressions, numeric


def read_table(
    store: Store, table: str, columns: Sequence[str], version_keys: Sequence[str]
) -> tuple[pa.Table, dict[str, str]]:
    """Every row of ``table`` (the given columns, in rowid order) and the tokens of
    ``version_keys`` they were read at, all from one snapshot of the store."""
    import pyarrow as pa

    expressions, numeric = _typed(store, table, columns)
    sql = f"SELECT {', '.join(expressions)} FROM {table} ORDER BY rowid"
    schema = pa.schema([(c, pa.float64() if numeric[c] else pa.large_string()) for c in columns])
    if store.conn.in_transaction or not worth_a_child(store, table):
        # Inside a transaction that may have written, only this connection sees those writes;
        # and a small table is read sooner than a child process starts.
        return _read_sqlite3(store, sql, schema, version_keys)
    try:
        return _read_adbc(store, sql, schema, version_keys)
    except Exception as exc:  # any failure of the fast reader falls back to the exact one
        # Arrow's driver infers a column's type from its first rows and stops at a row that
        # disagrees (a column blank for the first thousand rows, then numbers): read it the slow
        # way, which never guesses.
        log.info("reading %s through sqlite3: %s", table, exc)
        return _read_sqlite3(store, sql, schema, version_keys)


class ArrowRows:
    """The rows of one query, read by Arrow's SQLite driver (ADBC) in a child process
    (``store/arrow_child.py``) and streamed back as Arrow IPC; with the tokens of
    ``version_keys`` read in the same snapshot.

    Never in this process: ADBC brings its own copy of SQLite, and two copies in one process on
    one WAL database break each other's file locks (a bus error when one truncates the shared
    memory the other has mapped). The child costs a fifth of a second; reading rows through it
    costs a third of fetching them through sqlite3.
    """

    def __init__(self, store: Store, sql: str, version_keys: Sequence[str] = (), batch_rows: int = 65_536):
        import pyarrow as pa

        self._child = subprocess.Popen(
            [sys.executable, str(_CHILD), str(store.path), str(batch_rows), json.dumps(list(version_keys))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert self._child.stdin is not None and self._child.stdout is not None
            self._child.stdin.write(sql.encode())
            self._child.stdin.close()
            self.reader = pa.ipc.open_stream(self._child.stdout)
        except (OSError, pa.ArrowInvalid) as exc:
            self.close()
            raise StoreError(f"Arrow's reader failed: {self._reason() or exc}") from exc
        stamp = (self.reader.schema.metadata or {}).get(b"tierbot.tokens", b"{}")
        self.tokens: dict[str, str] = json.loads(stamp)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        yield from self.reader
        if self._child.wait() != 0:  # the stream ended early: never taken for the whole
            raise StoreError(f"Arrow's reader failed: {self._reason()}")

    def read_all(self) -> pa.Table:
        import pyarrow as pa

        return pa.Table.from_batches(list(self), schema=self.reader.schema)

    def _reason(self) -> str:
        stderr = self._child.stderr
        return stderr.read().decode(errors="replace").strip() if stderr is not None else ""

    def close(self) -> None:
        if self._child.poll() is None:
            self._child.kill()
        self._child.wait()
        for pipe in (self._child.stdin, self._child.stdout, self._child.stderr):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> ArrowRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CHILD = Path(__file__).with_name("arrow_child.py")
# From how many rows a table is read through the child: below, sqlite3 reads it before the child
# has started (a fifth of a second).
CHILD_FROM_ROWS = 100_000


def worth_a_child(store: Store, table: str) -> bool:
    """Whether ``table`` is big enough to read through Arrow's driver (its highest rowid, which
    SQLite finds without a scan, stands for its size)."""
    return int(str(store.scalar(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}"))) >= CHILD_FROM_ROWS


def _read_adbc(
    store: Store, sql: str, schema: pa.Schema, version_keys: Sequence[str]
) -> tuple[pa.Table, dict[str, str]]:
    with ArrowRows(store, sql, version_keys) as rows:
        table = rows.read_all()
        return table.replace_schema_metadata(None).cast(schema), rows.tokens


def _read_sqlite3(
    store: Store, sql: str, schema: pa.Schema, version_keys: Sequence[str]
) -> tuple[pa.Table, dict[str, str]]:
    import pyarrow as pa

    with store.snapshot():
        tokens = {key: meta.token(store, key) for key in version_keys}
        rows = store.rows(sql)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema), tokens


def batches(store: Store, table: str, columns: Sequence[str], size: int = 65_536) -> Iterator[pa.RecordBatch]:
    """Every row of ``table`` (the given columns, rowid order) as Arrow batches of ``size`` rows:
    memory stays flat in the size of the table."""
    import pyarrow as pa

    expressions, numeric = _typed(store, table, columns)
    schema = pa.schema([(c, pa.float64() if numeric[c] else pa.large_string()) for c in columns])
    select = f"SELECT rowid, {', '.join(expressions)} FROM {table}"
    after = 0
    # Inside a transaction that may have written, only this connection sees those writes; and a
    # small table is read here sooner than a child process starts.
    if not store.conn.in_transaction and worth_a_child(store, table):
        try:
            with ArrowRows(store, f"{select} ORDER BY rowid", batch_rows=size) as stream:
                for batch in stream:
                    if batch.num_rows:
                        after = int(batch.column(0)[-1].as_py())
                        yield _cast(batch, schema)
            return
        except Exception as exc:  # a type the fast reader guessed wrong: the rest the exact way
            log.info("reading %s after rowid %d through sqlite3: %s", table, after, exc)
    # A page at a time by rowid, the store's lock taken per page: a consumer on another thread
    # (the export reads ahead) must never wait on a lock this generator holds between pages.
    while True:
        rows = store.rows(f"{select} WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, size))
        if not rows:
            return
        after = int(rows[-1][0])
        values = list(zip(*rows, strict=True))[1:]
        yield pa.RecordBatch.from_arrays(
            [pa.array(v, type=f.type) for v, f in zip(values, schema, strict=True)], schema=schema
        )


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A batch read by ADBC (rowid first) in the columns and types of ``schema``."""
    import pyarrow as pa

    return pa.RecordBatch.from_arrays(
        [batch.column(i + 1).cast(field.type) for i, field in enumerate(schema)], schema=schema
    )


# ---------------------------------------------------------------------------------- the copy


def load_copy(store: Store, name: str, version_key: str, table: str) -> pa.Table | None:
    """The copy ``name`` if it is current (its token is the store's and it has as many rows as
    ``table``), memory-mapped; None if it is missing, stale or unreadable."""
    import pyarrow as pa

    path = copy_path(store, name)
    try:
        source = pa.memory_map(str(path), "r")
        data = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return None
    stamp = data.schema.metadata or {}
    token = meta.token(store, version_key)
    if not token or stamp.get(_TOKEN, b"").decode() != token:
        return None
    rows = int(str(store.scalar(f"SELECT COUNT(*) FROM {table}")))
    if stamp.get(_ROWS, b"").decode() != str(rows) or data.num_rows != rows:
        return None  # written behind tierbot's back (another SQLite tool): never trusted
    return data


def save_copy(store: Store, name: str, data: pa.Table, token: str) -> None:
    """Keep ``data`` (read at ``token``) as the copy ``name``; quietly nothing if the folder is
    not writable (the copy only saves time)."""
    import pyarrow as pa

    if not token:
        return
    path = copy_path(store, name)
    stamped = data.replace_schema_metadata(
        {**(data.schema.metadata or {}), _TOKEN: token.encode(), _ROWS: str(data.num_rows).encode()}
    )
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return
    try:
        # Readable by whoever may read the store, no one else (mkstemp makes it private).
        os.chmod(temporary, stat.S_IMODE(os.stat(store.path).st_mode))
        with os.fdopen(handle, "wb") as out, pa.ipc.new_file(out, stamped.schema) as writer:
            writer.write_table(stamped)
        # Readers that mapped the old file keep reading it; new readers get the whole new one.
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
