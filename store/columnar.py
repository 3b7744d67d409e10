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
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from store import meta
from store.db import Store

if TYPE_CHECKING:  # Arrow loads with the first whole-table read, not with the store
    import pyarrow as pa

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
    if store.conn.in_transaction:
        # Inside a transaction that may have written: only this connection sees those writes.
        return _read_sqlite3(store, sql, schema, version_keys)
    try:
        return _read_adbc(store, sql, schema, version_keys)
    except Exception:  # any failure of the fast reader falls back to the exact one
        # Arrow's driver infers a column's type from its first rows and stops at a row that
        # disagrees (a column blank for the first thousand rows, then numbers): read it the slow
        # way, which never guesses.
        return _read_sqlite3(store, sql, schema, version_keys)


def _uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


class ArrowSession:
    """A read-only connection of Arrow's SQLite driver to the store, in one read transaction:
    every query through it sees the same snapshot. The driver's low-level API is used, not its
    DB-API module, which loads pandas, pyarrow.dataset and polars (when installed) at import."""

    def __init__(self, store: Store):
        import adbc_driver_manager
        import adbc_driver_sqlite

        self._database = adbc_driver_sqlite.connect(_uri(store.path))
        self._connection = adbc_driver_manager.AdbcConnection(self._database)
        self._connection.set_options(**{"adbc.connection.autocommit": "false"})
        self._statements: list[Any] = []
        self._readers: list[pa.RecordBatchReader] = []

    def stream(self, sql: str, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        """The rows of ``sql`` as Arrow batches of ``batch_rows`` (the driver guesses each
        column's type from the first batch and fails on a later row that disagrees)."""
        import adbc_driver_manager
        import pyarrow as pa

        statement = adbc_driver_manager.AdbcStatement(self._connection)
        statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        statement.set_sql_query(sql)
        self._statements.append(statement)
        handle, _ = statement.execute_query()
        reader = pa.RecordBatchReader._import_from_c(handle.address)
        self._readers.append(reader)
        return reader

    def token(self, key: str) -> str:
        """The token of version counter ``key`` in this session's snapshot."""
        found = self.stream(f"SELECT value FROM meta WHERE key = {sql_literal(meta.token_key(key))}").read_all()
        values = found.column(0).to_pylist() if found.num_columns else []
        return str(values[0]) if values and values[0] is not None else ""

    def close(self) -> None:
        # Innermost first: a stream released after its statement or connection is gone would
        # touch freed memory in the driver.
        for reader in self._readers:
            reader.close()
        for statement in self._statements:
            statement.close()
        self._connection.rollback()
        self._connection.close()
        self._database.close()

    def __enter__(self) -> ArrowSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sql_literal(text: str) -> str:
    """A SQL text literal (for tierbot's own values: keys, ISO dates)."""
    return "'" + text.replace("'", "''") + "'"


def _read_adbc(
    store: Store, sql: str, schema: pa.Schema, version_keys: Sequence[str]
) -> tuple[pa.Table, dict[str, str]]:
    with ArrowSession(store) as session:
        tokens = {key: session.token(key) for key in version_keys}
        table = session.stream(sql).read_all()
    return table.cast(schema), tokens


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
    try:
        if store.conn.in_transaction:
            raise _OwnWrites  # only this connection sees the transaction's writes
        with ArrowSession(store) as session:
            for batch in session.stream(f"{select} ORDER BY rowid", size):
                if batch.num_rows:
                    after = int(batch.column(0)[-1].as_py())
                    yield _cast(batch, schema)
        return
    except Exception:  # a type the fast reader guessed wrong: go on the exact way
        pass
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


class _OwnWrites(Exception):
    pass


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


def drop_copy(store: Store, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        copy_path(store, name).unlink()
