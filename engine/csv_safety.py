"""Cells that a spreadsheet would run as a formula are neutralised before any CSV or XLSX
leaves tierbot (OWASP's CSV-injection advice: prefix them with an apostrophe)."""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that starts like a formula with ``'``; leave everything else alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_column(series: pd.Series) -> pd.Series:
    """The column with every formula-like text cell prefixed; other cells untouched."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return series
    text = series.astype(object)
    is_text = text.map(type).eq(str) if text.dtype == object else pd.Series(True, index=text.index)
    risky = is_text & text.where(is_text, "").astype(str).str.startswith(FORMULA_PREFIXES)
    if not risky.any():
        return series
    out = text.copy()
    out[risky] = "'" + text[risky].astype(str)
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as formulas. Numbers stay numbers."""
    out = pd.DataFrame({column: neutralise_column(frame[column]) for column in frame.columns}, index=frame.index)
    out.columns = [neutralise_cell(str(c)) for c in frame.columns]
    return out
