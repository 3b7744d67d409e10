"""The store: migrations, WAL, transactions that land whole or not at all, the name index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from engine.errors import StoreError
from store import Store, audit, meta, open_store, records
from store.audit import AuditEntry


def test_a_new_store_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with open_store(path) as store:
        assert store.scalar("PRAGMA journal_mode") == "wal"
        tables = set(store.db.table_names())
        assert {"accounts", "csms", "imports", "audit_log", "meta", "accounts_fts"} <= tables
    # Opening again applies nothing twice.
    with open_store(path) as store:
        applied = store.query("SELECT name FROM _sqlite_migrations")
        assert [r["name"] for r in applied] == [
            "m001_foundation",
            "m002_tiering",
            "m003_account_provenance",
            "m004_slack",
            "m005_handoff_records",
            "m006_customer_notes",
            "m007_transition_plans",
            "m008_account_name_keys",
            "m009_note_records",
            "m010_values_as_written",
            "m011_outbox",
            "m012_book_copies",
        ]


def test_a_file_that_is_not_sqlite_is_refused_clearly(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database" * 100)
    with pytest.raises(StoreError, match="is not a tierbot store"):
        open_store(bogus)


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    frame = pd.DataFrame({"crm_id": ["A"], "name": ["Acme"], "arr": [10.0]})
    with pytest.raises(RuntimeError), store.transaction():
        records.insert(store, "accounts", frame, "2026-01-01T00:00:00Z")
        raise RuntimeError("crash half-way")
    assert records.count(store, "accounts") == 0
    assert meta.version(store, "accounts_version") == 0


def test_writes_outside_a_transaction_are_refused(store: Store) -> None:
    with pytest.raises(RuntimeError, match=r"inside Store\.transaction"):
        audit.record(store, [AuditEntry("t", "a", "x", "y")])


def test_the_schema_rejects_negative_arr_even_from_other_tools(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.conn.execute("INSERT INTO accounts(crm_id, name, arr) VALUES ('A', 'Acme', -1)")


def test_name_index_follows_inserts_updates_and_wipes(store: Store) -> None:
    at = "2026-01-01T00:00:00Z"
    with store.transaction():
        records.insert(
            store,
            "accounts",
            pd.DataFrame({"crm_id": ["A", "B"], "name": ["Acme Corp", "Initech"], "arr": [1.0, 2.0]}),
            at,
        )
        records.update(store, "accounts", pd.DataFrame({"crm_id": ["B"], "name": ["Initrode"]}), "crm_id", at)
    hits = store.query("SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH 'initrode'")
    assert len(hits) == 1
    assert store.query("SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH 'initech'") == []
    store.conn.execute("INSERT INTO accounts_fts(accounts_fts) VALUES ('integrity-check')")
    with store.transaction():
        assert records.delete_all(store, "accounts") == 2
    assert store.query("SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH 'acme'") == []
    store.conn.execute("INSERT INTO accounts_fts(accounts_fts) VALUES ('integrity-check')")
    # The delete trigger is back after the bulk wipe.
    assert store.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'accounts_fts_delete'") == 1


def test_the_view_other_tools_read_and_the_app_s_dated_view_agree(tmp_path: Path) -> None:
    """The stored ``account_tiers`` view reads date('now'); each tierbot connection reads its own
    clock's day through a TEMP view of the same name, built from the same SQL."""
    from store.migrations import ACCOUNT_TIERS_ON

    def squeeze(sql: str) -> str:
        return " ".join(sql.replace("(", " ( ").replace(")", " ) ").split())

    path = tmp_path / "dated.db"
    with open_store(path, today=lambda: "2020-07-01") as store:
        stored = store.scalar("SELECT sql FROM sqlite_master WHERE name = 'account_tiers'")
        assert squeeze(str(stored)).endswith(squeeze(ACCOUNT_TIERS_ON.format(today="date('now')")))
        with store.transaction():
            store.execute("INSERT INTO accounts(crm_id, name, arr) VALUES ('A-1', 'Acme', 10)")
            store.execute(
                "INSERT INTO tier_overrides(crm_id, tier, reason, until, at, actor) "
                "VALUES ('A-1', 'Gold', 'asked', '2020-06-30', '2020-01-01T00:00:00Z', 't')"
            )
        assert store.scalar("SELECT tier FROM account_tiers") is None  # the override ended yesterday
    with open_store(path, today=lambda: "2020-06-30") as store:
        assert store.scalar("SELECT tier FROM account_tiers") == "Gold"  # its last day
    plain = sqlite3.connect(path)  # another SQLite tool: the stored view, the real date (after 2020)
    try:
        assert plain.execute("SELECT tier FROM account_tiers").fetchone() == (None,)
    finally:
        plain.close()
