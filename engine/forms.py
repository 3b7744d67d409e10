"""How a CRM file writes each column, so an export writes unchanged values back the same way.

An import reads ``1,240,000.00``, ``5/21/2027``, ``Korea`` and ``Jordan Blake`` into tierbot's
forms (1240000.0, 2027-05-21, South Korea, a roster id). ``learn_forms`` remembers per column how
the file wrote its values — a number format, the spelling of each date, category, country or
person — and, for the few cells written otherwise than their column, the cell itself (the
account's ``written`` JSON: field → [cell, value read]). ``write_back`` renders values in those
forms: a value tierbot did not change comes back exactly as it came; a changed one (a tier, a new
owner after a handoff) is written in the column's form. Surrounding spaces are not kept.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.arrow_text import byte_table, cells_with_bytes, filled, replace_at, text_scalar
from engine.fields import TableSpec, region_of
from engine.normalize import as_text

NUMBER_KINDS = frozenset({"money", "number", "integer"})
# Kinds with few distinct values: each value's spelling is remembered.
SPELLED_KINDS = frozenset({"date", "flag", "category", "country", "health", "person"})
_SAMPLE = 2000
# Columns learned at once (their Arrow kernels release the GIL), as the checks read them.
_WORKERS = min(4, os.cpu_count() or 1)
# Beyond 15 significant digits a float no longer gives back the digits it was read from.
_EXACT_DIGITS = 15

Forms = dict[str, dict[str, Any]]


# ---------------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class NumberForm:
    """How a column writes numbers: ``$1,240,000.00`` is prefix $, grouped, 2 decimals.

    ``decimals`` None means as many as the value needs (1225507, 42500.5), with at least
    ``min_decimals`` (1 writes whole numbers as 1225507.0, as pandas does).
    """

    prefix: str = ""
    grouping: bool = False
    decimals: int | None = None
    min_decimals: int = 0
    decimal_comma: bool = False

    def render(self, value: float) -> str:
        sign = "-" if value < 0 else ""
        value = abs(value)
        if self.decimals is not None:
            text = f"{value:,.{self.decimals}f}" if self.grouping else f"{value:.{self.decimals}f}"
        else:
            if float(value).is_integer():
                whole, fraction = int(value), "0" if self.min_decimals else ""
            else:
                digits = repr(float(value))
                if "e" in digits:
                    digits = format(Decimal(digits), "f")
                head, _, fraction = digits.partition(".")
                whole = int(head)
            text = (f"{whole:,}" if self.grouping else str(whole)) + (f".{fraction}" if fraction else "")
        if self.decimal_comma:
            text = text.translate(str.maketrans(",.", ".,"))
        return sign + self.prefix + text

    def pattern(self) -> str:
        """The cells this form writes back exactly (with the digit-count check)."""
        group, point = (r"\.", ",") if self.decimal_comma else (",", r"\.")
        whole = f"(0|[1-9][0-9]{{0,2}}({group}[0-9]{{3}})*)" if self.grouping else "(0|[1-9][0-9]*)"
        if self.decimals is not None:
            fraction = f"{point}[0-9]{{{self.decimals}}}" if self.decimals else ""
        elif self.min_decimals:
            fraction = f"{point}([0-9]*[1-9]|0)"
        else:
            fraction = f"({point}[0-9]*[1-9])?"
        return f"^-?{re.escape(self.prefix)}{whole}{fraction}$"

    def as_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "grouping": self.grouping,
            "decimals": self.decimals,
            "min_decimals": self.min_decimals,
            "decimal_comma": self.decimal_comma,
        }


def _number_form(cells: list[str], decimal_comma: bool) -> NumberForm:
    """The form that writes the most of these cells exactly (the plainest one on a tie)."""
    if not cells:
        return NumberForm(decimal_comma=decimal_comma)
    point = "," if decimal_comma else "."
    prefixes = pd.Series([re.match(r"-?([^0-9(]*)", c).group(1) for c in cells])  # type: ignore[union-attr]
    prefix = str(prefixes.mode().iloc[0])
    fractions = pd.Series([len(c.rpartition(point)[2]) for c in cells if point in c])
    places = {0, 1, 2} | ({int(fractions.mode().iloc[0])} if len(fractions) else set())
    candidates = [
        NumberForm(p, grouping, decimals, minimum, decimal_comma)
        for p in dict.fromkeys((prefix, ""))
        for grouping in (False, True)
        for decimals, minimum in [(None, 0), (None, 1), *((d, 0) for d in sorted(places))]
    ]
    best, best_hits = candidates[0], -1
    for form in candidates:
        compiled = re.compile(form.pattern())
        hits = sum(1 for c in cells if compiled.match(c))
        if hits > best_hits:
            best, best_hits = form, hits
    return best


def _number_misses(written: pd.Series, values: pd.Series, form: NumberForm) -> np.ndarray:
    """Cells the form would not write back as they are (a blank reads back as a blank)."""
    text = pa.array(as_text(written))
    filled = pc.not_equal(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
    number = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    read = ~np.isnan(number)
    if form == NumberForm(min_decimals=form.min_decimals):
        # Plain numbers (what most CSV exports write): Arrow writes a float the shortest way, as
        # the form does, so one vectorised comparison replaces a regular expression per cell.
        expected = pc.cast(pa.array(number, from_pandas=True), pa.large_string())
        # Whole numbers through int64: Arrow writes a float of 1e10 or more with an exponent.
        whole_mask = read & (np.abs(np.where(read, number, 0)) < 2**53)
        whole_mask &= np.floor(np.where(whole_mask, number, 0)) == np.where(whole_mask, number, 0)
        integers = pc.cast(pa.array(np.where(whole_mask, number, 0).astype(np.int64)), pa.large_string())
        if form.min_decimals:
            suffix, joiner = pa.scalar(".0", pa.large_string()), pa.scalar("", pa.large_string())
            integers = pc.binary_join_element_wise(integers, suffix, joiner)
        expected = pc.if_else(pa.array(whole_mask), integers, expected)
        fits = pc.fill_null(pc.equal(text, expected), False).to_numpy(zero_copy_only=False)
    else:
        fits = pc.fill_null(pc.match_substring_regex(text, form.pattern()), False).to_numpy(zero_copy_only=False)
    # Beyond 15 significant digits a float no longer gives back the digits it was read from.
    long = pc.greater(pc.utf8_length(text), _EXACT_DIGITS).to_numpy(zero_copy_only=False)
    if long.any():
        digits = pc.count_substring_regex(pc.filter(text, pa.array(long)), "[0-9]").to_numpy(zero_copy_only=False)
        fits[np.flatnonzero(long)[digits > _EXACT_DIGITS]] = False
    negative_zero = pc.starts_with(text, "-").to_numpy(zero_copy_only=False) & (number == 0)
    fits = fits & read & ~negative_zero
    return np.asarray((filled & ~fits) | (~filled & read), dtype=bool)


# ---------------------------------------------------------------------------------- dates

_DATE_PATTERNS: dict[str, Callable[[date], str]] = {
    "YYYY-MM-DD": lambda d: d.isoformat(),
    "M/D/YYYY": lambda d: f"{d.month}/{d.day}/{d.year}",
    "MM/DD/YYYY": lambda d: f"{d.month:02}/{d.day:02}/{d.year}",
    "D/M/YYYY": lambda d: f"{d.day}/{d.month}/{d.year}",
    "DD/MM/YYYY": lambda d: f"{d.day:02}/{d.month:02}/{d.year}",
    "D.M.YYYY": lambda d: f"{d.day}.{d.month}.{d.year}",
    "DD.MM.YYYY": lambda d: f"{d.day:02}.{d.month:02}.{d.year}",
    "YYYY/MM/DD": lambda d: f"{d.year}/{d.month:02}/{d.day:02}",
    "YYYY-MM-DDT00:00:00Z": lambda d: f"{d.isoformat()}T00:00:00Z",
    "YYYY-MM-DDT00:00:00.000Z": lambda d: f"{d.isoformat()}T00:00:00.000Z",
    "D Mon YYYY": lambda d: f"{d.day} {d:%b} {d.year}",
}


def _date_pattern(spellings: Mapping[str, str], counts: Mapping[str, int]) -> str:
    """The pattern that writes most of the file's dates as it wrote them."""
    best, best_hits = "YYYY-MM-DD", 0
    for name, render in _DATE_PATTERNS.items():
        hits = sum(counts.get(iso, 1) for iso, text in spellings.items() if render(date.fromisoformat(iso)) == text)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def render_date(iso: str, pattern: str | None) -> str:
    """An ISO date in one of the patterns files write dates in."""
    render = _DATE_PATTERNS.get(pattern or "YYYY-MM-DD", _DATE_PATTERNS["YYYY-MM-DD"])
    return render(date.fromisoformat(iso[:10]))


# ---------------------------------------------------------------------------------- learning


def value_key(value: Any) -> str | None:
    """A value as the key of a spelling: 1 and 1.0 alike, blanks None."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _spellings(written: pd.Series, values: pd.Series, kind: str) -> tuple[dict[str, str], dict[str, int], np.ndarray]:
    """The most common spelling of each value, how many cells each value has, and the cells
    spelt otherwise (or filled in by tierbot: a blank flag read as false, a derived region).

    Counted on codes, not strings: a million cells take a few tens of milliseconds.
    """
    value_codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    keys = [value_key(u) for u in uniques]
    key_index = {k: i for i, k in enumerate(dict.fromkeys(k for k in keys if k is not None))}
    remap = np.array([key_index.get(k, -1) if k is not None else -1 for k in keys] + [-1], dtype=np.int64)
    codes = remap[np.where(value_codes >= 0, value_codes, len(keys))]
    text_codes, texts = pd.factorize(as_text(written), use_na_sentinel=True)
    texts = [str(t) for t in texts]
    width = max(len(texts), 1)
    present = codes >= 0
    combined = codes[present] * width + text_codes[present]
    if len(key_index) * width <= 1 << 22:
        # Few values and spellings (the usual case): counting beats sorting a million codes.
        counted = np.bincount(combined, minlength=len(key_index) * width)
        pairs = np.flatnonzero(counted)
        counts = counted[pairs]
    else:
        pairs, counts = np.unique(combined, return_counts=True)
    best = np.full(len(key_index), -1, dtype=np.int64)
    per_key = np.zeros(len(key_index), dtype=np.int64)
    for at in np.argsort(-counts, kind="stable"):
        key_code, text_code = divmod(int(pairs[at]), width)
        per_key[key_code] += counts[at]
        if best[key_code] >= 0:
            continue
        if kind == "health" and re.fullmatch(r"[0-9.]+%?", texts[text_code]):
            continue  # a score spells one account's health, not the colour's
        best[key_code] = text_code
    names = list(key_index)
    spellings = {names[k]: texts[int(t)] for k, t in enumerate(best) if t >= 0}
    blank = texts.index("") if "" in texts else -2
    lookup = np.append(best, blank)  # a blank value expects a blank cell
    expected = lookup[np.where(present, codes, len(best))]
    misses = text_codes != expected
    return spellings, {names[k]: int(n) for k, n in enumerate(per_key)}, np.asarray(misses, dtype=bool)


class FormLearner:
    """The forms of a file read in parts (a million rows are checked 50,000 at a time).

    The first part a column has values in settles its form: the number format, the date pattern,
    the spelling of each value; a later part adds the spellings of values not seen before. Which
    spelling becomes the form only decides how many cells are kept as written: every cell its
    form would not write back exactly is kept (``learn`` returns them per row), so an export
    gives the file back cell for cell however the file was split.
    """

    def __init__(self, spec: TableSpec, decimal_comma: bool = False):
        self.spec, self.decimal_comma = spec, decimal_comma
        self.forms: Forms = {}

    def learn(self, written: Mapping[str, pd.Series], values: pd.DataFrame) -> pd.Series:
        """Learn from one part; its rows' cells the forms would not write back (as JSON).

        Columns are learned on a few threads (their Arrow kernels release Python's lock); each
        touches only its own form, and new forms join in column order, as a serial walk adds them.
        """
        names = [name for name in written if name in values]
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            learned = list(pool.map(lambda name: self._learn_column(name, written[name], values[name]), names))
        misses: dict[str, np.ndarray] = {}
        for name, (missed, form) in zip(names, learned, strict=True):
            misses[name] = missed
            if form is not None:
                self.forms[name] = form
        return _written_json(written, values, misses)

    def _learn_column(self, name: str, cells: pd.Series, column: pd.Series) -> tuple[np.ndarray, dict | None]:
        """One column's cells the form would not write back, and its form if it is new."""
        kind = self.spec.field(name).kind
        if kind in NUMBER_KINDS:
            form = self.forms.get(name)
            new = None
            if form is None or not form.get("seen"):
                sample = [str(c) for c in cells.dropna().head(_SAMPLE) if str(c)]
                new = form = {"number": _number_form(sample, self.decimal_comma).as_json(), "seen": bool(sample)}
            return _number_misses(cells, column, NumberForm(**form["number"])), new
        if kind in SPELLED_KINDS:
            if name not in self.forms:
                spellings, counts, missed = _spellings(cells, column, kind)
                new = {"spellings": spellings}
                if kind == "date":
                    new["pattern"] = _date_pattern(spellings, counts)
                return missed, new
            known = self.forms[name]["spellings"]  # this column's own: no other thread touches it
            missed, first = _spelling_misses(cells, column, known)
            if first.any():  # values this part is the first to have: their spellings join the form
                spellings, _, _ = _spellings(cells[first], column[first], kind)
                for key, spelt in spellings.items():
                    known.setdefault(key, spelt)
                missed, _ = _spelling_misses(cells, column, known)
            return missed, None
        return (as_text(cells) != as_text(column)).to_numpy(dtype=bool), None

    def result(self) -> Forms:
        """The forms learned, as the import record keeps them."""
        return {name: {k: v for k, v in form.items() if k != "seen"} for name, form in self.forms.items()}


def learn_forms(
    spec: TableSpec, written: Mapping[str, pd.Series], values: pd.DataFrame, decimal_comma: bool = False
) -> tuple[Forms, pd.Series]:
    """Each column's form, and each row's cells that the form would not write back (as JSON)."""
    learner = FormLearner(spec, decimal_comma)
    cells = learner.learn(written, values)
    return learner.result(), cells


def _spelling_misses(
    written: pd.Series, values: pd.Series, spellings: Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """Cells not spelt as their value's spelling (a blank value expects a blank cell), and the
    rows whose value has no spelling yet. Compared in Arrow: a value's spelling is looked up once."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    found = [spellings.get(value_key(u) or "") for u in uniques]
    # A value without a spelling expects a cell no file holds (its cell is kept as written).
    expected = pa.array([f if f is not None else "\x00" for f in found] + [""], type=pa.large_string())
    take = np.where(codes >= 0, codes, len(uniques))
    wanted = expected.take(pa.array(take))
    actual = pa.array(as_text(written), type=pa.large_string())
    same = pc.fill_null(pc.equal(actual, wanted), False).to_numpy(zero_copy_only=False)
    unknown = np.append(np.array([f is None for f in found], dtype=bool), False)[take]
    return np.asarray(~same, dtype=bool), unknown


def _written_json(
    written: Mapping[str, pd.Series], values: pd.DataFrame, misses: Mapping[str, np.ndarray]
) -> pd.Series:
    out = np.full(len(values), None, dtype=object)
    if not misses:
        return pd.Series(out, index=values.index, dtype=object)
    any_miss = np.logical_or.reduce(list(misses.values()))
    for position in np.flatnonzero(any_miss):
        cells = {
            name: [_cell(written[name].iloc[position]), _plain(values[name].iloc[position])]
            for name, missed in misses.items()
            if missed[position]
        }
        out[position] = json.dumps(cells, ensure_ascii=False, sort_keys=True)
    return pd.Series(out, index=values.index, dtype=object)


def _cell(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA else str(value)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def merge_forms(before: Mapping[str, Any], after: Mapping[str, Any]) -> Forms:
    """Forms learned over several files: the newer file's form wins, spellings add up."""
    merged: Forms = {name: dict(form) for name, form in before.items()}
    for name, form in after.items():
        if "spellings" in form and "spellings" in merged.get(name, {}):
            spellings = {**merged[name]["spellings"], **form["spellings"]}
            merged[name] = {**merged[name], **form, "spellings": spellings}
        else:
            merged[name] = dict(form)
    return merged


# ---------------------------------------------------------------------------------- writing back


@dataclass(frozen=True)
class People:
    """The roster as an export needs it: references resolved, and each CSM's name and email."""

    resolve: Callable[[str], str | None]
    names: Mapping[str, tuple[str | None, str | None]]  # id -> (name, email)


# A column of cells: Arrow text (a CSV's cells), or Python values (an XLSX's numbers).
Cells: TypeAlias = "pa.Array | list[Any]"


class CellWriter:
    """Writes a table's fields as cells (``write_back``), chunk after chunk of the same table.

    A value with a spelling or a form of its own (a date, a category, a number written
    ``$1,240,000``) is rendered once per export, not once per chunk: the renderings are kept per
    column, a bounded number of them, so memory stays flat however many values a column has.
    """

    MEMO_LIMIT = 65_536

    def __init__(
        self,
        spec: TableSpec,
        forms: Mapping[str, Mapping[str, Any]],
        people: People,
        *,
        normalised: bool = False,
        numbers_as_numbers: bool = False,
    ):
        self.spec, self.forms, self.people = spec, forms, people
        self.normalised, self.numbers_as_numbers = normalised, numbers_as_numbers
        self.memos: dict[str, dict[Any, str]] = {}

    def cells(self, values: pa.Table | pa.RecordBatch, written: pa.Array | pa.ChunkedArray | None) -> dict[str, Cells]:
        """The fields of ``values`` as cells (see ``write_back``)."""
        fields = [name for name in values.column_names if name in self.spec.names]
        kinds = {name: self.spec.field(name).kind for name in fields}
        kept = {} if written is None or self.normalised else _exceptions(written, values, kinds, self.people)
        out: dict[str, Cells] = {}
        for name in fields:
            kind = kinds[name]
            column = _one_array(values.column(name))
            if kind in NUMBER_KINDS and self.numbers_as_numbers:
                numbers = [_number(v) if v is not None and v == v else None for v in column.to_pylist()]
                for position, cell in kept.get(name, {}).items():
                    numbers[position] = cell
                out[name] = numbers
                continue
            cells = self._render(name, kind, column)
            if name in kept:
                cells = _put_back(cells, kept[name])
            out[name] = cells
        return out

    def _render(self, name: str, kind: str, column: pa.Array) -> pa.Array:
        """Each cell of a column as text, blanks empty: vectorised, or once per distinct value."""
        form = {} if self.normalised else self.forms.get(name, {})
        memo = self.memos.setdefault(name, {})
        if kind in NUMBER_KINDS:
            number_form = NumberForm(**form["number"]) if "number" in form else NumberForm()
            if number_form == NumberForm(min_decimals=number_form.min_decimals):
                return _plain_numbers(column, number_form)
            return self._per_value(column, memo, lambda key, value: number_form.render(float(value)))
        spellings: Mapping[str, str] = form.get("spellings", {})
        if kind not in SPELLED_KINDS and not spellings:
            # Ids, names, emails: written as they are (what tierbot's form of them is).
            return filled(column)
        if kind == "person":
            spellings = _person_spellings(spellings, self.people)

        def spelt(key: str, value: Any) -> str:
            found = spellings.get(key)
            return found if found is not None else _tierbot_form(name, kind, key, form, self.people, self.normalised)

        return self._per_value(column, memo, spelt)

    def _per_value(self, column: pa.Array, memo: dict[Any, str], render: Callable[[str, Any], str]) -> pa.Array:
        """Render each distinct value once and spread the results over the column (blanks empty)."""
        encoded = pc.dictionary_encode(column)
        rendered = []
        for value in encoded.dictionary.to_pylist():
            cell = memo.get(value)
            if cell is None:
                key = value_key(value)
                cell = render(key, value) if key is not None else ""
                if len(memo) >= self.MEMO_LIMIT:
                    memo.clear()
                memo[value] = cell
            rendered.append(cell)
        table = pa.array([*rendered, ""], type=pa.large_string())
        return table.take(pc.fill_null(encoded.indices, len(rendered)))


def write_back(
    spec: TableSpec,
    values: pa.Table | pa.RecordBatch,
    forms: Mapping[str, Mapping[str, Any]],
    written: pa.Array | pa.ChunkedArray | None,
    people: People,
    *,
    normalised: bool = False,
    numbers_as_numbers: bool = False,
) -> dict[str, Cells]:
    """The fields of ``values`` as cells: in the file's forms, or in tierbot's (``normalised``).

    ``values`` holds numbers as float64 and everything else as text, a chunk of the book or all
    of it; each column comes back as Arrow text with blanks as empty strings. ``written`` (the
    accounts' JSON of cells written otherwise) puts back the cells whose value is unchanged.
    ``numbers_as_numbers`` keeps numbers numeric (for XLSX cells): those columns come back as
    Python lists of numbers, blanks and the cells kept as written. A table written in chunks
    goes through one ``CellWriter``.
    """
    writer = CellWriter(spec, forms, people, normalised=normalised, numbers_as_numbers=numbers_as_numbers)
    return writer.cells(values, written)


def _one_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _exceptions(
    written: pa.Array | pa.ChunkedArray, values: pa.Table | pa.RecordBatch, kinds: Mapping[str, str], people: People
) -> dict[str, dict[int, str]]:
    """The cells kept as written whose value is still the one read: field -> {position: cell}."""
    written = _one_array(written)
    positions = pc.indices_nonzero(pc.is_valid(written))
    if not len(positions):
        return {}
    # Few rows have cells written otherwise: only theirs are read in Python.
    read: dict[str, list[tuple[int, str, Any]]] = {}
    for position, text in zip(positions.to_pylist(), pc.take(written, positions).to_pylist(), strict=True):
        for name, (cell, value_read) in json.loads(text).items():
            if name in kinds:
                read.setdefault(name, []).append((position, cell, value_read))
    kept: dict[str, dict[int, str]] = {}
    for name, entries in read.items():
        rows = pa.array([position for position, _, _ in entries], type=pa.int64())
        current = pc.take(_one_array(values.column(name)), rows).to_pylist()
        for (position, cell, value_read), now in zip(entries, current, strict=True):
            if _unchanged(kinds[name], now, value_read, people):
                kept.setdefault(name, {})[position] = cell
    return kept


def _put_back(cells: pa.Array, kept: Mapping[int, str]) -> pa.Array:
    positions = sorted(kept)
    return replace_at(cells, np.array(positions, dtype=np.int64), pa.array([kept[p] for p in positions]))


def _unchanged(kind: str, current: Any, value_read: Any, people: People) -> bool:
    if value_key(current) == value_key(value_read):
        return True
    if kind in NUMBER_KINDS and value_key(current) is not None and value_read is not None:
        return bool(float(current) == float(value_read))
    if kind == "person" and isinstance(value_read, str) and current is not None:
        return people.resolve(value_read) == current
    return False


def _plain_numbers(column: pa.Array, form: NumberForm) -> pa.Array:
    """Numbers in the plain form (1225507, 96000.5, 1240000.0 with ``min_decimals``), vectorised.

    Whole numbers go through int64 (Arrow writes a float of 1e16 with an exponent); the others
    are written by Arrow, which writes a float the shortest way that reads back, as the form
    does, except for the few it writes with an exponent, which the form renders itself.
    """
    number = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        whole = (np.abs(number) < 2**53) & (np.floor(number) == number)
    cells = pc.cast(pa.array(np.where(whole, number, 0).astype(np.int64), mask=~whole), pa.large_string())
    if form.min_decimals:
        cells = pc.binary_join_element_wise(cells, text_scalar(".0"), text_scalar(""))
    fractions = np.flatnonzero(~whole & ~np.isnan(number))
    if len(fractions):
        written = pc.cast(pa.array(number[fractions]), pa.large_string())
        exponent = np.flatnonzero(cells_with_bytes(written, _EXPONENT))
        if len(exponent):
            rendered = [form.render(float(number[fractions[i]])) for i in exponent]
            written = replace_at(written, exponent, pa.array(rendered, type=pa.large_string()))
        cells = replace_at(cells, fractions, written)
    return pc.fill_null(cells, text_scalar(""))


_EXPONENT = byte_table("e")


def _number(value: Any) -> Any:
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _person_spellings(spellings: Mapping[str, str], people: People) -> dict[str, str]:
    """Spellings by the roster id each reference now resolves to (a name linked after import)."""
    by_id: dict[str, str] = {}
    for reference, cell in spellings.items():
        by_id.setdefault(people.resolve(reference) or reference, cell)
    return {**by_id, **spellings}


def _tierbot_form(name: str, kind: str, key: str, form: Mapping[str, Any], people: People, normalised: bool) -> str:
    """A value the file never wrote (or every value, normalised), in the column's style."""
    if kind == "flag":
        return "TRUE" if key == "1" else "FALSE" if key == "0" else key
    if kind == "date":
        return render_date(key, None if normalised else form.get("pattern"))
    if kind == "category" and name == "region" and normalised:
        return region_of(key) or key
    if kind == "person" and not normalised and key in people.names:
        # After a handoff, the new owner is written like the file wrote owners: name or email.
        csm_name, email = people.names[key]
        style = _person_style(form.get("spellings", {}))
        if style == "email" and email:
            return email
        if style == "name" and csm_name:
            return csm_name
    return key


def _person_style(spellings: Mapping[str, str]) -> str:
    cells = list(spellings.values())
    if not cells:
        return "name"
    emails = sum("@" in c for c in cells)
    names = sum(" " in c.strip() for c in cells)
    return "email" if emails > len(cells) / 2 else "name" if names >= emails else "id"
