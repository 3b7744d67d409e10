"""Order- and subscription-level files (issue 9, point 5): many rows per account id are detected and
rolled up with --aggregate sum|last; ARR from an MRR column is 12 × MRR, said in the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import FileRefused, InvalidRows
from engine.validation import ImportOptions
from store import Store
from workflows.clock import FixedClock
from workflows.exporting import export_accounts
from workflows.importing import ImportReport, import_table

from .test_cli import tierbot

ORDERS = """Customer ID,Customer Name,Order Date,Sales,Region,Segment
C-1,Cobalt Care,2026-01-15,1000,EMEA,Consumer
C-2,Delta Dental,2026-02-01,500,NA,Corporate
C-1,Cobalt Care,2026-03-10,2500,EMEA,Corporate
C-3,Echo Health,2026-01-20,700,APAC,Consumer
C-2,Delta Dental,2025-12-24,300,LATAM,Home Office
C-1,Cobalt Care Group,2026-02-28,1500,EMEA,Consumer
C-3,Echo Health,2026-04-02,900,APAC,Home Office
"""


@pytest.fixture
def load(store: Store, clock: FixedClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(content: str, name: str = "orders.csv", **kwargs) -> ImportReport:  # type: ignore[no-untyped-def]
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        kwargs.setdefault("options", ImportOptions(mapping={"arr": "Sales"}))
        return import_table(store, path, "accounts", actor="t", clock=clock, errors_file=tmp_path, **kwargs)

    return run


def stored(store: Store) -> dict[str, dict]:
    return {r["crm_id"]: r for r in store.query("SELECT * FROM accounts ORDER BY crm_id")}


def test_an_order_level_file_is_detected_and_points_to_aggregate(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load(ORDERS)
    message = str(refused.value)
    assert "7 rows for 3 account ids (up to 3 rows per id)" in message
    assert "order- or subscription-level" in message
    assert "--aggregate sum" in message and "--aggregate last" in message
    assert "--skip-invalid" not in message
    assert stored(store) == {}


def test_skip_invalid_never_keeps_one_row_of_a_repeated_id(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows, match="order- or subscription-level"):
        load(ORDERS, skip_invalid=True)
    assert stored(store) == {}
    # One accidental repeat in an account export: every row of that id is left out, and said.
    accounts = "Account ID,Account Name,ARR\na1,Alpha,100\na2,Beta,200\na1,Alpha Again,300\na3,Gamma,400\n"
    with pytest.raises(InvalidRows) as refused:
        load(accounts, name="accounts.csv", options=ImportOptions())
    assert "--skip-invalid to import the 2 good rows" in str(refused.value)
    assert "--aggregate" in str(refused.value)
    report = load(accounts, name="accounts.csv", options=ImportOptions(), skip_invalid=True)
    assert set(stored(store)) == {"a2", "a3"} and report.skipped == 2
    shown = [str(p) for p in report.problems]
    assert shown[0].startswith("Column `Account ID` has `a1` on row 2: its id repeats on row 4")
    assert "left out" in shown[0]


def test_aggregate_sum_adds_arr_and_takes_the_rest_from_the_latest_row(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load(ORDERS, aggregate="sum")
    rows = stored(store)
    assert {k: r["arr"] for k, r in rows.items()} == {"C-1": 5000.0, "C-2": 800.0, "C-3": 1600.0}
    assert rows["C-1"]["name"] == "Cobalt Care"  # from 2026-03-10, the latest, not the last in the file
    assert json.loads(rows["C-1"]["extra"])["Segment"] == "Corporate"
    assert rows["C-2"]["region"] == "NA"  # 2026-02-01 beats 2025-12-24 further down
    assert (report.rows_read, report.created) == (7, 3)
    assert (
        "Aggregated 7 rows into 3 accounts (--aggregate sum): each account's ARR is the sum of its rows; "
        "its other fields come from its latest row by `Order Date`." in report.notes
    )
    assert report.aggregate == {"how": "sum", "rows": 7, "accounts": 3, "latest_by": "Order Date"}
    again = load(ORDERS, aggregate="sum")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_aggregate_last_takes_the_latest_row_whole(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load(ORDERS, aggregate="last")
    assert {k: r["arr"] for k, r in stored(store).items()} == {"C-1": 2500.0, "C-2": 500.0, "C-3": 900.0}
    assert "(--aggregate last): each account is its latest row by `Order Date`." in report.notes[-1]


def test_without_a_date_the_last_row_in_the_file_is_the_latest(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    plain = "Customer ID,Customer Name,Sales\nC-1,One,10\nC-1,One Renamed,20\n"
    report = load(plain, aggregate="sum")
    assert stored(store)["C-1"]["name"] == "One Renamed" and stored(store)["C-1"]["arr"] == 30.0
    assert "its other fields come from its last row in the file" in report.notes[-1]


def test_an_account_with_a_bad_row_is_left_out_whole_when_aggregating(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    bad = ORDERS.replace("2026-03-10,2500", "2026-03-10,lots")
    with pytest.raises(InvalidRows, match="1 error"):
        load(bad, aggregate="sum")
    report = load(bad, aggregate="sum", skip_invalid=True)
    assert set(stored(store)) == {"C-2", "C-3"}  # C-1's ARR would be short of one order
    assert report.skipped == 3
    assert any("left out with the rest of its id's rows" in str(p) for p in report.problems)


def test_mrr_becomes_twelve_times_arr_and_says_so(load, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = load("Account ID,Account Name,MRR\nm1,Monthly Co,1000\nm2,Other Co,$250\n", options=ImportOptions())
    assert {k: r["arr"] for k, r in stored(store).items()} == {"m1": 12000.0, "m2": 3000.0}
    assert "Read ARR as 12 × `MRR` (a monthly amount)." in report.notes
    assert report.arr_from_mrr == "MRR"
    out = tmp_path / "back.csv"
    export_accounts(store, out)
    # Monthly, each cell as the file wrote it ($250 stays $250).
    assert out.read_text().splitlines()[1:] == ["m1,Monthly Co,1000,", "m2,Other Co,$250,"]
    again = load(out.read_text(), name="back.csv", options=ImportOptions())
    assert (again.created, again.updated) == (0, 0)


def test_mrr_column_option_and_an_arr_column_win_over_a_recognised_mrr_header(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    both = "Account ID,Account Name,ARR,MRR\nb1,Both Co,1200,999\n"
    report = load(both, options=ImportOptions())
    assert stored(store)["b1"]["arr"] == 1200.0 and report.arr_from_mrr is None
    report = load("id,name,Monthly Fee\nf1,Fee Co,50\n", name="fee.csv", options=ImportOptions(), mrr="Monthly Fee")
    assert stored(store)["f1"]["arr"] == 600.0 and report.arr_from_mrr == "Monthly Fee"
    with pytest.raises(FileRefused, match="--mrr `Monthly Fees`: the file has no such column"):
        load("id,name,Monthly Fee\nf1,Fee Co,50\n", name="fee.csv", options=ImportOptions(), mrr="Monthly Fees")


def test_the_command_line_takes_aggregate_and_mrr(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS)
    db = str(tmp_path / "t.db")
    refused = tierbot("--db", db, "import", "accounts", str(orders), "--map", "arr=Sales")
    assert refused.exit_code == 1 and "--aggregate sum" in refused.stderr
    done = tierbot("--db", db, "import", "accounts", str(orders), "--map", "arr=Sales", "--aggregate", "sum")
    assert done.exit_code == 0, done.output
    assert "Aggregated 7 rows into 3 accounts" in done.stdout
    bad = tierbot("--db", db, "import", "accounts", str(orders), "--aggregate", "mean")
    assert bad.exit_code == 2 and "'mean' is not one of 'sum', 'last'" in bad.stderr
    monthly = tmp_path / "monthly.csv"
    monthly.write_text("id,name,Subscription Fee\ns1,Sub Co,99\n")
    done = tierbot("--db", db, "import", "accounts", str(monthly), "--mrr", "Subscription Fee", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["arr_from_mrr"] == "Subscription Fee"
