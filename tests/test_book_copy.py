"""The columnar copy of the book beside the store, the stored ARR ranks, and `tiers apply`
writing only what changed: fast paths that must never answer from stale data."""

from __future__ import annotations

import math
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from engine.decisions import leaf_traces
from engine.tiering import prepare_book
from store import Store, columnar, meta, open_store, records
from store import accounts as account_queries
from store import ranks as stored_ranks
from workflows.books import COPY, BookCache, book_table
from workflows.clock import FixedClock
from workflows.importing import import_table
from workflows.rules import activate_rule_set, load_rule_set
from workflows.tiers import TierExplanation, account_as_rules_read_it, apply_tiers, explain_tier, tier_summary

DAY = date(2026, 11, 22)

# A rule set reading the ARR ranks: while one is stored, the ranks are kept in the store.
BY_RANK = """
name: by-rank
tiers: [Top, Rest]
rules:
  - tier: Top
    when: {arr_share_rank: {"<=": 0.5}}
  - tier: Rest
    default: true
"""


@pytest.fixture
def ranked_store(demo_store: Store, clock: FixedClock, tmp_path: Path) -> Store:
    """The demo store with a rule set reading ARR ranks loaded and active."""
    path = tmp_path / "by-rank.yml"
    path.write_text(BY_RANK)
    load_rule_set(demo_store, path, actor="t", clock=clock)
    activate_rule_set(demo_store, "by-rank", actor="t", clock=clock)
    return demo_store


def _tier_counts(store: Store, clock: FixedClock) -> dict[str, int]:
    return {row.tier: row.accounts for row in tier_summary(store, clock=clock).table}


class _RolledBack(Exception):
    """Raised inside a transaction to roll it back."""


def _raise(*_: object, **__: object) -> None:
    raise AssertionError("read from the store although the copy is current")


def test_whole_book_answers_come_from_the_copy_once_it_is_written(
    demo_store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _tier_counts(demo_store, clock)  # writes the copy if it was missing
    assert columnar.copy_path(demo_store, COPY).exists()
    monkeypatch.setattr(columnar, "read_table", _raise)
    assert _tier_counts(demo_store, clock) == expected


def test_a_copy_made_stale_by_tierbot_is_replaced(demo_store: Store, clock: FixedClock) -> None:
    book_table(demo_store)
    with demo_store.transaction():
        demo_store.execute("UPDATE accounts SET arr = 9999999 WHERE crm_id = 'ACC-0000500'")
        meta.bump(demo_store, "accounts_version")
    data, token = book_table(demo_store)
    assert token == meta.token(demo_store, "accounts_version")
    row = data.filter(data.column("crm_id").to_pandas().eq("ACC-0000500").to_numpy())
    assert row.column("arr").to_pylist() == [9999999.0]


def test_a_copy_changed_behind_tierbots_back_is_never_trusted(demo_store: Store, clock: FixedClock) -> None:
    before = _tier_counts(demo_store, clock)
    with sqlite3.connect(demo_store.path) as other_tool:  # no version bump: only the row count tells
        other_tool.execute("DELETE FROM accounts WHERE crm_id IN ('ACC-0000998', 'ACC-0000999')")
    after = _tier_counts(demo_store, clock)
    assert sum(after.values()) == sum(before.values()) - 2


def test_deleting_the_copy_loses_nothing(demo_store: Store, clock: FixedClock) -> None:
    expected = _tier_counts(demo_store, clock)
    columnar.copy_path(demo_store, COPY).unlink()
    assert not columnar.copy_path(demo_store, COPY).exists()
    assert _tier_counts(demo_store, clock) == expected
    assert columnar.copy_path(demo_store, COPY).exists()


def test_a_copy_of_another_store_is_not_used(demo_store: Store, clock: FixedClock, tmp_path: Path) -> None:
    """Same table, same row count, same version number: only the random token tells them apart."""
    other_path = tmp_path / "other" / "tierbot.db"
    other_path.parent.mkdir()
    shutil.copyfile(demo_store.path, other_path)
    with open_store(other_path) as other:
        with other.transaction():
            other.execute("UPDATE accounts SET arr = 1 WHERE crm_id = 'ACC-0000001'")
            meta.bump(other, "accounts_version")
        book_table(other)
        shutil.copyfile(columnar.copy_path(other, COPY), columnar.copy_path(demo_store, COPY))
    with demo_store.transaction():
        meta.bump(demo_store, "accounts_version")  # the same counter value as the other store's
    data, _ = book_table(demo_store)
    arr = dict(zip(data.column("crm_id").to_pylist(), data.column("arr").to_pylist(), strict=True))
    assert arr["ACC-0000001"] == 1240000.0


def test_a_column_of_mixed_types_is_read_exactly(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow's SQLite reader guesses a column's type from its first rows; a later row of another
    type must not be mangled or lost (the exact reader takes over)."""
    monkeypatch.setattr(columnar, "CHILD_FROM_ROWS", 0)
    rows = [(f"ACC-{n:05d}", f"Account {n}", 1000.0 + n, n if n != 3000 else "lots") for n in range(1, 4001)]
    with store.transaction():
        store.executemany("INSERT INTO accounts(crm_id, name, arr, employees) VALUES (?, ?, ?, ?)", rows)
        meta.bump(store, "accounts_version")
    data, _ = book_table(store)
    employees = data.column("employees").to_pylist()
    assert data.num_rows == 4000
    assert employees[0] == 1.0 and employees[3998] == 3999.0
    assert employees[2999] is None  # text in a number column reads as missing, as rules read it


def test_inside_a_transaction_the_book_sees_its_own_writes(demo_store: Store, clock: FixedClock) -> None:
    with pytest.raises(_RolledBack), demo_store.transaction():
        demo_store.execute("INSERT INTO accounts(crm_id, name, arr) VALUES ('ACC-NEW', 'Brand New', 5)")
        meta.bump(demo_store, "accounts_version")
        book = BookCache().book(demo_store, DAY, ["arr"])
        assert "ACC-NEW" in set(book["crm_id"])
        raise _RolledBack
    assert "ACC-NEW" not in set(book_table(demo_store)[0].column("crm_id").to_pylist())


def test_ranks_are_kept_only_while_a_rule_set_reads_them(demo_store: Store, clock: FixedClock, tmp_path: Path) -> None:
    assert not stored_ranks.current(demo_store)  # the demo's rules read no rank: nothing to keep
    path = tmp_path / "by-rank.yml"
    path.write_text(BY_RANK)
    load_rule_set(demo_store, path, actor="t", clock=clock)
    activate_rule_set(demo_store, "by-rank", actor="t", clock=clock)  # rules changed: ranks kept from now on
    assert stored_ranks.current(demo_store)


def test_stored_ranks_are_the_bulk_ranks_to_the_last_bit(ranked_store: Store) -> None:
    assert stored_ranks.current(ranked_store)
    accounts = pd.DataFrame(
        ranked_store.rows("SELECT crm_id, name, arr FROM accounts"), columns=["crm_id", "name", "arr"]
    )
    book = prepare_book(accounts, DAY)
    for row in book.itertuples(index=False):
        kept = stored_ranks.get(ranked_store, row.crm_id)
        assert kept is not None
        assert (kept.arr_share_rank, kept.account_share_rank, kept.arr_percentile) == (
            row.arr_share_rank,
            row.account_share_rank,
            row.arr_percentile,
        )


@pytest.mark.parametrize("crm_id", ["ACC-0000001", "ACC-0000042", "ACC-0000999"])
def test_one_account_is_explained_from_its_rows_not_every_arr(
    ranked_store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, crm_id: str
) -> None:
    expected = explain_tier(ranked_store, crm_id, clock=clock, books=BookCache())
    monkeypatch.setattr(account_queries, "arr_ranking", _raise)
    alone = explain_tier(ranked_store, crm_id, clock=clock)
    assert (alone.tier, alone.decision.rule) == (expected.tier, expected.decision.rule)
    assert _leaves(alone) == _leaves(expected)
    assert any(read is not None for _, read, _ in _leaves(alone))  # the rank was read, not blank


def _leaves(explanation: TierExplanation) -> list[tuple[object, object, bool]]:
    """Every comparison evaluated (the earlier rules' and the fired one's), with what it read."""
    rules = [*explanation.decision.earlier, *([explanation.decision.fired] if explanation.decision.fired else [])]
    return [(t.comparison, t.read, t.held) for rule in rules for t in leaf_traces(rule.trace)]


def test_rules_reading_no_rank_explain_without_any(
    demo_store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = explain_tier(demo_store, "ACC-0000042", clock=clock, books=BookCache())
    monkeypatch.setattr(account_queries, "arr_ranking", _raise)
    monkeypatch.setattr(stored_ranks, "get", _raise)
    alone = explain_tier(demo_store, "ACC-0000042", clock=clock)
    assert (alone.tier, alone.decision.rule) == (expected.tier, expected.decision.rule)


def test_stale_ranks_are_never_read(ranked_store: Store, clock: FixedClock) -> None:
    """An ARR changed without the ranks refreshed (a killed import): the account's ranks are
    worked out from every ARR, and agree with the loaded book."""
    with ranked_store.transaction():
        records.update(
            ranked_store,
            "accounts",
            records.load_keys(ranked_store, "accounts", ["arr"], "crm_id", ["ACC-0000900"]).assign(arr=5_000_000.0),
            "crm_id",
            "2026-11-22T09:30:00",
        )
    assert not stored_ranks.current(ranked_store)
    alone = account_as_rules_read_it(ranked_store, "ACC-0000900", DAY)
    loaded = BookCache().row(ranked_store, DAY, ["arr"], "ACC-0000900")
    for derived in ("arr_share_rank", "account_share_rank", "arr_percentile"):
        assert alone[derived] == loaded[derived] or (math.isnan(alone[derived]) and math.isnan(loaded[derived]))
    assert alone["account_share_rank"] == pytest.approx(1 / 1000)  # the largest account now


def test_an_import_leaves_the_ranks_current(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    rules = tmp_path / "by-rank.yml"
    rules.write_text(BY_RANK)
    load_rule_set(store, rules, actor="t", clock=clock)
    path = tmp_path / "accounts.csv"
    path.write_text("Account ID,Account Name,ARR\nA-1,Alpha,300\nA-2,Beta,200\nA-3,Gamma,100\n")
    import_table(store, path, "accounts", actor="t", clock=clock)
    assert stored_ranks.current(store)
    assert stored_ranks.get(store, "A-1").account_share_rank == pytest.approx(1 / 3)
    path.write_text("Account ID,Account Name,ARR\nA-1,Alpha,300\nA-2,Beta,200\nA-3,Gamma,900\n")
    import_table(store, path, "accounts", actor="t", clock=clock)
    assert stored_ranks.current(store)
    assert stored_ranks.get(store, "A-3").account_share_rank == pytest.approx(1 / 3)


def test_apply_writes_only_the_accounts_whose_tier_changed(demo_store: Store, clock: FixedClock) -> None:
    apply_tiers(demo_store, actor="t", clock=clock)
    with demo_store.transaction():
        demo_store.execute("UPDATE accounts SET arr = 3000000, strategic = 1 WHERE crm_id = 'ACC-0000700'")
        meta.bump(demo_store, "accounts_version")
    report = apply_tiers(demo_store, actor="t", clock=clock)
    run = demo_store.scalar("SELECT MAX(id) FROM tier_runs")
    written = demo_store.rows("SELECT crm_id, tier FROM tier_assignments WHERE run_id = ?", (run,))
    assert report.changed == 1 and written == [("ACC-0000700", "Strategic")]
    again = apply_tiers(demo_store, actor="t", clock=clock)
    run = demo_store.scalar("SELECT MAX(id) FROM tier_runs")
    assert again.changed == 0
    assert demo_store.scalar("SELECT COUNT(*) FROM tier_assignments WHERE run_id = ?", (run,)) == 0


def test_the_stored_tiers_copy_follows_each_apply(demo_store: Store, clock: FixedClock) -> None:
    from store import tiers as stored_tiers

    apply_tiers(demo_store, actor="t", clock=clock)
    with demo_store.transaction():
        demo_store.execute("UPDATE accounts SET arr = 3000000, strategic = 1 WHERE crm_id = 'ACC-0000700'")
        meta.bump(demo_store, "accounts_version")
    apply_tiers(demo_store, actor="t", clock=clock)
    copy = stored_tiers.assignments(demo_store).sort_values("crm_id").reset_index(drop=True)
    columnar.copy_path(demo_store, "tiers").unlink()
    fresh = stored_tiers.assignments(demo_store).sort_values("crm_id").reset_index(drop=True)
    assert copy.equals(fresh)
    assert copy.set_index("crm_id").loc["ACC-0000700", "tier"] == "Strategic"


def test_the_book_is_read_by_arrows_driver_not_row_by_row(demo_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast reader must work on a real store: the exact one is only for columns it misreads."""
    monkeypatch.setattr(columnar, "CHILD_FROM_ROWS", 0)
    monkeypatch.setattr(columnar, "_read_sqlite3", _raise)
    data, tokens = columnar.read_table(demo_store, "accounts", ["crm_id", "arr", "plan"], ["accounts_version"])
    assert data.num_rows == 1000 and tokens["accounts_version"] == meta.token(demo_store, "accounts_version")
    assert sum(batch.num_rows for batch in columnar.batches(demo_store, "accounts", ["crm_id"], size=128)) == 1000


def test_reading_the_book_loads_neither_pandas_nor_polars(demo_store: Store) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from store import open_store, columnar; s = open_store(sys.argv[1]); "
        "columnar.CHILD_FROM_ROWS = 0; columnar.read_table(s, 'accounts', ['crm_id', 'arr'], ['accounts_version']); "
        "print(sorted(m for m in ('pandas', 'polars') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(demo_store.path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_export_read_the_exact_way_does_not_wait_on_itself(
    demo_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When Arrow's reader cannot read the book, the export reads it page by page and finishes."""
    from workflows.exporting import export_accounts

    monkeypatch.setattr(columnar, "ArrowRows", _raise)
    report = export_accounts(demo_store, tmp_path / "out.csv", chunk_rows=50)  # more pages than read ahead
    assert report.rows == 1000 and report.tiered == 1000
