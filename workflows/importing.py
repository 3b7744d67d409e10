"""Import a CRM export (accounts) or the CSM roster: read, check, compare, write in one transaction.

If any row has an error nothing is written (unless the caller skips invalid rows); importing the
same file again changes nothing; an updated export updates only what changed and the audit log
records each change with its values before and after.

A file is read once into chunks on disk (``workflows.files``), surveyed chunk by chunk for what
only the whole file can say (``engine.survey``), then checked, compared with the store and
written chunk by chunk inside one transaction: memory stays flat however long the file, a
re-import costs no more than an import, and a failure or a kill leaves the store as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.changes import RowChanges, compare_rows
from engine.csv_safety import neutralise_frame
from engine.errors import CannotWrite, FileRefused, InvalidRows, UnknownName
from engine.fields import TABLE_SPECS, TableSpec, header_key
from engine.forms import FormLearner, merge_forms
from engine.lookalikes import difference, skeleton
from engine.normalize import cell_text, date_pattern, name_keys, parse_date, trim
from engine.people import build_roster
from engine.rollup import AGGREGATIONS, Rollup, mrr_column, order_column
from engine.survey import LOOKALIKE_FIX, FileFacts, TableSurvey
from engine.table_layout import GridScan, Layout, RawTable
from engine.validation import (
    PROBLEM_COLUMNS,
    CheckedTable,
    HeaderMap,
    ImportOptions,
    KnownValues,
    Problem,
    check_table,
    finish_problems,
    join_columns,
    joined_header,
    map_headers,
    name_parts,
    problem_list,
    refuse_summary,
    region_fill_note,
    table_headers,
)
from store import Store, audit, imports, records
from store import accounts as account_queries
from store import csms as csm_queries
from store.audit import AuditEntry
from workflows.books import keep_ranks_current
from workflows.clock import Clock, timestamp
from workflows.files import CHUNK_ROWS, SpooledGrid, release_memory, spool_grid
from workflows.outputs import check_output, is_sqlite_database, write_table_atomically
from workflows.progress import Progress, silent

SHOWN_PROBLEMS = 20
_COMPARE_ROWS = 10_000


@dataclass
class ImportReport:
    """What an import found and did."""

    kind: str
    file_name: str
    rows_read: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    warnings: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first few, errors first
    errors_file: Path | None = None
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    written: bool = False
    dry_run: bool = False
    import_id: int | None = None
    owners_linked: int = 0
    managers_linked: int = 0
    # --aggregate: how, rows, accounts, latest_by (the column that dated each row, if any)
    aggregate: dict[str, Any] | None = None
    arr_from_mrr: str | None = None  # the monthly column ARR was read from (ARR = 12 × it)

    @property
    def noun(self) -> str:
        return TABLE_SPECS[self.kind].noun


def import_table(
    store: Store,
    path: Path,
    kind: str,
    *,
    actor: str,
    clock: Clock,
    options: ImportOptions | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    errors_file: Path | None = None,
    sheet: str | None = None,
    progress: Progress = silent,
    force: bool = False,
    aggregate: str | None = None,
    mrr: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Import ``path`` into the ``kind`` table ("accounts" or "csms").

    ``aggregate`` ("sum" or "last") makes one account of the rows of each id (order- and
    subscription-level files); ``mrr`` names a monthly column ARR is 12 times. ``force`` lets
    the errors file be written over a SQLite database.
    """
    spec = TABLE_SPECS[kind]
    options = options or ImportOptions()
    _check_date_format(options)
    if aggregate is not None and (kind != "accounts" or aggregate not in AGGREGATIONS):
        raise UnknownName(
            f"`--aggregate {aggregate}`: use sum or last, with `tierbot import accounts`.", str(aggregate)
        )
    target = _errors_path(path, errors_file)
    if errors_file is not None:
        check_output(target, store_path=store.path, force=force)
    progress(f"Reading {path.name}…")
    with spool_grid(path, sheet, chunk_rows) as grid:
        remembered = [] if options.mapping else imports.with_maps(store, kind)
        plan = _survey(spec, grid, options, aggregate, mrr, remembered)
        progress(f"Checking {plan.layout.data_rows:,} rows…")
        run = _Run(store, spec, grid, plan, actor=actor, clock=clock, progress=progress)
        run.skip_invalid, run.dry_run, run.sheet = skip_invalid, dry_run, sheet
        report = run.report
        with contextlib.suppress(_Refused):  # rolled back: nothing was written
            run.go()
    if kind == "accounts" and not dry_run and run.refusal is None:
        release_memory()
        keep_ranks_current(store)
    problems = run.problems()
    report.errors = int((problems["severity"] == "error").sum())
    report.warnings = int((problems["severity"] == "warning").sum())
    report.problems = problem_list(problems, SHOWN_PROBLEMS)
    if len(problems):
        report.errors_file = write_problems(problems, target, store_path=store.path, force=force)
    elif errors_file is None and target.exists() and not is_sqlite_database(target):
        target.unlink()  # an errors file of ours from an earlier attempt would now mislead
    if run.refusal is not None:
        raise InvalidRows(run.refusal, report.problems, report)
    return report


@dataclass
class _Plan:
    """What the survey settled: the layout, the options as they apply, the whole file's facts."""

    layout: Layout
    scan: GridScan
    headers: HeaderMap
    options: ImportOptions
    facts: FileFacts
    notes: list[str]
    aggregate: str | None
    mrr: str | None
    order_field: str | None
    order_header: str | None
    chosen_map: dict[str, str] = field(default_factory=dict)  # --map as given or remembered, for the record
    name_parts: tuple[str, str] | None = None  # first- and last-name columns read as one name

    def part(self, chunk: Any) -> RawTable:
        """A chunk of the file as a table of its rows (the name columns joined, where they are)."""
        raw = self.scan.rows(chunk, self.layout)
        return join_columns(raw, *self.name_parts) if self.name_parts else raw


def _survey(
    spec: TableSpec,
    grid: SpooledGrid,
    options: ImportOptions,
    aggregate: str | None,
    mrr: str | None,
    remembered: Sequence[imports.ImportRecord] = (),
) -> _Plan:
    """The first walk over the file: where the table is and what the whole file says."""
    remembered_headers = [h for record in remembered for h in record.options["map"].values()]
    mapped = [*options.mapping.values(), *([mrr] if mrr else []), *remembered_headers]
    scan = GridScan(spec, grid.source, grid.notes, mapped=mapped)
    for chunk in grid.chunks():
        scan.add(chunk)
    layout = scan.finish()
    _refuse_cut_off(grid, layout)
    columns = list(layout.headers)
    notes: list[str] = []
    options, reused = _remembered_map(options, remembered, columns, spec)
    if reused is not None:
        notes.append(reused.note)
        mrr = mrr or reused.mrr
    chosen_map = dict(options.mapping)
    found = map_headers(columns, spec, options.mapping)
    monthly = mrr_column(columns, options.mapping, mrr, "arr" in found.fields, grid.source)
    if monthly is not None:
        options = replace(options, mapping={**options.mapping, "arr": monthly})
        notes.append(f"Read ARR as 12 × `{monthly}` (a monthly amount).")
    parts = name_parts(columns, spec, options.mapping)
    if parts is not None:
        columns = list(join_columns(_empty(columns, grid, layout), *parts).frame.columns)
        options = replace(options, mapping={**options.mapping, spec.name_field: joined_header(*parts)})
        notes.append(f"Name from `{parts[0]}` and `{parts[1]}` joined.")
    empty = _empty(columns, grid, layout)
    if layout.data_rows == 0:
        refuse_summary(empty, spec, map_headers(columns, spec, options.mapping))
        raise FileRefused(f"`{grid.source}` has a header row but no {spec.noun} rows.")
    headers, header_notes = table_headers(empty, spec, options)
    order_field, order_header = order_column(spec, headers.fields, headers.extra) if aggregate else (None, None)
    survey = TableSurvey(
        spec,
        headers,
        options,
        grid.source,
        repeats_allowed=aggregate is not None,
        date_headers=[order_header] if order_header and not order_field else [],
    )
    plan = _Plan(
        layout=layout,
        scan=scan,
        headers=headers,
        options=options,
        facts=FileFacts(),
        notes=[],
        aggregate=aggregate,
        mrr=monthly,
        order_field=order_field,
        order_header=order_header,
        chosen_map=chosen_map,
        name_parts=parts,
    )
    for chunk in grid.chunks():
        survey.add(plan.part(chunk))
    plan.facts = survey.finish()
    plan.notes = [*notes, *layout.notes, *header_notes, *plan.facts.notes]
    release_memory()
    return plan


def _empty(columns: Sequence[str], grid: SpooledGrid, layout: Layout) -> RawTable:
    return RawTable(pd.DataFrame(columns=list(columns)), np.zeros(0, dtype=np.int64), grid.source, list(layout.notes))


@dataclass(frozen=True)
class _Reused:
    note: str
    mrr: str | None  # the monthly column the remembered import read ARR from


def _remembered_map(
    options: ImportOptions, remembered: Sequence[imports.ImportRecord], headers: Sequence[str], spec: TableSpec
) -> tuple[ImportOptions, _Reused | None]:
    """Reuse the --map choices of the latest import whose columns this file has too.

    A file with every column of that import (tierbot's own export adds only its Tier column) is
    read the same way without repeating ``--map``, a monthly ARR column included.
    """
    present = {header_key(h) for h in headers}
    for record in remembered:
        before = {header_key(h) for h in record.options.get("headers") or []} - {
            header_key(h) for h in spec.output_headers
        }
        choices = dict(record.options["map"])
        if before <= present and all(header_key(h) in present for h in choices.values()):
            shown = " ".join(f'--map {name}="{header}"' for name, header in choices.items())
            note = (
                f"Used the --map choices remembered from {record.file_name} ({record.at[:10]}): {shown}. "
                "Pass --map to choose otherwise."
            )
            return replace(options, mapping=choices), _Reused(note, record.options.get("mrr"))
    return options, None


def _refuse_cut_off(grid: SpooledGrid, layout: Layout) -> None:
    """A last row with fewer cells than the header (or the row before), with no line break after it."""
    last = grid.last_line
    if last is None or last.position <= layout.header_at:
        return
    if not layout.holds(last.position, bool(layout.has_data[last.position - layout.header_at - 1])):
        return
    expected = max(layout.header_cells, last.previous_cells)
    if last.cells < expected:
        raise FileRefused(
            f"Row {last.position + 1} of `{grid.source}` ends after {last.cells} of {expected} columns and the file "
            "ends there, without a line break: it looks cut off, and importing it would blank or shorten that "
            "row's values. Export the file again (if the row is complete, end the file with a line break)."
        )


class _Refused(Exception):
    """Rows had errors: the transaction is rolled back and the import refused."""


class _Run:
    """The second walk over the file: check each chunk, compare it with the store, write it."""

    def __init__(
        self,
        store: Store,
        spec: TableSpec,
        grid: SpooledGrid,
        plan: _Plan,
        *,
        actor: str,
        clock: Clock,
        progress: Progress,
    ):
        self.store, self.spec, self.grid, self.plan = store, spec, grid, plan
        self.actor, self.clock, self.progress = actor, clock, progress
        # How to run, as import_table was asked.
        self.skip_invalid = self.dry_run = False
        self.sheet: str | None = None
        self.report = ImportReport(
            kind=spec.table,
            file_name=grid.source,
            rows_read=plan.layout.data_rows,
            notes=list(plan.notes),
            mapping=dict(plan.headers.fields),
            arr_from_mrr=plan.mrr,
        )
        self.parts: list[pd.DataFrame] = [plan.facts.problems]
        self.refusal: str | None = None
        self.error_rows = 0
        self.kept = 0  # rows that went into what was written (or would be, on a dry run)
        self.import_id: int | None = None
        self.at = timestamp(clock)
        self.held: list[pd.DataFrame] = []  # rows written at the end (a roster: its links need all of it)
        self.rollup = Rollup(plan.aggregate) if plan.aggregate else None
        self.clean = True  # no error so far: chunks are written as they come
        self.was_empty = False  # settled inside the write transaction, see go()
        self.stored: _StoredIndex | None = None
        # How the file writes each account column, learned as the chunks are checked (the export
        # writes unchanged values back the same way).
        self.forms = FormLearner(spec, plan.options.decimal_comma) if spec.table == "accounts" else None
        self.derived: tuple[str, ...] = ()  # fields derived for the file (fill only what the store lacks)
        self.region_fills: list[pd.DataFrame] = []  # regions derived from countries, said once at the end
        self.restyled = 0  # rows whose values are unchanged but written otherwise in this file
        self.forms_before: dict[str, Any] = {}  # the forms earlier imports learned, read in go()

    # ------------------------------------------------------------------ the walk

    def go(self) -> None:
        """Check, compare and write every chunk; raises ``_Refused`` (after rolling back) on errors."""
        facts = self.plan.facts
        self.report.dry_run = self.dry_run
        # An order-level file refused before a row is written: nothing of it can be right as accounts.
        self.clean = not len(facts.error_rows) and not self._order_level()
        transaction = contextlib.nullcontext() if self.dry_run else self.store.transaction()
        with transaction:
            # Looked at under the write lock: another import landing first must not make this one
            # skip the lookups (and insert an id that now exists).
            self.was_empty = records.count(self.store, self.spec.table) == 0
            latest = imports.latest(self.store, self.spec.table)
            self.forms_before = dict(latest.options.get("forms", {})) if latest is not None else {}
            if self.spec.table == "accounts" and not self.was_empty:
                self.stored = _StoredIndex(self.store, self.spec)
            known = self._known()
            for chunk in self.grid.chunks():
                raw = self.plan.part(chunk)
                if not raw.frame.empty:
                    self._chunk(raw, known)
                release_memory()
            self._finish()

    def _order_level(self) -> bool:
        """An order- or subscription-level file imported as accounts: refused, even with --skip-invalid."""
        facts = self.plan.facts
        return (
            self.plan.aggregate is None and self.spec.table == "accounts" and bool(facts.repeats) and facts.order_level
        )

    def _known(self) -> KnownValues:
        spec = self.spec
        return KnownValues(
            categories={
                f.name: records.distinct_values(self.store, spec.table, f.name)
                for f in spec.fields
                if f.kind == "category"
            },
            roster=csm_queries.people(self.store),
        )

    def _chunk(self, raw: RawTable, known: KnownValues) -> None:
        plan, spec = self.plan, self.spec
        checked = check_table(raw, spec, plan.options, known, plan.facts)
        self._note(checked.notes)
        self.derived = checked.derived
        if checked.region_fills is not None and len(checked.region_fills):
            self.region_fills.append(checked.region_fills)
        frame = checked.frame
        if self.forms is not None:
            # Learned on the values as the file writes them (a monthly column before it is made yearly).
            cells = {name: cell_text(raw.frame[header]) for name, header in plan.headers.fields.items()}
            frame["written"] = self.forms.learn(cells, frame)
        if plan.mrr is not None and "arr" in frame:
            frame["arr"] = frame["arr"] * 12
        found = [checked.problems]
        if not self.was_empty:
            stored = records.load_keys(self.store, spec.table, [], spec.id_field, frame[spec.id_field].tolist())
            found += self._against_store(checked, stored)
        bad = _error_rows(found) | set(np.intersect1d(raw.rows, plan.facts.error_rows).tolist())
        if self.skip_invalid and plan.aggregate is None:
            found.append(self._repeats_left_out(raw, checked, bad))
            bad |= set(np.intersect1d(raw.rows, plan.facts.repeated_rows).tolist())
        self.parts.extend(found)
        self.error_rows += len(bad)
        if bad:
            self.clean = False
        keep = ~np.isin(raw.rows, np.fromiter(bad, dtype=np.int64, count=len(bad)))
        valid = frame[keep]
        if self.rollup is not None:
            self.rollup.leave_out(frame.loc[~keep, spec.id_field].dropna().tolist())
            self._fold(raw, valid, keep)
        elif spec.table == "csms":
            self.held.append(valid)
        elif self.clean or self.skip_invalid:
            self._write(valid)

    def _finish(self) -> None:
        report = self.report
        nothing_good = self.error_rows >= report.rows_read
        if (not self.clean and (not self.skip_invalid or nothing_good)) or self._order_level():
            self.refusal = self._refusal()
            raise _Refused
        if self.rollup is not None:
            self._write_rollup()
        elif self.held:
            held = pd.concat(self.held, ignore_index=True)
            self._write(held, links=True)
        report.skipped = report.rows_read - self.kept
        if self.region_fills:
            fills = pd.concat(self.region_fills, ignore_index=True)
            report.notes.append(region_fill_note(fills, filled_column="region" in self.plan.headers.fields))
        if self.restyled:
            report.notes.append(
                f"{self.restyled:,} {self.spec.noun}s are unchanged but written otherwise in this file "
                "(e.g. USA for United States): the export writes them as this file does."
            )
        if self.dry_run:
            return
        if self.import_id is None and self._forms() != self.forms_before:
            self._import_id()  # nothing else changed, but how the file writes its values did: kept for the export
        if self.import_id is None:
            previous = imports.find_by_hash(self.store, self.spec.table, self.grid.sha256)
            if previous is not None:
                report.notes.append(f"This exact file was imported on {previous['at'][:10]} by {previous['actor']}.")
            return
        self._record_totals()
        report.written = True

    # ------------------------------------------------------------------ problems

    def problems(self) -> pd.DataFrame:
        return finish_problems(self.parts)

    def _note(self, notes: Sequence[str]) -> None:
        for note in notes:
            if note not in self.report.notes:
                self.report.notes.append(note)

    def _against_store(self, checked: CheckedTable, stored: pd.DataFrame) -> list[pd.DataFrame]:
        """Problems only the store shows: ids and names like those of accounts it already holds."""
        if self.stored is None or self.stored.empty:
            return []
        frame, spec = checked.frame, self.spec
        is_new = ~frame[spec.id_field].astype(object).isin(stored[spec.id_field]).to_numpy()
        if not is_new.any():
            return []
        return [
            self.stored.lookalike_ids(frame, checked, is_new, self.plan.headers),
            self.stored.lookalike_names(frame, checked, is_new, self.plan.headers),
        ]

    def _repeats_left_out(self, raw: RawTable, checked: CheckedTable, bad: set[int]) -> pd.DataFrame:
        """--skip-invalid never keeps one row of a repeated id: the first is left out too, and said."""
        first = self.plan.facts.repeated_first
        here = [row for row in raw.rows.tolist() if row in first and row not in bad]
        if not here:
            return _no_problems()
        spec, fields = self.spec, self.plan.headers.fields
        label = fields.get(spec.id_field) or fields.get(spec.name_field)
        ids = dict(zip(raw.rows.tolist(), checked.frame[spec.id_field].tolist(), strict=True))
        return pd.DataFrame(
            [
                {
                    "row": row,
                    "column": label,
                    "value": ids[row],
                    "severity": "error",
                    "problem": (
                        f"its id repeats on row {first[row][0]} ({first[row][1]} rows in all), so every row of it is "
                        "left out: tierbot cannot tell which one is right"
                    ),
                    "fix": f"Keep one row per {spec.noun}, or pass --aggregate sum|last if the file has a row "
                    "per order or subscription.",
                }
                for row in here
            ],
            columns=PROBLEM_COLUMNS,
        )

    def _refusal(self) -> str:
        report, facts, spec = self.report, self.plan.facts, self.spec
        problems = self.problems()
        errors = int((problems["severity"] == "error").sum())
        name = self.grid.source
        if self._order_level():
            return (
                f"`{name}` has {facts.rows:,} rows for {facts.ids:,} {spec.noun} ids (up to "
                f"{facts.most_rows_per_id:,} rows per id): it looks like an order- or subscription-level file, so "
                f"nothing was imported. Import one {spec.noun} per id with --aggregate sum (ARR summed over its "
                "rows) or --aggregate last (its latest row)."
            )
        rows_in_error = len(set(problems.loc[problems["severity"] == "error", "row"].dropna().astype(int)))
        left_out = set(problems.loc[problems["severity"] == "error", "row"].dropna().astype(int)) | set(
            facts.repeated_rows.tolist()
        )
        good = report.rows_read - len(left_out)
        hints = []
        if good and self.plan.aggregate is None:
            hints.append(
                f"pass --skip-invalid to import the {good:,} good rows"
                + (" (every row of a repeated id is left out)" if facts.repeats else "")
            )
        elif good:
            hints.append(f"pass --skip-invalid to import the {spec.noun}s whose rows are all good")
        if facts.repeats and spec.table == "accounts" and self.plan.aggregate is None:
            hints.append("pass --aggregate sum|last if the file has several rows per account")
        hint = f", or {' or '.join(hints)}" if hints else ""
        return (
            f"`{name}` has {errors:,} error(s) on {rows_in_error:,} row(s), so nothing was imported. "
            f"Fix them and import again{hint}."
        )

    # ------------------------------------------------------------------ rolling up

    def _fold(self, raw: RawTable, valid: pd.DataFrame, keep: np.ndarray) -> None:
        assert self.rollup is not None
        plan = self.plan
        if plan.order_field is not None and plan.order_field in valid:
            dates = valid[plan.order_field]
        elif plan.order_header is not None:
            order, pattern = plan.facts.dates
            cells = trim(raw.frame[plan.order_header])[keep]
            dates = parse_date(cells, order, pattern).values
        else:
            dates = pd.Series([None] * len(valid), index=valid.index, dtype=object)
        self.rollup.add(valid, dates, raw.rows[keep])

    def _write_rollup(self) -> None:
        assert self.rollup is not None
        rollup, spec = self.rollup, self.spec
        needs = "its ARR sums" if rollup.how == "sum" else "its latest row needs"
        left_out = [
            {
                "row": first,
                "column": self.plan.headers.fields.get(spec.id_field),
                "value": key,
                "severity": "error",
                "problem": (
                    f"left out with the rest of its id's rows ({count} without errors): another row of this "
                    f"{spec.noun} has an error, and {needs} every row"
                ),
                "fix": "Fix the row with the error and import again.",
            }
            for key, first, count in rollup.left_out_rows()
        ]
        if left_out:
            self.parts.append(pd.DataFrame(left_out, columns=PROBLEM_COLUMNS))
        summary = rollup.summary(self.plan.order_header)
        self.report.aggregate = {
            "how": summary.how,
            "rows": summary.rows,
            "accounts": summary.accounts,
            "latest_by": summary.latest_by,
        }
        self.report.notes.append(summary.note())
        accounts = rollup.result()
        for start in range(0, len(accounts), CHUNK_ROWS):
            self._write(accounts.iloc[start : start + CHUNK_ROWS], rows=0)
        self.kept = summary.rows

    # ------------------------------------------------------------------ writing

    def _compare(self, valid: pd.DataFrame) -> RowChanges:
        """What writing ``valid`` would change, against the stored rows of its ids.

        The stored rows come back as Python objects, a few times the size of the file's: they
        are fetched and compared a slice at a time, so a re-import costs no more than an import.
        """
        key, columns = self.spec.id_field, list(valid.columns)
        if self.was_empty:
            # Nothing was stored before, and no id comes twice (a repeated id is never written).
            return compare_rows(pd.DataFrame(), valid, key, columns)
        parts: list[RowChanges] = []
        for start in range(0, max(len(valid), 1), _COMPARE_ROWS):
            part = valid.iloc[start : start + _COMPARE_ROWS]
            stored = records.load_keys(self.store, self.spec.table, columns, key, part[key].tolist())
            if self.derived and len(stored):
                # A field the file has no column for (a region from the country) fills only blanks.
                by_id = stored.set_index(key)
                part = part.copy()
                for name in self.derived:
                    kept = part[key].map(by_id[name])
                    part[name] = kept.where(kept.notna(), part[name])
            parts.append(compare_rows(stored if len(stored) else pd.DataFrame(), part, key, columns))
        if len(parts) == 1:
            return parts[0]
        return RowChanges(
            new=pd.concat([p.new for p in parts]),
            changed=pd.concat([p.changed for p in parts]),
            before=[b for p in parts for b in p.before],
            after=[a for p in parts for a in p.after],
            unchanged=sum(p.unchanged for p in parts),
        )

    def _write(self, valid: pd.DataFrame, *, links: bool = False, rows: int | None = None) -> None:
        """Compare rows with what the store holds and write what changed (nothing on a dry run)."""
        spec, report = self.spec, self.report
        self.kept += len(valid) if rows is None else rows
        if valid.empty and not links:
            return
        changes = self._compare(valid)
        _refuse_nameless(spec, changes, self.grid.source)
        # A row whose only change is how the file writes a value (its cells as written) has the
        # same values: it is written for the export but is not an update.
        restyled = sum(
            1 for before, after in zip(changes.before, changes.after, strict=True) if not _values(before | after)
        )
        self.restyled += restyled
        report.created += len(changes.new)
        report.updated += len(changes.changed) - restyled
        report.unchanged += changes.unchanged + restyled
        owner_links, manager_links = _links(self.store, valid) if links else ({}, {})
        if self.dry_run or (changes.new.empty and changes.changed.empty and not owner_links and not manager_links):
            return
        import_id = self._import_id()
        if not changes.new.empty:
            records.insert(self.store, spec.table, changes.new, self.at, created_by=f"import:{import_id}")
        if not changes.changed.empty:
            records.update(self.store, spec.table, changes.changed, spec.id_field, self.at)
        entity = spec.noun.lower()
        entries = [
            AuditEntry(
                self.at,
                self.actor,
                f"import.{spec.table}.update",
                f"{entity}:{row_id}",
                _values(before),
                _values(after),
            )
            for row_id, before, after in zip(changes.changed[spec.id_field], changes.before, changes.after, strict=True)
            if _values(before | after)
        ]
        if owner_links:
            report.owners_linked = account_queries.relink_owners(self.store, owner_links, self.at)
            linked = {"links": owner_links, "accounts": report.owners_linked}
            entries.append(AuditEntry(self.at, self.actor, "accounts.link_owners", "accounts", None, linked))
        if manager_links:
            report.managers_linked = csm_queries.relink_managers(self.store, manager_links)
            linked = {"links": manager_links, "csms": report.managers_linked}
            entries.append(AuditEntry(self.at, self.actor, "csms.link_managers", "csms", None, linked))
        audit.record(self.store, entries)

    def _import_id(self) -> int:
        """The import's record, written before its first row (rows name the import that created them)."""
        if self.import_id is None:
            self.progress(f"Writing {self.spec.noun}s in one transaction…")
            self.import_id = imports.record(self.store, self._record())
        return self.import_id

    def _record(self) -> imports.ImportRecord:
        report, plan = self.report, self.plan
        return imports.ImportRecord(
            kind=self.spec.table,
            file_name=self.grid.source,
            file_sha256=self.grid.sha256,
            rows_read=report.rows_read,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            skipped=report.skipped,
            warnings=report.warnings,
            mapping=report.mapping,
            options={
                "decimal_comma": plan.options.decimal_comma,
                "date_format": plan.options.date_format,
                "skip_invalid": self.skip_invalid,
                "sheet": self.sheet,
                # The file's own column order, so an export can go back the way it came.
                "headers": list(plan.layout.headers),
                "aggregate": plan.aggregate,
                "mrr": plan.mrr,
                # The --map choices (given or reused), for the next file with these columns.
                "map": plan.chosen_map,
                # How the files write each column, so the export writes it back the same way.
                "forms": self._forms(),
            },
            actor=self.actor,
            at=self.at,
        )

    def _forms(self) -> dict[str, Any]:
        """The forms of every file imported so far, this one's last (spellings add up)."""
        return merge_forms(self.forms_before, self.forms.result()) if self.forms is not None else {}

    def _record_totals(self) -> None:
        report = self.report
        assert self.import_id is not None
        report.import_id = self.import_id
        report.warnings = int((self.problems()["severity"] == "warning").sum())
        imports.update_counts(self.store, self.import_id, self._record())
        summary = {
            "file": self.grid.source,
            "sha256": self.grid.sha256,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": report.skipped,
        }
        entry = AuditEntry(self.at, self.actor, f"import.{self.spec.table}", f"import:{self.import_id}", None, summary)
        audit.record(self.store, [entry])


def _values(change: dict[str, Any]) -> dict[str, Any]:
    """A change's fields without the cells as written (kept for the export, not a value)."""
    return {k: v for k, v in change.items() if k != "written"}


def _error_rows(parts: Sequence[pd.DataFrame]) -> set[int]:
    rows: set[int] = set()
    for part in parts:
        if len(part):
            errors = part.loc[part["severity"] == "error", "row"].dropna()
            rows.update(int(r) for r in errors)
    return rows


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})


class _StoredIndex:
    """What the store holds, to compare a file's new accounts with: name keys (hashed, so a
    million accounts cost a few megabytes) and the ids that are not plain ASCII."""

    def __init__(self, store: Store, spec: TableSpec):
        self.store, self.spec = store, spec
        self.empty = records.count(store, spec.table) == 0
        self._names: tuple[np.ndarray, np.ndarray] | None = None
        self.unusual = {
            skeleton(key): (key, name)
            for key, name in (
                records.unusual_keys(store, spec.table, spec.id_field, spec.name_field) if not self.empty else []
            )
        }

    def names(self) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of every stored name's key, with the rows' rowids; built when a file first has new rows."""
        if self._names is None:
            hashes: list[np.ndarray] = []
            rowids: list[np.ndarray] = []
            for part in records.walk(self.store, self.spec.table, [self.spec.name_field]):
                keys = name_keys(part[self.spec.name_field].astype(object))
                present = keys.notna().to_numpy()
                hashes.append(_hash(keys[present]))
                rowids.append(part["rowid"].to_numpy()[present])
            self._names = (
                np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64),
                np.concatenate(rowids) if rowids else np.zeros(0, dtype=np.int64),
            )
        return self._names

    def lookalike_names(
        self, frame: pd.DataFrame, checked: CheckedTable, is_new: np.ndarray, headers: HeaderMap
    ) -> pd.DataFrame:
        """Warn about new accounts named like an account the store already holds under another id."""
        spec = self.spec
        if spec.name_field not in frame:
            return _no_problems()
        stored_hashes, stored_rowids = self.names()
        if not len(stored_hashes):
            return _no_problems()
        incoming = name_keys(frame[spec.name_field])
        candidates = is_new & incoming.notna().to_numpy()
        if not candidates.any():
            return _no_problems()
        hashed = np.zeros(len(frame), dtype=np.uint64)
        hashed[candidates] = _hash(incoming[candidates])
        hit = candidates & np.isin(hashed, stored_hashes)
        if not hit.any():
            return _no_problems()
        wanted = np.unique(stored_rowids[np.isin(stored_hashes, hashed[hit])])
        stored = records.by_rowid(self.store, spec.table, [spec.id_field, spec.name_field], wanted.tolist())
        by_key: dict[str, tuple[str, str]] = {}
        for crm_id, name in sorted(stored, key=lambda r: str(r[0])):
            key = name_keys(pd.Series([name], dtype=object)).iloc[0]
            if isinstance(key, str):
                by_key.setdefault(key, (str(crm_id), str(name)))
        parts = []
        header = headers.fields[spec.name_field]
        for position in np.flatnonzero(hit):
            match = by_key.get(incoming.iloc[position])
            if match is None:
                continue
            parts.append(
                {
                    "row": int(checked.rows[position]),
                    "column": header,
                    "value": str(frame[spec.name_field].iloc[position]),
                    "severity": "warning",
                    "problem": f"looks like the account `{match[1]}` already in the store (id {match[0]})",
                    "fix": "If they are the same customer, merge them in the CRM.",
                }
            )
        return pd.DataFrame(parts, columns=PROBLEM_COLUMNS) if parts else _no_problems()

    def lookalike_ids(
        self, frame: pd.DataFrame, checked: CheckedTable, is_new: np.ndarray, headers: HeaderMap
    ) -> pd.DataFrame:
        """New ids that look the same as an id the store holds: a second, identical-looking account."""
        spec = self.spec
        column = frame[spec.id_field]
        ids = column.tolist()
        # Only an id with a character outside ASCII, or one the store has such a twin of, can look
        # like another without being it.
        unusual = ~_ascii(column)
        if self.unusual:
            unusual |= column.isin(list(self.unusual)).to_numpy()
        looks: dict[int, str] = {}
        for at in np.flatnonzero(unusual & is_new).tolist():
            if isinstance(ids[at], str):
                looks[at] = skeleton(ids[at])
        if not looks:
            return _no_problems()
        plain = records.load_keys(self.store, spec.table, [spec.name_field], spec.id_field, sorted(set(looks.values())))
        twins = dict(zip(plain[spec.id_field], plain[spec.name_field], strict=True))
        header = headers.fields.get(spec.id_field) or headers.fields.get(spec.name_field)
        parts = []
        for position, look in looks.items():
            twin = (look, twins[look]) if look in twins else self.unusual.get(look)
            if twin is None or twin[0] == ids[position]:
                continue
            parts.append(
                {
                    "row": int(checked.rows[position]),
                    "column": header,
                    "value": ids[position],
                    "severity": "error",
                    "problem": (
                        f"looks the same as the id `{twin[0]}` of the {spec.noun} `{twin[1]}` already in the store "
                        f"but differs by {difference(ids[position], twin[0])}"
                    ),
                    "fix": LOOKALIKE_FIX.format(noun=spec.noun),
                }
            )
        return pd.DataFrame(parts, columns=PROBLEM_COLUMNS) if parts else _no_problems()


def _ascii(column: pd.Series) -> np.ndarray:
    """Which cells are plain ASCII text (blank cells count as plain)."""
    cells = pa.array(column.astype(object).to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    found = pc.string_is_ascii(cells)
    return np.asarray(found.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)


def _hash(keys: pd.Series) -> np.ndarray:
    return pd.util.hash_array(keys.astype(object).to_numpy(dtype=object))


def _check_date_format(options: ImportOptions) -> None:
    """Refuse a bad --date-format before reading a large file."""
    try:
        date_pattern(options.date_format)
    except ValueError:
        raise UnknownName(
            f"`--date-format {options.date_format}` is not a date format: use DMY, MDY, YMD "
            "(or dd/mm/yyyy, mm/dd/yyyy) or a pattern such as %d.%m.%Y.",
            str(options.date_format),
        ) from None


def _errors_path(path: Path, errors_file: Path | None) -> Path:
    """Where the errors file goes: beside the export, or where --errors-file says."""
    if errors_file is None:
        return path.with_name(f"{path.stem}.errors.csv")
    if errors_file.is_dir():
        return errors_file / f"{path.stem}.errors.csv"
    if not errors_file.parent.exists():
        raise CannotWrite(f"--errors-file {errors_file}: the folder {errors_file.parent} does not exist.")
    return errors_file


def _refuse_nameless(spec: TableSpec, changes: RowChanges, source: str) -> None:
    """A file without a name column can update accounts, not create them."""
    if changes.new.empty or (spec.name_field in changes.new and changes.new[spec.name_field].notna().all()):
        return
    examples = ", ".join(map(str, changes.new[spec.id_field].head(3)))
    raise FileRefused(
        f"`{source}` has no {spec.noun} names, and {len(changes.new):,} of its {spec.noun}s are new "
        f"(e.g. {examples}): a new {spec.noun} needs a name. Add the name column, or import the new "
        f"{spec.noun}s from a full export first."
    )


def _links(store: Store, roster: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """Account owners and CSM managers written as a name or email that now name a CSM."""
    file_people = list(
        zip(
            roster["id"],
            roster["name"] if "name" in roster else roster["id"],
            roster["email"] if "email" in roster else [None] * len(roster),
            strict=True,
        )
    )
    everyone = build_roster(csm_queries.people(store) + file_people)

    def links(references: Sequence[str | None]) -> dict[str, str]:
        found = {}
        for reference in references:
            if reference is None or reference in everyone.ids:
                continue
            target = everyone.resolve(reference)
            if target:
                found[reference] = target
        return found

    return links(list(account_queries.owner_counts(store))), links(csm_queries.managers(store))


def write_problems(
    problems: pd.DataFrame, target: Path, *, store_path: Path | None = None, force: bool = False
) -> Path:
    """Write every problem to a CSV that opens safely in a spreadsheet; return its path.

    Falls back to the working directory when the export's folder is not writable; never writes
    over the store or another SQLite database unless forced.
    """
    safe = neutralise_frame(problems.astype(object).where(problems.notna(), ""))
    for candidate in (target, Path.cwd() / target.name):
        check_output(candidate, store_path=store_path, force=force)
        try:
            write_table_atomically(safe, candidate, store_path=store_path, force=force)
            return candidate
        except CannotWrite:
            continue
    raise CannotWrite(f"Cannot write the errors file {target} (nor one in the working folder).")
