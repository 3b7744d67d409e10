"""Edge cases of real exports, each found by trying to break the import: every one ends in the
right data or a clear refusal, never a crash or a silent guess."""

from __future__ import annotations

import gzip
import os
import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook

from engine.errors import FileRefused, InvalidRows, StoreError, UnknownName
from engine.validation import ImportOptions
from store import Store, open_store, records
from store import accounts as account_queries
from workflows.audit import audit_trail
from workflows.clock import FixedClock
from workflows.exporting import export_accounts
from workflows.importing import import_table
from workflows.lookup import find_account


def problems(refused: pytest.ExceptionInfo) -> list[str]:  # type: ignore[type-arg]
    return [str(p) for p in refused.value.problems]


def test_blank_flags_and_roles_take_their_defaults(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("id,name,arr,strategic\ns1,A,10,TRUE\ns2,B,20,\ns3,C,30,N/A\n")
    assert {r["crm_id"]: r["strategic"] for r in store.query("SELECT crm_id, strategic FROM accounts")} == {
        "s1": 1,
        "s2": 0,
        "s3": 0,
    }
    load("Name,Email,Role,Active\nAna Ruiz,ana@x.com,,\nBo Li,bo@x.com,manager,FALSE\n", "csms")
    rows = {r["id"]: (r["role"], r["active"]) for r in store.query("SELECT id, role, active FROM csms")}
    assert rows == {"ana": ("csm", 1), "bo": ("manager", 0)}


def test_a_file_without_names_updates_but_does_not_create(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("Account ID,Account Name,ARR\nq1,Quebec Clinic,100\n")
    report = load("Account ID,ARR\nq1,150\n", name="arr-only.csv")
    assert report.updated == 1 and account_queries.get(store, "q1")["name"] == "Quebec Clinic"  # type: ignore[index]
    with pytest.raises(FileRefused, match="a new account needs a name"):
        load("Account ID,ARR\nq2,100\n", name="new.csv")


def test_repeated_ids_beside_empty_rows_are_reported_not_crashed(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load("Account ID,Account Name,ARR\na1,Alpha,1\na1,Alpha Two,2\n,,3\n")
    assert problems(refused) == [
        "Column `Account ID` has `a1` on row 3: repeats the id of row 2. Keep one row per account, or give each its own id.",
        "Column `Account ID` is blank on row 4: the row has no account id and no name. Fill one of them or remove the row.",
    ]


def test_digits_must_be_ascii(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load("id,name,arr,employees\nf1,KK,１２３,１２\n")
    assert [p.split(":")[1].strip().split(".")[0] for p in problems(refused)] == ["not a number", "not a number"]


def test_implausible_amounts_are_refused_and_big_real_ones_export(load, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows, match="1 error"):
        load("id,name,arr\nz1,Huge,99999999999999999999999\n")
    load("id,name,arr\nz2,Big,90000000000\n")
    export_accounts(store, tmp_path / "out.csv")
    assert "90000000000" in (tmp_path / "out.csv").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (gzip.compress(b"id,name,arr\n1,A,1\n"), "is compressed"),
        (b"%PDF-1.7\n...", "is a PDF"),
        (bytes(range(256)) * 20, "is not text"),
        (b",,,\n\n,,,\n", "is empty"),
    ],
)
def test_files_that_are_not_csv_text_are_refused(load, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileRefused, match=message):
        load(content)


def test_utf16_without_a_byte_order_mark_reads(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("Account ID\tName\tARR\nu1\tZürich Klinik\t100\n".encode("utf-16-le"), name="unicode.txt")
    assert account_queries.get(store, "u1")["name"] == "Zürich Klinik"  # type: ignore[index]


def test_a_file_mixing_encodings_is_refused_at_the_line(load) -> None:  # type: ignore[no-untyped-def]
    content = "id,name,arr\nm1,Zürich Klinik,1\n".encode() + b"m2,Caf\xe9 Lyon,2\n"
    with pytest.raises(FileRefused, match=r"Line 3 of `file.csv` is not UTF-8 \(byte 0xE9\)"):
        load(content)


def test_a_typo_is_caught_even_when_repeated(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("id,name,arr,industry\nt0,Base,1,Technology\n")
    rows = "".join(f"t{i},Co {i},1,Technolgy\n" for i in range(1, 6))
    with pytest.raises(InvalidRows, match="5 error"):
        load("id,name,arr,industry\n" + rows, name="typos.csv")


def test_a_new_value_near_a_known_one_is_not_forced_into_it(load) -> None:  # type: ignore[no-untyped-def]
    report = load("id,name,arr,industry\nm1,Med Co,1,Medical\n")
    assert report.errors == 0  # "Medical" is not a typo of "Media"
    with pytest.raises(InvalidRows) as refused:
        load("id,name,arr,plan\ng1,A,1,Growth\ng2,B,1,Growth+\n", name="plans.csv", options=ImportOptions())
    assert "not a known plan; did you mean `Growth`?" in problems(refused)[0]
    report = load(
        "id,name,arr,plan\ng1,A,1,Growth\ng2,B,1,Growth+\n",
        name="plans.csv",
        options=ImportOptions(allow_new_values=True),
    )
    assert report.created == 2 and "a new plan (close to `Growth`)" in str(report.problems[0])


def test_dotted_amounts_and_currencies(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load("id,name,arr\nd1,Müller GmbH,€8.500\nd2,Schmidt AG,1.250.000\n")
    assert [p.split(": ", 1)[1].split(".")[0] for p in problems(refused)][:2] == [
        "could be a decimal or a thousands separator",
        "looks like a number with a decimal comma",
    ]
    report = load("id,name,arr\ne1,A,€8.500\n", name="euro.csv", options=ImportOptions(decimal_comma=True))
    assert account_queries.get(store, "e1")["arr"] == 8500.0  # type: ignore[index]
    assert "an amount in EUR" in str(report.problems[0])
    with pytest.raises(InvalidRows, match="2 error"):
        load("id,name,arr\nx1,A,$100\nx2,B,£100\n", name="mixed.csv")
    with pytest.raises(InvalidRows) as refused:
        load("id,name,arr\np1,A,65%\n", name="pct.csv")
    assert "a percentage, not an amount" in problems(refused)[0]
    load("id,name,arr\nz0,Free Co,$ -\n", name="accounting-zero.csv")
    assert account_queries.get(store, "z0")["arr"] == 0.0  # type: ignore[index]


def test_percent_cells_and_fractions_read_as_people_see_them(
    load, store: Store, clock: FixedClock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    sheet.append(["Account ID", "Account Name", "ARR", "Health"])
    sheet.append(["h1", "Pine Clinic", 100, 0.85])
    sheet["D2"].number_format = "0%"
    book.save(tmp_path / "health.xlsx")
    import_table(store, tmp_path / "health.xlsx", "accounts", actor="t", clock=clock, errors_file=tmp_path)
    assert account_queries.get(store, "h1")["health"] == "green"  # type: ignore[index]
    load("id,name,arr,health\nh2,A,1,0.85\nh3,B,1,0.2\n")
    scores = {
        r["crm_id"]: (r["health"], r["health_score"])
        for r in store.query("SELECT * FROM accounts WHERE crm_id IN ('h2','h3')")
    }
    assert scores == {"h2": ("green", 85.0), "h3": ("red", 20.0)}


def test_the_most_specific_column_wins_and_the_choice_is_said(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load("Id,Account ID,Account Name,ARR\n1,001A,Acme,10\n")
    assert account_queries.get(store, "001A") is not None
    assert any("`Id` also looked like it" in n for n in report.notes)
    with pytest.raises(UnknownName, match="to both `name` and `arr`"):
        load(
            "Account,Contract Value\nA,1\n",
            options=ImportOptions(mapping={"name": "Contract Value", "arr": "Contract Value"}),
        )


def test_a_name_two_csms_share_is_reported(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load(
        "Name,Email,Role,Manager\nAlex Kim,alex.kim@x.com,manager,\nAlex Kim,alex.kim2@x.com,csm,Alex Kim\n", "csms"
    )
    assert any("names more than one CSM (alex-kim, alex-kim2)" in str(p) for p in report.problems)
    assert store.scalar("SELECT manager FROM csms WHERE id = 'alex-kim2'") == "Alex Kim"


def test_na_is_not_silently_namibia(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load("id,name,arr,country\nn1,A,1,NA\n")
    assert "could be Namibia or mean not available" in problems(refused)[0]


def test_headers_only_and_nothing_valid_are_not_successes(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileRefused, match="has a header row but no account rows"):
        load("id,name,arr\n")
    with pytest.raises(InvalidRows, match="nothing was imported"):
        load("id,name,arr\nb1,A,x\nb2,B,y\n", skip_invalid=True)


def test_managers_written_as_names_are_linked_when_they_arrive(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("Name,Email,Manager\nLena Fischer,lena@x.com,Pat Ghost\n", "csms")
    report = load("Name,Email,Role\nPat Ghost,pat@x.com,manager\n", "csms", name="pat.csv")
    assert report.managers_linked == 1
    assert store.scalar("SELECT manager FROM csms WHERE id = 'lena'") == "pat"


def test_an_exported_file_imports_back_unchanged(load, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load('Account ID,Account Name,ARR,Phone\n-a2,=HYPERLINK("x"),10,+1 415 555 0100\n')
    export_accounts(store, tmp_path / "out.csv")
    text = (tmp_path / "out.csv").read_text()
    assert text.splitlines()[0] == "Account ID,Account Name,ARR,Phone,Tier"
    assert "'-a2" in text and "'=HYPERLINK" in text
    report = load((tmp_path / "out.csv").read_bytes(), name="back.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert account_queries.get(store, "-a2")["name"] == '=HYPERLINK("x")'  # type: ignore[index]


def test_the_export_follows_the_crm_file_and_all_columns_adds_the_rest(load, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load("Notes,ARR,Account Name,Account ID\nvip,10,Acme,A1\n")
    export_accounts(store, tmp_path / "same.csv")
    assert (tmp_path / "same.csv").read_text().splitlines()[0] == "Notes,ARR,Account Name,Account ID,Tier"
    export_accounts(store, tmp_path / "all.csv", all_columns=True)
    header = (tmp_path / "all.csv").read_text().splitlines()[0].split(",")
    assert (
        header[:4] == ["Notes", "ARR", "Account Name", "Account ID"]
        and "renewal_date" in header
        and header[-1] == "Tier"
    )


def test_the_audit_trail_says_what_created_an_account(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("Account ID,Account Name,ARR\nc1,Created Co,1\n")
    trail = audit_trail(store, entity="account:c1")
    assert trail.created is not None and trail.created.startswith("import 1 of file.csv by t on 2026-11-22")


def test_names_in_any_script_can_be_found(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("Customer,ARR\nГазпром,10\n株式会社トヨタ,20\nStraße Klinik,30\n")
    assert find_account(store, "газпром").best.name == "Газпром"
    assert find_account(store, "株式会社トヨタ").best.name == "株式会社トヨタ"
    assert find_account(store, "Straße").best.name == "Straße Klinik"
    assert records.count(store, "accounts") == 3


def test_row_numbers_stay_whole_when_some_names_are_blank(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load("id,name,arr\n1,Acme Corp,1\n2,,1\n3,ACME Corp.,1\n")
    assert any("looks like `Acme Corp` on row 2 (id 1)" in p for p in problems(refused))


def test_a_company_called_total_is_not_a_totals_row(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("Account Name,ARR\nTotal (UK) Ltd,10\n")
    assert records.count(store, "accounts") == 1
    with pytest.raises(FileRefused, match="totals row"):
        load("Account Name,ARR\nAcme,1\nGrand Totals (2 records),1\n", name="report.csv")


def test_title_rows_above_a_mapped_header(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load(
        "Accounts report,,\nCompany,Contract Value,Notes\nAcme,100,hi\n",
        options=ImportOptions(mapping={"arr": "Contract Value"}),
    )
    assert account_queries.get(store, "acme")["arr"] == 100.0  # type: ignore[index]


def test_errors_file_into_a_folder_and_stale_files_removed(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("id,name,arr\n1,A,x\n")
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(InvalidRows):
        import_table(store, path, "accounts", actor="t", clock=clock, errors_file=folder)
    assert (folder / "accounts.errors.csv").exists()
    with pytest.raises(InvalidRows):
        import_table(store, path, "accounts", actor="t", clock=clock)
    assert (tmp_path / "accounts.errors.csv").exists()
    path.write_text("id,name,arr\n1,A,1\n")
    import_table(store, path, "accounts", actor="t", clock=clock)
    assert not (tmp_path / "accounts.errors.csv").exists(), "a stale errors file would mislead"


def test_date_format_spellings_are_checked_before_reading(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("id,name,arr,renewal\nd1,A,1,03/04/2027\n", options=ImportOptions(date_format="dd/mm/yyyy"))
    assert account_queries.get(store, "d1")["renewal_date"] == "2027-04-03"  # type: ignore[index]
    with pytest.raises(UnknownName, match="is not a date format"):
        load(b"", options=ImportOptions(date_format="sometimes"))


def test_read_only_commands_never_create_or_adopt_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="There is no store at"):
        open_store(tmp_path / "typo.bd", create=False)
    assert not (tmp_path / "typo.bd").exists()
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreError, match="not a tierbot store"):
        open_store(foreign)
    with sqlite3.connect(foreign) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["invoices"]
    assert os.path.getsize(foreign) > 0
