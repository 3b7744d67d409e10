"""Imports that are never silently wrong and never overwrite good data (issue 9): cut-off files,
ambiguous amounts, stale XLSX dimensions, duplicate columns, look-alike ids, control characters,
corrupt files, and --dry-run writing nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from engine.errors import FileRefused, InvalidRows
from store import Store
from workflows.clock import FixedClock
from workflows.importing import import_table

from .test_cli import tierbot
from .test_import_edges import problems


def accounts(store: Store) -> dict[str, dict]:
    return {r["crm_id"]: r for r in store.query("SELECT * FROM accounts")}


# ---------------------------------------------------------------------------------- --dry-run


def test_a_dry_run_creates_no_store(tmp_path: Path) -> None:
    export = tmp_path / "accounts.csv"
    export.write_text("Account ID,Account Name,ARR\na1,Alpha,100\na2,Beta,200\n")
    db = tmp_path / "new.db"
    result = tierbot("--db", str(db), "import", "accounts", str(export), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["created"], report["written"], report["dry_run"]) == (2, False, True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv"]
    text = tierbot("--db", str(db), "import", "accounts", str(export), "--dry-run")
    assert text.exit_code == 0 and "2 new" in text.stdout
    assert f"No store at {db} yet" in text.stdout
    assert not db.exists()


# ---------------------------------------------------------------------------------- amounts


def test_a_dotted_amount_without_a_currency_sign_is_refused_not_read_as_a_decimal(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load("id,name,arr,potential_arr\nd1,Dot Co,8.500,12.250\nd2,Plain Co,8500,1.5\n")
    assert problems(refused) == [
        "Column `arr` has `8.500` on row 2: could be a decimal or a thousands separator. Pass --decimal-comma if "
        "the file writes eight thousand five hundred as 8.500; write 8.5 or 8500 otherwise.",
        "Column `potential_arr` has `12.250` on row 2: could be a decimal or a thousands separator. Pass "
        "--decimal-comma if the file writes eight thousand five hundred as 8.500; write 8.5 or 8500 otherwise.",
    ]
    load("id,name,arr\nd1,Dot Co,8.500\n", name="comma.csv", options=_decimal_comma())
    assert accounts(store)["d1"]["arr"] == 8500.0
    load("id,name,arr\nd1,Dot Co,8.50\nd2,B,8.5\nd3,C,1234.500\n", name="decimals.csv")  # not ambiguous
    assert [accounts(store)[i]["arr"] for i in ("d1", "d2", "d3")] == [8.5, 8.5, 1234.5]


def _decimal_comma():  # type: ignore[no-untyped-def]
    from engine.validation import ImportOptions

    return ImportOptions(decimal_comma=True)


# ---------------------------------------------------------------------------------- XLSX


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewrite_member(data: bytes, member: str, change) -> bytes:  # type: ignore[no-untyped-def]
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == member:
                content = change(content)
            target.writestr(item, content)
    return out.getvalue()


def test_xlsx_rows_past_a_stale_dimension_are_all_read(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    rows: list[list[object]] = [["Account ID", "Account Name", "ARR"]]
    rows += [[f"x{i}", f"Company {i}", 1000 + i] for i in range(30)]
    stale = _rewrite_member(
        _xlsx(rows),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'<dimension ref="A1:C31" />', b'<dimension ref="A1:C21" />'),
    )
    assert b'ref="A1:C21"' in zipfile.ZipFile(io.BytesIO(stale)).read("xl/worksheets/sheet1.xml")
    report = load(stale, name="stale.xlsx")
    assert report.created == 30
    assert accounts(store)["x29"]["arr"] == 1029.0


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) // 2], "is not a readable XLSX workbook"),
        (
            lambda data: _rewrite_member(data, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2]),
            "is not a readable XLSX workbook",
        ),
        (
            lambda data: _rewrite_member(data, "xl/worksheets/sheet1.xml", lambda xml: b"\x00\x01not xml at all"),
            "is not a readable XLSX workbook",
        ),
        (
            lambda data: _rewrite_member(
                data,
                "xl/worksheets/sheet1.xml",
                lambda xml: xml.replace(
                    b"<worksheet",
                    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]><worksheet',
                    1,
                ).replace(b"<v>1000</v>", b"<v>&lol2;</v>"),
            ),
            "declares XML entities",
        ),
        (
            lambda data: _rewrite_member(
                data,
                "xl/workbook.xml",
                lambda xml: (
                    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    + xml.split(b"?>", 1)[-1]
                ),
            ),
            "declares XML entities",
        ),
    ],
    ids=["cut in half", "sheet cut in half", "sheet not xml", "entity expansion", "external entity"],
)
def test_corrupt_and_hostile_xlsx_files_are_refused_with_what_is_wrong(load, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    rows: list[list[object]] = [["Account ID", "Account Name", "ARR"], ["x1", "Company", 1000]]
    with pytest.raises(FileRefused, match=message):
        load(damage(_xlsx(rows)), name="broken.xlsx")


# ---------------------------------------------------------------------------------- UTF-16


@pytest.mark.parametrize(
    "content",
    [
        "\ufeffAccount ID\tName\tARR\nu1\tZürich\t100\n".encode("utf-16-le") + b"\x00",  # odd length
        b"\xff\xfe"
        + "Account ID\tName\tARR\nu1\t".encode("utf-16-le")
        + b"\x00\xd8A\x00"
        + "\t100\n".encode("utf-16-le"),
        b"\xff\xfe" + "Account ID,Name,ARR\n".encode("utf-16-le") + "u1,Zürich,100\n".encode("utf-16-le")[:-3],
    ],
    ids=["odd byte count", "lone surrogate", "cut mid-character"],
)
def test_corrupt_utf16_is_refused_with_what_is_wrong(load, content: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileRefused, match="UTF-16"):
        load(content, name="unicode.txt")


def test_corrupt_files_never_reach_the_unexpected_problem_message(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(_xlsx([["Account ID", "Account Name", "ARR"], ["x1", "A", 1]])[:900])
    result = tierbot("--db", db, "import", "accounts", str(broken))
    assert result.exit_code == 1 and "unexpected problem" not in result.output
    assert "is not a readable XLSX workbook" in result.stderr


# ---------------------------------------------------------------------------------- cut-off files

FULL = "Account ID,Account Name,ARR,Region,Account Owner\nc1,Cobalt Care,12910,EMEA,Jordan Blake\nc2,Delta Dental,4500,NA,Riley Nguyen\n"


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        ("c2,Delta Dental,4", "Row 3 of `cut.csv` ends after 3 of 5 columns"),
        ("c2,Delta Dental,4500,NA", "Row 3 of `cut.csv` ends after 4 of 5 columns"),
        ('c2,"Delta, Dental', "Row 3 of `cut.csv` ends inside a quoted value"),
    ],
)
def test_a_file_cut_off_mid_row_is_refused_and_overwrites_nothing(load, store: Store, cut: str, message: str) -> None:  # type: ignore[no-untyped-def]
    load(FULL)
    before = accounts(store)
    head = FULL.split("\n")
    with pytest.raises(FileRefused, match=message) as refused:
        load("\n".join(head[:2]) + "\n" + cut, name="cut.csv")
    assert "looks cut off" in str(refused.value)
    assert accounts(store) == before


def test_a_complete_file_without_a_final_line_break_imports(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load(FULL.rstrip("\n"), name="no-newline.csv")
    assert report.created == 2 and accounts(store)["c2"]["arr"] == 4500.0
    footer = FULL + '\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."'
    assert load(footer, name="footer.csv").unchanged == 2
    # Short rows that end with a line break are complete (the writer left out empty trailing cells);
    # a short last row without one may have been cut, so it is refused with how to say it is whole.
    ragged = "Account ID,Account Name,ARR,Notes\nr1,Ragged Co,10\nr2,Ragged Two,20"
    with pytest.raises(FileRefused, match="end the file with a line break"):
        load(ragged, name="ragged.csv")
    assert load(ragged + "\n", name="ragged.csv").created == 2


# ---------------------------------------------------------------------------------- columns


def test_two_columns_for_one_field_are_refused_when_they_disagree(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileRefused) as refused:
        load("id,name,arr,ARR\nk1,Kilo,100,250\n", name="two.csv")
    assert str(refused.value) == (
        "Columns `arr` and `ARR` of `two.csv` both read as ARR and disagree on row 2 (`100` and `250`). "
        'Delete one, or say which to read with --map arr="ARR".'
    )
    report = load("id,name,arr,ARR\nk1,Kilo,100,250\n", name="two.csv", options=_mapping(arr="ARR"))
    assert accounts(store)["k1"]["arr"] == 250.0 and report.created == 1
    same = load("id,name,ARR,ARR\nk2,Lima,300,300\n", name="same.csv")
    assert accounts(store)["k2"]["arr"] == 300.0
    assert "Read ARR from `ARR`; `ARR (2)` holds the same values and was kept as extra." in same.notes


def _mapping(**mapping: str):  # type: ignore[no-untyped-def]
    from engine.validation import ImportOptions

    return ImportOptions(mapping=mapping)


# ---------------------------------------------------------------------------------- look-alike ids


@pytest.mark.parametrize(
    ("twin", "difference"),
    [
        ("ACC-1\u200b", "U+200B ZERO WIDTH SPACE"),
        ("ＡＣＣ-1", "U+FF21 FULLWIDTH LATIN CAPITAL LETTER A"),
        ("АСС-1", "U+0410 CYRILLIC CAPITAL LETTER A"),
        ("ACC\u20111", "U+2011 NON-BREAKING HYPHEN"),
    ],
)
def test_ids_that_only_look_alike_are_refused_naming_both(load, store: Store, twin: str, difference: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows) as refused:
        load(f"id,name,arr\nACC-1,Acme,100\n{twin},Acme Twin,200\n", name="twins.csv")
    assert problems(refused) == [
        f"Column `id` has `{twin}` on row 3: looks the same as the id `ACC-1` on row 2 but differs by {difference}. "
        "Retype the id (or fix it in the CRM) so each account has one id."
    ]
    load("id,name,arr\nACC-1,Acme,100\n", name="first.csv")
    with pytest.raises(InvalidRows) as refused:
        load(f"id,name,arr\n{twin},Acme Twin,200\n", name="second.csv")
    assert problems(refused) == [
        f"Column `id` has `{twin}` on row 2: looks the same as the id `ACC-1` of the account `Acme` already in the "
        f"store but differs by {difference}. Retype the id (or fix it in the CRM) so each account has one id."
    ]
    assert set(accounts(store)) == {"ACC-1"}


def test_ids_that_differ_by_case_or_ascii_are_still_different(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    # Salesforce's 15-character ids are case-sensitive.
    report = load("id,name,arr\n0015g00000AbCdE,A,1\n0015g00000ABCDE,B,2\n")
    assert report.created == 2


# ---------------------------------------------------------------------------------- control characters


def test_control_characters_are_cleaned_on_the_way_in_and_xlsx_exports(load, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from workflows.exporting import export_accounts

    filler = "".join(f"f{i},Filler {i},1\n" for i in range(400))  # pushes the NUL past the sniffed head
    text = "id,name,arr,Notes\n" + filler + "n1,Nul\x00 Corp,100,a\x0bb\x0cc\x1b[31mred\n"
    report = load(text.encode(), name="controls.csv")
    assert accounts(store)["n1"]["name"] == "Nul Corp"
    assert json.loads(accounts(store)["n1"]["extra"]) == {"Notes": "abc[31mred"}
    assert any("control characters" in note and "row 402" in note for note in report.notes)
    out = tmp_path / "out.xlsx"
    assert export_accounts(store, out).rows == 401


def test_every_formula_prefix_is_neutralised_and_a_real_apostrophe_survives() -> None:
    from engine.csv_safety import neutralise_cell

    assert neutralise_cell("\x00=1+1") == "'=1+1"
    assert neutralise_cell(" =1+1") == "' =1+1"
    assert neutralise_cell("＝HYPERLINK()") == "'＝HYPERLINK()"
    assert neutralise_cell("\u200b@SUM(A1)") == "'\u200b@SUM(A1)"
    assert neutralise_cell("'=SUM(A1)") == "''=SUM(A1)"
    assert neutralise_cell("'tis the season") == "'tis the season"
    assert neutralise_cell("Line\nbreak") == "Line\nbreak"
    assert neutralise_cell("\x1bred") == "red"


def test_a_value_that_really_starts_with_an_apostrophe_survives_the_round_trip(
    load, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from workflows.exporting import export_accounts

    load("Account ID,Account Name,ARR,Notes\nq1,\"''=Quoted Co\",1,'=SUM(A1)\nq2,Plain,2,=SUM(A1)\n")
    assert accounts(store)["q1"]["name"] == "'=Quoted Co"
    assert json.loads(accounts(store)["q1"]["extra"]) == {"Notes": "=SUM(A1)"}
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"round.{suffix}"
        export_accounts(store, out)
        again = import_table(
            store,
            out,
            "accounts",
            actor="t",
            clock=FixedClock(__import__("datetime").datetime(2026, 11, 22)),
            errors_file=tmp_path,
        )
        assert (again.created, again.updated) == (0, 0)
    assert accounts(store)["q1"]["name"] == "'=Quoted Co"


# ---------------------------------------------------------------------------------- chunks


def _outcome(store: Store, clock: FixedClock, path: Path, kind: str, tmp: Path, **kwargs) -> tuple:  # type: ignore[no-untyped-def]
    try:
        report = import_table(store, path, kind, actor="t", clock=clock, errors_file=tmp / "e.csv", **kwargs)
    except InvalidRows as refused:
        report = refused.report
    except FileRefused as refused:
        return (str(refused),)
    table = "accounts" if kind == "accounts" else "csms"
    key = "crm_id" if kind == "accounts" else "id"
    # Which cells are kept as written depends on where the file was split (the first part a
    # column has values in settles its form); what the export gives back does not.
    rows = [
        {k: v for k, v in r.items() if k not in ("updated_at", "written")}
        for r in store.query(f"SELECT * FROM {table} ORDER BY {key}")
    ]
    exported = ""
    if kind == "accounts" and report.written:
        from workflows.exporting import export_accounts

        export_accounts(store, tmp / "export.csv")
        exported = (tmp / "export.csv").read_text()
    shown = [str(p) for p in report.problems]
    counts = (report.rows_read, report.created, report.updated, report.unchanged, report.skipped)
    return (
        counts,
        report.errors,
        report.warnings,
        report.notes,
        shown,
        rows,
        exported,
        (tmp / "e.csv").read_text() if (tmp / "e.csv").exists() else "",
    )


@pytest.mark.parametrize(
    ("name", "kind", "kwargs"),
    [
        ("salesforce_accounts.csv", "accounts", {}),
        ("hubspot_companies.csv", "accounts", {}),
        ("salesforce_account_report.csv", "accounts", {}),
        ("hubspot_company_export.csv", "accounts", {}),
        ("account_errors.csv", "accounts", {}),
        ("account_errors.csv", "accounts", {"skip_invalid": True}),
        ("european_semicolon.csv", "accounts", {"options": _decimal_comma()}),
        ("names_only.csv", "accounts", {}),
        ("bom_tabs.tsv", "accounts", {}),
        ("roster.csv", "csms", {}),
        ("roster_errors.csv", "csms", {"skip_invalid": True}),
        ("ragged.csv", "accounts", {}),
        ("summary_totals.csv", "accounts", {}),
        ("ambiguous_dates.csv", "accounts", {}),
        ("ambiguous_dates.csv", "accounts", {"options": _mapping()}),
    ],
)
def test_a_file_checked_in_small_chunks_gives_what_the_whole_file_gives(
    tmp_path: Path, clock: FixedClock, name: str, kind: str, kwargs: dict
) -> None:
    from store import open_store

    from .conftest import FIXTURES

    outcomes = []
    for chunk_rows in (1_000_000, 2, 3):
        folder = tmp_path / str(chunk_rows)
        folder.mkdir()
        with open_store(folder / "t.db") as store:
            outcomes.append(_outcome(store, clock, FIXTURES / name, kind, folder, chunk_rows=chunk_rows, **kwargs))
    assert outcomes[1] == outcomes[0]
    assert outcomes[2] == outcomes[0]


def test_orders_rolled_up_in_small_chunks_give_what_the_whole_file_gives(tmp_path: Path, clock: FixedClock) -> None:
    from store import open_store

    from .test_import_orders import ORDERS

    path = tmp_path / "orders.csv"
    path.write_text(ORDERS + "C-4,Foxtrot,2026-05-05,12,NA,Consumer\nC-1,Cobalt Care,2026-03-10,7,EMEA,Corporate\n")
    outcomes = []
    for chunk_rows in (1_000_000, 2, 3):
        folder = tmp_path / str(chunk_rows)
        folder.mkdir()
        with open_store(folder / "t.db") as store:
            options = _mapping(arr="Sales")
            outcomes.append(
                _outcome(
                    store, clock, path, "accounts", folder, chunk_rows=chunk_rows, options=options, aggregate="sum"
                )
            )
    assert outcomes[0][0] == (9, 4, 0, 0, 0)
    assert outcomes[1] == outcomes[0] and outcomes[2] == outcomes[0]


def test_an_xlsx_file_in_small_chunks_gives_what_the_whole_file_gives(tmp_path: Path, clock: FixedClock) -> None:
    from store import open_store

    rows: list[list[object]] = [["Report: accounts"], [], ["Account ID", "Account Name", "ARR", "Health"]]
    rows += [[f"x{i}", f"Company {i}", 1000 + i, 0.5 + i / 100] for i in range(12)]
    rows += [["x3", "Company 3 again", 5, 0.9], [], ["Copyright (c) 2026 salesforce.com"]]
    path = tmp_path / "book.xlsx"
    path.write_bytes(_xlsx(rows))
    outcomes = []
    for chunk_rows in (1_000_000, 2, 5):
        folder = tmp_path / str(chunk_rows)
        folder.mkdir()
        with open_store(folder / "t.db") as store:
            outcomes.append(_outcome(store, clock, path, "accounts", folder, chunk_rows=chunk_rows, skip_invalid=True))
    assert outcomes[0][0] == (13, 11, 0, 0, 2)
    assert outcomes[1] == outcomes[0] and outcomes[2] == outcomes[0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_cut_off_utf16_file_is_refused_too(load, encoding: str) -> None:  # type: ignore[no-untyped-def]
    # Longer than the tail read for the check, so the byte-order mark is not in it.
    filler = "".join(f"f{i}\tFiller {i}\t{i}\tNA\n" for i in range(10_000))
    text = "Account ID\tAccount Name\tARR\tRegion\n" + filler + "u1\tZürich\t100\tEMEA\nu2\tBern\t2"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    with pytest.raises(FileRefused, match=r"Row 10003 of `unicode\.txt` ends after 3 of 4 columns"):
        load(data, name="unicode.txt")


def test_an_import_landing_first_is_seen_by_the_next_under_the_write_lock(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports into a new store: the second must compare with what the first wrote, not
    with the empty store it saw when it began (it would insert an id that now exists)."""
    import workflows.importing as importing
    from store import open_store

    db = tmp_path / "race.db"
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("Account ID,Account Name,ARR\nSHARED,Shared Clinic,100\nf1,First,1\n")
    second.write_text("Account ID,Account Name,ARR\nSHARED,Shared Clinic,200\ns1,Second,2\n")
    go = importing._Run.go
    landed: list[bool] = []

    def meanwhile(run) -> None:  # type: ignore[no-untyped-def]
        # The other import lands after this one has read the file, before it takes the write lock.
        if not landed:
            landed.append(True)
            with open_store(db) as other:
                import_table(other, first, "accounts", actor="other", clock=clock, errors_file=tmp_path)
        go(run)

    with open_store(db) as store:
        monkeypatch.setattr(importing._Run, "go", meanwhile)
        report = import_table(store, second, "accounts", actor="t", clock=clock, errors_file=tmp_path)
        monkeypatch.setattr(importing._Run, "go", go)
        assert (report.created, report.updated) == (1, 1)
        assert {r["crm_id"]: r["arr"] for r in store.query("SELECT crm_id, arr FROM accounts")} == {
            "SHARED": 200.0,
            "f1": 1.0,
            "s1": 2.0,
        }


def test_the_spool_of_a_killed_import_is_removed_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys
    import tempfile

    from workflows.files import spool_grid

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"tierbot-import-{int(dead.stdout)}-abcd"
    stale.mkdir()
    (stale / "part-00000.arrow").write_bytes(b"x" * 100)
    mine = tmp_path / f"tierbot-import-{__import__('os').getpid()}-efgh"
    mine.mkdir()
    export = tmp_path / "a.csv"
    export.write_text("Account ID,Account Name,ARR\na1,A,1\n")
    with spool_grid(export) as grid:
        assert grid.rows == 2
    assert not stale.exists() and mine.exists()
