"""The peers ``bench_commands`` runs against tierbot's commands, each a whole process of its own.

    python -m bench.command_peers polars-apply DB           per-tier counts of the demo's active rule set
    python -m bench.command_peers polars-simulate DB        the movers matrix from fy27-tiers to fy26-tiers
    python -m bench.command_peers duckdb-import CSV OUT     the CRM export into a DuckDB table
    python -m bench.command_peers pandas-import CSV OUT SQL the CRM export, validated, into SQLite
    python -m bench.command_peers select-one DB CRM_ID      one account's row (when there is no sqlite3 CLI)
    python -m bench.command_peers dump-csv DB               every account as CSV (when there is no sqlite3 CLI)

Each is what a data person would write by hand for the demo workspace, not a second tierbot: the
rules below are the demo's rule sets (workflows/demo.py) written as polars expressions, and the
benchmark checks every answer against tierbot's before it trusts a figure. Heavy libraries are
imported inside the function that uses them, so each peer pays only for its own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from bench.common import CRM_HEADERS

# The columns the demo's rules read (and ARR, which the movers matrix sums).
BOOK_QUERY = "SELECT crm_id, arr, potential_arr, setting, strategic FROM accounts"
REQUIRED = ("crm_id", "name", "arr")
NUMBERS = ("arr", "employees", "potential_arr")
WHOLE_NUMBERS = ("employees",)
DATES = ("renewal_date",)
FLAGS = ("strategic",)
FLAG_WORDS = {"true": 1, "false": 0, "yes": 1, "no": 0, "1": 1, "0": 0}


def read_book(db: str) -> Any:
    """The accounts the rules read, from the SQLite file into polars through ADBC (Arrow, in C)."""
    import adbc_driver_sqlite.dbapi
    import polars as pl

    with adbc_driver_sqlite.dbapi.connect(db) as conn:
        return pl.read_database(BOOK_QUERY, conn)


def fy27_tier() -> Any:
    """fy27-tiers: strategic by hand; expected ARR ≥ 150k; hospitals and health systems from 75k; 25k."""
    import polars as pl

    expected_arr = pl.coalesce("potential_arr", "arr")
    care_setting = pl.col("setting").str.to_lowercase()
    return (
        pl.when(pl.col("strategic") == 1)
        .then(pl.lit("Strategic"))
        .when(expected_arr >= 150_000)
        .then(pl.lit("Enterprise"))
        .when(care_setting.is_in(["hospital", "health system"]) & (pl.col("arr") >= 75_000))
        .then(pl.lit("Enterprise"))
        .when(pl.col("arr") >= 25_000)
        .then(pl.lit("Mid-Market"))
        .otherwise(pl.lit("SMB"))
    )


def fy26_tier() -> Any:
    """fy26-tiers: strategic by hand; ARR ≥ 100k; ARR ≥ 20k; everyone else."""
    import polars as pl

    return (
        pl.when(pl.col("strategic") == 1)
        .then(pl.lit("Strategic"))
        .when(pl.col("arr") >= 100_000)
        .then(pl.lit("Enterprise"))
        .when(pl.col("arr") >= 20_000)
        .then(pl.lit("Mid-Market"))
        .otherwise(pl.lit("SMB"))
    )


def polars_apply(db: str) -> dict[str, Any]:
    """Tier the book under the active rule set: accounts per tier."""
    counts = read_book(db).group_by(fy27_tier().alias("tier")).len()
    return {"tiers": {tier: n for tier, n in counts.iter_rows()}}


def polars_simulate(db: str) -> dict[str, Any]:
    """Both rule sets over the book: accounts and ARR from each active tier to each draft tier."""
    import polars as pl

    movers = (
        read_book(db)
        .group_by(fy27_tier().alias("from"), fy26_tier().alias("to"))
        .agg(pl.len().alias("accounts"), pl.col("arr").sum())
    )
    return {"movers": [list(row) for row in movers.iter_rows()]}


def duckdb_import(csv_path: str, out: str) -> dict[str, Any]:
    """The file into a DuckDB table, types sniffed by DuckDB (its only null is an empty cell)."""
    import duckdb

    with duckdb.connect(out) as conn:
        conn.execute("CREATE TABLE accounts AS SELECT * FROM read_csv(?)", [csv_path])
        rows = conn.execute("SELECT count(*) FROM accounts").fetchone()
    return {"rows": rows[0] if rows else 0}


class Invalid(Exception):
    """The file breaks a check tierbot makes too."""


def _validated(csv_path: str) -> Any:
    """The file as a frame of tierbot's fields, checked as tierbot checks them."""
    import pandas as pd

    # keep_default_na=False: a region written NA is North America, not a missing value.
    frame = pd.read_csv(csv_path, engine="pyarrow", keep_default_na=False, na_values=[""])
    frame = frame.rename(columns={header: field for field, header in CRM_HEADERS.items()})
    missing = [field for field in REQUIRED if field not in frame]
    if missing:
        raise Invalid(f"missing columns: {', '.join(missing)}")
    ids = frame["crm_id"].astype("string").str.strip()
    if (ids.isna() | (ids == "")).any():
        raise Invalid(f"{int((ids.isna() | (ids == '')).sum())} rows without an account id")
    if ids.duplicated().any():
        raise Invalid(f"duplicate account ids, e.g. {ids[ids.duplicated()].iloc[0]}")
    frame["crm_id"] = ids
    for field in NUMBERS:
        if field not in frame:
            continue
        values = pd.to_numeric(frame[field], errors="coerce")
        bad = (frame[field].notna() & values.isna()) | (values < 0)
        if field in REQUIRED:
            bad |= values.isna()
        if field in WHOLE_NUMBERS:
            bad |= values.notna() & (values != values.round())
        if bad.any():
            raise Invalid(f"{field}: {int(bad.sum())} cells are not numbers ≥ 0")
        frame[field] = values.astype("Int64") if field in WHOLE_NUMBERS else values
    for field in DATES:
        if field not in frame:
            continue
        days = pd.to_datetime(frame[field], errors="coerce", format="ISO8601")
        if (frame[field].notna() & days.isna()).any():
            raise Invalid(f"{field}: cells that are not dates")
        frame[field] = days.dt.strftime("%Y-%m-%d")
    for field in FLAGS:
        if field not in frame or frame[field].dtype == bool:  # pyarrow read TRUE/FALSE as booleans
            continue
        flags = frame[field].astype("string").str.strip().str.lower().map(FLAG_WORDS)
        if flags.isna().any():
            raise Invalid(f"{field}: cells that are neither true nor false")
        frame[field] = flags
    if "strategic" in frame:
        frame["strategic"] = frame["strategic"].astype(int)
    return frame


def pandas_import(csv_path: str, out: str, schema_sql: str) -> dict[str, Any]:
    """The file validated with pandas+pyarrow, then written in one transaction into tierbot's table."""
    import sqlite3

    frame = _validated(csv_path)
    columns = [c for c in frame.columns if c in CRM_HEADERS]
    cells = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in columns]
    conn = sqlite3.connect(out, isolation_level=None)
    try:
        # The pragmas tierbot's store sets, so the write costs the same.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(schema_sql)
        conn.execute("BEGIN IMMEDIATE")
        placeholders = ", ".join("?" for _ in columns)
        conn.executemany(
            f"INSERT INTO accounts ({', '.join(columns)}) VALUES ({placeholders})", zip(*cells, strict=True)
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return {"rows": len(frame)}


def select_one(db: str, crm_id: str) -> None:
    """One account's row, as ``sqlite3 DB "select …"`` prints it."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        for row in conn.execute("SELECT * FROM accounts WHERE crm_id = ?", (crm_id,)):
            print("|".join("" if v is None else str(v) for v in row))


def dump_csv(db: str) -> None:
    """Every account as CSV with a header, as ``sqlite3 -csv -header`` writes it."""
    import csv
    import sqlite3

    with sqlite3.connect(db) as conn:
        cursor = conn.execute("SELECT * FROM accounts")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([d[0] for d in cursor.description])
        writer.writerows(cursor)


def main(argv: list[str]) -> int:
    kind, *args = argv
    if kind == "select-one":
        select_one(*args)
        return 0
    if kind == "dump-csv":
        dump_csv(*args)
        return 0
    peers: dict[str, Callable[..., dict[str, Any]]] = {
        "polars-apply": polars_apply,
        "polars-simulate": polars_simulate,
        "duckdb-import": duckdb_import,
        "pandas-import": pandas_import,
    }
    try:
        result = peers[kind](*args)
    except Invalid as exc:
        print(f"{kind}: the file is invalid: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
