"""Export for the CRM: the Tier column, CRM headers, and cells that cannot run as formulas."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.csv_safety import neutralise_cell
from engine.errors import CannotWrite, InputError, UnknownName
from store import Store
from workflows import outputs
from workflows.clock import FixedClock
from workflows.exporting import export_accounts
from workflows.importing import import_table

HOSTILE = tuple(f'{prefix}HYPERLINK("http://evil.example","x")' for prefix in ("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_are_neutralised(value: str) -> None:
    assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("Acme Corp") == "Acme Corp"
    assert neutralise_cell(-5) == -5


@pytest.fixture
def hostile_store(store: Store, clock: FixedClock, tmp_path: Path) -> Store:
    path = tmp_path / "hostile.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Account ID", "Account Name", "ARR", "Plan", "Notes"])
        for i, value in enumerate(HOSTILE):
            writer.writerow([f"H-{i}", f"Clinic {i} {value.strip()}", 1000 + i, value.strip() or "Gold", value])
    import_table(store, path, "accounts", actor="t", clock=clock, errors_file=tmp_path / "e.csv")
    return store


def test_csv_export_is_safe_in_a_spreadsheet(hostile_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    report = export_accounts(hostile_store, out)
    assert report.rows == len(HOSTILE)
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:3] == ["Account ID", "Account Name", "ARR"]
    assert "Tier" in rows[0] and "Notes" in rows[0]
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    notes = {r["Account ID"]: r["Notes"] for r in rows}
    assert notes["H-0"] == "'" + HOSTILE[0]
    assert rows[0]["ARR"] == "1000"


def test_xlsx_export_is_safe_too(hostile_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    export_accounts(hostile_store, out)
    sheet = load_workbook(out).active
    for row in sheet.iter_rows(values_only=True):
        for cell in row:
            assert not (isinstance(cell, str) and cell.startswith(("=", "+", "-", "@", "\t", "\r"))), cell


def test_errors_file_is_safe_too(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('Account ID,Account Name,ARR\nB-1,Bad,"=1+2"\n')
    with pytest.raises(InputError):
        import_table(store, path, "accounts", actor="t", clock=clock, errors_file=tmp_path / "errors.csv")
    with (tmp_path / "errors.csv").open(newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["value"] == "'=1+2"


def test_unknown_columns_and_formats_are_refused(hostile_store: Store, tmp_path: Path) -> None:
    with pytest.raises(UnknownName, match="did you mean `name`"):
        export_accounts(hostile_store, tmp_path / "x.csv", ["nmae"])
    with pytest.raises(InputError, match=r"name the file \.csv or \.xlsx"):
        export_accounts(hostile_store, tmp_path / "x.json")


def test_a_missing_folder_is_a_clear_error(hostile_store: Store, tmp_path: Path) -> None:
    with pytest.raises(CannotWrite, match="Check that the folder exists"):
        export_accounts(hostile_store, tmp_path / "nope" / "x.csv")


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_debris(
    hostile_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "tiers.csv"
    out.write_text("the previous export\n")
    write_rows = outputs._write_csv_rows

    def disk_full(chunk, handle):  # type: ignore[no-untyped-def]
        write_rows(chunk, handle)  # the first chunk lands, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "_write_csv_rows", disk_full)
    with pytest.raises(CannotWrite, match=r"No space left on device\. The previous file, if any, is unchanged"):
        export_accounts(hostile_store, out, chunk_rows=2)
    assert out.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tiers")] == []
