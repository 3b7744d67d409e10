"""Export round trips on files shaped like real CRM exports (issue 9, point 4): import, tier,
export, and every cell of the CRM's file comes back as it was; only the Tier column is new."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from store import Store
from workflows.clock import FixedClock
from workflows.exporting import export_accounts
from workflows.importing import import_table
from workflows.rules import activate_rule_set, load_rule_set
from workflows.tiers import apply_tiers

RULES = """
name: fy27
tiers: [Enterprise, Mid-Market, SMB]
rules:
  - tier: Enterprise
    when: {arr: {">=": 200000}}
  - tier: Mid-Market
    when: {region: {in: [NA, EMEA]}}
  - tier: SMB
    default: true
"""


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def crm_table(path: Path, first_header: str) -> list[list[str]]:
    """The header row and the data rows of a CRM file (no report title, no footer)."""
    rows = rows_of(path)
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    end = next((i for i in range(start + 1, len(rows)) if not any(rows[i])), len(rows))
    return rows[start:end]


@pytest.fixture
def tiered(store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Import a CRM file (with the roster first, or not) and tier it."""

    def run(name: str, roster: bool = True) -> Store:
        if roster:
            import_table(store, fixtures / "roster.csv", "csms", actor="t", clock=clock, errors_file=tmp_path)
        import_table(store, fixtures / name, "accounts", actor="t", clock=clock, errors_file=tmp_path)
        rules = tmp_path / "rules.yml"
        rules.write_text(RULES)
        load_rule_set(store, rules, actor="t", clock=clock)
        activate_rule_set(store, "fy27", actor="t", clock=clock)
        apply_tiers(store, actor="t", clock=clock)
        return store

    return run


def tiers_of(store: Store) -> dict[str, str]:
    return {r["crm_id"]: r["tier"] for r in store.query("SELECT crm_id, tier FROM account_tiers")}


@pytest.mark.parametrize("roster", [True, False], ids=["owners-linked", "no-roster"])
def test_a_salesforce_account_report_comes_back_cell_for_cell(
    tiered, store: Store, fixtures: Path, tmp_path: Path, roster: bool
) -> None:  # type: ignore[no-untyped-def]
    tiered("salesforce_account_report.csv", roster=roster)
    export_accounts(store, tmp_path / "back.csv")
    original = crm_table(fixtures / "salesforce_account_report.csv", "Account ID")
    exported = rows_of(tmp_path / "back.csv")
    tiers = tiers_of(store)
    assert exported[0] == [*original[0], "Tier"]
    assert len(exported) == len(original)
    for before, after in zip(original[1:], exported[1:], strict=True):
        assert after == [*before, tiers[before[0]]]
    cells = {row[0]: dict(zip(exported[0], row, strict=True)) for row in exported[1:]}
    acme, rio = cells["0015g00000AcmeAAA"], cells["0015g00000RioxAAA"]
    # The findings of issue 9, one by one.
    assert acme["Annual Recurring Revenue"] == "1225507" and rio["Annual Recurring Revenue"] == "96000.5"
    assert acme["Account Owner"] == "Jordan Blake" and acme["Renewal Date"] == "5/21/2027"
    assert acme["Region__c"] == "AMER" and cells["0015g00000MontAAA"]["Region__c"] == "Americas"
    assert cells["0015g00000SeouAAA"]["Billing Country"] == "Korea"
    assert rio["Support_Priority__c"] == "None" and acme["Description"] == ""
    assert cells["0015g00000TorontA"]["Region__c"] == ""  # derived as NA for tierbot, blank in the CRM
    assert tiers["0015g00000TorontA"] == "Mid-Market" and tiers["0015g00000RioxAAA"] == "SMB"


def test_a_hubspot_company_export_comes_back_cell_for_cell(
    tiered, store: Store, fixtures: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    tiered("hubspot_company_export.csv")
    export_accounts(store, tmp_path / "back.csv")
    original = crm_table(fixtures / "hubspot_company_export.csv", "Record ID")
    exported = rows_of(tmp_path / "back.csv")
    tiers = tiers_of(store)
    assert exported[0] == [*original[0], "Tier"]
    for before, after in zip(original[1:], exported[1:], strict=True):
        assert after == [*before, tiers[before[0]]]


def test_the_normalised_export_gives_tierbot_s_forms(tiered, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tiered("salesforce_account_report.csv")
    export_accounts(store, tmp_path / "clean.csv", normalised=True)
    exported = rows_of(tmp_path / "clean.csv")
    cells = {row[0]: dict(zip(exported[0], row, strict=True)) for row in exported[1:]}
    acme, seoul = cells["0015g00000AcmeAAA"], cells["0015g00000SeouAAA"]
    assert (
        acme["Annual Recurring Revenue"] == "1225507"
        and cells["0015g00000RioxAAA"]["Annual Recurring Revenue"] == "96000.5"
    )
    assert acme["Renewal Date"] == "2027-05-21" and acme["Billing Country"] == "United States"
    assert seoul["Billing Country"] == "South Korea" and seoul["Health Status"] == "green"
    assert acme["Account Owner"] == "jordan-blake" and acme["Strategic Account"] == "TRUE"
    # A region that can only mean one of tierbot's is written as it; AMER is no region of its own.
    assert acme["Region__c"] == "AMER" and cells["0015g00000TorontA"]["Region__c"] == "NA"
    assert cells["0015g00000LeedAAA"]["Health Status"] == "yellow"


def test_a_changed_owner_is_written_like_the_file_writes_owners(tiered, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tiered("salesforce_account_report.csv")
    with store.transaction():  # what completing a handoff does
        store.execute("UPDATE accounts SET owner = 'sam-patel' WHERE crm_id = '0015g00000AcmeAAA'")
        store.execute("UPDATE accounts SET owner = 'dana-whitfield' WHERE crm_id = '0015g00000BostAAA'")
    export_accounts(store, tmp_path / "back.csv")
    exported = rows_of(tmp_path / "back.csv")
    owners = {row[0]: row[exported[0].index("Account Owner")] for row in exported[1:]}
    assert owners["0015g00000AcmeAAA"] == "Sam Patel"  # a name the file already wrote
    assert owners["0015g00000BostAAA"] == "Dana Whitfield"  # never an owner in the file: her roster name
    assert owners["0015g00000RioxAAA"] == "Avery Collins"


def test_tierbot_s_own_export_imports_back_unchanged(tiered, store: Store, clock: FixedClock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tiered("salesforce_account_report.csv")
    export_accounts(store, tmp_path / "back.csv")
    report = import_table(store, tmp_path / "back.csv", "accounts", actor="t", clock=clock, errors_file=tmp_path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 9)
    export_accounts(store, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "back.csv").read_bytes()


def test_a_file_that_respells_values_changes_the_export_not_the_accounts(  # type: ignore[no-untyped-def]
    tiered, store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    tiered("salesforce_account_report.csv")
    text = (fixtures / "salesforce_account_report.csv").read_text().replace('"USA"', '"United States of America"')
    (tmp_path / "v2.csv").write_text(text)
    report = import_table(store, tmp_path / "v2.csv", "accounts", actor="t", clock=clock, errors_file=tmp_path)
    assert (report.created, report.updated) == (0, 0)
    export_accounts(store, tmp_path / "back.csv")
    exported = rows_of(tmp_path / "back.csv")
    country = exported[0].index("Billing Country")
    assert {row[0]: row[country] for row in exported[1:]}["0015g00000AcmeAAA"] == "United States of America"


def test_an_xlsx_export_keeps_numbers_numeric_and_the_rest_as_written(tiered, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tiered("salesforce_account_report.csv")
    export_accounts(store, tmp_path / "back.xlsx")
    sheet = load_workbook(tmp_path / "back.xlsx").active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    acme = dict(zip(rows[0], rows[1], strict=True))
    assert acme["Annual Recurring Revenue"] == 1225507 and acme["Renewal Date"] == "5/21/2027"
    assert acme["Account Owner"] == "Jordan Blake" and acme["Billing Country"] == "USA"


def test_owners_linked_by_a_later_roster_still_go_back_by_name(  # type: ignore[no-untyped-def]
    store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path
) -> None:
    import_table(
        store, fixtures / "hubspot_company_export.csv", "accounts", actor="t", clock=clock, errors_file=tmp_path
    )
    report = import_table(store, fixtures / "roster.csv", "csms", actor="t", clock=clock, errors_file=tmp_path)
    assert report.owners_linked == 4
    export_accounts(store, tmp_path / "back.csv")
    original = crm_table(fixtures / "hubspot_company_export.csv", "Record ID")
    exported = rows_of(tmp_path / "back.csv")
    assert [row[:-1] for row in exported] == original


def test_the_command_line_exports_normalised(store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    for args in (
        ["import", "csms", str(fixtures / "roster.csv")],
        ["import", "accounts", str(fixtures / "salesforce_account_report.csv")],
        ["export", "accounts", str(tmp_path / "as-is.csv")],
        ["export", "accounts", str(tmp_path / "clean.csv"), "--normalised"],
    ):
        result = runner.invoke(cli, ["--db", db, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    as_is = {row[0]: row for row in rows_of(tmp_path / "as-is.csv")}
    clean = {row[0]: row for row in rows_of(tmp_path / "clean.csv")}
    assert as_is["0015g00000AcmeAAA"][2] == "Jordan Blake" and clean["0015g00000AcmeAAA"][2] == "jordan-blake"
    assert as_is["0015g00000AcmeAAA"][10] == "5/21/2027" and clean["0015g00000AcmeAAA"][10] == "2027-05-21"
