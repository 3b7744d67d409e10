"""What a whole file says, gathered a part at a time before any part is checked.

Some readings depend on the whole file, not on one row: the day/month order of its dates, the
spellings most common in a category column, whether health scores are fractions, which
currencies the amounts use, and which ids repeat or look alike. ``TableSurvey`` collects them
chunk by chunk (keeping a few small columns per row: ids, names and their keys) so every chunk
can then be checked with the same answers as the whole file would get (``FileFacts``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import FileRefused, UnknownName
from engine.fields import TableSpec, header_key
from engine.lookalikes import difference, skeleton
from engine.normalize import (
    TEXT,
    DateEvidence,
    ScoreScale,
    add_counts,
    counts_series,
    currencies_in,
    date_evidence,
    date_pattern,
    later_duplicates,
    name_keys,
    parse_email,
    parse_text,
    score_scale,
    spreadsheet_errors,
    trim,
)
from engine.table_layout import RawTable
from engine.validation import (
    _WORKERS,
    PROBLEM_COLUMNS,
    TYPED_KINDS,
    HeaderMap,
    ImportOptions,
    _Problems,
    derive_ids,
    refuse_summary,
)

_EMPTY_PROBLEMS = pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})


@dataclass
class FileFacts:
    """The readings a whole file settles, and the problems only the whole file shows."""

    dates: tuple[str | None, str | None] = (None, None)  # day/month order, or a strptime pattern
    categories: dict[str, pd.Series] = field(default_factory=dict)  # value counts per category field
    scales: dict[str, ScoreScale] = field(default_factory=dict)  # per health field
    currencies: dict[str, list[str]] = field(default_factory=dict)  # per money field
    people: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # a roster's own rows
    notes: list[str] = field(default_factory=list)
    problems: pd.DataFrame = field(default_factory=_EMPTY_PROBLEMS.copy)  # repeated, look-alike ids; names
    error_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Spreadsheet rows of every id that occurs more than once, with the row each id first occurs on.
    repeated_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    repeated_first: dict[int, tuple[int, int]] = field(default_factory=dict)  # first row -> (next row, rows)
    rows: int = 0
    ids: int = 0
    most_rows_per_id: int = 0
    repeats: int = 0  # rows repeating the id of an earlier row

    @property
    def order_level(self) -> bool:
        """Many rows per id: orders or subscriptions, not accounts with a stray repeat."""
        return self.most_rows_per_id >= 3 or (len(self.repeated_first) >= 2 and self.repeats >= 0.1 * self.rows)


class TableSurvey:
    """Collects ``FileFacts`` over a file's parts (``add``), then settles them (``finish``)."""

    def __init__(
        self,
        spec: TableSpec,
        headers: HeaderMap,
        options: ImportOptions,
        source: str,
        *,
        repeats_allowed: bool = False,
        date_headers: Sequence[str] = (),
    ):
        self.spec, self.headers, self.options, self.source = spec, headers, options, source
        self.repeats_allowed = repeats_allowed
        kind = {name: spec.field(name).kind for name in headers.fields}
        fields = headers.fields
        self.date_headers = [fields[n] for n in fields if kind[n] == "date"] + [
            h for h in date_headers if h not in fields.values()
        ]
        self.dates = _DateSurvey(self.date_headers)
        self.category_counts: dict[str, dict[str, int]] = {n: {} for n in fields if kind[n] == "category"}
        self.scales = {n: ScoreScale() for n in fields if kind[n] == "health"}
        self.currencies: dict[str, set[str]] = {n: set() for n in fields if kind[n] == "money"}
        self.twins = _twin_columns(spec, headers, options)
        self.disagreement: tuple[str, str, str, int, str, str] | None = None
        self.parts: list[dict[str, Any]] = []  # per part: ids, rows, and names with their keys
        self.people: list[tuple[str, str | None, str | None]] = []

    def add(self, raw: RawTable) -> None:
        """Survey the next part of the file (its rows in file order)."""
        if raw.frame.empty:
            return
        refuse_summary(raw, self.spec, self.headers)
        fields = self.headers.fields

        def trimmed(name: str) -> pd.Series:
            # Read as the check reads it: "None" or "?" is a blank only in a number, date or flag column.
            column = trim(raw.frame[fields[name]], typed=self.spec.field(name).kind in TYPED_KINDS)
            return column.where(~spreadsheet_errors(column))

        def counts(name: str) -> dict[str, int]:
            found: dict[str, int] = {}
            add_counts(found, trimmed(name))
            return found

        # Columns are independent: read on a few threads, as the check does (Arrow's kernels
        # release the GIL), and merged in a fixed order so the outcome is that of a serial read.
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            keys = pool.submit(self._keys, raw, trimmed)
            category = {n: pool.submit(counts, n) for n in self.category_counts}
            scale = {n: pool.submit(_scale_of, trimmed, n) for n in self.scales}
            money = {n: pool.submit(_currencies_of, trimmed, n) for n in self.currencies}
            self.dates.add(raw)
            self._compare_twins(raw)
            part, people = keys.result()
        for name, found in category.items():
            total = self.category_counts[name]
            for value, n in found.result().items():
                total[value] = total.get(value, 0) + n
        for name, scale_found in scale.items():
            self.scales[name] = self.scales[name].merge(scale_found.result())
        for name, money_found in money.items():
            self.currencies[name] |= money_found.result()
        self.parts.append(part)
        self.people += people

    def _keys(
        self, raw: RawTable, trimmed: Callable[[str], pd.Series]
    ) -> tuple[dict[str, Any], list[tuple[str, str | None, str | None]]]:
        """Ids (as the check derives them), names and name keys: what repeats needs the whole file."""
        spec, fields = self.spec, self.headers.fields
        typed: dict[str, pd.Series] = {}
        if spec.id_field in fields:
            typed[spec.id_field] = trimmed(spec.id_field)
        if spec.name_field in fields:
            typed[spec.name_field] = parse_text(trimmed(spec.name_field)).values
        if spec.table == "csms" and "email" in fields:
            typed["email"] = parse_email(trimmed("email")).values
        ids, _ = derive_ids(spec, typed, raw.frame.index)
        part: dict[str, Any] = {"ids": ids.astype(TEXT), "rows": raw.rows}
        if spec.name_field in fields:
            shown = trim(raw.frame[fields[spec.name_field]])
            part["names"] = typed[spec.name_field].astype(TEXT)
            part["shown"] = shown
            part["keys"] = name_keys(shown)
        elif spec.id_field not in fields:
            part["names"] = pd.Series(np.nan, index=raw.frame.index, dtype=TEXT)
        people: list[tuple[str, str | None, str | None]] = []
        if spec.table == "csms":
            names = typed.get(spec.name_field, ids)
            emails = typed.get("email", pd.Series([None] * len(ids), index=ids.index))
            people = list(zip(ids, names, emails, strict=True))
        return part, people

    def _compare_twins(self, raw: RawTable) -> None:
        if self.disagreement is not None:
            return
        for name, chosen, other in self.twins:
            a, b = trim(raw.frame[chosen]), trim(raw.frame[other])
            differ = ~((a == b).fillna(False) | (a.isna() & b.isna())).to_numpy(dtype=bool)
            if differ.any():
                at = int(np.flatnonzero(differ)[0])
                first, second = (str(v) if isinstance(v, str) else "" for v in (a.iloc[at], b.iloc[at]))
                self.disagreement = (name, chosen, other, int(raw.rows[at]), first, second)
                return

    def finish(self) -> FileFacts:
        """The facts of the whole file; refuses what the whole file gets wrong."""
        notes: list[str] = []
        facts = FileFacts(
            dates=self.dates.decide(self.options, self.source, notes),
            categories={n: counts_series(total) for n, total in self.category_counts.items()},
            scales=dict(self.scales),
            currencies={n: sorted(seen) for n, seen in self.currencies.items()},
            people=self.people,
            notes=notes,
        )
        self._finish_twins(facts)
        if not self.parts:
            return facts
        ids = _joined(self.parts, "ids")
        rows = np.concatenate([p["rows"] for p in self.parts])
        names = _joined(self.parts, "names") if "names" in self.parts[0] else None
        problems = _Problems(rows)
        self._note_derived_ids(ids, facts)
        self._repeated_ids(ids, rows, names, problems, facts)
        self._lookalike_ids(ids, rows, problems)
        if "keys" in self.parts[0]:
            keys, shown = _joined(self.parts, "keys"), _joined(self.parts, "shown")
            assert names is not None
            _similar_names(self.spec, self.headers, ids, names, shown, keys, problems)
        facts.problems = problems.frame()
        errors = facts.problems[facts.problems["severity"] == "error"]
        facts.error_rows = np.unique(errors["row"].dropna().astype(np.int64).to_numpy())
        return facts

    def _finish_twins(self, facts: FileFacts) -> None:
        if self.disagreement is not None:
            name, chosen, other, row, a, b = self.disagreement
            raise FileRefused(
                f"Columns `{chosen}` and `{other}` of `{self.source}` both read as {self.spec.field(name).label} "
                f"and disagree on row {row} (`{a}` and `{b}`). Delete one, or say which to read with "
                f'--map {name}="{other}".'
            )
        for name, chosen, other in self.twins:
            facts.notes.append(
                f"Read {self.spec.field(name).label} from `{chosen}`; `{other}` holds the same values and was "
                "kept as extra."
            )

    def _note_derived_ids(self, ids: pd.Series, facts: FileFacts) -> None:
        spec = self.spec
        if spec.id_field in self.headers.fields:
            return
        example = ids.dropna().iloc[0] if ids.notna().any() else "…"
        source = "emails" if spec.table == "csms" and "email" in self.headers.fields else f"{spec.noun} names"
        facts.notes.append(
            f"No id column: ids were derived from the {source} (e.g. `{example}`); re-imports match on them."
        )

    def _repeated_ids(
        self, ids: pd.Series, rows: np.ndarray, names: pd.Series | None, problems: _Problems, facts: FileFacts
    ) -> None:
        spec, fields = self.spec, self.headers.fields
        present = ids.notna().to_numpy()
        facts.rows = len(ids)
        repeated = later_duplicates(ids)
        facts.repeats = int(repeated.sum())
        if not repeated.any():
            facts.ids = int(present.sum())
            facts.most_rows_per_id = 1 if facts.ids else 0
            return
        counts = ids[present].value_counts(sort=False)
        facts.ids = len(counts)
        facts.most_rows_per_id = int(counts.max())
        every = ids.duplicated(keep=False).to_numpy() & present
        facts.repeated_rows = np.sort(rows[every])
        first_row = _first_rows(ids, rows)
        second_row: dict[str, int] = {}
        for key, row in zip(ids[repeated], rows[repeated], strict=True):
            second_row.setdefault(str(key), int(row))
        facts.repeated_first = {first_row[key]: (second, int(counts[key])) for key, second in second_row.items()}
        if self.repeats_allowed:
            return
        label = fields.get(spec.id_field) or fields.get(spec.name_field)
        derived_here = spec.id_field not in fields
        problems.add(
            repeated,
            label,
            names if derived_here else ids,
            np.array(
                [
                    f"repeats the {'name (and so the derived id) ' if derived_here else 'id '}of row {first_row[i]}"
                    for i in ids[repeated]
                ],
                dtype=object,
            ),
            f"Keep one row per {spec.noun}, or give each its own id.",
        )

    def _lookalike_ids(self, ids: pd.Series, rows: np.ndarray, problems: _Problems) -> None:
        """Ids that look like another id of the file (invisible, fullwidth or look-alike characters)."""
        # Ids are Arrow-backed text: the test runs in Arrow, without a Python string per id.
        ascii_only = pc.string_is_ascii(pa.array(ids.astype(TEXT))).fill_null(True)
        unusual = np.flatnonzero(~np.asarray(ascii_only.to_numpy(zero_copy_only=False), dtype=bool)).tolist()
        if not unusual:
            return
        values = ids.to_numpy(dtype=object)
        first_at: dict[str, int] = {}
        for position in unusual:
            first_at.setdefault(skeleton(values[position]), position)
        # Plain ids are their own skeleton: look the unusual ids' skeletons up among them.
        plain = pd.Series(np.arange(len(values)), index=ids.to_numpy(dtype=object))
        plain = plain[~plain.index.duplicated()]
        hits = np.zeros(len(values), dtype=bool)
        messages = np.full(len(values), "", dtype=object)
        for position in unusual:
            value = values[position]
            look = skeleton(value)
            candidates = [int(plain[look])] if look in plain.index and look != value else []
            candidates.append(first_at[look])
            for other in sorted(candidates):
                earlier, later = (other, position) if other < position else (position, other)
                if values[earlier] == values[later] or hits[later]:
                    continue
                hits[later] = True
                messages[later] = (
                    f"looks the same as the id `{values[earlier]}` on row {int(rows[earlier])} but differs by "
                    f"{difference(values[later], values[earlier])}"
                )
        header = self.headers.fields.get(self.spec.id_field) or self.headers.fields.get(self.spec.name_field)
        problems.add(hits, header, ids, messages[hits], LOOKALIKE_FIX.format(noun=self.spec.noun))


LOOKALIKE_FIX = "Retype the id (or fix it in the CRM) so each {noun} has one id."


def survey_table(raw: RawTable, spec: TableSpec, headers: HeaderMap, options: ImportOptions) -> FileFacts:
    """The facts of a file held whole in one table."""
    survey = TableSurvey(spec, headers, options, raw.source)
    survey.add(raw)
    return survey.finish()


class _DateSurvey:
    """Day/month evidence from a file's date columns, with where each piece was found."""

    def __init__(self, headers: Sequence[str]):
        self.headers = list(headers)
        self.evidence = DateEvidence()
        self.where: dict[str, str] = {}

    def add(self, raw: RawTable) -> None:
        for header in self.headers:
            if header not in raw.frame:
                continue
            cells = trim(raw.frame[header], typed=True)
            found = date_evidence(cells)
            for value in (found.day_first, found.month_first, found.ambiguous):
                if value is not None and value not in self.where:
                    hits = np.flatnonzero((cells == value).fillna(False).to_numpy(dtype=bool))
                    self.where[value] = f"`{value}` (column `{header}`, row {int(raw.rows[hits[0]])})"
            self.evidence = self.evidence.merge(found)

    def decide(self, options: ImportOptions, source: str, notes: list[str]) -> tuple[str | None, str | None]:
        """How to read day/month order: --date-format, else the file's own evidence."""
        try:
            order, pattern = date_pattern(options.date_format)
        except ValueError:
            raise UnknownName(
                f"`--date-format {options.date_format}` is not a date format: use DMY, MDY, YMD "
                f"or a pattern such as %d.%m.%Y.",
                str(options.date_format),
            ) from None
        if order or pattern:
            return order, pattern
        evidence = self.evidence
        where = self.where
        if evidence.day_first and evidence.month_first:
            raise FileRefused(
                f"Dates in `{source}` disagree: {where[evidence.day_first]} can only be day/month but "
                f"{where[evidence.month_first]} can only be month/day. Fix the dates that differ, or pass "
                f"--date-format DMY or MDY."
            )
        if evidence.day_first:
            notes.append(f"Read dates as day/month/year: {where[evidence.day_first]} can only be read that way.")
            return "DMY", None
        if evidence.month_first:
            notes.append(f"Read dates as month/day/year: {where[evidence.month_first]} can only be read that way.")
            return "MDY", None
        if evidence.ambiguous:
            raise FileRefused(
                f"Dates such as {where[evidence.ambiguous]} in `{source}` could be day/month or "
                f"month/day, and no date in the file settles it. Pass --date-format DMY or "
                f"--date-format MDY."
            )
        return None, None


def _twin_columns(spec: TableSpec, headers: HeaderMap, options: ImportOptions) -> list[tuple[str, str, str]]:
    """(field, column read, other column) for fields two columns of the file spell the same way.

    ``arr`` and ``ARR``, or a header written twice (``ARR`` and ``ARR (2)``): the second would be
    kept as extra without a word. A field chosen with --map (given, or remembered from an earlier
    import) needs no second look, unless its header is written twice: naming it cannot tell the
    two columns apart.
    """
    twins = []
    for name, chosen in headers.fields.items():
        for other in headers.extra:
            base = other.rsplit(" (", 1)[0] if other.endswith(")") else other
            if name in options.mapping and base != chosen:
                continue
            if header_key(other) == header_key(chosen) or base == chosen:
                twins.append((name, chosen, other))
    return twins


def _scale_of(trimmed: Callable[[str], pd.Series], name: str) -> ScoreScale:
    return score_scale(trimmed(name))


def _currencies_of(trimmed: Callable[[str], pd.Series], name: str) -> set[str]:
    return currencies_in(trimmed(name))


def _joined(parts: Sequence[dict[str, Any]], name: str) -> pd.Series:
    return pd.concat([p[name] for p in parts], ignore_index=True)


def _first_rows(keys: pd.Series, rows: np.ndarray) -> dict[str, int]:
    """The spreadsheet row where each value first appears."""
    present = keys.notna().to_numpy()
    firsts = pd.Series(rows[present], index=keys[present].to_numpy()).groupby(level=0, sort=False).first()
    return {str(k): int(v) for k, v in firsts.items()}


def _similar_names(
    spec: TableSpec,
    headers: HeaderMap,
    ids: pd.Series,
    names: pd.Series,
    shown: pd.Series,
    keys: pd.Series,
    problems: _Problems,
) -> None:
    """Names that differ only in case, punctuation or "Inc." warn (the same id twice is an error already)."""
    later = later_duplicates(keys)
    if not later.any():
        return
    rows = problems.rows
    first_position: dict[str, int] = {}
    for at, key in enumerate(keys.to_numpy(dtype=object)):
        if isinstance(key, str) and key not in first_position:
            first_position[key] = at
    warn = np.zeros(len(names), dtype=bool)
    messages = np.full(len(names), "", dtype=object)
    for position in np.flatnonzero(later):
        original = first_position[keys.iloc[position]]
        if ids.iloc[original] == ids.iloc[position]:
            continue  # the same id twice is reported as a repeated id already
        warn[position] = True
        messages[position] = (
            f"looks like `{names.iloc[original]}` on row {int(rows[original])} (id {ids.iloc[original]})"
        )
    fix = (
        "If they are the same person, keep one row."
        if spec.table == "csms"
        else "If they are the same customer, merge them in the CRM."
    )
    problems.add(warn, headers.fields[spec.name_field], shown, messages[warn], fix, severity="warning")
