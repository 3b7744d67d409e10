"""The export streams the book a chunk at a time (issue 15): whatever the chunk size, the file is
the one the whole book in one piece gives, cell for cell, with extras, values as the CRM wrote
them, overrides in force and formula cells neutralised wherever a chunk starts or ends."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from engine.csv_safety import UNGUARD, neutralise_array, neutralise_cell
from engine.errors import CannotWrite
from engine.fields import ACCOUNT_FIELDS
from engine.forms import NumberForm, People, write_back
from store import Store, columnar, exports
from workflows import outputs
from workflows.clock import FixedClock
from workflows.exporting import export_accounts
from workflows.importing import import_table
from workflows.rules import activate_rule_set, load_rule_set
from workflows.tiers import apply_tiers, set_override

from .test_roundtrip import RULES

HEADERS = ["Account ID", "Account Name", "ARR", "Region", "Billing Country", "Renewal Date", "Owner", "Notes", "Tier"]
ROWS = 61  # nine chunks of 7 and a short one
CHUNK = 7
# Rows where a chunk of 7 starts or ends (0-based): formula cells are put there.
EDGES = [0, 6, 7, 13, 14, 20, 56, 60]
# ``''=x`` is how a file guards a value that really starts with ``'=``: it is stored as ``'=x``.
FORMULAS = ["=1+2", "+SUM(A1)", "@x", "-3", "''=x", '=HYPERLINK("http://evil.example","x")', "\uff1dx", "=a,b"]


def crm_file(folder: Path) -> Path:
    """A CRM export written unevenly: grouped and plain ARR, US dates, country spellings, notes."""
    path = folder / "crm.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(ROWS):
            arr = 1000 * (i + 1) * (7 if i % 5 == 0 else 1)
            notes = FORMULAS[EDGES.index(i)] if i in EDGES else ("call back, soon" if i % 3 == 0 else "")
            writer.writerow(
                [
                    f"A-{i:03}",
                    f"Clinic {i}" if i % 11 else f'The "{i}" Clinic, Inc.',
                    f"{arr:,.2f}" if i % 4 == 0 else str(arr),
                    ["NA", "EMEA", "APAC", ""][i % 4],
                    ["USA", "Germany", "Korea", "Canada"][i % 4],
                    f"{1 + i % 12}/{1 + i % 28}/2027",
                    ["Jordan Blake", "Sam Patel", ""][i % 3],
                    notes,
                    "",
                ]
            )
    return path


@pytest.fixture
def book(store: Store, clock: FixedClock, fixtures: Path, tmp_path: Path) -> Store:
    """A tiered CRM book of 61 accounts, overrides in force (and one expired) at chunk edges, and
    cells no CSV import lets in (a NUL in front of a formula, a bare carriage return)."""
    import_table(store, fixtures / "roster.csv", "csms", actor="t", clock=clock, errors_file=tmp_path)
    import_table(store, crm_file(tmp_path), "accounts", actor="t", clock=clock, errors_file=tmp_path)
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    load_rule_set(store, rules, actor="t", clock=clock)
    activate_rule_set(store, "fy27", actor="t", clock=clock)
    apply_tiers(store, actor="t", clock=clock)
    for crm_id, tier in (("A-006", "Enterprise"), ("A-007", "SMB"), ("A-060", "Enterprise")):
        set_override(store, crm_id, tier, reason="exec sponsor", until=date(2027, 3, 31), actor="t", clock=clock)
    with store.transaction():
        store.execute(
            "INSERT INTO tier_overrides(crm_id, tier, reason, until, at, actor) "
            "VALUES ('A-013', 'Enterprise', 'old', '2020-01-01', '2019-12-01T00:00:00Z', 't')"
        )
        store.execute("UPDATE accounts SET name = char(0) || '=evil' || char(1) WHERE crm_id = 'A-014'")
        store.execute("UPDATE accounts SET contact_name = 'a' || char(13) || 'b' WHERE crm_id = 'A-020'")
    return store


def safe(cell: str) -> str:
    """A CRM cell as the export writes it back: read as the import reads it, then neutralised."""
    return str(neutralise_cell(re.sub(UNGUARD, r"\1", cell)))


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def sheet_of(path: Path) -> list[tuple[object, ...]]:
    book = load_workbook(path, read_only=True)
    try:
        sheet = book.active
        assert sheet is not None
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


@pytest.mark.parametrize(
    "options",
    [{}, {"normalised": True}, {"all_columns": True}, {"columns": ["Notes", "tier", "crm_id"]}],
    ids=["as-written", "normalised", "all-columns", "some-columns"],
)
def test_chunks_of_any_size_give_the_whole_book_s_file(book: Store, tmp_path: Path, options: dict) -> None:
    whole = export_accounts(book, tmp_path / "whole.csv", chunk_rows=10_000, **options)
    expected = (tmp_path / "whole.csv").read_bytes()
    for size in (1, CHUNK, 64):
        report = export_accounts(book, tmp_path / f"chunks-{size}.csv", chunk_rows=size, **options)
        assert (tmp_path / f"chunks-{size}.csv").read_bytes() == expected, size
        assert (report.rows, report.tiered, report.columns) == (whole.rows, whole.tiered, whole.columns)
    assert whole.rows == ROWS


def test_the_chunked_file_has_the_crm_s_cells_the_tiers_in_force_and_safe_formulas(book: Store, tmp_path: Path) -> None:
    export_accounts(book, tmp_path / "out.csv", chunk_rows=CHUNK)
    exported = rows_of(tmp_path / "out.csv")
    original = rows_of(crm_file(tmp_path))
    assert exported[0] == HEADERS
    cells = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in exported[1:]}
    tiers = {r["crm_id"]: r["tier"] for r in book.query("SELECT crm_id, tier FROM account_tiers")}
    for source in original[1:]:
        row = cells[source[0]]
        assert row["Tier"] == tiers[source[0]]
        # Every cell of the CRM's columns comes back as the file wrote it, neutralised if it could run.
        for header, cell in zip(HEADERS[2:-1], source[2:-1], strict=True):
            assert row[header] == safe(cell), (source[0], header)
    assert cells["A-000"]["ARR"] == "7,000.00" and cells["A-001"]["ARR"] == "2000"
    assert cells["A-002"]["Billing Country"] == "Korea" and cells["A-001"]["Renewal Date"] == "2/2/2027"
    # Overrides in force beat the rules on both sides of a chunk edge; an expired one does not.
    assert [cells[i]["Tier"] for i in ("A-006", "A-007", "A-060")] == ["Enterprise", "SMB", "Enterprise"]
    assert cells["A-013"]["Tier"] == "Mid-Market"
    assert [cells[f"A-{i:03}"]["Notes"] for i in EDGES] == [safe(f) for f in FORMULAS]
    assert cells["A-013"]["Notes"] == "-3" and cells["A-014"]["Notes"] == "''=x" and cells["A-000"]["Notes"] == "'=1+2"
    assert cells["A-014"]["Account Name"] == "'=evil"  # the NUL hid a formula: dropped, then guarded
    assert cells["A-011"]["Account Name"] == 'The "11" Clinic, Inc.'


def test_a_bare_carriage_return_is_quoted_so_the_row_reads_back_whole(book: Store, tmp_path: Path) -> None:
    export_accounts(book, tmp_path / "out.csv", all_columns=True, columns=["crm_id", "contact_name"], chunk_rows=CHUNK)
    text = (tmp_path / "out.csv").read_bytes()
    assert b'A-020,"a\rb"\n' in text
    assert dict(rows_of(tmp_path / "out.csv")[1:])["A-020"] == "a\rb"


def test_a_chunked_export_imports_back_unchanged(book: Store, clock: FixedClock, tmp_path: Path) -> None:
    export_accounts(book, tmp_path / "back.csv", chunk_rows=CHUNK)
    with book.transaction():  # a name no import lets in: put back one that can come home
        book.execute("UPDATE accounts SET name = 'Evil Clinic' WHERE crm_id = 'A-014'")
        book.execute("UPDATE accounts SET contact_name = NULL WHERE crm_id = 'A-020'")
    export_accounts(book, tmp_path / "back.csv", chunk_rows=CHUNK)
    report = import_table(book, tmp_path / "back.csv", "accounts", actor="t", clock=clock, errors_file=tmp_path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, ROWS)
    export_accounts(book, tmp_path / "again.csv", chunk_rows=5)
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "back.csv").read_bytes()


def test_a_chunked_xlsx_is_the_whole_book_s(book: Store, tmp_path: Path) -> None:
    export_accounts(book, tmp_path / "whole.xlsx", chunk_rows=10_000)
    export_accounts(book, tmp_path / "chunks.xlsx", chunk_rows=CHUNK)
    whole, chunks = sheet_of(tmp_path / "whole.xlsx"), sheet_of(tmp_path / "chunks.xlsx")
    assert whole == chunks and len(chunks) == ROWS + 1
    cells = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in chunks[1:]}
    assert cells["A-001"]["ARR"] == 2000 and cells["A-000"]["ARR"] == "7,000.00"  # numbers stay numbers
    assert (
        cells["A-006"]["Tier"] == "Enterprise" and cells["A-020"]["Notes"] == '\'=HYPERLINK("http://evil.example","x")'
    )


def test_the_demo_book_streams_too(
    demo_store: Store, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_override(demo_store, "Initech", "enterprise", reason="exec sponsor", actor="t", clock=clock)
    monkeypatch.setattr(columnar, "CHILD_FROM_ROWS", 0)  # read as a big book is: by Arrow's reader

    def no_lookups(store: Store, crm_ids: list[str]) -> dict:
        raise AssertionError("the ordered read of the tiers lines up with the accounts: no lookup by id")

    monkeypatch.setattr(exports, "tiers_of", no_lookups)
    whole = export_accounts(demo_store, tmp_path / "whole.csv", chunk_rows=10_000)
    chunked = export_accounts(demo_store, tmp_path / "chunks.csv", chunk_rows=100)
    assert (tmp_path / "chunks.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert chunked.rows == whole.rows == 1000 and chunked.tiered == 1000
    tiers = {row[0]: row[-1] for row in rows_of(tmp_path / "chunks.csv")[1:]}
    assert tiers["ACC-0000005"] == "Enterprise"


def test_tiers_are_looked_up_when_the_ordered_read_fails_or_strays(
    book: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_accounts(book, tmp_path / "streamed.csv", chunk_rows=CHUNK)
    expected = (tmp_path / "streamed.csv").read_bytes()

    def failing(store: Store, size: int = 0):  # type: ignore[no-untyped-def]
        yield from []
        raise OSError("the driver gave up")

    with monkeypatch.context() as patched:
        patched.setattr(exports, "tiers_in_book_order", failing)
        export_accounts(book, tmp_path / "looked-up.csv", chunk_rows=CHUNK)
    assert (tmp_path / "looked-up.csv").read_bytes() == expected
    # Two overrides in force on one account (no command makes that): still one row per account.
    with book.transaction():
        book.execute(
            "INSERT INTO tier_overrides(crm_id, tier, reason, until, at, actor) "
            "VALUES ('A-003', 'Enterprise', 'twice', NULL, '2026-01-01T00:00:00Z', 't'), "
            "('A-003', 'Enterprise', 'thrice', NULL, '2026-01-02T00:00:00Z', 't')"
        )
    report = export_accounts(book, tmp_path / "twice.csv", chunk_rows=CHUNK)
    rows = rows_of(tmp_path / "twice.csv")[1:]
    assert report.rows == len(rows) == len({row[0] for row in rows}) == ROWS
    assert dict((row[0], row[-1]) for row in rows)["A-003"] == "Enterprise"


def test_a_write_that_fails_mid_stream_stops_the_readers(
    book: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = threading.active_count()
    write_rows = outputs._write_csv_rows
    written = []

    def disk_full(chunk, handle):  # type: ignore[no-untyped-def]
        if written:
            raise OSError(28, "No space left on device")
        written.append(write_rows(chunk, handle))
        return written[-1]

    monkeypatch.setattr(outputs, "_write_csv_rows", disk_full)
    with pytest.raises(CannotWrite, match="No space left on device"):
        export_accounts(book, tmp_path / "out.csv", chunk_rows=CHUNK)
    assert written == [CHUNK] and not (tmp_path / "out.csv").exists()
    assert threading.active_count() == before


# ---------------------------------------------------------------------------------- the pieces

CELL_TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\n'=-+@\t\u00a0\u200b\uff1d\x00\x01\x7f\x85é€")), max_size=6)


@given(st.lists(st.one_of(st.none(), CELL_TEXT), max_size=40))
def test_neutralising_a_column_is_neutralising_each_cell(cells: list[str | None]) -> None:
    column = neutralise_array(pa.array(cells, type=pa.large_string())).to_pylist()
    assert column == [neutralise_cell(cell) if cell is not None else None for cell in cells]


@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda width: st.lists(st.lists(st.one_of(st.none(), CELL_TEXT), min_size=width, max_size=width), max_size=20)
    )
)
def test_the_csv_text_is_pandas_to_csv_text(rows: list[list[str | None]]) -> None:
    rows = [[None if c is None else c.replace("\r", "") for c in row] for row in rows]  # see the next test
    width = len(rows[0]) if rows else 2
    headers = [f"h{i}" for i in range(width)]
    columns = [pa.array([row[i] for row in rows], type=pa.large_string()) for i in range(width)]
    out = io.BytesIO()
    out.write(outputs._csv_header(headers))
    half = len(rows) // 2
    for part in ([c.slice(0, half) for c in columns], [c.slice(half) for c in columns]):
        outputs._write_csv_rows(part, out)
    expected = pd.DataFrame(rows, columns=headers, dtype=object).to_csv(index=False)
    assert out.getvalue().decode("utf-8") == expected


def test_a_lone_empty_cell_and_a_bare_carriage_return_are_quoted() -> None:
    out = io.BytesIO()
    outputs._write_csv_rows([pa.array(["", None, "a\rb", "x"], type=pa.large_string())], out)
    assert out.getvalue() == b'""\n""\n"a\rb"\nx\n'
    assert outputs._csv_header(["Tier"]) == b"Tier\n" and outputs._csv_header([""]) == b'""\n'


@pytest.mark.parametrize("form", [NumberForm(), NumberForm(min_decimals=1)], ids=["plain", "one-decimal"])
@given(numbers=st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)), max_size=30))
def test_numbers_are_written_as_the_form_renders_them(form: NumberForm, numbers: list[float | None]) -> None:
    values = pa.table({"arr": pa.array(numbers, type=pa.float64())})
    people = People(lambda reference: None, {})
    cells = write_back(ACCOUNT_FIELDS, values, {"arr": {"number": form.as_json()}}, None, people)["arr"]
    assert isinstance(cells, pa.Array)
    assert cells.to_pylist() == [form.render(n) if n is not None else "" for n in numbers]
