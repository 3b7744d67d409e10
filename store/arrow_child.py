"""Run by ``store.columnar`` as a child process: read one query with Arrow's SQLite driver (ADBC)
and stream the rows to standard output as Arrow IPC.

Why a process of its own: ADBC carries its own copy of SQLite, and two copies of SQLite in one
process must never open the same WAL database (SQLite's "how to corrupt" §2.2). Each believes
the process's file locks are its own: one closing its file drops the other's locks, and one
opening first truncates the shared-memory index the other has mapped, which kills the process
with a bus error. This script imports nothing of tierbot and opens the store read-only.

    python arrow_child.py STORE BATCH_ROWS '["accounts_version", ...]'  < query.sql

The stream's schema metadata carries ``tierbot.tokens``: the tokens of the named version
counters, read in the same read transaction as the rows. On any failure the script writes the
reason to standard error and exits 1 without ending the stream, so a reader never mistakes a
cut-off stream for a whole one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import quote


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main(argv: list[str]) -> None:
    import adbc_driver_manager
    import adbc_driver_sqlite
    import pyarrow as pa

    path, batch_rows, keys = argv[0], argv[1], json.loads(argv[2])
    sql = sys.stdin.read()
    database = adbc_driver_sqlite.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro")
    connection = adbc_driver_manager.AdbcConnection(database)
    # Not autocommit: the tokens and the rows come from one read transaction, one snapshot.
    connection.set_options(**{"adbc.connection.autocommit": "false"})

    def query(text: str) -> pa.RecordBatchReader:
        statement = adbc_driver_manager.AdbcStatement(connection)
        statement.set_options(**{"adbc.sqlite.query.batch_rows": batch_rows})
        statement.set_sql_query(text)
        handle, _ = statement.execute_query()
        return pa.RecordBatchReader._import_from_c(handle.address)

    tokens = {}
    for key in keys:
        found = query(f"SELECT value FROM meta WHERE key = {_literal(key + ':token')}").read_all()
        values = found.column(0).to_pylist() if found.num_columns and found.num_rows else []
        tokens[key] = str(values[0]) if values and values[0] is not None else ""
    rows = query(sql)
    schema = rows.schema.with_metadata({b"tierbot.tokens": json.dumps(tokens).encode()})
    out = sys.stdout.buffer
    writer = pa.ipc.new_stream(out, schema)
    for batch in rows:
        writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
    writer.close()
    out.flush()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except BaseException as exc:  # the parent reads the reason and reads the store another way
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.stderr.flush()
        os._exit(1)  # no clean end of the stream: what was sent is known to be incomplete
