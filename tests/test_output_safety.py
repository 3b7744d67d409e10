"""No command writes over the store it is using, or over any SQLite database, without --force."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from engine.csv_safety import neutralise_array, neutralise_cell
from store import open_store

from .test_cli import tierbot

ACCOUNT = "ACC-0000002"  # Acme Health Partners: every handoff guardrail passes for Sam Patel


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo store with a draft rule set and an approved handoff, copied for each test."""
    folder = tmp_path_factory.mktemp("outputs")
    db = folder / "seed.db"
    assert tierbot("--db", str(db), "demo").exit_code == 0
    assert tierbot("--db", str(db), "rules", "propose", "--by", "arr-share", "--bands", "15,40").exit_code == 0
    proposed = ["handoff", "propose", ACCOUNT, "--to", "sam-patel", "--reason", "capacity"]
    assert tierbot("--db", str(db), *proposed).exit_code == 0
    assert tierbot("--db", str(db), "handoff", "approve", "1", "--as", "marcus-chen").exit_code == 0
    with open_store(db) as store:
        store.copy_to(folder / "seed-copy.db")
    return folder / "seed-copy.db"


@pytest.fixture
def db(demo_copy: Path, tmp_path: Path) -> str:
    path = tmp_path / "store.db"
    path.write_bytes(demo_copy.read_bytes())
    return str(path)


def moves_file(db: str, folder: Path) -> Path:
    with open_store(db) as store:
        account = store.rows("SELECT crm_id FROM accounts WHERE owner = 'jordan-blake' AND strategic = 0 LIMIT 1")
    path = folder / "moves.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([["Account", "New CSM", "Reason"], [account[0][0], "Sam Patel", "capacity"]])
    return path


def writers(db: str, target: str, folder: Path) -> dict[str, list[str]]:
    """Every command that writes a file, aimed at ``target``."""
    bad_import = folder / "bad.csv"
    bad_import.write_text("Account ID,Account Name,ARR\nx1,Xeno,not money\n")
    return {
        "export accounts": ["export", "accounts", target],
        "rules export": ["rules", "export", "fy27-tiers", target],
        "rules simulate --movers-file": ["rules", "simulate", "proposed-arr-share-15-40", "--movers-file", target],
        "import --errors-file": ["import", "accounts", str(bad_import), "--errors-file", target],
        "handoff plan --worksheet": ["handoff", "plan", str(moves_file(db, folder)), "--worksheet", target],
        "handoff plans --worksheet": ["handoff", "plans", "1", "--worksheet", target],
        "draft --eml": ["draft", "1", "--approve", "--as", "sam-patel", "--eml", target],
    }


def intact(db: str) -> int:
    with open_store(db, create=False) as store:
        assert store.integrity_check() == "ok"
        return int(str(store.scalar("SELECT COUNT(*) FROM accounts")))


WRITERS = [
    "export accounts",
    "rules export",
    "rules simulate --movers-file",
    "import --errors-file",
    "handoff plan --worksheet",
    "handoff plans --worksheet",
    "draft --eml",
]


@pytest.mark.parametrize("command", WRITERS)
def test_no_command_writes_over_the_store_it_uses(command: str, db: str, tmp_path: Path) -> None:
    if command == "handoff plans --worksheet":
        assert (
            tierbot("--db", db, *writers(db, str(tmp_path / "w.csv"), tmp_path)["handoff plan --worksheet"]).exit_code
            == 0
        )
    args = writers(db, db, tmp_path)[command]
    result = tierbot("--db", db, *args)
    assert result.exit_code == 1, result.output
    assert "is the tierbot store in use" in result.stderr and "--force" in result.stderr
    assert intact(db) == 1000


@pytest.mark.parametrize("command", WRITERS)
def test_no_command_writes_over_another_sqlite_database_without_force(command: str, db: str, tmp_path: Path) -> None:
    other = tmp_path / "backup.csv"  # named like an output, but its bytes say SQLite
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE kept(x)")
        conn.execute("INSERT INTO kept VALUES (1)")
    conn.close()
    if command == "handoff plans --worksheet":
        assert (
            tierbot("--db", db, *writers(db, str(tmp_path / "w.csv"), tmp_path)["handoff plan --worksheet"]).exit_code
            == 0
        )
    args = writers(db, str(other), tmp_path)[command]
    refused = tierbot("--db", db, *args)
    assert refused.exit_code == 1
    assert f"{other} is a SQLite database" in refused.stderr and "--force" in refused.stderr
    assert other.read_bytes().startswith(b"SQLite format 3\x00")
    forced = tierbot("--db", db, *args, "--force")
    assert forced.exit_code in (0, 1)  # the bad import still fails, after writing its errors file
    assert not other.read_bytes().startswith(b"SQLite format 3\x00")
    assert intact(db) == 1000


def test_nothing_is_done_before_the_refusal(db: str, tmp_path: Path) -> None:
    """The plan is not made and the note not approved when their file would be refused."""
    plan = writers(db, db, tmp_path)["handoff plan --worksheet"]
    assert tierbot("--db", db, *plan).exit_code == 1
    with open_store(db) as store:
        assert store.scalar("SELECT COUNT(*) FROM handoff_plans") == 0
    assert tierbot("--db", db, "draft", "1", "--approve", "--as", "sam-patel", "--eml", db).exit_code == 1
    assert '"state": "draft"' in tierbot("--db", db, "draft", "1", "--json").stdout


def test_the_stores_journal_files_are_the_store_too(db: str, tmp_path: Path) -> None:
    refused = tierbot("--db", db, "export", "accounts", db + "-wal.csv")
    assert refused.exit_code == 0  # a different file beside it is fine
    for journal in ("-wal", "-shm"):
        refused = tierbot("--db", db, "rules", "export", "fy27-tiers", db + journal)
        assert refused.exit_code == 1 and "is the tierbot store in use" in refused.stderr
    assert intact(db) == 1000


def test_a_symlink_to_the_store_is_the_store(db: str, tmp_path: Path) -> None:
    link = tmp_path / "looks-harmless.csv"
    link.symlink_to(db)
    refused = tierbot("--db", db, "export", "accounts", str(link))
    assert refused.exit_code == 1 and "is the tierbot store in use" in refused.stderr
    assert intact(db) == 1000


@pytest.mark.parametrize("cell", ["-51", "-1,200.50", "-0.5"])
def test_a_negative_number_stays_a_number_a_spreadsheet_can_read(cell: str) -> None:
    assert neutralise_cell(cell) == cell
    assert neutralise_array(pa.array([cell])).to_pylist() == [cell]


@pytest.mark.parametrize("cell", ["-1+2", "-2+3+cmd|' /C calc'!A0", "-", "--5", "-8e3", "- 5", "-A1"])
def test_anything_more_than_a_negative_number_is_still_guarded(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell
    assert neutralise_array(pa.array([cell])).to_pylist() == ["'" + cell]
