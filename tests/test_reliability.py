"""Reliability: a killed import leaves the store as it was; concurrent writers lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.bench_import import write_crm_export
from store import audit, open_store, records
from workflows.clock import FixedClock
from workflows.demo import load_demo

ROOT = Path(__file__).resolve().parent.parent


def state(db: Path) -> tuple[int, str, int, int, float]:
    with open_store(db) as store:
        store.conn.execute("INSERT INTO accounts_fts(accounts_fts) VALUES ('integrity-check')")
        return (
            records.count(store, "accounts"),
            store.integrity_check(),
            len(audit.recent(store, 1_000_000)),
            records.count(store, "imports"),
            float(str(store.scalar("SELECT SUM(arr) FROM accounts"))),
        )


@pytest.mark.slow
def test_sigkill_mid_import_leaves_the_store_as_it_was(tmp_path: Path, clock: FixedClock) -> None:
    db = tmp_path / "kill.db"
    with open_store(db) as store:
        load_demo(store, actor="t", clock=clock)
    before = state(db)
    assert before[1] == "ok"
    export = write_crm_export(150_000, tmp_path)  # three chunks: time to kill it between the first and the last
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "--db",
            str(db),
            "import",
            "accounts",
            str(export),
            "--errors-file",
            str(tmp_path / "e.csv"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("Writing"):
            break
    else:
        pytest.fail(f"the import never started writing: {process.communicate()}")
    wal = Path(f"{db}-wal")
    start_size = wal.stat().st_size if wal.exists() else 0
    deadline = time.monotonic() + 0.5
    # Kill once the transaction has spilled pages into the WAL (or shortly after it began).
    while time.monotonic() < deadline and (wal.stat().st_size if wal.exists() else 0) < start_size + 1_000_000:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert "Imported" not in stdout, "the import finished before it could be killed"
    assert state(db) == before


WORKER = """
import sys
from store import open_store
db, worker, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_store(db) as store:
    for _ in range(rounds):
        with store.transaction():
            arr = store.scalar("SELECT arr FROM accounts WHERE crm_id = 'ACC-0000001'")
            store.conn.execute("UPDATE accounts SET arr = ? WHERE crm_id = 'ACC-0000001'", (arr + 1,))
            store.conn.execute(
                "INSERT INTO audit_log(at, actor, action, entity) VALUES ('t', ?, 'bump', 'account:ACC-0000001')",
                (worker,),
            )
"""


@pytest.mark.slow
def test_sixteen_concurrent_writers_lose_no_write(tmp_path: Path, clock: FixedClock) -> None:
    db = tmp_path / "busy.db"
    with open_store(db) as store:
        load_demo(store, actor="t", clock=clock)
        start = float(str(store.scalar("SELECT arr FROM accounts WHERE crm_id = 'ACC-0000001'")))
    writers, rounds = 16, 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db), f"w{i}", str(rounds)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(writers)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * writers, errors
    with open_store(db) as store:
        end = float(str(store.scalar("SELECT arr FROM accounts WHERE crm_id = 'ACC-0000001'")))
        bumps = store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'bump'")
    assert end - start == writers * rounds
    assert bumps == writers * rounds


@pytest.mark.slow
def test_sixteen_concurrent_imports_all_land(tmp_path: Path) -> None:
    db = tmp_path / "imports.db"
    files = []
    for i in range(16):
        path = tmp_path / f"part-{i}.csv"
        rows = "\n".join(f"P{i}-{j},Clinic {i}-{j},{1000 + j}" for j in range(20))
        # Every file also carries one shared account, so the imports race on it.
        path.write_text(f"Account ID,Account Name,ARR\nSHARED,Shared Clinic,{5000 + i}\n{rows}\n")
        files.append(path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "--db", str(db), "import", "accounts", str(f)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outcomes = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 16, outcomes
    with open_store(db) as store:
        assert records.count(store, "accounts") == 16 * 20 + 1
        assert records.count(store, "imports") == 16
        shared_arr = store.scalar("SELECT arr FROM accounts WHERE crm_id = 'SHARED'")
        assert shared_arr in {5000.0 + i for i in range(16)}
        assert store.integrity_check() == "ok"
