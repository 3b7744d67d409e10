"""Read the cell values CRM exports really contain, a whole column at a time.

Every parser takes a column of trimmed text (``None`` for a blank cell) and returns the typed
values plus the cells it could not read, grouped by reason. Parsers never raise for bad cells:
the caller decides whether a problem is an error or a warning and names row and column.
Columns with few distinct values (dates, categories, flags) are parsed once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from engine.csv_safety import UNGUARD
from engine.fields import HEALTH_SCORE_GREEN, HEALTH_SCORE_YELLOW, header_key
from engine.matching import LEGAL_SUFFIXES, did_you_mean, fold, likely_typo
from engine.people import Roster, person_key

# Cells people and spreadsheets use for "no value" in any column. "NA" is deliberately absent:
# it is the usual spelling of the North America region.
BLANK_TOKENS = frozenset({"", "#n/a", "n/a", "n.a.", "null", "-", "—", "–", "(blank)"})
# Words that mean "no value" only where a number, a date or a flag belongs: elsewhere they can be
# real values (a support priority of None, a picklist value "?"), so they are kept there.
EMPTY_WORDS = frozenset({"none", "nil", "nan", "--", "?"})


def _case_variants(word: str) -> set[str]:
    variants = {""}
    for ch in word:
        variants = {v + c for v in variants for c in {ch.lower(), ch.upper()}}
    return variants


def _spellings(tokens: frozenset[str]) -> pa.Array:
    """Every capitalisation of the tokens, so a column is checked without lower-casing it."""
    return pa.array(sorted(v for token in tokens for v in _case_variants(token)), type=pa.large_string())


_BLANK_ARRAY = _spellings(BLANK_TOKENS)
_TYPED_BLANK_ARRAY = _spellings(BLANK_TOKENS | EMPTY_WORDS)
SPREADSHEET_ERRORS = frozenset(
    {"#value!", "#ref!", "#div/0!", "#name?", "#num!", "#null!", "#spill!", "#calc!", "#error!"}
)


# Patterns below avoid \s, \b and \u escapes: pandas then runs them in Arrow's RE2 instead of
# falling back to Python's re one cell at a time.
_RUN_OF_SPACES = "[ \t\r\n\u00a0\u202f]{2,}"

# Text columns are Arrow-backed: their string operations run in Arrow's C++ kernels, measured
# 10-50x faster than Python-object strings on a million cells. Missing cells are NaN.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
_SPACES = " \t\r\n\u00a0\u202f\ufeff"


@dataclass
class Issue:
    """Cells of one column that share a problem."""

    mask: pd.Series
    problem: str
    fix: str
    severity: str = "error"
    # Report only the first such cell, with how many cells share it (used for warnings that
    # would otherwise repeat on thousands of rows, such as an owner missing from the roster).
    once: bool = False
    # What makes two such issues one when a file is checked in parts (the value they are about);
    # None when the problem text alone says it.
    key: str | None = None


@dataclass
class Parsed:
    """A parsed column: typed values aligned with the input, and what could not be read."""

    values: pd.Series
    issues: list[Issue] = field(default_factory=list)
    extra: dict[str, pd.Series] = field(default_factory=dict)


def as_text(raw: pd.Series) -> pd.Series:
    """The column as Arrow-backed text, blanks as empty strings."""
    if raw.dtype != TEXT:
        raw = raw.astype(object).where(raw.notna(), "").astype(str).astype(TEXT)
    # Arrow knows its null count: a column read from a file has none, and needs no copy.
    return raw.fillna("") if raw.hasnans else raw


def later_duplicates(values: pd.Series) -> np.ndarray:
    """Mask of cells whose value already appeared higher up (blanks never count)."""
    codes, distinct = _codes(values)
    mask = np.zeros(len(codes), dtype=bool)
    if distinct == int((codes >= 0).sum()):
        return mask
    present = np.flatnonzero(codes >= 0)
    _, first = np.unique(codes[present], return_index=True)
    mask[present] = True
    mask[present[first]] = False
    return mask


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Each cell's code (-1 for a blank) and how many distinct values there are. Arrow's own
    dictionary encoding for Arrow text: half the time of pandas' factorize on a million ids."""
    array = getattr(values.array, "_pa_array", None)
    if array is None:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return codes, len(uniques)
    encoded = pc.dictionary_encode(pa.chunked_array(array).combine_chunks())
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), len(encoded.dictionary)


_SUFFIX_RUN = " (?:(?:" + "|".join(LEGAL_SUFFIXES) + ") )+"


def name_keys(names: pd.Series) -> pd.Series:
    """The form in which two names count as the same company.

    Case, punctuation and legal suffixes do not matter: "ACME Corp." and "Acme, Inc" both
    become "acme". Computed with Arrow's kernels directly: through pandas the same five steps
    took four times as long on a million names.
    """
    arr = pc.utf8_lower(pa.array(as_text(names)))
    arr = pc.replace_substring_regex(arr, "[^0-9a-z\u00c0-\uffff]+", " ")
    space = pa.scalar(" ", type=arr.type)
    arr = pc.binary_join_element_wise(space, arr, space, pa.scalar("", type=arr.type))
    arr = pc.replace_substring_regex(arr, _SUFFIX_RUN, " ")
    arr = pc.utf8_trim_whitespace(arr)
    keys = pd.Series(pd.array(arr, dtype=TEXT), index=names.index)
    return keys.where((keys != "") & names.notna())


def cell_text(raw: pd.Series) -> pd.Series:
    """The cells as a person reads them: spaces (including non-breaking ones) trimmed.

    An apostrophe before a formula character is the guard exports put there (see
    ``engine.csv_safety``); it is removed, so an exported file imports back unchanged.
    """
    arr = pc.utf8_trim(pa.array(as_text(raw)), _SPACES)
    if pc.any(pc.starts_with(arr, "'")).as_py():
        arr = pc.replace_substring_regex(arr, UNGUARD, "\\1")
    return pd.Series(pd.array(arr, dtype=TEXT), index=raw.index)


def trim(raw: pd.Series, typed: bool = False) -> pd.Series:
    """Trimmed cells with the blank tokens (``N/A``, ``#N/A``, ``-``…) as missing values.

    ``typed`` is for number, date and flag columns, where ``None``, ``nil``, ``?`` and ``--``
    are blanks too.
    """
    arr = pa.array(cell_text(raw))
    blank = pc.is_in(arr, value_set=_TYPED_BLANK_ARRAY if typed else _BLANK_ARRAY)
    if pc.any(blank).as_py():
        arr = pc.if_else(blank, pa.scalar(None, type=arr.type), arr)
    return pd.Series(pd.array(arr, dtype=TEXT), index=raw.index)


def spreadsheet_errors(text: pd.Series) -> pd.Series:
    """Cells holding a spreadsheet error value such as ``#VALUE!``."""
    hash_start = text.str.startswith("#").fillna(False).astype(bool)
    if not hash_start.any():
        return hash_start
    return hash_start & text.str.lower().isin(SPREADSHEET_ERRORS)


def by_distinct(text: pd.Series, parse: Callable[[pd.Series], Parsed]) -> Parsed:
    """Parse each distinct value once and spread the result over the column."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    distinct = pd.Series(list(uniques), dtype=object)
    parsed = parse(distinct)
    take = np.where(codes < 0, len(distinct), codes)

    def spread(series: pd.Series, fill: object) -> pd.Series:
        arr = np.empty(len(series) + 1, dtype=object)
        arr[:-1] = series.to_numpy(dtype=object)
        arr[-1] = fill
        return pd.Series(arr[take], index=text.index, dtype=object)

    values = spread(parsed.values, None)
    if pd.api.types.is_float_dtype(parsed.values.dtype):
        values = pd.to_numeric(values, errors="coerce").astype("float64")
    issues = [
        Issue(spread(i.mask, False).astype(bool), i.problem, i.fix, i.severity, i.once, i.key) for i in parsed.issues
    ]
    extra = {k: spread(v, None) for k, v in parsed.extra.items()}
    return Parsed(values, issues, extra)


# ---------------------------------------------------------------------------------- numbers

_CURRENCY_WORDS = r"us\$|c\$|a\$|nz\$|[$€£¥₹]|\b(?:usd|eur|gbp|cad|aud|nzd|jpy|chf|inr|sek|nok|dkk)\b"
_CURRENCY = f"(?i)(?:{_CURRENCY_WORDS})"
_SCALE = {"k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9}


# "8.500": eight and a half, or eight thousand five hundred written the European way?
_DOTTED_THOUSANDS = "^[+-]?[0-9]{1,3}[.][0-9]{3}$"


def parse_number(
    text: pd.Series,
    field_name: str,
    decimal_comma: bool = False,
    money: bool = False,
    currencies: Sequence[str] | None = None,
) -> Parsed:
    """Read numbers as people write them: ``$1,100.04``, ``(1,200)``, ``1.2M``, ``85%``.

    With ``decimal_comma`` the roles of ``.`` and ``,`` swap (``1.234,56``). For ``money``, a
    percentage is an error, a dot-grouped amount such as ``8.500`` is refused as ambiguous, and
    currencies other than the dollar are reported (amounts are kept as written, never converted).
    ``currencies`` are those the whole file uses (see ``currencies_in``), when ``text`` is a part.
    """
    present = text.notna()
    values = pd.Series(np.nan, index=text.index, dtype="float64")
    if decimal_comma:
        rest = present
    else:
        quick = _plain_numbers(text)
        ok = quick.notna() & np.isfinite(quick)
        if money:
            # A plain "8.500" reads as 8.5 to any parser: it must go the slow way to be refused.
            ok &= ~pd.Series(_matches(text, _DOTTED_THOUSANDS), index=text.index)
        values[ok] = quick[ok]
        rest = present & ~ok
    issues: list[Issue] = []
    if rest.any():
        found = _parse_number_text(text[rest], decimal_comma, money, currencies)
        values[found.values.index] = found.values
        for mask, problem, fix, severity in found.issues:
            if mask.any():
                issues.append(
                    Issue(
                        _expand(mask, text.index),
                        problem,
                        fix.replace("{field}", field_name),
                        severity,
                        once=severity == "warning",
                    )
                )
    return Parsed(values, issues)


def _plain_numbers(text: pd.Series) -> pd.Series:
    """Cells that are plain numbers, as floats (NaN elsewhere)."""
    # Fast path: most cells of a clean export are plain numbers, which Arrow casts in one go.
    try:
        cast = pc.cast(pa.array(text.astype(TEXT)), pa.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").astype("float64")


def _matches(text: pd.Series, pattern: str) -> np.ndarray:
    found = pc.match_substring_regex(pa.array(text.astype(TEXT)), pattern)
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def currencies_in(text: pd.Series) -> set[str]:
    """The currencies (ISO codes) a money column names, e.g. {"EUR"} for ``€8,500``."""
    present = text.notna()
    if not present.any():
        return set()
    quick = _plain_numbers(text)
    rest = text[present & quick.isna()]
    if rest.empty:
        return set()
    found = rest.astype(TEXT).str.lower().str.extract(f"({_CURRENCY_WORDS})", expand=False)
    return {str(name) for name in found.dropna().map(_CURRENCY_NAMES).dropna()}


def _expand(mask: pd.Series, index: pd.Index) -> pd.Series:
    return mask.reindex(index, fill_value=False).astype(bool)


_CURRENCY_NAMES = {
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "¥": "JPY",
    "jpy": "JPY",
    "₹": "INR",
    "inr": "INR",
    "c$": "CAD",
    "cad": "CAD",
    "a$": "AUD",
    "aud": "AUD",
    "nz$": "NZD",
    "nzd": "NZD",
    "chf": "CHF",
    "sek": "SEK",
    "nok": "NOK",
    "dkk": "DKK",
}


@dataclass
class _NumberText:
    values: pd.Series
    issues: list[tuple[pd.Series, str, str, str]]


def _parse_number_text(
    text: pd.Series, decimal_comma: bool, money: bool, currencies: Sequence[str] | None = None
) -> _NumberText:
    raw = text.astype(TEXT)
    currency = raw.str.lower().str.extract(f"({_CURRENCY_WORDS})", expand=False)
    s = raw.str.replace(_CURRENCY, "", regex=True)
    s = s.str.replace("[ \t\r\n\u00a0\u202f']", "", regex=True)
    # Excel's accounting format writes zero as "$ -".
    s = s.where(~((s == "-") & currency.notna()), "0")
    paren = s.str.fullmatch(r"\(.*\)").fillna(False).astype(bool)
    s = s.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    minus = (s.str.startswith("-") | s.str.endswith("-")).fillna(False).astype(bool)
    s = s.str.strip("+-")
    percent = s.str.endswith("%").fillna(False).astype(bool)
    s = s.str.removesuffix("%")
    scaled = s.str.extract(r"(?i)^(.*[0-9])(k|m|mm|b|bn)$")
    has_scale = scaled[1].notna()
    s = s.where(~has_scale, scaled[0])
    scale = scaled[1].str.lower().map(_SCALE).astype("float64").fillna(1.0)
    group, point = (".", ",") if decimal_comma else (",", ".")
    g, p = re.escape(group), re.escape(point)
    # ASCII digits only: "１２３" reads as a number to Python but not to anybody's CRM.
    pattern = rf"[0-9]{{1,3}}(?:{g}[0-9]{{3}})+(?:{p}[0-9]+)?|[0-9]+(?:{p}[0-9]*)?|{p}[0-9]+"
    well_formed = s.str.fullmatch(pattern).fillna(False).astype(bool)
    digits = s.where(well_formed).str.replace(group, "", regex=False).str.replace(point, ".", regex=False)
    number = pd.to_numeric(digits, errors="coerce").astype("float64")
    sign = np.where(paren | minus, -1.0, 1.0)
    read = well_formed & number.notna()
    values = (number * scale * sign).where(read)
    issues: list[tuple[pd.Series, str, str, str]] = []
    bad = ~read
    if not decimal_comma:
        comma = bad & s.str.fullmatch(
            r"[0-9]{1,3}(?:\.[0-9]{3})*,[0-9]{1,2}|[0-9]+,[0-9]{1,2}|[0-9]{1,3}(?:\.[0-9]{3}){2,}"
        ).fillna(False).astype(bool)
        issues.append(
            (
                comma,
                "looks like a number with a decimal comma",
                "Pass --decimal-comma if the file writes numbers as 1.234,56, or fix the cell.",
                "error",
            )
        )
        bad &= ~comma
        if money:
            dotted = read & s.str.fullmatch(r"[0-9]{1,3}\.[0-9]{3}").fillna(False).astype(bool)
            issues.append(
                (
                    dotted,
                    "could be a decimal or a thousands separator",
                    "Pass --decimal-comma if the file writes eight thousand five hundred as 8.500; "
                    "write 8.5 or 8500 otherwise.",
                    "error",
                )
            )
            values = values.where(~dotted)
    ranges = bad & raw.str.fullmatch(r"[0-9][0-9,.]*[ \t]*(?:-|–|to)[ \t]*[0-9][0-9,.]*\+?").fillna(False).astype(bool)
    issues.append((ranges, "a range, not a number", "Put one number in the cell (for example the midpoint).", "error"))
    issues.append(
        (
            bad & ~ranges,
            "not a number",
            "Fix the cell (for example 1200.50) or map another column with `--map {field}=...`.",
            "error",
        )
    )
    if money:
        issues.append(
            (read & percent, "a percentage, not an amount", "Write the amount itself in this column.", "error")
        )
        values = values.where(~(read & percent))
        names = currency.map(_CURRENCY_NAMES)
        seen = sorted(set(names.dropna()) if currencies is None else set(currencies))
        if len(seen) > 1:
            issues.append(
                (
                    names.notna(),
                    f"mixes currencies ({', '.join(seen)})",
                    "Convert the amounts to one currency first: tierbot never converts.",
                    "error",
                )
            )
        elif seen and seen[0] != "USD":
            issues.append(
                (
                    names.notna(),
                    f"an amount in {seen[0]}",
                    "Amounts are kept as written, never converted: "
                    "make sure every account's amounts are in the same currency.",
                    "warning",
                )
            )
    return _NumberText(values.dropna(), issues)


def whole_numbers(values: pd.Series) -> pd.Series:
    """Cells holding a number with a fractional part (for integer fields)."""
    return values.notna() & (values % 1 != 0)


# ---------------------------------------------------------------------------------- flags

TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0", "x", "✓", "✔", "on", "active", "enabled", "checked"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0", "off", "inactive", "disabled", "unchecked"})


def parse_flag(text: pd.Series) -> Parsed:
    """Read TRUE/Yes/1/x as 1 and FALSE/No/0 as 0; blanks stay ``None``."""

    def parse(distinct: pd.Series) -> Parsed:
        low = distinct.str.lower()
        values = pd.Series([None] * len(distinct), index=distinct.index, dtype=object)
        values[low.isin(TRUE_TOKENS)] = 1
        values[low.isin(FALSE_TOKENS)] = 0
        bad = distinct.notna() & values.isna()
        issues = []
        if bad.any():
            issues.append(Issue(bad, "not TRUE or FALSE", "Use TRUE/FALSE, Yes/No, 1/0 or x."))
        return Parsed(values, issues)

    return by_distinct(text, parse)


# ---------------------------------------------------------------------------------- dates

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?)?$")
_NAMED_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b, %Y",
    "%a, %d %b %Y",
)
DATE_ORDERS = ("DMY", "MDY", "YMD")


@dataclass(frozen=True)
class DateEvidence:
    """What the numeric dates of a file say about day/month order."""

    day_first: str | None = None  # a cell that can only be D/M/Y, e.g. 25/03/2024
    month_first: str | None = None  # a cell that can only be M/D/Y, e.g. 03/25/2024
    ambiguous: str | None = None  # a cell that reads both ways, e.g. 03/04/2024

    def merge(self, other: DateEvidence) -> DateEvidence:
        return DateEvidence(
            self.day_first or other.day_first,
            self.month_first or other.month_first,
            self.ambiguous or other.ambiguous,
        )


def date_evidence(text: pd.Series) -> DateEvidence:
    """Look at the numeric dates of a column for proof of day-first or month-first order."""
    day_first = month_first = ambiguous = None
    for value in text.dropna().unique():
        m = _NUMERIC.match(str(value))
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b and day_first is None:
            day_first = str(value)
        elif b > 12 >= a and month_first is None:
            month_first = str(value)
        elif a <= 12 and b <= 12 and a != b and ambiguous is None:
            ambiguous = str(value)
    return DateEvidence(day_first, month_first, ambiguous)


def parse_date(text: pd.Series, order: str | None = None, pattern: str | None = None) -> Parsed:
    """Read dates into ISO ``YYYY-MM-DD``.

    ISO dates and Salesforce timestamps always read; ``order`` (DMY or MDY) says how to read
    ``03/04/2024``; ``pattern`` is an explicit strptime format from ``--date-format``.
    """

    def parse(distinct: pd.Series) -> Parsed:
        out: list[str | None] = []
        bad_order: list[bool] = []
        bad: list[bool] = []
        for value in distinct:
            if value is None or (isinstance(value, float) and np.isnan(value)):
                out.append(None)
                bad.append(False)
                bad_order.append(False)
                continue
            parsed, needs_order = _read_date(str(value), order, pattern)
            out.append(parsed.isoformat() if parsed else None)
            bad.append(parsed is None and not needs_order)
            bad_order.append(parsed is None and needs_order)
        issues = []
        bad_s = pd.Series(bad, index=distinct.index)
        if bad_s.any():
            fix = (
                f"Write the date as YYYY-MM-DD or as {pattern}."
                if pattern
                else "Write the date as YYYY-MM-DD, M/D/YYYY or 3 Mar 2025, or pass --date-format."
            )
            issues.append(Issue(bad_s, "not a date", fix))
        order_s = pd.Series(bad_order, index=distinct.index)
        if order_s.any():
            issues.append(
                Issue(
                    order_s,
                    "could be day/month or month/day",
                    "Pass --date-format DMY or --date-format MDY.",
                )
            )
        return Parsed(pd.Series(out, index=distinct.index, dtype=object), issues)

    return by_distinct(text, parse)


def _read_date(value: str, order: str | None, pattern: str | None) -> tuple[date | None, bool]:
    """Return (date or None, whether the only problem is an unknown day/month order)."""
    m = _ISO.match(value) or _YMD.match(value)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3))), False
    if pattern:
        try:
            return datetime.strptime(value, pattern).date(), False
        except ValueError:
            return None, False
    m = _NUMERIC.match(value)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), _full_year(m.group(3))
        if order == "DMY":
            return _make_date(y, b, a), False
        if order == "MDY":
            return _make_date(y, a, b), False
        if a == b:
            return _make_date(y, a, b), False
        if a > 12:
            return _make_date(y, b, a), False
        if b > 12:
            return _make_date(y, a, b), False
        return None, True
    for fmt in _NAMED_FORMATS:
        try:
            return datetime.strptime(value, fmt).date(), False
        except ValueError:
            continue
    return None, False


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _make_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_pattern(option: str | None) -> tuple[str | None, str | None]:
    """Split a ``--date-format`` value into (order, strptime pattern).

    DMY, MDY and YMD name an order; so do dd/mm/yyyy, mm/dd/yyyy and yyyy-mm-dd. Anything with
    a ``%`` is a strptime pattern.
    """
    if option is None:
        return None, None
    if "%" in option:
        return None, option
    letters = re.sub(r"[^A-Z]", "", option.strip().upper())
    order = re.sub(r"(.)\1+", r"\1", letters)
    if order in DATE_ORDERS:
        return order, None
    raise ValueError(option)


# ---------------------------------------------------------------------------------- categories


def value_key(text: str) -> str:
    """The form category values are told apart in: case and spacing ignored, punctuation kept,
    so "Growth+" stays apart from "Growth"."""
    return " ".join(str(text).lower().split())


def parse_category(
    text: pd.Series,
    label: str,
    vocabulary: Sequence[str] = (),
    aliases: Mapping[str, str] | None = None,
    known: Sequence[str] = (),
    closed: bool = False,
    allow_new: bool = False,
    keep_as_written: bool = False,
    recognised: Callable[[str], bool] = lambda value: False,
    file_counts: pd.Series | None = None,
) -> Parsed:
    """Normalise a category column against the values tierbot already knows.

    Known values are the field's built-in vocabulary and the values already in the store; case
    and spacing are normalised to the known spelling, and aliases ("North America" → NA) apply.
    A value a keystroke or two from a known one ("technolgy"), or a rare spelling next to one
    common in the file, is an error that suggests it, unless ``allow_new`` makes it a new value.
    Other unknown values are new values: a warning when the store already has values for the
    field. A ``closed`` category accepts only its vocabulary. With ``keep_as_written`` (regions)
    every value is stored as the file writes it; ``recognised`` values (a region's other names)
    are known values, never typos. ``file_counts`` are the value counts of the whole file (see
    ``add_counts``), when ``text`` is a part of it.
    """
    aliases = aliases or {}
    canonical: dict[str, str] = {}
    for value in (*vocabulary, *known):
        canonical.setdefault(value_key(value), value)
    established = sorted(canonical)
    counts: dict[str, int] = {}
    counts_in_file = value_counts_of(text) if file_counts is None else file_counts
    for value, n in counts_in_file.items():  # most common spelling first
        key = value_key(str(value))
        canonical.setdefault(key, str(value))
        counts[key] = counts.get(key, 0) + int(n)
    common = sorted(k for k, n in counts.items() if n >= 5 and k not in established)
    store_has_vocabulary = bool(known)

    def parse(distinct: pd.Series) -> Parsed:
        out: list[str | None] = []
        typos: dict[str, list[bool]] = {}
        new: dict[str, list[bool]] = {}
        refused = [False] * len(distinct)
        for position, value in enumerate(distinct):
            key = value_key(str(value))
            if key in established or recognised(str(value)):
                out.append(str(value) if keep_as_written else canonical.get(key, str(value)))
                continue
            alias = aliases.get(header_key(str(value)))
            if alias is not None:
                out.append(alias)
                continue
            near = likely_typo(key, established) or (None if key in common else likely_typo(key, common))
            if closed and (near is None or allow_new):
                refused[position] = True
                out.append(None)
                continue
            if near is not None and not allow_new:
                _mark(typos, canonical[near], position, len(distinct))
                out.append(None)
                continue
            if store_has_vocabulary or near is not None:
                # One warning per new value, reported on its first row.
                note = f" (close to `{canonical[near]}`)" if near else ""
                _mark(new, f"{key}\x00{note}", position, len(distinct))
            out.append(str(value) if keep_as_written else canonical[key])
        issues = [
            Issue(
                pd.Series(mask, index=distinct.index),
                f"not a known {label.lower()}; did you mean `{suggestion}`?",
                f"Fix the cell to `{suggestion}`, or pass --allow-new-values if it is a new {label.lower()}.",
            )
            for suggestion, mask in typos.items()
        ]
        if any(refused):
            issues.append(
                Issue(
                    pd.Series(refused, index=distinct.index),
                    f"not a {label.lower()}",
                    f"Use one of: {', '.join(vocabulary)}.",
                )
            )
        for marker, mask in new.items():
            issues.append(
                Issue(
                    pd.Series(mask, index=distinct.index),
                    f"a new {label.lower()}{marker.split(chr(0))[1]}",
                    "Nothing to do if it is right; it joins the known values.",
                    severity="warning",
                    once=True,
                    key=marker,
                )
            )
        return Parsed(pd.Series(out, index=distinct.index, dtype=object), issues)

    return by_distinct(text, parse)


def value_counts_of(text: pd.Series) -> pd.Series:
    """How often each value occurs, most common first (ties in order of first appearance)."""
    total: dict[str, int] = {}
    add_counts(total, text)
    return counts_series(total)


def add_counts(total: dict[str, int], text: pd.Series) -> None:
    """Add a part's value counts to ``total`` (a file's, counted part by part)."""
    for value, n in text.value_counts(dropna=True, sort=False).items():
        total[str(value)] = total.get(str(value), 0) + int(n)


def counts_series(total: dict[str, int]) -> pd.Series:
    """``add_counts``' result, most common first, ties in order of first appearance."""
    return pd.Series(total, dtype="int64").sort_values(ascending=False, kind="stable")


def _mark(masks: dict[str, list[bool]], key: str, position: int, size: int) -> None:
    mask = masks.setdefault(key, [False] * size)
    mask[position] = True


# ---------------------------------------------------------------------------------- countries

_COUNTRY_ALIASES = {
    "usa": "US",
    "u s": "US",
    "u s a": "US",
    "us": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "u k": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "great britain": "GB",
    "britain": "GB",
    "uae": "AE",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "holland": "NL",
    "the netherlands": "NL",
    "czech republic": "CZ",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "taiwan": "TW",
    "ivory coast": "CI",
    "turkey": "TR",
}
# Common English names where ISO's is formal ("Korea, Republic of").
_COUNTRY_NAMES = {
    "KR": "South Korea",
    "KP": "North Korea",
    "RU": "Russia",
    "IR": "Iran",
    "VN": "Vietnam",
    "TW": "Taiwan",
    "SY": "Syria",
    "BO": "Bolivia",
    "VE": "Venezuela",
    "TZ": "Tanzania",
    "LA": "Laos",
    "MD": "Moldova",
    "CZ": "Czechia",
    "TR": "Turkey",
    "GB": "United Kingdom",
    "US": "United States",
}


def country_name(alpha_2: str) -> str:
    """The common English name tierbot stores for an ISO country code."""
    if alpha_2 in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[alpha_2]
    country = pycountry.countries.get(alpha_2=alpha_2)
    if country is None:
        raise KeyError(alpha_2)
    return str(getattr(country, "common_name", None) or country.name)


# The region each country lies in, where that is not a matter of a company's own territories:
# Mexico and Brazil are LATAM, never NA. Left out on purpose (their region varies between
# companies): Puerto Rico and other territories, Pakistan, Afghanistan and Central Asia.
_REGION_COUNTRIES = {
    "NA": "US CA",
    "LATAM": "MX GT BZ SV HN NI CR PA CO VE EC PE BO BR PY UY AR CL GY SR CU DO HT JM TT BS BB AG DM GD KN LC VC",
    "APAC": (
        "AU NZ JP CN HK MO TW KR KP MN IN LK BD NP BT MV SG MY ID TH VN PH KH LA MM BN TL PG FJ SB VU WS TO KI "
        "NR TV FM MH PW"
    ),
    "EMEA": (
        "AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD "
        "ME MK MT NL NO PL PT RO RS RU SE SI SK SM UA VA "
        "AE BH IL IQ IR JO KW LB OM PS QA SA SY TR YE "
        "DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU "
        "MA MZ NA NE NG RW ST SN SC SL SO ZA SS SD TZ TG TN UG ZM ZW"
    ),
}
_COUNTRY_REGION = {code: region for region, codes in _REGION_COUNTRIES.items() for code in codes.split()}


def country_region(country: str | None) -> str | None:
    """The region (NA, EMEA, APAC, LATAM) a country stored by tierbot lies in, where it is clear."""
    if not country:
        return None
    if not _COUNTRIES:
        _COUNTRIES.update(_country_index())
    code = _COUNTRIES.get(header_key(str(country)))
    return _COUNTRY_REGION.get(code) if code else None


def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for spelling in (
            country.alpha_2,
            country.alpha_3,
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
        ):
            if spelling:
                index.setdefault(header_key(spelling), code)
    for alias, code in _COUNTRY_ALIASES.items():
        index[alias] = code
    for code, name in _COUNTRY_NAMES.items():
        index[header_key(name)] = code
    return index


_COUNTRIES: dict[str, str] = {}


def parse_country(text: pd.Series) -> Parsed:
    """Read country names and ISO codes ("USA", "Deutschland" is not one) into common names."""
    if not _COUNTRIES:
        _COUNTRIES.update(_country_index())
    names = sorted({country_name(code) for code in set(_COUNTRIES.values())})

    def parse(distinct: pd.Series) -> Parsed:
        out: list[str | None] = []
        unknown: dict[str, list[bool]] = {}
        ambiguous = [False] * len(distinct)
        for position, value in enumerate(distinct):
            if str(value).strip().upper() == "NA":
                # Namibia's code, but in exports far more often "not available" or North America.
                ambiguous[position] = True
                out.append(None)
                continue
            code = _COUNTRIES.get(header_key(str(value)))
            if code:
                out.append(country_name(code))
                continue
            suggestion = did_you_mean(str(value), names, cutoff=75) or ""
            _mark(unknown, suggestion, len(out), len(distinct))
            out.append(None)
        issues = [
            Issue(
                pd.Series(mask, index=distinct.index),
                f"not a country; did you mean `{suggestion}`?" if suggestion else "not a country",
                "Fix the cell, or write the country's English name or ISO code (DE, US).",
            )
            for suggestion, mask in unknown.items()
        ]
        if any(ambiguous):
            issues.append(
                Issue(
                    pd.Series(ambiguous, index=distinct.index),
                    "could be Namibia or mean not available",
                    "Write Namibia for Namibia; leave the cell blank if the country is unknown.",
                )
            )
        return Parsed(pd.Series(out, index=distinct.index, dtype=object), issues)

    return by_distinct(text, parse)


# ---------------------------------------------------------------------------------- health

HEALTH_ALIASES_FIX = "Use green, yellow or red, or a score from 0 to 100."


def _score(value: str) -> float | None:
    try:
        return float(value.strip().rstrip("%"))
    except ValueError:
        return None


@dataclass(frozen=True)
class ScoreScale:
    """What a health column's numbers say: 0-100 scores, or fractions such as 0.85."""

    numbers: bool = False
    outside_one: bool = False  # a number outside 0-1: these are scores
    between: bool = False  # a number strictly between 0 and 1

    @property
    def fractions(self) -> bool:
        return self.numbers and not self.outside_one and self.between

    def merge(self, other: ScoreScale) -> ScoreScale:
        return ScoreScale(
            self.numbers or other.numbers, self.outside_one or other.outside_one, self.between or other.between
        )


def score_scale(text: pd.Series) -> ScoreScale:
    """The scale of a health column's numbers (of a part of the file: merge the parts)."""
    numbers = [n for n in (_score(str(v)) for v in text.dropna().unique()) if n is not None]
    return ScoreScale(bool(numbers), any(not 0 <= n <= 1 for n in numbers), any(0 < n < 1 for n in numbers))


def parse_health(text: pd.Series, aliases: Mapping[str, str], scale: ScoreScale | None = None) -> Parsed:
    """Read health as green/yellow/red; numbers are 0-100 scores and also give a colour.

    A column whose scores all lie between 0 and 1 (0.85) holds fractions and is read as
    percentages (``scale`` is the whole file's, when ``text`` is a part of it). The scores go to
    ``extra["health_score"]``.
    """
    fractions = (scale or score_scale(text)).fractions

    def parse(distinct: pd.Series) -> Parsed:
        colours: list[str | None] = []
        scores: list[float | None] = []
        bad: list[bool] = []
        for value in distinct:
            key = header_key(str(value))
            if key in aliases:
                colours.append(aliases[key])
                scores.append(None)
                bad.append(False)
                continue
            score = _score(str(value))
            if score is not None and fractions and not str(value).strip().endswith("%"):
                score *= 100
            if score is not None and 0 <= score <= 100:
                colours.append(health_colour(score))
                scores.append(score)
                bad.append(False)
            else:
                colours.append(None)
                scores.append(None)
                bad.append(True)
        issues = []
        bad_s = pd.Series(bad, index=distinct.index)
        if bad_s.any():
            issues.append(Issue(bad_s, "not a health value", HEALTH_ALIASES_FIX))
        return Parsed(
            pd.Series(colours, index=distinct.index, dtype=object),
            issues,
            {"health_score": pd.Series(scores, index=distinct.index, dtype=object)},
        )

    return by_distinct(text, parse)


def health_colour(score: float) -> str:
    """The colour a 0-100 health score stands for."""
    if score >= HEALTH_SCORE_GREEN:
        return "green"
    if score >= HEALTH_SCORE_YELLOW:
        return "yellow"
    return "red"


# ---------------------------------------------------------------------------------- people and ids


def parse_person(text: pd.Series, roster: Roster, roster_hint: str) -> Parsed:
    """Resolve CSM references (roster id, email or name) to roster ids.

    References that match nobody are kept as written, so nothing is lost, and reported once
    per distinct value; a name two people share is reported too. ``roster_hint`` says how to
    fix an unknown reference (which differs while importing the roster itself).
    """

    def parse(distinct: pd.Series) -> Parsed:
        out: list[str | None] = []
        unknown: dict[str, list[bool]] = {}
        shared: dict[str, list[bool]] = {}
        for position, value in enumerate(distinct):
            reference = str(value)
            resolved = roster.resolve(reference)
            if resolved is not None:
                out.append(resolved)
                continue
            ids = roster.ambiguous.get(person_key(reference))
            if ids:
                _mark(shared, ", ".join(ids), position, len(distinct))
            elif roster:
                _mark(unknown, reference, position, len(distinct))
            out.append(reference)
        issues = [
            Issue(
                pd.Series(mask, index=distinct.index),
                "not in the CSM roster",
                f"{roster_hint} It is kept as written until then.",
                severity="warning",
                once=True,
                key=reference,
            )
            for reference, mask in unknown.items()
        ]
        issues += [
            Issue(
                pd.Series(mask, index=distinct.index),
                f"names more than one CSM ({ids})",
                "Write the CSM's email or id instead; it is kept as written until then.",
                severity="warning",
                once=True,
                key=ids,
            )
            for ids, mask in shared.items()
        ]
        return Parsed(pd.Series(out, index=distinct.index, dtype=object), issues)

    return by_distinct(text, parse)


_EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[a-z]{2,}$"


def parse_email(text: pd.Series) -> Parsed:
    """Lower-case email addresses and reject what is not one."""
    values = text.astype(TEXT).str.lower()
    bad = values.notna() & ~values.str.match(_EMAIL).fillna(False).astype(bool)
    issues = [Issue(bad, "not an email address", "Write it as name@company.com.")] if bad.any() else []
    return Parsed(values.where(~bad), issues)


_SLACK_ID = r"^<?@?([UW][A-Z0-9]{6,})(?:\|[^>]*)?>?$"


def parse_slack_user(text: pd.Series) -> Parsed:
    """Read Slack member ids (``U024BE7LH``, also pasted as ``<@U024BE7LH>``)."""
    upper = text.astype(TEXT).str.strip().str.upper()
    extracted = upper.str.extract(_SLACK_ID, expand=False).astype(TEXT)
    bad = text.notna() & extracted.isna()
    issues = (
        [
            Issue(
                bad,
                "not a Slack member id",
                "Copy it from the person's Slack profile (⋮ → Copy member ID); it looks like U024BE7LH.",
            )
        ]
        if bad.any()
        else []
    )
    return Parsed(extracted, issues)


def parse_list(text: pd.Series) -> Parsed:
    """Read comma- or semicolon-separated values into one ``a, b`` spelling."""
    joined = text.astype(TEXT).str.replace(r"\s*[,;]+\s*", ", ", regex=True).str.strip(", ")
    return Parsed(joined.where(joined != ""))


def parse_text(text: pd.Series) -> Parsed:
    """Collapse runs of spaces inside free text."""
    return Parsed(text.astype(TEXT).str.replace(_RUN_OF_SPACES, " ", regex=True))


_SLUG = re.compile(r"[\W_]+")


def slug(text: str) -> str:
    """An id derived from a name: ``"Acme Corp."`` → ``"acme-corp"``."""
    return _SLUG.sub("-", fold(text)).strip("-")
