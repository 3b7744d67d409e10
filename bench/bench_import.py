"""Import a million-row CRM export with full validation, against pandas.read_csv + to_sql.

The peer reads the same file with pandas and writes it with ``DataFrame.to_sql`` into a fresh
SQLite file: no header mapping, no value normalisation, no validation, no primary key, no name
index. It must store the same data as tierbot: the same rows, the same accounts in region ``NA``
(pandas reads ``NA`` as missing unless told not to) and the same total ARR, or the run fails.
tierbot's target is at most twice the peer's time. Medians of ``--repeat`` runs, the two
alternating so machine noise hits both.

Memory: the peak resident memory of one import, of a re-import of the same file into the store
it just filled, and of the peer, each in a fresh process (so one's peak cannot hide another's),
printed in MB with their ratios. Targets: a re-import costs no more than an import, and a
million rows fit in about 1 GB.

    python -m bench.bench_import [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import pandas as pd

from bench.common import CRM_HEADERS, PeerDisagrees, median_of, report, timed
from engine.demo import demo_workspace
from store import open_store
from workflows.clock import SystemClock
from workflows.importing import import_table

# A million rows should fit in about this much (the figure, with a little room).
MEMORY_TARGET_MB_PER_MILLION = 1100.0


def write_crm_export(rows: int, folder: Path) -> Path:
    """A Salesforce-style account export of the demo base."""
    accounts = demo_workspace(rows).accounts
    export = accounts[list(CRM_HEADERS)].rename(columns=CRM_HEADERS)
    export["Strategic Account"] = export["Strategic Account"].map({1: "TRUE", 0: "FALSE"})
    path = folder / f"accounts-{rows}.csv"
    export.to_csv(path, index=False)
    return path


def run_peer(csv_path: Path, db_path: Path) -> None:
    # Only an empty cell is missing: pandas' default list of missing values holds "NA", which
    # would blank the region of every North American account.
    frame = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    with sqlite3.connect(db_path) as conn:
        frame.to_sql("accounts", conn, index=False)


def _facts(db_path: Path, region: str, arr: str) -> tuple[int, int, float]:
    """Rows, accounts in region NA and total ARR: what the peer must get the same as tierbot."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        rows, in_na, total = conn.execute(
            f'SELECT count(*), coalesce(sum("{region}" = \'NA\'), 0), coalesce(sum("{arr}"), 0) FROM accounts'
        ).fetchone()
    return int(rows), int(in_na), float(total)


def peer_agrees(tierbot_db: Path, peer_db: Path) -> bool:
    """Whether the peer stored the data tierbot stored; a loud line when it did not."""
    # The peer keeps the file's headers as its column names.
    ours = _facts(tierbot_db, "region", "arr")
    theirs = _facts(peer_db, CRM_HEADERS["region"], CRM_HEADERS["arr"])
    same = ours[:2] == theirs[:2] and abs(ours[2] - theirs[2]) <= 1e-9 * max(abs(ours[2]), 1.0)
    print(
        f"import: the peer stored {theirs[0]:,} rows, {theirs[1]:,} in region NA, ARR {theirs[2]:,.0f}; "
        f"tierbot {ours[0]:,}, {ours[1]:,}, {ours[2]:,.0f} → {'agree' if same else 'PEER DISAGREES'}"
    )
    return same


def run_tierbot(csv_path: Path, db_path: Path) -> None:
    with open_store(db_path) as store:
        import_table(store, csv_path, "accounts", actor="bench", clock=SystemClock())


def _measure(kind: str, csv_path: Path, db_path: Path) -> None:
    """In a child process: run one import (or the peer) and print its time and peak memory."""
    start = time.perf_counter()
    (run_peer if kind == "peer" else run_tierbot)(csv_path, db_path)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_kb() / 1024}))


def _peak_kb() -> int:
    """This process's peak resident memory, in kilobytes.

    Linux's VmHWM starts afresh at exec; ``ru_maxrss`` does not (a child forked from a large
    parent reports the parent's size), so it is only the fallback elsewhere.
    """
    with contextlib.suppress(OSError):  # not Linux: the fallback below
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


def peak_memory(kind: str, csv_path: Path, db_path: Path) -> float:
    """The peak resident memory (MB) of ``kind`` ("peer", "import", "reimport") in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_import", "--measure", kind, str(csv_path), str(db_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1])["peak_mb"])


def _remove_store(folder: Path, name: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        (folder / (name + suffix)).unlink(missing_ok=True)


def memory(csv_path: Path, folder: Path, rows: int) -> bool:
    """Peak memory of an import, a re-import and the peer, each in its own process; the ratios."""
    peer = peak_memory("peer", csv_path, folder / "peer-mem.db")
    ours = peak_memory("import", csv_path, folder / "tierbot-mem.db")
    again = peak_memory("reimport", csv_path, folder / "tierbot-mem.db")
    for name in ("peer-mem.db", "tierbot-mem.db"):
        _remove_store(folder, name)
    budget = MEMORY_TARGET_MB_PER_MILLION * max(rows, 1_000_000) / 1_000_000
    fits = ours <= budget
    no_more = again <= ours * 1.05  # resident memory varies by a few percent from run to run
    print(
        f"import {rows:,} rows, peak memory: tierbot {ours:,.0f} MB | read_csv+to_sql {peer:,.0f} MB | "
        f"ratio {ours / peer:.2f}×  target ≤ {budget:,.0f} MB → {'met' if fits else 'MISSED'}"
    )
    print(
        f"re-import of the same file, peak memory: {again:,.0f} MB against {ours:,.0f} MB for the import | "
        f"ratio {again / ours:.2f}×  target ≤ 1× → {'met' if no_more else 'MISSED'}"
    )
    return fits and no_more


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", nargs=3, metavar=("KIND", "CSV", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        kind, csv_path, db_path = args.measure
        _measure(kind, Path(csv_path), Path(db_path))
        return True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"import: writing a {args.rows:,}-row CRM export…", flush=True)
        csv_path = write_crm_export(args.rows, folder)
        ours: list[float] = []
        peer: list[float] = []
        for _ in range(args.repeat):
            for name in ("peer.db", "tierbot.db"):
                _remove_store(folder, name)
            peer.append(timed(partial(run_peer, csv_path, folder / "peer.db")))
            ours.append(timed(partial(run_tierbot, csv_path, folder / "tierbot.db")))
        agrees = peer_agrees(folder / "tierbot.db", folder / "peer.db")
        for name in ("peer.db", "tierbot.db"):
            _remove_store(folder, name)
        fast = report(
            f"import {args.rows:,} CSV rows (median of {args.repeat})",
            median_of(ours),
            median_of(peer),
            "read_csv+to_sql",
            "s",
            target=2.0,
        )
        small = memory(csv_path, folder, args.rows)
    if not agrees:
        raise PeerDisagrees("import: read_csv+to_sql stored other data than tierbot; its time compares nothing")
    return fast and small


if __name__ == "__main__":
    main()
