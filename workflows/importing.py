"""Import a CRM export (accounts) or the CSM roster: read, check, compare, write in one transaction.

If any row has an error nothing is written (unless the caller skips invalid rows); importing the
same file again changes nothing; an updated export updates only what changed and the audit log
records each change with its values before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.changes import RowChanges, compare_rows
from engine.csv_safety import neutralise_frame
from engine.errors import CannotWrite, FileRefused, InvalidRows, UnknownName
from engine.fields import TABLE_SPECS, TableSpec
from engine.normalize import date_pattern, name_keys
from engine.people import build_roster
from engine.validation import (
    PROBLEM_COLUMNS,
    CheckedTable,
    ImportOptions,
    KnownValues,
    Problem,
    RawTable,
    check_table,
    problem_list,
    tableize,
)
from store import Store, audit, imports, records
from store import accounts as account_queries
from store import csms as csm_queries
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp
from workflows.files import read_grid
from workflows.outputs import check_output, is_sqlite_database, write_table_atomically
from workflows.progress import Progress, silent

SHOWN_PROBLEMS = 20


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
) -> ImportReport:
    """Import ``path`` into the ``kind`` table ("accounts" or "csms").

    ``force`` lets the errors file be written over a SQLite database.
    """
    spec = TABLE_SPECS[kind]
    options = options or ImportOptions()
    _check_date_format(options)
    target = _errors_path(path, errors_file)
    if errors_file is not None:
        check_output(target, store_path=store.path, force=force)
    progress(f"Reading {path.name}…")
    grid = read_grid(path, sheet)
    raw = tableize(grid.frame, spec, grid.source, grid.notes, mapped=list(options.mapping.values()))
    progress(f"Checking {len(raw.frame):,} rows…")
    checked = _check(store, spec, raw, options)
    if kind == "accounts":
        _warn_about_lookalikes(store, checked)
    report = ImportReport(
        kind=kind,
        file_name=path.name,
        rows_read=len(raw.frame),
        errors=checked.error_count,
        warnings=checked.warning_count,
        problems=problem_list(checked.problems, SHOWN_PROBLEMS),
        notes=checked.notes,
        mapping=checked.mapping,
        dry_run=dry_run,
    )
    if len(checked.problems):
        report.errors_file = write_problems(checked.problems, target, store_path=store.path, force=force)
    elif errors_file is None and target.exists() and not is_sqlite_database(target):
        target.unlink()  # an errors file of ours from an earlier attempt would now mislead
    bad_rows = len(checked.error_rows)
    good = report.rows_read - bad_rows
    if report.errors and (not skip_invalid or good == 0):
        skip_hint = f", or pass --skip-invalid to import the {good:,} good rows" if good else ""
        raise InvalidRows(
            f"`{path.name}` has {report.errors:,} error(s) on {bad_rows:,} row(s), so nothing was "
            f"imported. Fix them and import again{skip_hint}.",
            report.problems,
            report,
        )
    valid = checked.valid_frame()
    report.skipped = report.rows_read - len(valid)
    if dry_run:
        changes = _compare(store, spec, valid)
        _refuse_nameless(spec, changes, raw.source)
        _count_changes(report, changes)
        return report
    # Compared inside the write transaction: another import landing in between cannot make
    # this one insert a row that now exists.
    with store.transaction():
        changes = _compare(store, spec, valid)
        _refuse_nameless(spec, changes, raw.source)
        _count_changes(report, changes)
        owner_links, manager_links = _links(store, valid) if kind == "csms" else ({}, {})
        if not report.created and not report.updated and not owner_links and not manager_links:
            previous = imports.find_by_hash(store, kind, grid.sha256)
            if previous is not None:
                report.notes.append(f"This exact file was imported on {previous['at'][:10]} by {previous['actor']}.")
            return report
        progress(f"Writing {report.created + report.updated:,} {spec.noun}s in one transaction…")
        at = timestamp(clock)
        report.import_id = imports.record(
            store,
            imports.ImportRecord(
                kind=kind,
                file_name=path.name,
                file_sha256=grid.sha256,
                rows_read=report.rows_read,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                skipped=report.skipped,
                warnings=report.warnings,
                mapping=report.mapping,
                options={
                    "decimal_comma": options.decimal_comma,
                    "date_format": options.date_format,
                    "skip_invalid": skip_invalid,
                    "sheet": sheet,
                    # The file's own column order, so an export can go back the way it came.
                    "headers": [str(h) for h in raw.frame.columns],
                },
                actor=actor,
                at=at,
            ),
        )
        records.insert(store, spec.table, changes.new, at, created_by=f"import:{report.import_id}")
        records.update(store, spec.table, changes.changed, spec.id_field, at)
        entity = spec.noun.lower()
        entries = [
            AuditEntry(at, actor, f"import.{kind}.update", f"{entity}:{row_id}", before, after)
            for row_id, before, after in zip(changes.changed[spec.id_field], changes.before, changes.after, strict=True)
        ]
        summary = {
            "file": path.name,
            "sha256": grid.sha256,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": report.skipped,
        }
        entries.append(AuditEntry(at, actor, f"import.{kind}", f"import:{report.import_id}", None, summary))
        if owner_links:
            report.owners_linked = account_queries.relink_owners(store, owner_links, at)
            linked = {"links": owner_links, "accounts": report.owners_linked}
            entries.append(AuditEntry(at, actor, "accounts.link_owners", "accounts", None, linked))
        if manager_links:
            report.managers_linked = csm_queries.relink_managers(store, manager_links)
            linked = {"links": manager_links, "csms": report.managers_linked}
            entries.append(AuditEntry(at, actor, "csms.link_managers", "csms", None, linked))
        audit.record(store, entries)
    report.written = True
    return report


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


def _check(store: Store, spec: TableSpec, raw: RawTable, options: ImportOptions) -> CheckedTable:
    """Check the file against the spec and what the store already knows."""
    known = KnownValues(
        categories={
            f.name: records.distinct_values(store, spec.table, f.name) for f in spec.fields if f.kind == "category"
        },
        roster=csm_queries.people(store),
    )
    return check_table(raw, spec, options, known)


def _warn_about_lookalikes(store: Store, checked: CheckedTable) -> None:
    """Warn about new accounts named like an account the store already holds under another id."""
    frame = checked.frame
    if "name" not in frame or not records.count(store, "accounts"):
        return
    existing = records.load(store, "accounts", ["crm_id", "name"])
    stored_keys = pd.Series(existing["crm_id"].to_numpy(), index=name_keys(existing["name"]).to_numpy())
    stored_keys = stored_keys[stored_keys.index.notna()]
    stored_keys = stored_keys[~stored_keys.index.duplicated()]
    incoming = name_keys(frame["name"])
    is_new = ~frame["crm_id"].isin(existing["crm_id"]).to_numpy()
    hit = is_new & incoming.isin(stored_keys.index).to_numpy()
    if not hit.any():
        return
    header = checked.mapping["name"]
    names = dict(zip(existing["crm_id"], existing["name"], strict=True))
    parts = []
    for position in np.flatnonzero(hit):
        other = stored_keys[incoming.iloc[position]]
        parts.append(
            {
                "row": int(checked.rows[position]),
                "column": header,
                "value": str(frame["name"].iloc[position]),
                "severity": "warning",
                "problem": f"looks like the account `{names[other]}` already in the store (id {other})",
                "fix": "If they are the same customer, merge them in the CRM.",
            }
        )
    checked.problems = (
        pd.concat([checked.problems, pd.DataFrame(parts, columns=PROBLEM_COLUMNS)], ignore_index=True)
        .sort_values("row", kind="stable")
        .reset_index(drop=True)
    )


def _compare(store: Store, spec: TableSpec, valid: pd.DataFrame) -> RowChanges:
    """What writing ``valid`` would change in the store."""
    existing = (
        records.load(store, spec.table, list(valid.columns)) if records.count(store, spec.table) else pd.DataFrame()
    )
    return compare_rows(existing, valid, spec.id_field, list(valid.columns))


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


def _count_changes(report: ImportReport, changes: RowChanges) -> None:
    report.created = len(changes.new)
    report.updated = len(changes.changed)
    report.unchanged = changes.unchanged


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
