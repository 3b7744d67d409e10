"""Cells that a spreadsheet would run as a formula are neutralised before any CSV or XLSX
leaves tierbot (OWASP's CSV-injection advice: prefix them with an apostrophe), and control
characters never enter or leave it.

A cell "runs" when it starts with ``=``, ``+``, ``-`` or ``@`` (or their fullwidth forms), also
behind invisible characters (spaces, zero-width ones, a control character such as NUL that a
spreadsheet drops), or with a tab or line break. A cell that starts with an apostrophe in front
of such a cell gets one more, so the import (which takes one off again, ``UNGUARD``) gives back
exactly what was exported: a name that really is ``'=x`` survives the round trip.
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def clean_controls(value: str) -> str:
    """The text without control characters (tab and line breaks stay)."""
    return _CONTROL.sub("", value)


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that could run as a formula with ``'``; leave everything else alone."""
    if isinstance(value, str):
        value = clean_controls(value)
        if value[:1] in _FIRST_CHARACTERS and _RISKY.match(value):
            return "'" + value
    return value


def neutralise_column(series: pd.Series) -> pd.Series:
    """The column with control characters removed and every risky text cell prefixed."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return series
    text = series.astype(object)
    is_text = text.map(type).eq(str) if text.dtype == object else pd.Series(True, index=text.index)
    if not is_text.any():
        return series
    cells = pa.array(text.where(is_text, None).to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    # Most columns hold neither: two vectorised tests decide which cells need a closer look.
    dirty = pc.match_substring_regex(cells, CONTROL_CHARACTERS).fill_null(False)
    first = pc.utf8_slice_codeunits(cells, 0, 1)
    suspect = pc.or_(dirty, pc.is_in(first, value_set=pa.array(sorted(_FIRST_CHARACTERS)))).fill_null(False)
    if not pc.any(suspect).as_py():
        return series
    out = text.copy()
    for position in pc.indices_nonzero(suspect).to_pylist():
        out.iat[position] = neutralise_cell(out.iat[position])
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as formulas. Numbers stay numbers."""
    out = pd.DataFrame({column: neutralise_column(frame[column]) for column in frame.columns}, index=frame.index)
    out.columns = [neutralise_cell(str(c)) for c in frame.columns]
    return out
