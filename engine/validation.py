"""Turn a grid of cells from a CRM export into a checked, typed table.

``tableize`` finds the header row and the data rows of a grid (skipping report titles, blank
rows and Salesforce's footer); ``check_table`` maps headers to fields, refuses pivot and summary
exports, reads every cell by its field's kind and reports each problem with row, column, value
and fix. Nothing here writes anything: the caller decides what to do with the problems.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.errors import FileRefused, UnknownName
from engine.fields import BROAD_REGIONS, REGION_SYNONYMS, REGIONS, Field, TableSpec, header_key, region_of
from engine.matching import unknown_name
from engine.normalize import (
    _SPACES,
    TEXT,
    Issue,
    Parsed,
    as_text,
    country_region,
    parse_category,
    parse_country,
    parse_date,
    parse_email,
    parse_flag,
    parse_health,
    parse_list,
    parse_number,
    parse_person,
    parse_slack_user,
    parse_text,
    slug,
    spreadsheet_errors,
    trim,
    whole_numbers,
)
from engine.people import build_roster
from engine.table_layout import GridScan, RawTable

if TYPE_CHECKING:
    from engine.survey import FileFacts

PROBLEM_COLUMNS = ["row", "column", "value", "severity", "problem", "fix"]
# Kinds whose cells are numbers, dates or flags: there "None", "nil", "?" and "--" are blanks.
TYPED_KINDS = frozenset({"money", "number", "integer", "date", "flag"})
_WORKERS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file: explicit header mapping, number and date conventions."""

    mapping: Mapping[str, str] = field(default_factory=dict)  # field name -> header in the file
    decimal_comma: bool = False
    date_format: str | None = None  # DMY, MDY, YMD or a strptime pattern such as %d.%m.%Y
    allow_new_values: bool = False  # a category value close to a known one is new, not a typo


@dataclass(frozen=True)
class KnownValues:
    """What the store already knows, to normalise and resolve the new file against."""

    categories: Mapping[str, Sequence[str]] = field(default_factory=dict)
    roster: Sequence[tuple[str, str | None, str | None]] = ()  # CSMs as (id, name, email)


@dataclass(frozen=True)
class Problem:
    """One problem in an import, located by spreadsheet row and column."""

    row: int | None
    column: str | None
    value: str | None
    severity: str
    problem: str
    fix: str

    def __str__(self) -> str:
        where = f"on row {self.row}" if self.row is not None else "in the file"
        problem = self.problem if self.problem.endswith(("?", ".")) else self.problem + "."
        if self.column is None:
            return f"Row {self.row}: {problem} {self.fix}"
        if self.value is None or self.value == "":
            return f"Column `{self.column}` is blank {where}: {problem} {self.fix}"
        return f"Column `{self.column}` has `{self.value}` {where}: {problem} {self.fix}"


@dataclass
class CheckedTable:
    """A typed table ready to write, with every problem found on the way."""

    frame: pd.DataFrame
    rows: np.ndarray
    problems: pd.DataFrame
    mapping: dict[str, str]
    extra_headers: list[str]
    notes: list[str]
    # Fields the file has no column for but tierbot derived (region from country): they fill
    # only what the store does not know yet.
    derived: tuple[str, ...] = ()
    # The rows whose region was derived from their country: (country, region), for the note
    # the caller says once for the whole file (``region_fill_note``).
    region_fills: pd.DataFrame | None = None

    @property
    def error_rows(self) -> np.ndarray:
        """Spreadsheet row numbers that have at least one error."""
        errors = self.problems[self.problems["severity"] == "error"]
        return np.unique(errors["row"].dropna().astype(int).to_numpy())

    @property
    def error_count(self) -> int:
        return int((self.problems["severity"] == "error").sum())

    @property
    def warning_count(self) -> int:
        return int((self.problems["severity"] == "warning").sum())

    def valid_frame(self) -> pd.DataFrame:
        """The rows without errors."""
        bad = np.isin(self.rows, self.error_rows)
        return self.frame[~bad]


def problem_list(problems: pd.DataFrame, limit: int | None = None) -> list[Problem]:
    """The problems as value objects, errors first, each group in row order."""
    order = problems.assign(_sev=(problems["severity"] != "error").astype(int))
    order = order.sort_values(["_sev", "row"], kind="stable", na_position="first")
    if limit is not None:
        order = order.head(limit)
    out = []
    for rec in order.to_dict("records"):
        row = rec["row"]
        out.append(
            Problem(
                row=None if pd.isna(row) else int(row),
                column=None if pd.isna(rec["column"]) else str(rec["column"]),
                value=None if pd.isna(rec["value"]) else str(rec["value"]),
                severity=str(rec["severity"]),
                problem=str(rec["problem"]),
                fix=str(rec["fix"]),
            )
        )
    return out


# ---------------------------------------------------------------------------------- the grid

_TOTAL_ROW = (
    r"(?i)^[ \t]*(grand[ \t]+)?(sub)?totals?"
    r"(?:[ \t]*:.*|[ \t]*\([ \t]*[0-9][0-9,.]*[ \t]*(records?|rows?|accounts?)?[ \t]*\))?[ \t]*$"
)
_PIVOT_HEADERS = re.compile(r"^(sum of|count of|average of|max of|min of|row labels|column labels|grand total)")


def tableize(
    grid: pd.DataFrame, spec: TableSpec, source: str, notes: Sequence[str] = (), mapped: Sequence[str] = ()
) -> RawTable:
    """Find the header row of a grid of text cells and return the data rows beneath it.

    Row numbers are the spreadsheet's (1-based, header included), so messages match what a
    person sees when they open the file. A file read in chunks uses ``GridScan`` directly.
    """
    scan = GridScan(spec, source, notes, mapped)
    scan.add(grid)
    return scan.rows(grid, scan.finish())


# ---------------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class HeaderMap:
    """Which header of the file feeds which field."""

    fields: dict[str, str]  # field name -> header
    extra: list[str]  # headers kept as extra attributes
    ignored: list[str]  # headers tierbot writes itself (the Tier column)
    notes: list[str] = field(default_factory=list)


def map_headers(headers: Sequence[str], spec: TableSpec, overrides: Mapping[str, str]) -> HeaderMap:
    """Match headers to fields by case- and space-insensitive synonyms and ``--map``.

    When several columns could feed one field, the most specific spelling wins ("Account ID"
    over "Id") and the choice is reported, with how to pick another.
    """
    by_key: dict[str, str] = {}
    for h in headers:
        by_key.setdefault(header_key(h), h)
    chosen: dict[str, str] = {}
    for name, header in overrides.items():
        if name not in spec.names:
            raise unknown_name(f"`--map {name}=...` names no {spec.noun} field", name, spec.names, "Fields")
        match: str | None = header if header in headers else by_key.get(header_key(header))
        if match is None:
            raise unknown_name(
                f'`--map {name}="{header}"`: the file has no column `{header}`', header, headers, "Columns"
            )
        twice = [other for other, used in chosen.items() if used == match]
        if twice:
            raise UnknownName(
                f"`--map` gives the column `{match}` to both `{twice[0]}` and `{name}`: one column per field.", name
            )
        chosen[name] = match
    claimed = set(chosen.values())
    notes: list[str] = []
    for f in spec.fields:
        if f.name in chosen:
            continue
        candidates = [
            found
            for spelling in (*f.synonyms, f.name)
            if (found := by_key.get(header_key(spelling))) is not None and found not in claimed
        ]
        candidates = list(dict.fromkeys(candidates))
        if candidates:
            chosen[f.name] = candidates[0]
            claimed.add(candidates[0])
            if len(candidates) > 1:
                others = ", ".join(f"`{c}`" for c in candidates[1:])
                notes.append(
                    f"Read {f.name} from `{candidates[0]}`; {others} also looked like it and "
                    f'{"was" if len(candidates) == 2 else "were"} kept as extra. Use --map {f.name}="…" to choose.'
                )
    output = {header_key(h) for h in spec.output_headers}
    ignored = [h for h in headers if h not in claimed and header_key(h) in output]
    extra = [h for h in headers if h not in claimed and h not in ignored]
    ordered = {f.name: chosen[f.name] for f in spec.fields if f.name in chosen}
    return HeaderMap(ordered, extra, ignored, notes)


# ---------------------------------------------------------------------------------- checking


def refuse_summary(raw: RawTable, spec: TableSpec, headers: HeaderMap) -> None:
    """Refuse pivot tables and summary exports: they are not one row per record."""
    for h in raw.frame.columns:
        if _PIVOT_HEADERS.match(header_key(str(h))):
            raise FileRefused(
                f"`{raw.source}` looks like a pivot table (column `{h}`), not one row per "
                f"{spec.noun}. Export the {spec.noun}-level report from the CRM instead."
            )
    if spec.id_field not in headers.fields and spec.name_field not in headers.fields:
        raise FileRefused(
            f"`{raw.source}` has no {spec.noun} id or name column (columns: "
            f"{', '.join(map(str, raw.frame.columns))}). If it is a pivot or summary export, "
            f"export the {spec.noun}-level report instead; otherwise map the columns with "
            f'--map {spec.id_field}="..." --map {spec.name_field}="...".'
        )
    to_check = [raw.frame.columns[0]] + [
        headers.fields[n] for n in (spec.id_field, spec.name_field) if n in headers.fields
    ]
    for column in dict.fromkeys(to_check):
        cells = as_text(raw.frame[column])
        totals = cells.str.match(_TOTAL_ROW).fillna(False).to_numpy(dtype=bool)
        if totals.any():
            at = int(np.flatnonzero(totals)[0])
            raise FileRefused(
                f"Row {raw.rows[at]} of `{raw.source}` is a totals row "
                f"(`{cells.iloc[at].strip()}` in column `{column}`): this looks like a summary "
                f"export. Export the {spec.noun}-level report, or delete the totals rows."
            )


class _Shown:
    """Cells as typed (trimmed), per field, computed on first use."""

    def __init__(self, frame: pd.DataFrame, headers: Mapping[str, str]):
        self.frame, self.headers = frame, headers
        self.cache: dict[str, pd.Series] = {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self.cache:
            self.cache[name] = as_text(self.frame[self.headers[name]]).str.strip(_SPACES)
        return self.cache[name]


class _Problems:
    """Collects problems as small frames and joins them once."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        mask: pd.Series | np.ndarray,
        column: str | None,
        values: pd.Series | None,
        problem: str | np.ndarray,
        fix: str,
        severity: str = "error",
        once: bool = False,
        key: str | None = None,
    ) -> None:
        """Add one problem per row of ``mask``; ``problem`` may give each row its own text.

        ``once`` reports only the first row, with how many share the problem (``key`` tells
        such problems apart when the problem text does not).
        """
        hits = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(hits) == 0:
            return
        shared = 0
        if once and isinstance(problem, str):
            shared = len(hits)
            hits = hits[:1]
        shown = (
            values.iloc[hits].astype(object).where(values.iloc[hits].notna(), "").astype(str).to_numpy()
            if values is not None
            else np.full(len(hits), "", dtype=object)
        )
        self.parts.append(
            pd.DataFrame(
                {
                    "row": self.rows[hits],
                    "column": column,
                    "value": shown,
                    "severity": severity,
                    "problem": problem,
                    "fix": fix,
                    _SHARED: shared,
                    _KEY: key if key is not None else "",
                }
            )
        )

    def issues(self, issues: list[Issue], column: str, values: pd.Series | Callable[[], pd.Series]) -> None:
        for issue in issues:
            if not issue.mask.any():
                continue
            shown = values() if callable(values) else values
            self.add(issue.mask, column, shown, issue.problem, issue.fix, issue.severity, issue.once, issue.key)

    def frame(self) -> pd.DataFrame:
        """The problems so far, in row order, still to be finished (``finish_problems``)."""
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in [*PROBLEM_COLUMNS, _SHARED, _KEY]})
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values("row", kind="stable").reset_index(drop=True)


_SHARED, _KEY = "_shared", "_key"  # problems reported once: how many rows share one, and which it is


def finish_problems(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Join the problems of a file's parts in row order, each problem reported once said once.

    A problem shown only on its first row (an owner missing from the roster, a currency) says
    how many rows share it, over the whole file.
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    out = pd.concat(parts, ignore_index=True).sort_values("row", kind="stable", na_position="first")
    if _SHARED not in out:
        return out[PROBLEM_COLUMNS].reset_index(drop=True)
    shared = out[_SHARED].fillna(0).astype("int64")
    once = out[shared > 0]
    if len(once):
        identity = ["column", "severity", "problem", "fix", _KEY]
        groups = once.fillna({"column": "", _KEY: ""}).groupby(identity, sort=False, dropna=False)
        totals = groups[_SHARED].transform("sum")
        first = ~once.fillna({"column": "", _KEY: ""}).duplicated(identity)
        keep = once[first].copy()
        counts = totals[first].astype("int64")
        many = counts > 1
        keep.loc[many, "problem"] = [
            f"{problem} ({n:,} rows; the first is shown)"
            for problem, n in zip(keep.loc[many, "problem"], counts[many], strict=True)
        ]
        out = pd.concat([out[shared == 0], keep]).sort_values("row", kind="stable", na_position="first")
    return out[PROBLEM_COLUMNS].reset_index(drop=True)


def table_headers(raw: RawTable, spec: TableSpec, options: ImportOptions) -> tuple[HeaderMap, list[str]]:
    """Map the file's headers to fields and refuse a file that cannot be ``spec``; with the notes.

    Refuses pivot and summary exports, a file without an id or name column, or without a
    required column.
    """
    headers = map_headers(list(map(str, raw.frame.columns)), spec, options.mapping)
    refuse_summary(raw, spec, headers)
    notes = list(headers.notes)
    for f in spec.fields:
        if f.required and f.name not in headers.fields:
            raise FileRefused(_missing_required(raw, spec, f))
    if headers.ignored:
        notes.append(f"Ignored {', '.join(f'`{h}`' for h in headers.ignored)}: tierbot computes it.")
    if headers.extra:
        kept = ", ".join(f"`{h}`" for h in headers.extra)
        if spec.table == "csms":
            # A roster column tierbot does not know is most often a field under another name.
            notes.append(
                f"Warning: {kept} {'is not a roster field' if len(headers.extra) == 1 else 'are not roster fields'} "
                f"tierbot knows: kept as extra attributes, not used. If one holds a roster field, map it "
                f'with --map FIELD="Header" (`tierbot fields csms` lists them).'
            )
        else:
            notes.append(f"Kept {kept} as extra attributes.")
    return headers, notes


def check_table(
    raw: RawTable,
    spec: TableSpec,
    options: ImportOptions | None = None,
    known: KnownValues | None = None,
    facts: FileFacts | None = None,
) -> CheckedTable:
    """Read every cell of ``raw`` as its field's kind and report each problem.

    Raises ``FileRefused`` when the file as a whole cannot be read as ``spec`` (a pivot or
    summary export, no id or name column, a required column missing, undecidable dates);
    row-level problems are returned, never raised. ``facts`` are the whole file's (see
    ``engine.survey``) when ``raw`` is one part of it: the problems that need the whole file
    (repeated ids, similar names) are then the survey's, and this part's problems are left
    unfinished for the caller to join (``finish_problems``).
    """
    options = options or ImportOptions()
    known = known or KnownValues()
    whole = facts is None
    if whole:
        raw, options = join_name_parts(raw, spec, options)
    if whole and raw.frame.empty:
        refuse_summary(raw, spec, map_headers(list(map(str, raw.frame.columns)), spec, options.mapping))
        raise FileRefused(f"`{raw.source}` has a header row but no {spec.noun} rows.")
    # A part's rows were looked at for totals rows by the survey already: only its headers here.
    headed = raw if whole else RawTable(raw.frame.iloc[0:0], raw.rows[0:0], raw.source, raw.notes)
    headers, header_notes = table_headers(headed, spec, options)
    notes = list(raw.notes) + header_notes
    if facts is None:
        # Imported here: the survey builds on this module's checks.
        from engine.survey import survey_table

        facts = survey_table(raw, spec, headers, options)
        notes += facts.notes
    order, pattern = facts.dates

    person_fields = [n for n in headers.fields if spec.field(n).kind == "person"]
    plain_fields = [n for n in headers.fields if n not in person_fields]
    # Problems show the cell as the person typed it (trimmed), "#N/A" included; computed only
    # for columns that have a problem.
    shown = _Shown(raw.frame, headers.fields)

    def read(name: str) -> tuple[pd.Series, Parsed, _Problems]:
        f, header = spec.field(name), headers.fields[name]
        found = _Problems(raw.rows)
        cells = trim(raw.frame[header], typed=f.kind in TYPED_KINDS)
        errors = spreadsheet_errors(cells)
        found.add(
            errors,
            header,
            cells,
            "a spreadsheet error value",
            "Fix the formula in the source sheet and export again.",
        )
        parsed = _parse(f, cells.where(~errors), options, known, order, pattern, facts)
        found.issues(parsed.issues, header, lambda: shown[name])
        _check_range(f, parsed.values, header, lambda: shown[name], found, blank=cells.isna())
        if f.default is not None:
            # A blank flag or role means the default (not strategic, active, csm).
            parsed.values = parsed.values.astype(object).where(parsed.values.notna(), f.default)
        return cells, parsed, found

    # Columns are independent, so they are read on a few threads: Arrow's and pandas' kernels
    # release the GIL, which nearly halves a million-row check on two cores. Results are
    # merged in column order, so the outcome is exactly that of a serial read.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        results = list(pool.map(read, plain_fields))
    problems = _Problems(raw.rows)
    text: dict[str, pd.Series] = {}
    typed: dict[str, pd.Series] = {}
    for name, (cells, parsed, found) in zip(plain_fields, results, strict=True):
        text[name] = cells
        typed[name] = parsed.values
        for extra_name, values in parsed.extra.items():
            typed.setdefault(extra_name, values)
        problems.parts.extend(found.parts)
    for name in person_fields:
        text[name] = trim(raw.frame[headers.fields[name]])
    _fill_health_score(typed)
    _role_from_title(spec, typed, headers, notes)
    if "region" in facts.categories:
        notes += regions_read_note(facts.categories["region"])
    derived_regions, region_fills = _regions(spec, typed)

    ids = _ids(spec, typed, headers, text, problems, raw.frame.index)
    typed[spec.id_field] = ids
    people = list(known.roster) + list(facts.people)
    roster = build_roster(people)
    hint = (
        "Add them to this roster, or fix the name."
        if spec.table == "csms"
        else "Import the roster with `tierbot import csms FILE`, or fix the name."
    )
    for name in person_fields:
        header = headers.fields[name]
        parsed = parse_person(text[name], roster, hint)
        problems.issues(parsed.issues, header, text[name])
        typed[name] = parsed.values
        if not roster:
            notes.append(
                f"No CSM roster yet: `{header}` values are kept as written and linked when "
                f"you import the roster with `tierbot import csms FILE`."
            )
    _check_names(spec, typed, headers, text, problems)

    frame = pd.DataFrame({n: typed[n] for n in [spec.id_field, *headers.fields] if n in typed})
    if derived_regions is not None and "region" not in frame:
        frame["region"] = derived_regions
    if whole and region_fills is not None and len(region_fills):
        notes.append(region_fill_note(region_fills, filled_column="region" in headers.fields))
    if "health_score" in typed and "health_score" not in frame:
        frame["health_score"] = typed["health_score"]
    if headers.extra:
        frame["extra"] = _extra_json(raw.frame[headers.extra])
    return CheckedTable(
        frame=frame,
        rows=raw.rows,
        problems=finish_problems([problems.frame(), facts.problems]) if whole else problems.frame(),
        mapping=dict(headers.fields),
        extra_headers=list(headers.extra),
        notes=notes,
        derived=("region",) if derived_regions is not None else (),
        region_fills=region_fills,
    )


def join_name_parts(raw: RawTable, spec: TableSpec, options: ImportOptions) -> tuple[RawTable, ImportOptions]:
    """First- and last-name columns joined into one name column, when the file has no name column;
    the options then read the name from it."""
    parts = name_parts(list(map(str, raw.frame.columns)), spec, options.mapping)
    if parts is None:
        return raw, options
    joined = join_columns(raw, *parts)
    example = joined.frame[joined_header(*parts)]
    shown = f" (e.g. `{example.iloc[0]}`)" if len(example) else ""
    note = f"Name from `{parts[0]}` and `{parts[1]}` joined{shown}."

    joined = RawTable(frame=joined.frame, rows=joined.rows, source=joined.source, notes=[*joined.notes, note])
    return joined, replace(options, mapping={**options.mapping, spec.name_field: joined_header(*parts)})


def name_parts(columns: Sequence[str], spec: TableSpec, mapping: Mapping[str, str]) -> tuple[str, str] | None:
    """The first- and last-name columns to join, if the file has both and no name column."""
    firsts, lasts = spec.name_parts
    if not firsts or spec.name_field in mapping:
        return None
    by_key = {header_key(h): h for h in columns}
    name_keys_ = {header_key(s) for s in spec.field(spec.name_field).synonyms} | {spec.name_field}
    if name_keys_ & set(by_key):
        return None
    first = next((by_key[k] for k in firsts if k in by_key), None)
    last = next((by_key[k] for k in lasts if k in by_key), None)
    return (first, last) if first is not None and last is not None else None


def joined_header(first: str, last: str) -> str:
    return f"{first} + {last}"


def join_columns(raw: RawTable, first: str, last: str) -> RawTable:
    """``raw`` with the two name columns joined into one, where the first of them stood."""
    joined = (trim(raw.frame[first]).fillna("") + " " + trim(raw.frame[last]).fillna("")).str.strip()
    frame = raw.frame.drop(columns=[first, last])
    frame.insert(list(raw.frame.columns).index(first), joined_header(first, last), joined)
    return RawTable(frame=frame, rows=raw.rows, source=raw.source, notes=raw.notes)


def _role_from_title(spec: TableSpec, typed: dict[str, pd.Series], headers: HeaderMap, notes: list[str]) -> None:
    """Without a role column, a title that is a role tierbot knows gives the role; others are csm."""
    if "role" not in spec.names or "role" in headers.fields or "title" not in typed:
        return
    role_field = spec.field("role")
    roles = typed["title"].map(lambda t: role_field.value_aliases.get(header_key(str(t))), na_action="ignore")
    if roles.notna().any():
        typed["role"] = roles.where(roles.notna(), role_field.default)
        headers.fields["role"] = headers.fields["title"]
        examples = ", ".join(
            f"{t} → {r}" for t, r in dict(zip(typed["title"][roles.notna()], roles[roles.notna()], strict=True)).items()
        )
        notes.append(
            f"No role column: roles read from `{headers.fields['title']}` where the title is a role tierbot knows "
            f"({examples}); everyone else is a csm. Add a Role column to say otherwise."
        )


def _recognised_region(value: str) -> bool:
    key = header_key(value)
    return key in REGION_SYNONYMS or key in BROAD_REGIONS


def _regions(spec: TableSpec, typed: dict[str, pd.Series]) -> tuple[pd.Series | None, pd.DataFrame | None]:
    """Blank regions derived from the country: (the derived column when the file has no region
    column, else None — blanks are filled in ``typed`` itself; the rows filled, as (country, region)).

    A derived column fills only what the store does not know (the caller, ``CheckedTable.derived``).
    """
    if "region" not in spec.names or "country" not in typed:
        return None, None
    countries = typed["country"]
    # A million accounts lie in a few hundred countries: each is looked up once.
    regions = {country: country_region(country) for country in countries.dropna().unique()}
    derived = countries.map(regions)
    if "region" in typed:
        fill = (typed["region"].isna() & derived.notna()).to_numpy(dtype=bool)
        if fill.any():
            typed["region"] = typed["region"].astype(object).where(~fill, derived)
        return None, pd.DataFrame({"country": typed["country"][fill], "region": derived[fill]})
    present = derived.notna().to_numpy(dtype=bool)
    if present.any():
        return derived, pd.DataFrame({"country": typed["country"][present], "region": derived[present]})
    return None, None


def region_fill_note(fills: pd.DataFrame, *, filled_column: bool) -> str:
    """What deriving regions from countries did, said once for the whole file."""
    pairs = fills.drop_duplicates("country")
    shown = ", ".join(f"{c} → {r}" for c, r in zip(pairs["country"][:3], pairs["region"][:3], strict=True))
    total = len(fills)
    example = f"{total:,} account{'s' if total != 1 else ''} ({shown}{', …' if len(pairs) > 3 else ''})"
    if filled_column:
        return f"Region derived from the country for {example}."
    return f"No region column: region derived from the country for {example} (where the store has no region for them)."


def regions_read_note(counts: pd.Series) -> list[str]:
    """How the file's regions read in rules (from the whole file's value counts), if it needs saying."""
    read_as: list[str] = []
    broad: dict[str, list[str]] = {}
    for value, n in counts.items():
        text = str(value)
        if text.upper() in REGIONS:
            continue
        region = region_of(text)
        if region is not None:
            read_as.append(f"`{text}` reads as {region} in rules")
        elif header_key(text) in BROAD_REGIONS:
            accounts = f"{int(n):,} account{'s' if n != 1 else ''}"
            broad.setdefault(BROAD_REGIONS[header_key(text)], []).append(f"`{text}` ({accounts})")
    said = read_as + [
        f"{' and '.join(values)} {'span' if len(values) > 1 else 'spans'} {span}, so no rule on one of them matches "
        f"{'them' if len(values) > 1 else 'it'} (write the region, or leave it blank to derive it from the country)"
        for span, values in broad.items()
    ]
    return ["Regions are kept as written: " + "; ".join(said) + "."] if said else []


def _missing_required(raw: RawTable, spec: TableSpec, f: Field) -> str:
    columns = ", ".join(f"`{c}`" for c in raw.frame.columns)
    message = (
        f"`{raw.source}` has no {f.label} column (columns: {columns}). "
        f'Map the column that holds it with --map {f.name}="Contract Value".'
    )
    if f.name == "arr":
        mrr = [c for c in raw.frame.columns if header_key(str(c)) in {"mrr", "monthly recurring revenue"}]
        if mrr:
            message += f' `{mrr[0]}` is monthly: pass --mrr "{mrr[0]}" to read ARR as 12 × it.'
    return message


def _parse(
    f: Field,
    cells: pd.Series,
    options: ImportOptions,
    known: KnownValues,
    order: str | None,
    pattern: str | None,
    facts: FileFacts,
) -> Parsed:
    if f.kind in ("money", "number"):
        currencies = facts.currencies.get(f.name) if f.kind == "money" else None
        return parse_number(cells, f.name, options.decimal_comma, money=f.kind == "money", currencies=currencies)
    if f.kind == "integer":
        # Kept as float64: SQLite's INTEGER affinity stores 12.0 as 12.
        parsed = parse_number(cells, f.name, options.decimal_comma)
        fractional = whole_numbers(parsed.values)
        parsed.issues.append(Issue(fractional, "not a whole number", "Round it to a whole number."))
        parsed.values = parsed.values.where(~fractional)
        return parsed
    if f.kind == "date":
        return parse_date(cells, order, pattern)
    if f.kind == "flag":
        return parse_flag(cells)
    if f.kind == "category":
        return parse_category(
            cells,
            f.label,
            f.vocabulary,
            f.value_aliases,
            known.categories.get(f.name, ()),
            f.closed,
            options.allow_new_values,
            keep_as_written=f.keep_as_written,
            recognised=_recognised_region if f.name == "region" else lambda value: False,
            file_counts=facts.categories.get(f.name),
        )
    if f.kind == "country":
        return parse_country(cells)
    if f.kind == "health":
        return parse_health(cells, f.value_aliases, facts.scales.get(f.name))
    if f.kind == "email":
        return parse_email(cells)
    if f.kind == "slack_user":
        return parse_slack_user(cells)
    if f.kind == "list":
        return parse_list(cells)
    if f.kind == "text":
        return parse_text(cells)
    return Parsed(cells)


def _check_range(
    f: Field,
    values: pd.Series,
    header: str,
    shown: Callable[[], pd.Series],
    problems: _Problems,
    blank: pd.Series,
) -> None:
    """Blank required cells, and numbers outside the field's range."""
    if f.required and blank.any():
        problems.add(
            blank,
            header,
            shown(),
            f"every row needs {f.label}",
            "Fill the cell (0 for a free account) or remove the row."
            if f.kind == "money"
            else "Fill the cell or remove the row.",
        )
    if f.kind not in ("money", "number", "integer"):
        return
    numbers = pd.to_numeric(values, errors="coerce")

    def report(mask: pd.Series, problem: str, fix: str) -> None:
        if mask.any():
            problems.add(mask, header, shown(), problem, fix)

    if f.minimum is not None:
        below = numbers < f.minimum
        if f.minimum == 0:
            report(
                below,
                f"{f.label} cannot be negative",
                "Fix the cell; a credit or refund does not belong in this column.",
            )
        else:
            report(
                below, f"below {_limit(f.minimum)}", f"{f.label} runs from {_limit(f.minimum)} to {_limit(f.maximum)}."
            )
    if f.maximum is not None:
        low = _limit(f.minimum) if f.minimum is not None else "0"
        report(
            numbers > f.maximum,
            f"above {_limit(f.maximum)}",
            f"{f.label} runs from {low} to {_limit(f.maximum)}; check for extra digits.",
        )


def _limit(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _fill_health_score(typed: dict[str, pd.Series]) -> None:
    """A numeric health column fills health_score where the file has no score of its own."""
    if "health_score" not in typed:
        return
    score = pd.to_numeric(typed["health_score"], errors="coerce").astype("float64")
    typed["health_score"] = score


def derive_ids(spec: TableSpec, typed: Mapping[str, pd.Series], index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Every row's id: the id column, else one derived from the name (or the email for CSMs).

    Returns the ids and which rows had no id of their own.
    """
    blank = pd.Series(np.nan, index=index, dtype=TEXT)
    ids = typed.get(spec.id_field, blank)
    names = typed.get(spec.name_field, blank)
    derivable = names
    if spec.table == "csms" and "email" in typed:
        # A CSM's id comes from the email's local part (jordan.blake → jordan-blake): unique
        # where two people share a name.
        local_part = typed["email"].astype(TEXT).str.replace("@.*$", "", regex=True)
        derivable = local_part.where(local_part.notna(), names)
    missing = ids.isna()
    if missing.any():
        derived = derivable[missing].map(lambda v: slug(v) if isinstance(v, str) else "")
        ids = ids.astype(TEXT).copy()
        ids[missing] = derived.where(derived != "").astype(TEXT)
    return ids, missing


def _ids(
    spec: TableSpec,
    typed: dict[str, pd.Series],
    headers: HeaderMap,
    text: Mapping[str, pd.Series],
    problems: _Problems,
    index: pd.Index,
) -> pd.Series:
    """Every row's id, with the rows whose id was derived and those without id or name."""
    ids, missing = derive_ids(spec, typed, index)
    if missing.any() and spec.id_field in headers.fields:
        header = headers.fields[spec.id_field]
        problems.add(
            missing & ids.notna(),
            header,
            text[spec.id_field],
            f"no {spec.noun} id, so one was derived from the name",
            "Fill the CRM id so re-imports match this row.",
            severity="warning",
            once=True,
        )
    label = headers.fields.get(spec.id_field) or headers.fields.get(spec.name_field)
    problems.add(
        ids.isna(),
        label,
        None,
        f"the row has no {spec.noun} id and no name",
        "Fill one of them or remove the row.",
    )
    return ids


def _check_names(
    spec: TableSpec,
    typed: dict[str, pd.Series],
    headers: HeaderMap,
    text: Mapping[str, pd.Series],
    problems: _Problems,
) -> None:
    """Blank names are errors (names that look alike are the survey's: they need the whole file)."""
    if spec.name_field not in typed:
        return
    header = headers.fields[spec.name_field]
    names = typed[spec.name_field]
    problems.add(
        # A row with neither id nor name has been reported as such already.
        names.isna() & typed[spec.id_field].notna(),
        header,
        text[spec.name_field],
        f"every {spec.noun} needs a name",
        "Fill the cell or remove the row.",
    )


def _extra_json(frame: pd.DataFrame) -> pd.Series:
    """The extra columns of each row as a JSON object of its non-blank cells."""
    trimmed = {h: trim(frame[h]) for h in frame.columns}
    columns = list(trimmed)
    values = [trimmed[h].tolist() for h in columns]

    def row_json(cells: tuple[Any, ...]) -> str | None:
        obj = {h: v for h, v in zip(columns, cells, strict=True) if isinstance(v, str)}
        return json.dumps(obj, ensure_ascii=False, sort_keys=True) if obj else None

    return pd.Series([row_json(cells) for cells in zip(*values, strict=True)], index=frame.index, dtype=object)
