"""Read the files CS teams really have into a grid of text cells.

CSV from Salesforce, HubSpot and spreadsheets: UTF-8 with or without BOM, UTF-16 (Excel's
"Unicode text"), Windows-1252; CRLF or LF; comma, semicolon, tab or pipe, detected. XLSX through
openpyxl. Every cell comes back as text exactly as a person would see it; reading values is
the engine's job.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from engine.errors import FileRefused
from engine.normalize import TEXT

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ZIP_MAGIC = b"PK\x03\x04"
_SAMPLE_BYTES = 256 * 1024


@dataclass
class Grid:
    """A file's cells, all text, one grid row per spreadsheet row (row 1 at index 0)."""

    frame: pd.DataFrame
    source: str
    sha256: str
    notes: list[str] = field(default_factory=list)


def read_grid(path: Path, sheet: str | None = None) -> Grid:
    """Read a CSV or XLSX file into a grid of text cells."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileRefused(f"There is no file at {path}. Check the path.") from None
    except IsADirectoryError:
        raise FileRefused(f"{path} is a folder, not a file. Give the path of the export file.") from None
    except OSError as exc:
        raise FileRefused(f"Cannot read {path}: {exc.strerror}.") from None
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise FileRefused(f"`{path.name}` is an old Excel .xls file: save it as .xlsx or CSV and import that.")
    if suffix in (".xlsx", ".xlsm") or data.startswith(_ZIP_MAGIC):
        frame, notes = _read_xlsx(data, path.name, sheet)
    else:
        frame, notes = _read_csv(data, path.name)
    return Grid(frame=frame, source=path.name, sha256=digest, notes=notes)


_GZIP_MAGIC = b"\x1f\x8b"
_PDF_MAGIC = b"%PDF"
# A valid UTF-8 multi-byte character: text that has these is meant as UTF-8.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _decode_head(data: bytes, source: str) -> tuple[str, str, list[str]]:
    """Pick the encoding; return (pandas encoding, decoded sample, notes).

    Refuses what is not text (compressed, PDF, binary) and text that mixes encodings (UTF-8 with
    stray Windows-1252 bytes), which no single reading can import without garbling names.
    """
    notes: list[str] = []
    head = data[:4096]
    if head.startswith(_GZIP_MAGIC):
        raise FileRefused(f"`{source}` is compressed (gzip): decompress it and import the CSV inside.")
    if head.startswith(_PDF_MAGIC):
        raise FileRefused(f"`{source}` is a PDF, not a spreadsheet: export the report as CSV or XLSX.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        notes.append("Read as UTF-16 text.")
    elif b"\x00" in head:
        # UTF-16 without its byte-order mark puts a zero byte beside every ASCII character.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            encoding = "utf-16-le"
        elif even > len(head) // 4 and odd == 0:
            encoding = "utf-16-be"
        else:
            raise FileRefused(f"`{source}` is not text (it holds binary data): export the report as CSV or XLSX.")
        notes.append("Read as UTF-16 text.")
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            if _UTF8_SEQUENCE.search(data):
                raise FileRefused(
                    f"Line {_line_of(data, exc.start)} of `{source}` is not UTF-8 (byte 0x{data[exc.start]:02X}) "
                    "although the rest of the file is: it mixes encodings. Save the file again as UTF-8 CSV."
                ) from None
            encoding = "cp1252"
            notes.append("Read as Windows-1252 text (the file is not UTF-8).")
    try:
        sample = data[: _SAMPLE_BYTES * (2 if encoding.startswith("utf-16") else 1)].decode(encoding, errors="ignore")
        if encoding == "cp1252":
            data.decode("cp1252")
    except UnicodeDecodeError:
        encoding = "latin-1"
        sample = data[:_SAMPLE_BYTES].decode(encoding)
    if not sample.replace(",", "").replace(";", "").replace("\t", "").replace("|", "").strip():
        raise FileRefused(f"`{source}` is empty: it has no header row and no data.")
    return encoding, sample, notes


def _sniff_delimiter(sample: str) -> tuple[str, int]:
    """The delimiter that splits the sample's lines most consistently, and the widest row."""
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end mid-line
    best: tuple[float, int, str] = (-1.0, 0, ",")
    widest = {d: 1 for d in _DELIMITERS}
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in row)]
        if not counts:
            continue
        widest[delimiter] = max(counts)
        typical = max(set(counts), key=counts.count)
        if typical < 2:
            continue
        consistency = counts.count(typical) / len(counts)
        score = (consistency, typical, delimiter)
        if score[:2] > best[:2]:
            best = score
    return best[2], widest[best[2]]


def _read_csv(data: bytes, source: str) -> tuple[pd.DataFrame, list[str]]:
    encoding, sample, notes = _decode_head(data, source)
    delimiter, width = _sniff_delimiter(sample)
    if delimiter != ",":
        notes.append(f"Columns are separated by {_DELIMITER_NAMES[delimiter]}s.")
    # Rows of uneven width (report titles, footers, ragged lines) make Arrow's parser give up:
    # pandas' C parser then pads short rows and names the line of a long one.
    with contextlib.suppress(pa.ArrowInvalid):
        return _read_csv_arrow(data, encoding, delimiter, width), notes
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            header=None,
            names=list(range(width)),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding=encoding,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise FileRefused(f"`{source}` is empty: it has no header row and no data.") from None
    except pd.errors.ParserError as exc:
        raise FileRefused(_ragged_message(source, str(exc), delimiter)) from None
    except UnicodeDecodeError as exc:
        raise FileRefused(f"`{source}` is not text ({exc.reason}): export it again as CSV or XLSX.") from None
    return frame.fillna("").astype(TEXT), notes


def _read_csv_arrow(data: bytes, encoding: str, delimiter: str, width: int) -> pd.DataFrame:
    """Read a rectangular CSV with Arrow's parser straight into Arrow-backed text columns."""
    names = [f"c{i}" for i in range(width)]
    table = pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(
            column_names=names,
            encoding="utf8" if encoding == "utf-8-sig" else encoding,
            block_size=1 << 22,
        ),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            # large_string is what pandas' Arrow-backed text uses: no copy on the way in.
            column_types={n: pa.large_string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas(types_mapper=lambda t: TEXT if t in (pa.string(), pa.large_string()) else None)
    frame.columns = range(width)
    return frame


def _ragged_message(source: str, detail: str, delimiter: str) -> str:
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    name = _DELIMITER_NAMES[delimiter]
    if m:
        expected, line, saw = m.groups()
        return (
            f"Line {line} of `{source}` has {saw} cells but earlier rows have {expected}: a value "
            f"probably contains an unquoted {name}. Put that value in double quotes or remove the "
            f"extra {name}."
        )
    return f"`{source}` is not a well-formed CSV file ({detail.strip()}). Export it again from the CRM."


def _cell_text(value: object, number_format: str = "") -> str:
    """A cell's value as text, written the way the spreadsheet shows it (85% as 85%, not 0.85)."""
    if value is None:
        return ""
    if "%" in number_format and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.10g}%"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_xlsx(data: bytes, source: str, sheet: str | None) -> tuple[pd.DataFrame, list[str]]:
    # Imported here: openpyxl costs a tenth of a second at start-up and most imports are CSV.
    from openpyxl import load_workbook

    notes: list[str] = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused(
            f"`{source}` is not a readable XLSX workbook ({exc}). Save it again as .xlsx or CSV."
        ) from None
    try:
        names = workbook.sheetnames
        if sheet is not None:
            if sheet not in names:
                raise FileRefused(f"`{source}` has no sheet `{sheet}`; its sheets are {', '.join(names)}.")
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
            if len(names) > 1:
                notes.append(f"Read sheet `{names[0]}` of {len(names)}; pass --sheet to read another.")
        rows = [
            [_cell_text(cell.value, getattr(cell, "number_format", "") or "") for cell in row]
            for row in worksheet.iter_rows(min_row=1)
        ]
    finally:
        workbook.close()
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(rows, dtype=object), notes
