"""Files tierbot writes for people: never over the store in use or any SQLite database, never half.

Every command that writes a file (an export, a worksheet, the movers of a what-if, an import's
errors file, a rule set, an email) goes through ``check_output`` before it does anything and
writes through ``write_table_atomically`` or ``write_bytes_atomically``: a mistyped path such as
``rules export fy27 tierbot.db`` once replaced the store with a YAML file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from engine.errors import CannotWrite

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# One chunk of a table, column by column: Arrow text (null for a blank), or a list of Python
# values (numbers, text, None for a blank) where an XLSX keeps numbers numeric.
Chunk = Sequence["pa.Array | list[Any]"]

SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite keeps a database's recent writes beside it; overwriting these corrupts the store too.
_STORE_COMPANIONS = ("", "-wal", "-shm", "-journal")
FORCE_HELP = "Write even over a SQLite database (never needed for an ordinary file)."


def is_sqlite_database(path: Path) -> bool:
    """Whether ``path`` is an existing file that starts like a SQLite database."""
    try:
        with path.open("rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _same_file(a: Path, b: Path) -> bool:
    """The same file (a hard or symbolic link too), or the same path where one does not exist yet."""
    with contextlib.suppress(OSError):  # unreadable: compare the paths instead
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def check_output(path: Path, *, store_path: Path | None = None, force: bool = False) -> None:
    """Refuse to write ``path`` when it is the store in use (or its journal) or a SQLite database.

    ``force`` is the person saying they mean it.
    """
    if force:
        return
    if store_path is not None and str(store_path) != ":memory:":
        for suffix in _STORE_COMPANIONS:
            companion = Path(str(store_path) + suffix)
            if _same_file(path, companion):
                raise CannotWrite(
                    f"{path} is the tierbot store in use{' (its journal)' if suffix else ''}: writing there would "
                    "destroy it. Give another file name (or pass --force if you really mean to overwrite it)."
                )
    if is_sqlite_database(path):
        raise CannotWrite(
            f"{path} is a SQLite database: writing there would destroy it. Give another file name "
            "(or pass --force if you really mean to overwrite it)."
        )


def _write_atomically(path: Path, write: Callable[[Path], object], *, store_path: Path | None, force: bool) -> None:
    """Write to a temporary file beside ``path`` and rename it: never a half-written file."""
    check_output(path, store_path=store_path, force=force)
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        # Created like any other file (the umask applies), so the output is readable as usual.
        temporary.open("x").close()
    except OSError as exc:
        raise CannotWrite(
            f"Cannot write {path}: {exc.strerror}. Check that the folder exists and is writable."
        ) from None
    try:
        write(temporary)
        # A symlink is replaced, not followed: the file it pointed at stays as it was.
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CannotWrite(f"Cannot write {path}: {exc.strerror}. The previous file, if any, is unchanged.") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_table_atomically(
    frame: pd.DataFrame, path: Path, *, store_path: Path | None = None, force: bool = False
) -> None:
    """Write a table as CSV or XLSX (by the extension), whole or not at all."""

    def write(temporary: Path) -> None:
        if path.suffix.lower() == ".xlsx":
            frame.to_excel(temporary, index=False, engine="openpyxl")
        else:
            frame.to_csv(temporary, index=False)

    _write_atomically(path, write, store_path=store_path, force=force)


def write_bytes_atomically(data: bytes, path: Path, *, store_path: Path | None = None, force: bool = False) -> None:
    """Write ``data`` to ``path``, whole or not at all."""
    _write_atomically(path, lambda temporary: temporary.write_bytes(data), store_path=store_path, force=force)


def write_chunks_atomically(
    headers: Sequence[str],
    chunks: Iterable[Chunk],
    path: Path,
    *,
    store_path: Path | None = None,
    force: bool = False,
) -> int:
    """Write a table that arrives a chunk of rows at a time as CSV or XLSX (by the extension),
    whole or not at all; the number of rows written.

    Memory holds one chunk, not the table. The CSV is the text pandas' ``to_csv`` writes (quotes
    only where a cell needs them, a lone empty cell as ``""``), with a bare carriage return
    quoted as Python's csv module quotes it since 3.11.9, so the file reads back row for row.
    """
    written = 0

    def write(temporary: Path) -> None:
        nonlocal written
        written = 0
        if path.suffix.lower() == ".xlsx":
            written = _write_xlsx(headers, chunks, temporary)
            return
        with temporary.open("wb") as out:
            out.write(_csv_header(headers))
            for chunk in chunks:
                written += _write_csv_rows(chunk, out)

    _write_atomically(path, write, store_path=store_path, force=force)
    return written


_QUOTED = ',"\r\n'  # a cell holding one of these is quoted


def _csv_field(text: str, alone: bool) -> str:
    if any(c in text for c in _QUOTED) or (alone and not text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_header(headers: Sequence[str]) -> bytes:
    alone = len(headers) == 1
    return (",".join(_csv_field(h, alone) for h in headers) + "\n").encode("utf-8")


def _write_csv_rows(chunk: Chunk, out: BinaryIO) -> int:
    """Append a chunk's rows to a CSV: the few cells that need quotes quoted, then rows joined in Arrow."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from engine.arrow_text import (
        byte_table,
        cells_with_bytes,
        filled,
        replace_at,
        text_bytes,
        text_lengths,
        text_scalar,
    )

    columns = [c if isinstance(c, pa.Array) else pa.array(c, type=pa.large_string()) for c in chunk]
    if not columns or not len(columns[0]):
        return 0
    quote, quoted_bytes = text_scalar('"'), byte_table(_QUOTED)
    fields = []
    for column in columns:
        text = filled(column)
        needs = cells_with_bytes(text, quoted_bytes)
        if len(columns) == 1:  # a row of one empty cell is written "" (a blank line is no row)
            needs |= text_lengths(text) == 0
        at = np.flatnonzero(needs)
        if len(at):
            escaped = pc.replace_substring(text.take(pa.array(at)), '"', '""')
            text = replace_at(text, at, pc.binary_join_element_wise(quote, escaped, quote, text_scalar("")))
        fields.append(text)
    # The line break rides on the last cell: the rows come out of one join whole.
    fields[-1] = pc.binary_join_element_wise(fields[-1], text_scalar("\n"), text_scalar(""))
    rows = pc.binary_join_element_wise(*fields, text_scalar(","))
    out.write(text_bytes(rows))
    return len(rows)


def _write_xlsx(headers: Sequence[str], chunks: Iterable[Chunk], temporary: Path) -> int:
    """An XLSX written row by row (openpyxl's write-only mode): memory holds one chunk."""
    import pyarrow as pa
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(list(headers))
    written = 0
    for chunk in chunks:
        columns = [c.to_pylist() if isinstance(c, pa.Array) else c for c in chunk]
        for row in zip(*columns, strict=True):
            # A blank is an empty text cell, as pandas' to_excel writes one.
            sheet.append(["" if value is None else value for value in row])
            written += 1
    book.save(temporary)
    return written
