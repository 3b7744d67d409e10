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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import FileRefused, UnknownName
from engine.fields import BROAD_REGIONS, REGION_SYNONYMS, REGIONS, Field, TableSpec, header_key, region_of
from engine.forms import Forms, learn_forms
from engine.matching import unknown_name
from engine.normalize import (
    _SPACES,
    TEXT,
    Issue,
    Parsed,
    as_text,
    cell_text,
    country_region,
    date_evidence,
    date_pattern,
    later_duplicates,
    name_keys,
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


@dataclass
class RawTable:
    """The cells of a file under its header row, all text, with spreadsheet row numbers."""

    frame: pd.DataFrame
    rows: np.ndarray
    source: str
    notes: list[str] = field(default_factory=list)


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
    # How the file writes each column, for the export (engine.forms).
    forms: Forms = field(default_factory=dict)

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

_FOOTER = re.compile(r"(?i)^(copyright|confidential information|generated by|salesforce\.com|©|\(c\))")
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
    person sees when they open the file.
    """
    notes = list(notes)
    grid = grid.apply(as_text)
    filled = grid.apply(lambda col: col.str.strip(_SPACES) != "")
    nonblank = filled.any(axis=1).to_numpy()
    candidates = np.flatnonzero(nonblank)
    if len(candidates) == 0:
        raise FileRefused(f"`{source}` is empty: it has no header row and no data.")
    known = _known_header_keys(spec) | {header_key(h) for h in mapped}
    header_at = int(candidates[0])
    for position in candidates[:10]:
        keys = {header_key(str(v)) for v in grid.iloc[int(position)] if str(v).strip()}
        if len(keys & known) >= min(2, len(keys)):
            header_at = int(position)
            break
    if header_at != candidates[0]:
        notes.append(f"Skipped {header_at} title row(s) above the header on row {header_at + 1}.")
    headers = [str(v).strip() for v in grid.iloc[header_at]]
    body = grid.iloc[header_at + 1 :]
    body_filled = filled.iloc[header_at + 1 :]
    # Columns with neither a header nor a value (trailing commas) are not columns; values
    # under no header are usually a row with a stray delimiter.
    keep = [i for i, h in enumerate(headers) if h or body_filled.iloc[:, i].any()]
    for i in keep:
        if not headers[i]:
            at = int(np.flatnonzero(body_filled.iloc[:, i].to_numpy())[0])
            raise FileRefused(
                f"Row {header_at + 2 + at} of `{source}` has a value (`{str(body.iloc[at, i]).strip()}`) "
                f"in column {i + 1}, which has no header. Add a header for it, or if a value "
                f"contains the delimiter, put that value in double quotes."
            )
    body = body.iloc[:, keep]
    body_filled = body_filled.iloc[:, keep]
    headers = _dedupe([headers[i] for i in keep])
    body.columns = headers
    row_numbers = body.index.to_numpy() + 1
    has_data = body_filled.any(axis=1).to_numpy().copy()
    # A report footer (Salesforce's copyright, "Generated By", the org's name): in the last
    # rows that are blank or hold only a first cell, everything from a footer line on.
    only_first = body_filled.iloc[:, 0].to_numpy() & ~body_filled.iloc[:, 1:].any(axis=1).to_numpy()
    start = len(body)
    while start > 0 and (not has_data[start - 1] or only_first[start - 1]):
        start -= 1
    footer = 0
    for position in range(start, len(body)):
        if only_first[position] and _FOOTER.match(str(body.iloc[position, 0]).strip()):
            footer = int(has_data[position:].sum())
            has_data[position:] = False
            break
    if footer:
        notes.append(f"Skipped the report footer ({footer} line(s) such as copyright notices).")
    body = body[has_data]
    frame = body.reset_index(drop=True)
    return RawTable(frame=frame, rows=row_numbers[has_data], source=source, notes=notes)


def _known_header_keys(spec: TableSpec) -> set[str]:
    keys = set()
    for f in spec.fields:
        keys.add(header_key(f.name))
        keys.update(header_key(s) for s in f.synonyms)
    return keys


def _dedupe(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0) + 1
        seen[h] = n
        out.append(h if n == 1 else f"{h} ({n})")
    return out


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
    ) -> None:
        """Add one problem per row of ``mask``; ``problem`` may give each row its own text."""
        hits = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(hits) == 0:
            return
        if once and isinstance(problem, str):
            if len(hits) > 1:
                problem = f"{problem} ({len(hits):,} rows; the first is shown)"
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
                }
            )
        )

    def issues(self, issues: list[Issue], column: str, values: pd.Series | Callable[[], pd.Series]) -> None:
        for issue in issues:
            if not issue.mask.any():
                continue
            shown = values() if callable(values) else values
            self.add(issue.mask, column, shown, issue.problem, issue.fix, issue.severity, issue.once)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values("row", kind="stable").reset_index(drop=True)


def check_table(
    raw: RawTable,
    spec: TableSpec,
    options: ImportOptions | None = None,
    known: KnownValues | None = None,
) -> CheckedTable:
    """Read every cell of ``raw`` as its field's kind and report each problem.

    Raises ``FileRefused`` when the file as a whole cannot be read as ``spec`` (a pivot or
    summary export, no id or name column, a required column missing, undecidable dates);
    row-level problems are returned, never raised.
    """
    options = options or ImportOptions()
    known = known or KnownValues()
    raw, mapping = _join_name_parts(raw, spec, options.mapping)
    headers = map_headers(list(map(str, raw.frame.columns)), spec, mapping)
    refuse_summary(raw, spec, headers)
    if raw.frame.empty:
        raise FileRefused(f"`{raw.source}` has a header row but no {spec.noun} rows.")
    notes = list(raw.notes) + headers.notes
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
    order, pattern = _date_reading(raw, spec, headers, options, notes)

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
        parsed = _parse(f, cells.where(~errors), options, known, order, pattern)
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
        name_header = headers.fields.get(spec.name_field)
        keys = pool.submit(name_keys, trim(raw.frame[name_header])) if name_header else None
        results = list(pool.map(read, plain_fields))
        name_keys_found = keys.result() if keys else None
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
    derived_regions = _regions(spec, typed, headers, notes)

    ids = _ids(spec, typed, headers, text, problems, raw, notes)
    typed[spec.id_field] = ids
    people = list(known.roster)
    if spec.table == "csms":
        people += list(zip(ids, typed.get("name", ids), typed.get("email", pd.Series([None] * len(ids))), strict=True))
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
    _check_names(spec, typed, headers, text, problems, name_keys_found)

    frame = pd.DataFrame({n: typed[n] for n in [spec.id_field, *headers.fields] if n in typed})
    if derived_regions is not None and "region" not in frame:
        frame["region"] = derived_regions
    if "health_score" in typed and "health_score" not in frame:
        frame["health_score"] = typed["health_score"]
    if headers.extra:
        frame["extra"] = _extra_json(raw.frame[headers.extra])
    forms: Forms = {}
    if spec.table == "accounts":
        cells = {name: cell_text(raw.frame[header]) for name, header in headers.fields.items()}
        forms, frame["written"] = learn_forms(spec, cells, frame, options.decimal_comma)
    return CheckedTable(
        frame=frame,
        rows=raw.rows,
        problems=problems.frame(),
        mapping=dict(headers.fields),
        extra_headers=list(headers.extra),
        notes=notes,
        derived=("region",) if derived_regions is not None else (),
        forms=forms,
    )


def _join_name_parts(raw: RawTable, spec: TableSpec, mapping: Mapping[str, str]) -> tuple[RawTable, Mapping[str, str]]:
    """Join first- and last-name columns into one name column when the file has no name column."""
    firsts, lasts = spec.name_parts
    if not firsts or spec.name_field in mapping:
        return raw, mapping
    by_key = {header_key(str(h)): str(h) for h in raw.frame.columns}
    name_keys_ = {header_key(s) for s in spec.field(spec.name_field).synonyms} | {spec.name_field}
    if name_keys_ & set(by_key):
        return raw, mapping
    first = next((by_key[k] for k in firsts if k in by_key), None)
    last = next((by_key[k] for k in lasts if k in by_key), None)
    if first is None or last is None:
        return raw, mapping
    joined = (trim(raw.frame[first]).fillna("") + " " + trim(raw.frame[last]).fillna("")).str.strip()
    header = f"{first} + {last}"
    frame = raw.frame.drop(columns=[first, last])
    frame.insert(list(raw.frame.columns).index(first), header, joined)
    note = f"Name from `{first}` and `{last}` joined (e.g. `{joined.iloc[0]}`)."
    joined_raw = RawTable(frame=frame, rows=raw.rows, source=raw.source, notes=[*raw.notes, note])
    return joined_raw, {**mapping, spec.name_field: header}


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


def _regions(spec: TableSpec, typed: dict[str, pd.Series], headers: HeaderMap, notes: list[str]) -> pd.Series | None:
    """Say how the file's regions read in rules, and derive blank regions from the country.

    Returns the derived regions when the file has no region column (the caller adds them only
    where the store has none), else None (blanks are filled in ``typed`` itself).
    """
    if "region" not in spec.names:
        return None
    if "region" in typed:
        _say_how_regions_read(typed["region"], notes)
    if "country" not in typed:
        return None
    derived = typed["country"].map(country_region, na_action="ignore")
    if "region" in typed:
        fill = typed["region"].isna() & derived.notna()
        if fill.any():
            typed["region"] = typed["region"].astype(object).where(~fill, derived)
            notes.append(
                f"Region derived from the country for {_example_regions(typed['country'][fill], derived[fill])}."
            )
        return None
    if derived.notna().any():
        notes.append(
            f"No region column: region derived from the country for {_example_regions(typed['country'], derived)} "
            "(where the store has no region for them)."
        )
        return derived
    return None


def _example_regions(countries: pd.Series, regions: pd.Series) -> str:
    present = regions.notna()
    pairs = pd.Series(regions[present].to_numpy(), index=countries[present].to_numpy())
    pairs = pairs[~pairs.index.duplicated()]
    shown = ", ".join(f"{country} → {region}" for country, region in list(pairs.items())[:3])
    total = int(present.sum())
    return f"{total:,} account{'s' if total != 1 else ''} ({shown}{', …' if len(pairs) > 3 else ''})"


def _say_how_regions_read(regions: pd.Series, notes: list[str]) -> None:
    counts = regions.value_counts(dropna=True)
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
    if said:
        notes.append("Regions are kept as written: " + "; ".join(said) + ".")


def _missing_required(raw: RawTable, spec: TableSpec, f: Field) -> str:
    columns = ", ".join(f"`{c}`" for c in raw.frame.columns)
    message = (
        f"`{raw.source}` has no {f.label} column (columns: {columns}). "
        f'Map the column that holds it with --map {f.name}="Contract Value".'
    )
    if f.name == "arr":
        mrr = [c for c in raw.frame.columns if header_key(str(c)) in {"mrr", "monthly recurring revenue"}]
        if mrr:
            message += f" `{mrr[0]}` is monthly: ARR is per year, so add an ARR column (MRR × 12)."
    return message


def _date_reading(
    raw: RawTable,
    spec: TableSpec,
    headers: HeaderMap,
    options: ImportOptions,
    notes: list[str],
) -> tuple[str | None, str | None]:
    """Decide how to read day/month order: --date-format, else the file's own evidence."""
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
    date_columns = [h for n, h in headers.fields.items() if spec.field(n).kind == "date"]
    cells = {header: trim(raw.frame[header], typed=True) for header in date_columns}
    evidence = None
    for header in date_columns:
        found = date_evidence(cells[header])
        evidence = found if evidence is None else evidence.merge(found)
    if evidence is None:
        return None, None

    def where(value: str) -> str:
        for header, column in cells.items():
            hits = np.flatnonzero((column == value).fillna(False).to_numpy(dtype=bool))
            if len(hits):
                return f"`{value}` (column `{header}`, row {int(raw.rows[hits[0]])})"
        return f"`{value}`"

    if evidence.day_first and evidence.month_first:
        raise FileRefused(
            f"Dates in `{raw.source}` disagree: {where(evidence.day_first)} can only be day/month but "
            f"{where(evidence.month_first)} can only be month/day. Fix the dates that differ, or pass "
            f"--date-format DMY or MDY."
        )
    if evidence.day_first:
        notes.append(f"Read dates as day/month/year: {where(evidence.day_first)} can only be read that way.")
        return "DMY", None
    if evidence.month_first:
        notes.append(f"Read dates as month/day/year: {where(evidence.month_first)} can only be read that way.")
        return "MDY", None
    if evidence.ambiguous:
        raise FileRefused(
            f"Dates such as {where(evidence.ambiguous)} in `{raw.source}` could be day/month or "
            f"month/day, and no date in the file settles it. Pass --date-format DMY or "
            f"--date-format MDY."
        )
    return None, None


def _parse(
    f: Field,
    cells: pd.Series,
    options: ImportOptions,
    known: KnownValues,
    order: str | None,
    pattern: str | None,
) -> Parsed:
    if f.kind in ("money", "number"):
        return parse_number(cells, f.name, options.decimal_comma, money=f.kind == "money")
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
        )
    if f.kind == "country":
        return parse_country(cells)
    if f.kind == "health":
        return parse_health(cells, f.value_aliases)
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


def _ids(
    spec: TableSpec,
    typed: dict[str, pd.Series],
    headers: HeaderMap,
    text: Mapping[str, pd.Series],
    problems: _Problems,
    raw: RawTable,
    notes: list[str],
) -> pd.Series:
    """Every row's id: the id column, else one derived from the name (or the email for CSMs)."""
    index = raw.frame.index
    blank = pd.Series(np.nan, index=index, dtype=TEXT)
    ids = typed.get(spec.id_field, blank)
    names = typed.get(spec.name_field, blank)
    derivable = names
    if spec.table == "csms" and "email" in typed:
        # A CSM's id comes from the email's local part (jordan.blake → jordan-blake): unique
        # where two people share a name.
        local_part = typed["email"].astype(TEXT).str.split("@").str[0]
        derivable = local_part.where(local_part.notna(), names)
    missing = ids.isna()
    if missing.any():
        derived = derivable[missing].map(lambda v: slug(v) if isinstance(v, str) else "")
        ids = ids.astype(TEXT).copy()
        ids[missing] = derived.where(derived != "").astype(TEXT)
        if spec.id_field in headers.fields:
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
        else:
            example = ids.dropna().iloc[0] if ids.notna().any() else "…"
            source = "emails" if spec.table == "csms" and "email" in typed else f"{spec.noun} names"
            notes.append(
                f"No id column: ids were derived from the {source} (e.g. `{example}`); re-imports match on them."
            )
    label = headers.fields.get(spec.id_field) or headers.fields.get(spec.name_field)
    problems.add(
        ids.isna(),
        label,
        None,
        f"the row has no {spec.noun} id and no name",
        "Fill one of them or remove the row.",
    )
    repeated = later_duplicates(ids)
    if repeated.any():
        first_row = _first_rows(ids, raw.rows)
        derived_here = spec.id_field not in headers.fields
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
    return ids


def _first_rows(keys: pd.Series, rows: np.ndarray) -> dict[str, int]:
    """The spreadsheet row where each value first appears."""
    present = keys.notna().to_numpy()
    firsts = pd.Series(rows[present], index=keys[present].to_numpy()).groupby(level=0, sort=False).first()
    return {str(k): int(v) for k, v in firsts.items()}


def _check_names(
    spec: TableSpec,
    typed: dict[str, pd.Series],
    headers: HeaderMap,
    text: Mapping[str, pd.Series],
    problems: _Problems,
    keys: pd.Series | None,
) -> None:
    """Blank names are errors; names that differ only in case, punctuation or "Inc." warn."""
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
    if keys is None:
        keys = name_keys(names)
    later = later_duplicates(keys)
    if not later.any():
        return
    ids = typed[spec.id_field]
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
    problems.add(warn, header, text[spec.name_field], messages[warn], fix, severity="warning")


def _extra_json(frame: pd.DataFrame) -> pd.Series:
    """The extra columns of each row as a JSON object of its non-blank cells."""
    trimmed = {h: trim(frame[h]) for h in frame.columns}
    columns = list(trimmed)
    values = [trimmed[h].tolist() for h in columns]

    def row_json(cells: tuple[Any, ...]) -> str | None:
        obj = {h: v for h, v in zip(columns, cells, strict=True) if isinstance(v, str)}
        return json.dumps(obj, ensure_ascii=False, sort_keys=True) if obj else None

    return pd.Series([row_json(cells) for cells in zip(*values, strict=True)], index=frame.index, dtype=object)
