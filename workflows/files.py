"""Read the files CS teams really have into a grid of text cells, a chunk of rows at a time.

CSV from Salesforce, HubSpot and spreadsheets: UTF-8 with or without BOM, UTF-16 (Excel's
"Unicode text"), Windows-1252; CRLF or LF; comma, semicolon, tab or pipe, detected. XLSX through
openpyxl. Every cell comes back as text exactly as a person would see it (control characters
removed); reading values is the engine's job.

A file is read once and spooled, a chunk of rows at a time, into Arrow files in a temporary
folder; the import then walks the chunks (twice: a survey, then the checks and writes), so its
memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from engine.csv_safety import CONTROL_CHARACTERS
from engine.errors import FileRefused
from engine.normalize import TEXT

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ZIP_MAGIC = b"PK\x03\x04"
_SAMPLE_BYTES = 256 * 1024
_BLOCK_BYTES = 1 << 22
_TAIL_BYTES = 256 * 1024
CHUNK_ROWS = 50_000

_CONTROL_NAMES = {"\x00": "NUL", "\x0b": "VT", "\x0c": "FF", "\x1b": "ESC", "\x7f": "DEL"}


@dataclass
class Grid:
    """A file's cells, all text, one grid row per spreadsheet row (row 1 at index 0)."""

    frame: pd.DataFrame
    source: str
    sha256: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LastLine:
    """The file's last line, when the file does not end with a line break: it may be cut off."""

    position: int  # its grid row (0-based)
    cells: int  # how many cells it has
    previous_cells: int  # how many the line before it has


class SpooledGrid:
    """A file's cells, all text, spooled to disk in chunks of rows; read with ``chunks()``."""

    def __init__(self, source: str, folder: Path):
        self.source = source
        self.sha256 = ""
        self.notes: list[str] = []
        self.width = 0
        self.rows = 0
        self.last_line: LastLine | None = None
        self._folder = folder
        self._parts: list[tuple[Path, int, int]] = []  # (file, first row, rows)
        self._controls: tuple[int, int, set[str]] | None = None  # cells cleaned, first row, which

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Each chunk as a frame of text columns 0..width-1, indexed by grid row (0-based)."""
        for path, start, rows in self._parts:
            # Read into memory, not memory-mapped: mapped pages would stay resident as the
            # walk goes on, and a million-row import would look (and be) as large as before.
            with pa.OSFile(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            frame = table.to_pandas(types_mapper=_text_type)
            frame.columns = range(table.num_columns)
            for missing in range(table.num_columns, self.width):
                frame[missing] = pd.Series("", index=frame.index, dtype=TEXT)
            frame.index = pd.RangeIndex(start, start + rows)
            yield frame

    def _add(self, table: pa.Table, clean: bool = True) -> None:
        if table.num_rows == 0:
            return
        if clean:
            table = self._clean(table)
        path = self._folder / f"part-{len(self._parts):05d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        self._parts.append((path, self.rows, table.num_rows))
        self.rows += table.num_rows
        self.width = max(self.width, table.num_columns)

    def _clean(self, table: pa.Table) -> pa.Table:
        """Remove control characters from every cell, noting how many cells had them."""
        import pyarrow.compute as pc

        columns = []
        for column in table.columns:
            found = pc.match_substring_regex(column, CONTROL_CHARACTERS)
            if pc.any(found).as_py():
                cells = int(pc.sum(found).as_py())
                first = int(pc.index(found, True).as_py())
                kinds = {
                    _CONTROL_NAMES.get(ch, f"U+{ord(ch):04X}")
                    for ch in re.findall(CONTROL_CHARACTERS, str(column[first]))
                }
                self._note_controls(cells, self.rows + first + 1, kinds)
                column = pc.replace_substring_regex(column, CONTROL_CHARACTERS, "")
            columns.append(column)
        return pa.table(columns, names=table.column_names)

    def _note_controls(self, cells: int, row: int, kinds: set[str]) -> None:
        if self._controls is None:
            self._controls = (cells, row, kinds)
        else:
            total, first, seen = self._controls
            self._controls = (total + cells, first, seen | kinds)

    def _restart(self) -> None:
        """Forget what was spooled (the file is read again another way)."""
        for part, _, _ in self._parts:
            part.unlink(missing_ok=True)
        self._parts.clear()
        self.rows = self.width = 0
        self._controls = None

    def _finish_notes(self) -> None:
        if self._controls:
            cells, row, kinds = self._controls
            self.notes.append(
                f"Removed control characters ({', '.join(sorted(kinds))}) from {cells:,} cell(s), the first on "
                f"row {row}: they are invisible and break spreadsheets."
            )

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> SpooledGrid:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _text_type(arrow_type: pa.DataType) -> Any:
    return TEXT if arrow_type in (pa.string(), pa.large_string()) else None


def spool_grid(path: Path, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS) -> SpooledGrid:
    """Read a CSV or XLSX file into a spooled grid of text cells (close it when done)."""
    if path.is_dir():
        raise FileRefused(f"{path} is a folder, not a file. Give the path of the export file.")
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise FileRefused(f"There is no file at {path}. Check the path.") from None
    except OSError as exc:
        raise FileRefused(f"Cannot read {path}: {exc.strerror}.") from None
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise FileRefused(f"`{path.name}` is an old Excel .xls file: save it as .xlsx or CSV and import that.")
    _sweep_spools()
    grid = SpooledGrid(path.name, Path(tempfile.mkdtemp(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-")))
    try:
        if suffix in (".xlsx", ".xlsm") or head.startswith(_ZIP_MAGIC):
            _spool_xlsx(grid, path, sheet, chunk_rows)
        else:
            _spool_csv(grid, path, chunk_rows)
        grid._finish_notes()
    except BaseException:
        grid.close()
        raise
    release_memory()
    return grid


def release_memory() -> None:
    """Hand memory Arrow's allocator keeps for reuse back to the system (after each pass).

    mimalloc holds on to what a pass freed: measured 125 MB still resident after spooling
    400,000 rows, which the next pass would not have needed.
    """
    pa.default_memory_pool().release_unused()


_SPOOL_PREFIX = "tierbot-import-"
_SPOOL_OWNER = re.compile(rf"^{_SPOOL_PREFIX}(\d+)-")


def _sweep_spools() -> None:
    """Remove the spool folders of imports that were killed (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_SPOOL_PREFIX}*"):
        owner = _SPOOL_OWNER.match(folder.name)
        if owner is None or not folder.is_dir():
            continue
        try:
            os.kill(int(owner.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError):
            continue  # alive, someone else's; or not a process id


def read_grid(path: Path, sheet: str | None = None) -> Grid:
    """Read a small CSV or XLSX file (a plan of moves) into one grid of text cells."""
    with spool_grid(path, sheet) as spooled:
        parts = list(spooled.chunks())
        frame = pd.concat(parts) if parts else pd.DataFrame()
        return Grid(frame=frame, source=spooled.source, sha256=spooled.sha256, notes=spooled.notes)


# ---------------------------------------------------------------------------------- CSV

_GZIP_MAGIC = b"\x1f\x8b"
_PDF_MAGIC = b"%PDF"
# A valid UTF-8 multi-byte character: text that has these is meant as UTF-8.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
# Bytes Windows-1252 leaves undefined: a file with them is read as Latin-1.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


@dataclass
class _TextScan:
    """What one pass over a text file's bytes found, before any parsing."""

    sha256: str
    encoding: str
    sample: str
    notes: list[str]
    ends_with_line_break: bool
    controls: bool  # whether the text has control characters to remove


def _scan_text(path: Path, source: str) -> _TextScan:
    """Hash the file, pick its encoding and check it decodes, reading it a block at a time.

    Refuses what is not text (compressed, PDF, binary), text that mixes encodings (UTF-8 with
    stray Windows-1252 bytes) and broken UTF-16, which no single reading can import without
    garbling names.
    """
    notes: list[str] = []
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        head = f.read(_SAMPLE_BYTES * 2)
        first = head[:4096]
        if first.startswith(_GZIP_MAGIC):
            raise FileRefused(f"`{source}` is compressed (gzip): decompress it and import the CSV inside.")
        if first.startswith(_PDF_MAGIC):
            raise FileRefused(f"`{source}` is a PDF, not a spreadsheet: export the report as CSV or XLSX.")
        encoding = _utf16_encoding(first, source)
        if encoding:
            notes.append("Read as UTF-16 text.")
        elif head.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        blocks = _blocks(f, head)
        if encoding and encoding.startswith("utf-16"):
            last, controls = _check_utf16(blocks, hasher, encoding, source)
        else:
            encoding, last, controls = _check_8bit(blocks, hasher, encoding, source, notes)
    sample = head[: _SAMPLE_BYTES * (2 if encoding.startswith("utf-16") else 1)].decode(encoding, errors="ignore")
    if not sample.replace(",", "").replace(";", "").replace("\t", "").replace("|", "").strip():
        raise FileRefused(f"`{source}` is empty: it has no header row and no data.")
    return _TextScan(hasher.hexdigest(), encoding, sample, notes, last in ("\n", "\r"), controls)


def _blocks(f: io.BufferedReader, head: bytes) -> Iterator[bytes]:
    yield head
    while block := f.read(_BLOCK_BYTES):
        yield block


def _utf16_encoding(first: bytes, source: str) -> str | None:
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" not in first:
        return None
    # UTF-16 without its byte-order mark puts a zero byte beside every ASCII character.
    even, odd = first[0::2].count(0), first[1::2].count(0)
    if odd > len(first) // 4 and even == 0:
        return "utf-16-le"
    if even > len(first) // 4 and odd == 0:
        return "utf-16-be"
    raise FileRefused(f"`{source}` is not text (it holds binary data): export the report as CSV or XLSX.")


def _check_utf16(blocks: Iterator[bytes], hasher: Any, encoding: str, source: str) -> tuple[str, bool]:
    """Decode the whole file once; a broken character is named with its line.

    Returns the last character and whether control characters are in the text.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines, last, controls = 1, "", False
    try:
        for block in blocks:
            hasher.update(block)
            text = decoder.decode(block)
            lines += text.count("\n")
            last = text[-1:] or last
            controls = controls or bool(re.search(CONTROL_CHARACTERS, text))
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        problem = (
            "it ends in the middle of a character, so it looks cut off"
            if "truncated" in exc.reason
            else f"{exc.reason} near line {lines}"
        )
        raise FileRefused(
            f"`{source}` is not valid UTF-16 text ({problem}). Export it again, or save it as UTF-8 CSV."
        ) from None
    return last, controls


def _check_8bit(
    blocks: Iterator[bytes], hasher: Any, encoding: str | None, source: str, notes: list[str]
) -> tuple[str, str, bool]:
    """Check the bytes are UTF-8; else Windows-1252 (or Latin-1).

    Returns (encoding, last character, whether control characters are in it). Every test here
    is a C-speed bytes method on the common path; the regular expressions only run once a
    byte is not UTF-8.
    """
    carry = b""
    offset = lines = 0
    bad_at: tuple[int, int, int] | None = None  # (line, byte, value) of the first byte that is not UTF-8
    saw_utf8 = saw_undefined = controls = False
    last = b""
    for block in blocks:
        hasher.update(block)
        last = block[-1:] or last
        controls = controls or _has_control_bytes(block)
        data, carry = carry + block, b""
        if bad_at is None:
            try:
                data.decode("utf-8")
                saw_utf8 = saw_utf8 or not data.isascii()
            except UnicodeDecodeError as exc:
                if exc.end == len(data) and len(data) - exc.start < 4 and "unexpected end" in exc.reason:
                    carry = data[exc.start :]  # a character split between two blocks
                    data = data[: exc.start]
                    saw_utf8 = saw_utf8 or not data.isascii()
                else:
                    saw_utf8 = saw_utf8 or bool(_UTF8_SEQUENCE.search(data))
                    saw_undefined = bool(_CP1252_UNDEFINED.search(data))
                    bad_at = (lines + data.count(b"\n", 0, exc.start) + 1, offset + exc.start, data[exc.start])
        else:
            saw_utf8 = saw_utf8 or bool(_UTF8_SEQUENCE.search(data))
            saw_undefined = saw_undefined or bool(_CP1252_UNDEFINED.search(data))
        lines += data.count(b"\n")
        offset += len(data)
    if carry and bad_at is None:
        if saw_utf8:
            raise FileRefused(f"`{source}` ends in the middle of a character: the file looks cut off. Export it again.")
        bad_at = (lines + 1, offset, carry[0])
        saw_undefined = bool(_CP1252_UNDEFINED.search(carry))
    if bad_at is None:
        return encoding or "utf-8", last.decode("latin-1"), controls
    line, _, value = bad_at
    if saw_utf8:
        raise FileRefused(
            f"Line {line} of `{source}` is not UTF-8 (byte 0x{value:02X}) although the rest of the file is: it "
            "mixes encodings. Save the file again as UTF-8 CSV."
        )
    notes.append("Read as Windows-1252 text (the file is not UTF-8).")
    # Latin-1 reads Windows-1252's undefined bytes as C1 control characters.
    return ("latin-1" if saw_undefined else "cp1252"), last.decode("latin-1"), controls or saw_undefined


# Bytes that are control characters (tab and line breaks apart), and UTF-8's C1 controls.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_UTF8_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def _has_control_bytes(block: bytes) -> bool:
    if block.translate(None, _NOT_CONTROL_BYTES):
        return True
    return b"\xc2" in block and bool(_UTF8_C1.search(block))


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


def _spool_csv(grid: SpooledGrid, path: Path, chunk_rows: int) -> None:
    scan = _scan_text(path, grid.source)
    grid.sha256 = scan.sha256
    grid.notes.extend(scan.notes)
    delimiter, width = _sniff_delimiter(scan.sample)
    if delimiter != ",":
        grid.notes.append(f"Columns are separated by {_DELIMITER_NAMES[delimiter]}s.")
    # Rows of uneven width (report titles, footers, ragged lines) make Arrow's parser give up:
    # pandas' C parser then pads short rows and names the line of a long one.
    try:
        for table in _arrow_chunks(path, scan.encoding, delimiter, width, chunk_rows):
            grid._add(table, clean=scan.controls)
    except pa.ArrowInvalid:
        grid._restart()
        for table in _pandas_chunks(path, grid.source, scan.encoding, delimiter, width, chunk_rows):
            grid._add(table, clean=scan.controls)
    if grid.rows == 0:
        raise FileRefused(f"`{grid.source}` is empty: it has no header row and no data.")
    if not scan.ends_with_line_break:
        grid.last_line = _last_line(path, scan.encoding, delimiter, grid.rows - 1)


def _arrow_chunks(path: Path, encoding: str, delimiter: str, width: int, chunk_rows: int) -> Iterator[pa.Table]:
    """Read a rectangular CSV with Arrow's streaming parser into Arrow text columns."""
    names = [f"c{i}" for i in range(width)]
    reader = pa_csv.open_csv(
        str(path),
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
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= chunk_rows:
            table = pa.Table.from_batches(pending)
            whole = table.num_rows - table.num_rows % chunk_rows
            for start in range(0, whole, chunk_rows):
                yield table.slice(start, chunk_rows)
            pending = table.slice(whole).to_batches()
            rows = table.num_rows - whole
    if rows:
        yield pa.Table.from_batches(pending)


def _pandas_chunks(
    path: Path, source: str, encoding: str, delimiter: str, width: int, chunk_rows: int
) -> Iterator[pa.Table]:
    try:
        reader = pd.read_csv(
            path,
            sep=delimiter,
            header=None,
            names=list(range(width)),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding=encoding,
            engine="c",
            chunksize=chunk_rows,
        )
        with reader:
            for frame in reader:
                frame = frame.fillna("")
                yield pa.table(
                    [pa.array(frame[c].astype(str).tolist(), type=pa.large_string()) for c in frame.columns],
                    names=[f"c{i}" for i in range(width)],
                )
    except pd.errors.EmptyDataError:
        raise FileRefused(f"`{source}` is empty: it has no header row and no data.") from None
    except pd.errors.ParserError as exc:
        raise FileRefused(_ragged_message(source, str(exc), delimiter)) from None
    except UnicodeDecodeError as exc:
        raise FileRefused(f"`{source}` is not text ({exc.reason}): export it again as CSV or XLSX.") from None


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
    m = re.search(r"EOF inside string starting at row (\d+)", detail)
    if m:
        return (
            f"Row {int(m.group(1)) + 1} of `{source}` ends inside a quoted value that is never closed: the file "
            "looks cut off. Export it again (or close the quote)."
        )
    return f"`{source}` is not a well-formed CSV file ({detail.strip()}). Export it again from the CRM."


def _last_line(path: Path, encoding: str, delimiter: str, position: int) -> LastLine:
    """How many cells the last line (and the one before) has, read from the file's tail."""
    with path.open("rb") as f:
        if encoding == "utf-16":
            # The byte-order mark is at the start, not in the tail: read the tail in its order.
            encoding = "utf-16-be" if f.read(2) == b"\xfe\xff" else "utf-16-le"
        f.seek(0, 2)
        size = f.tell()
        start = max(0, size - _TAIL_BYTES)
        if encoding.startswith("utf-16") and start % 2:
            start += 1
        f.seek(start)
        tail = f.read().decode(encoding, errors="replace").lstrip("\ufeff")
    # The last record starts after the last line break with an even number of quotes after it
    # (a quoted value may hold line breaks of its own).
    starts = [m.end() for m in re.finditer("\r\n|\n|\r", tail)]
    records: list[str] = []
    end = len(tail)
    for at in reversed(starts):
        if tail.count('"', at, end) % 2 == 0:
            records.append(tail[at:end].rstrip("\r\n"))
            end = at
            if len(records) == 2:
                break
    if len(records) < 2 and start == 0:
        records.append(tail[:end].rstrip("\r\n"))
    counts = [len(next(csv.reader([record], delimiter=delimiter), [])) for record in records]
    return LastLine(position, counts[0] if counts else 0, counts[1] if len(counts) > 1 else 0)


# ---------------------------------------------------------------------------------- XLSX


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


def _refuse_xml_declarations(archive: zipfile.ZipFile, source: str) -> None:
    """Refuse a workbook whose XML declares a DOCTYPE or entities (entity bombs, file disclosure)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    for name in archive.namelist():
        if not name.endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(name) as member:
            try:
                # A DOCTYPE comes before the root element: the first start event settles it.
                for _ in iterparse(member, events=("start",), forbid_dtd=True):
                    break
            except DefusedXmlException:
                raise FileRefused(
                    f"`{source}` declares XML entities or a DOCTYPE in `{name}`, which a spreadsheet never needs "
                    "(it is how XML bombs work). Save the workbook again from Excel, or export it as CSV."
                ) from None


def _spool_xlsx(grid: SpooledGrid, path: Path, sheet: str | None, chunk_rows: int) -> None:
    # Imported here: openpyxl costs a tenth of a second at start-up and most imports are CSV.
    from openpyxl import load_workbook

    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK_BYTES):
            hasher.update(block)
    grid.sha256 = hasher.hexdigest()
    try:
        with zipfile.ZipFile(path) as archive:
            _refuse_xml_declarations(archive, grid.source)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(_unreadable_xlsx(grid.source, exc)) from None
    try:
        names = workbook.sheetnames
        if sheet is not None:
            if sheet not in names:
                raise FileRefused(f"`{grid.source}` has no sheet `{sheet}`; its sheets are {', '.join(names)}.")
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
            if len(names) > 1:
                grid.notes.append(f"Read sheet `{names[0]}` of {len(names)}; pass --sheet to read another.")
        # Read-only mode trusts the sheet's <dimension>, which tools often leave stale: rows past
        # it were dropped without a word. Forget it and read every row there is.
        worksheet.reset_dimensions()
        rows: list[list[str]] = []
        for row in worksheet.iter_rows():
            rows.append([_cell_text(cell.value, getattr(cell, "number_format", "") or "") for cell in row])
            if len(rows) >= chunk_rows:
                grid._add(_rows_table(rows))
                rows = []
        grid._add(_rows_table(rows))
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(_unreadable_xlsx(grid.source, exc)) from None
    finally:
        with contextlib.suppress(Exception):
            workbook.close()
    if grid.rows == 0:
        raise FileRefused(f"`{grid.source}` is empty: it has no header row and no data.")


def _unreadable_xlsx(source: str, exc: BaseException) -> str:
    detail = str(exc).strip() or type(exc).__name__
    return f"`{source}` is not a readable XLSX workbook ({detail}). Save it again as .xlsx or CSV."


def _rows_table(rows: list[list[str]]) -> pa.Table:
    width = max((len(r) for r in rows), default=0)
    columns = [[r[i] if i < len(r) else "" for r in rows] for i in range(width)]
    return pa.table(
        [pa.array(column, type=pa.large_string()) for column in columns], names=[f"c{i}" for i in range(width)]
    )
