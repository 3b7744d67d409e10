"""Cells that a spreadsheet would run as a formula are neutralised before any CSV or XLSX
leaves tierbot (OWASP's CSV-injection advice: prefix them with an apostrophe), and control
characters never enter or leave it.

A cell "runs" when it starts with ``=``, ``+``, ``-`` or ``@`` (or their fullwidth forms), also
behind invisible characters (spaces, zero-width ones, a control character such as NUL that a
spreadsheet drops), or with a tab or line break; a plain negative number (``-51``) does not. A
cell that starts with an apostrophe in front of such a cell gets one more, so the import (which
takes one off again, ``UNGUARD``) gives back exactly what was exported: a name that really is
``'=x`` survives the round trip.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.arrow_text import (
    byte_table,
    cells_with_bytes,
    first_bytes,
    large_text,
    replace_at,
    text_lengths,
    text_scalar,
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters other than tab, line feed and carriage return: invisible, refused by XLSX
# (one NUL made a whole export fail) and a way to hide a formula ("\0=…") from a naive check.
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_CONTROL = re.compile(CONTROL_CHARACTERS)
_FORMULA_START = "=+\\-@\uff1d\uff0b\uff0d\uff20"  # = + - @ and their fullwidth forms
_INVISIBLE = " \t\r\n\u00a0\u200b\u200c\u200d\u2060\ufeff"
_RUNS = f"'*(?:[\t\r\n]|[{_INVISIBLE}]*[{_FORMULA_START}])"
_RISKY = re.compile(_RUNS)
# For an import: the guard apostrophe in front of a cell that would run (RE2 syntax, for Arrow).
UNGUARD = f"^'({_RUNS})"
_FIRST_CHARACTERS = frozenset("'" + _INVISIBLE + "=+-@\uff1d\uff0b\uff0d\uff20")
_RISKY_START = f"^(?:{_RUNS})"  # the same test as ``_RISKY.match``, in RE2 syntax for Arrow
# A negative number (an NPS of -51, a credit of -1,200.50) starts with "-" but cannot call a
# function or reach a cell: it is written as it is, so a spreadsheet still reads a number.
_NEGATIVE_NUMBER = "^-[0-9][0-9.,]*$"
_PLAIN_NEGATIVE = re.compile(_NEGATIVE_NUMBER)


# Supersets of the first bytes of a cell that may run and of the bytes of a control character
# (U+0080–U+009F start with 0xC2, as do U+00A0–U+00BF): the exact tests see only those cells.
_FIRST_BYTES = byte_table("".join(_FIRST_CHARACTERS))
_CONTROL_BYTES = byte_table("".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x80])))


def clean_controls(value: str) -> str:
    """The text without control characters (tab and line breaks stay)."""
    return _CONTROL.sub("", value)


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that could run as a formula with ``'``; leave everything else alone."""
    if isinstance(value, str):
        value = clean_controls(value)
        if value[:1] in _FIRST_CHARACTERS and _RISKY.match(value) and not _PLAIN_NEGATIVE.match(value):
            return "'" + value
    return value


def neutralise_array(cells: pa.Array) -> pa.Array:
    """Arrow text with control characters removed and every cell that could run prefixed with ``'``.

    Column-wise: a pass of numpy over the column's bytes (and over each cell's first byte) finds
    the few cells that may need either; only those go through the exact regular expressions.
    """
    cells = large_text(cells)
    dirty = np.flatnonzero(cells_with_bytes(cells, _CONTROL_BYTES))
    if len(dirty):
        cleaned = pc.replace_substring_regex(cells.take(pa.array(dirty)), CONTROL_CHARACTERS, "")
        cells = replace_at(cells, dirty, cleaned)
    suspect = np.flatnonzero(_FIRST_BYTES[first_bytes(cells)] & (text_lengths(cells) > 0))
    if not len(suspect):
        return cells
    looked_at = cells.take(pa.array(suspect))
    risky = pc.and_not(
        pc.match_substring_regex(looked_at, _RISKY_START), pc.match_substring_regex(looked_at, _NEGATIVE_NUMBER)
    ).to_numpy(zero_copy_only=False)
    at = suspect[risky]
    if not len(at):
        return cells
    return replace_at(
        cells, at, pc.binary_join_element_wise(text_scalar("'"), cells.take(pa.array(at)), text_scalar(""))
    )


def neutralise_column(series: pd.Series) -> pd.Series:
    """The column with control characters removed and every risky text cell prefixed."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return series
    text = series.astype(object)
    is_text = text.map(type).eq(str) if text.dtype == object else pd.Series(True, index=text.index)
    if not is_text.any():
        return series
    cells = pa.array(text.where(is_text, None).to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    safe = neutralise_array(cells)
    if safe.equals(cells):
        return series
    out = text.copy()
    # Only the text cells take the safe text; numbers and blanks in a mixed column stay as they are.
    out[is_text.to_numpy()] = np.asarray(safe.to_numpy(zero_copy_only=False), dtype=object)[is_text.to_numpy()]
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as formulas. Numbers stay numbers."""
    out = pd.DataFrame({column: neutralise_column(frame[column]) for column in frame.columns}, index=frame.index)
    out.columns = [neutralise_cell(str(c)) for c in frame.columns]
    return out
