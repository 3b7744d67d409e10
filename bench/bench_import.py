"""Import a million-row CRM export with full validation, against pandas.read_csv + to_sql.

The peer reads the same file with pandas and writes it with ``DataFrame.to_sql`` into a fresh
SQLite file: no header mapping, no value normalisation, no validation, no primary key, no name
index. tierbot's target is at most twice the peer's time. Medians of ``--repeat`` runs, the two
alternating so machine noise hits both.

    python -m bench.bench_import [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from functools import partial
from pathlib import Path

import pandas as pd

from bench.common import median_of, report, timed
from engine.demo import demo_workspace
from store import open_store
from workflows.clock import SystemClock
from workflows.importing import import_table

CRM_HEADERS = {
    "crm_id": "Account ID",
    "name": "Account Name",
    "arr": "ARR (USD)",
    "plan": "Plan",
    "industry": "Industry",
    "setting": "Care Setting",
    "employees": "Number of Employees",
    "region": "Region",
    "country": "Billing Country",
    "use_case": "Primary Use Case",
    "owner": "Account Owner",
    "health": "Health Status",
    "renewal_date": "Renewal Date",
    "potential_arr": "Potential ARR",
    "strategic": "Strategic Account",
}


def write_crm_export(rows: int, folder: Path) -> Path:
    """A Salesforce-style account export of the demo base."""
    accounts = demo_workspace(rows).accounts
    export = accounts[list(CRM_HEADERS)].rename(columns=CRM_HEADERS)
    export["Strategic Account"] = export["Strategic Account"].map({1: "TRUE", 0: "FALSE"})
    path = folder / f"accounts-{rows}.csv"
    export.to_csv(path, index=False)
    return path


def run_peer(csv_path: Path, db_path: Path) -> None:
    frame = pd.read_csv(csv_path)
    with sqlite3.connect(db_path) as conn:
        frame.to_sql("accounts", conn, index=False)


def run_tierbot(csv_path: Path, db_path: Path) -> None:
    with open_store(db_path) as store:
        import_table(store, csv_path, "accounts", actor="bench", clock=SystemClock())


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"import: writing a {args.rows:,}-row CRM export…", flush=True)
        csv_path = write_crm_export(args.rows, folder)
        ours: list[float] = []
        peer: list[float] = []
        for i in range(args.repeat):
            peer.append(timed(partial(run_peer, csv_path, folder / f"peer-{i}.db")))
            ours.append(timed(partial(run_tierbot, csv_path, folder / f"tierbot-{i}.db")))
            for name in (f"peer-{i}.db", f"tierbot-{i}.db"):
                for suffix in ("", "-wal", "-shm"):
                    (folder / (name + suffix)).unlink(missing_ok=True)
        return report(
            f"import {args.rows:,} CSV rows (median of {args.repeat})",
            median_of(ours),
            median_of(peer),
            "read_csv+to_sql",
            "s",
            target=2.0,
        )


if __name__ == "__main__":
    main()
