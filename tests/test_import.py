"""Scenario tests of the import workflow against real SQLite files and the fixture exports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from engine.errors import FileRefused, InvalidRows
from engine.validation import ImportOptions
from store import Store, audit, records
from store import accounts as account_queries
from workflows.clock import FixedClock
from workflows.importing import ImportReport, import_table


def run(
    store: Store, clock: FixedClock, path: Path, kind: str = "accounts", tmp: Path | None = None, **kwargs
) -> ImportReport:  # type: ignore[no-untyped-def]
    errors_file = (tmp or path.parent) / f"{path.stem}.errors.csv"
    return import_table(store, path, kind, actor="test:ops", clock=clock, errors_file=errors_file, **kwargs)


def snapshot(store: Store) -> tuple[list[dict], int, int]:
    rows = store.query("SELECT * FROM accounts ORDER BY crm_id")
    return rows, len(audit.recent(store, 10_000)), records.count(store, "imports")


def test_salesforce_export_imports_with_every_value_normalised(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    report = run(store, clock, fixtures / "salesforce_accounts.csv", tmp=tmp_path)
    assert (report.created, report.updated, report.errors) == (5, 0, 0)
    acme = account_queries.get(store, "0015g00000AcmeAAA")
    assert acme is not None
    assert acme["name"] == "Acme Corp"
    assert acme["arr"] == 1_240_000.0
    assert acme["country"] == "United States"
    assert acme["renewal_date"] == "2027-05-21"
    assert acme["strategic"] == 1
    assert acme["health"] == "green"
    assert account_queries.get(store, "0015g00000UmbrAAA")["health"] == "yellow"  # type: ignore[index]
    assert any("footer" in n for n in report.notes)
    assert any("month/day/year" in n for n in report.notes)


def test_hubspot_export_with_currency_text_and_timestamps(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    report = run(store, clock, fixtures / "hubspot_companies.csv", tmp=tmp_path)
    assert report.created == 4
    rows = {r["crm_id"]: r for r in store.query("SELECT * FROM accounts")}
    assert rows["9001"]["arr"] == 1100.04
    assert rows["9002"]["arr"] == 310000.0
    assert rows["9002"]["employees"] == 1450
    assert rows["9002"]["health_score"] == 65.0
    assert rows["9002"]["strategic"] == 1
    assert rows["9003"]["arr"] == 12000.0
    assert rows["9004"]["arr"] == 8500.0
    assert rows["9001"]["renewal_date"] == "2027-02-01"
    assert rows["9001"]["owner"] == "jordan.blake@example.com"  # kept as written until the roster arrives


def test_european_file_needs_decimal_comma_then_imports(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    path = fixtures / "european_semicolon.csv"
    with pytest.raises(InvalidRows) as refused:
        run(store, clock, path, tmp=tmp_path, options=ImportOptions(mapping={"crm_id": "Kunden-ID"}))
    assert "decimal comma" in str(refused.value.problems[0])
    assert records.count(store, "accounts") == 0
    report = run(
        store,
        clock,
        path,
        tmp=tmp_path,
        options=ImportOptions(mapping={"crm_id": "Kunden-ID"}, decimal_comma=True),
    )
    assert report.created == 3
    zurich = account_queries.get(store, "EU-001")
    assert zurich == {
        **zurich,
        "name": "Zürich Klinik",
        "arr": 1234.56,
        "renewal_date": "2027-03-25",
        "region": "EMEA",
    }  # type: ignore[dict-item]
    # Regions are kept as written (issue 9); "Europe" reads as EMEA in rules.
    assert account_queries.get(store, "EU-002")["region"] == "Europe"  # type: ignore[index]
    assert any("Windows-1252" in n for n in report.notes)
    assert any("semicolon" in n for n in report.notes)


def test_bom_tab_separated_file_with_na_blanks_and_a_blank_line(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    report = run(store, clock, fixtures / "bom_tabs.tsv", tmp=tmp_path)
    assert report.created == 3
    rows = {r["crm_id"]: r for r in store.query("SELECT * FROM accounts")}
    assert rows["T-1"]["employees"] is None
    assert rows["T-2"]["industry"] == "Technology"
    assert rows["T-2"]["renewal_date"] is None
    assert rows["T-3"]["industry"] == "Financial Services"
    assert rows["T-3"]["arr"] == 0.0


def test_xlsx_workbook_with_real_dates_and_numbers(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.title = "Accounts"
    sheet.append(["Account ID", "Account Name", "ARR", "Renewal Date", "Strategic"])
    sheet.append(["X-1", "Pine Valley Clinic", 5000.5, datetime(2027, 1, 31), True])
    sheet.append(["X-2", "Oak Grove Software", 15000, datetime(2027, 6, 1), False])
    book.create_sheet("Notes").append(["ignore me"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    report = run(store, clock, path, tmp=tmp_path)
    assert report.created == 2
    assert account_queries.get(store, "X-1") == {
        **account_queries.get(store, "X-1"),
        "arr": 5000.5,
        "renewal_date": "2027-01-31",
        "strategic": 1,
    }  # type: ignore[dict-item]
    assert any("sheet `Accounts` of 2" in n for n in report.notes)
    with pytest.raises(FileRefused, match="has no sheet `Nope`; its sheets are Accounts, Notes"):
        run(store, clock, path, tmp=tmp_path, sheet="Nope")


def test_any_error_writes_nothing_and_lists_every_problem(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    run(store, clock, fixtures / "salesforce_accounts.csv", tmp=tmp_path)
    before = snapshot(store)
    with pytest.raises(InvalidRows) as refused:
        run(store, clock, fixtures / "account_errors.csv", tmp=tmp_path)
    assert snapshot(store) == before
    message = str(refused.value)
    assert "has 10 error(s) on 10 row(s), so nothing was imported" in message
    assert "--skip-invalid to import the 1 good rows" in message
    shown = [str(p) for p in refused.value.problems]
    expected_starts = [
        "Column `ARR` has `$1,2O0` on row 2: not a number.",
        "Column `ARR` has `(1,200)` on row 3: ARR cannot be negative.",
        "Column `ARR` is blank on row 4: every row needs ARR.",
        "Column `Account ID` has `E-1` on row 5: repeats the id of row 2.",
        "Column `Industry` has `technolgy` on row 6: not a known industry; did you mean `Technology`?",
        "Column `Country` has `Germny` on row 7: not a country; did you mean `Germany`?",
        "Column `Strategic` has `maybe` on row 8: not TRUE or FALSE.",
        "Column `ARR` has `#VALUE!` on row 9: a spreadsheet error value.",
        "Column `Renewal Date` has `2027-02-30` on row 10: not a date.",
        "Column `Employees` has `12.5` on row 11: not a whole number.",
        # Warnings after the errors: a near-duplicate within the file, and two of the store.
        "Column `Account Name` has `Acme Corp` on row 2: looks like the account `Acme Corp` already in the store (id 0015g00000AcmeAAA).",
        "Column `Account Name` has `ACME Corp.` on row 11: looks like `Acme Corp` on row 2 (id E-1).",
        "Column `Account Name` has `ACME Corp.` on row 11: looks like the account `Acme Corp` already in the store",
    ]
    assert len(shown) == len(expected_starts)
    for line, start in zip(shown, expected_starts, strict=True):
        assert line.startswith(start), line
    with (tmp_path / "account_errors.errors.csv").open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 13
    assert {w["severity"] for w in written} == {"error", "warning"}
    assert written[0] == {
        "row": "2",
        "column": "ARR",
        "value": "$1,2O0",
        "severity": "error",
        "problem": "not a number",
        "fix": "Fix the cell (for example 1200.50) or map another column with `--map arr=...`.",
    }


def test_skip_invalid_writes_only_the_good_rows(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    report = run(store, clock, fixtures / "account_errors.csv", tmp=tmp_path, skip_invalid=True)
    assert (report.created, report.skipped, report.written) == (1, 10, True)
    assert [r["crm_id"] for r in store.query("SELECT crm_id FROM accounts")] == ["E-11"]


def test_refused_files_write_nothing(store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path) -> None:
    for name, message in [
        ("pivot.csv", "looks like a pivot table"),
        ("summary_totals.csv", "is a totals row"),
        ("ambiguous_dates.csv", "could be day/month or month/day"),
        ("ragged.csv", "which has no header"),
    ]:
        with pytest.raises(FileRefused, match=message):
            run(store, clock, fixtures / name, tmp=tmp_path)
    assert snapshot(store) == ([], 0, 0)
    with pytest.raises(FileRefused, match="There is no file at"):
        run(store, clock, tmp_path / "missing.csv")


def test_reimporting_the_same_file_changes_nothing(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    run(store, clock, fixtures / "salesforce_accounts.csv", tmp=tmp_path)
    before = snapshot(store)
    report = run(store, clock, fixtures / "salesforce_accounts.csv", tmp=tmp_path)
    assert (report.created, report.updated, report.unchanged, report.written) == (0, 0, 5, False)
    assert snapshot(store) == before


def test_updated_export_upserts_and_the_audit_log_shows_what_changed(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    run(store, clock, fixtures / "salesforce_accounts.csv", tmp=tmp_path)
    report = run(store, clock, fixtures / "salesforce_accounts_v2.csv", tmp=tmp_path)
    assert (report.created, report.updated, report.unchanged) == (1, 2, 2)
    assert account_queries.get(store, "0015g00000AcmeAAA")["arr"] == 1_300_000.0  # type: ignore[index]
    # An account missing from the newer export is kept: exports are often filtered.
    assert account_queries.get(store, "0015g00000UmbrAAA") is not None
    acme = audit.recent(store, entity="account:0015g00000AcmeAAA")
    assert [(e["action"], e["before"], e["after"], e["actor"]) for e in acme] == [
        ("import.accounts.update", {"arr": 1240000.0}, {"arr": 1300000.0}, "test:ops")
    ]
    globex = audit.recent(store, entity="account:0015g00000GlobAAA")
    assert globex[0]["before"] == {"owner": "Lena Fischer"} and globex[0]["after"] == {"owner": "Tom Hughes"}
    summary = audit.recent(store, 1)[0]
    assert summary["action"] == "import.accounts"
    assert summary["after"]["created"] == 1 and summary["after"]["updated"] == 2


def test_dry_run_reports_and_writes_nothing(store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path) -> None:
    report = run(store, clock, fixtures / "salesforce_accounts.csv", tmp=tmp_path, dry_run=True)
    assert (report.created, report.written, report.dry_run) == (5, False, True)
    assert snapshot(store) == ([], 0, 0)


def test_roster_import_links_owners_written_as_names_or_emails(
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    run(store, clock, fixtures / "salesforce_accounts.csv", tmp=tmp_path)
    run(store, clock, fixtures / "hubspot_companies.csv", tmp=tmp_path)
    report = run(store, clock, fixtures / "roster.csv", "csms", tmp=tmp_path)
    assert report.created == 7
    assert report.owners_linked == 8  # 5 Salesforce owners by name, 3 HubSpot by email or name
    csms = {r["id"]: r for r in store.query("SELECT * FROM csms")}
    assert csms["marcus-chen"]["slack_user_id"] == "U01MARC002"
    assert csms["marcus-chen"]["role"] == "manager"
    assert csms["marcus-chen"]["region"] == "North America"  # kept as written; reads as NA
    assert csms["dana-whitfield"]["role"] == "leader"
    assert csms["avery-collins"]["manager"] == "marcus-chen"
    assert csms["avery-collins"]["annual_cost"] == 148000.0
    owners = {r["crm_id"]: r["owner"] for r in store.query("SELECT crm_id, owner FROM accounts")}
    assert owners["0015g00000AcmeAAA"] == "jordan-blake"
    assert owners["9001"] == "jordan-blake"  # was jordan.blake@example.com
    assert owners["9004"] == "sam-patel"
    assert account_queries.unlinked_owner_count(store) == 0


def test_roster_errors_name_row_column_and_fix(store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidRows) as refused:
        run(store, clock, fixtures / "roster_errors.csv", "csms", tmp=tmp_path)
    assert [str(p) for p in refused.value.problems] == [
        "Column `Email` has `pat.kim@example` on row 2: not an email address. Write it as name@company.com.",
        "Column `Slack ID` has `lee` on row 3: not a Slack member id. Copy it from the person's Slack profile (⋮ → Copy member ID); it looks like U024BE7LH.",
        "Column `Role` has `Wizard` on row 4: not a role. Use one of: csm, manager, leader, admin.",
        "Column `Weekly Capacity` has `200` on row 5: above 168. Capacity (hours/week) runs from 0 to 168; check for extra digits.",
    ]
    assert records.count(store, "csms") == 0


def test_new_category_values_warn_against_the_store_vocabulary(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("Account ID,Account Name,ARR,Plan\n1,A,10,Gold\n2,B,10,Silver\n")
    run(store, clock, first, tmp=tmp_path)
    second = tmp_path / "second.csv"
    second.write_text("Account ID,Account Name,ARR,Plan\n3,C,10,Platinum\n4,D,10,gold\n")
    report = run(store, clock, second, tmp=tmp_path)
    assert [str(p) for p in report.problems] == [
        "Column `Plan` has `Platinum` on row 2: a new plan. Nothing to do if it is right; it joins the known values."
    ]
    assert account_queries.get(store, "4")["plan"] == "Gold"  # type: ignore[index]
