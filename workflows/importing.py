"""Import a CRM export (accounts) or the CSM roster: read, check, compare, write in one transaction.

If any row has an error nothing is written (unless the caller skips invalid rows); importing the
same file again changes nothing; an updated export updates only what changed and the audit log
records each change with its values before and after.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine.changes import RowChanges, compare_rows
from engine.csv_safety import neutralise_frame
from engine.errors import CannotWrite, InvalidRows
from engine.fields import TABLE_SPECS, TableSpec
from engine.normalize import person_key
from engine.validation import (
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
) -> ImportReport:
    """Import ``path`` into the ``kind`` table ("accounts" or "csms")."""
    spec = TABLE_SPECS[kind]
    options = options or ImportOptions()
    progress(f"Reading {path.name}…")
    grid = read_grid(path, sheet)
    raw = tableize(grid.frame, spec, grid.source, grid.notes)
    progress(f"Checking {len(raw.frame):,} rows…")
    checked = _check(store, spec, raw, options)
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
        report.errors_file = write_problems(checked.problems, errors_file or _default_errors_file(path))
    if report.errors and not skip_invalid:
        bad_rows = len(checked.error_rows)
        good = report.rows_read - bad_rows
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
        _count_changes(report, _compare(store, spec, valid))
        return report
    # Compared inside the write transaction: another import landing in between cannot make
    # this one insert a row that now exists.
    with store.transaction():
        changes = _compare(store, spec, valid)
        _count_changes(report, changes)
        links = _owner_links(store, valid) if kind == "csms" else {}
        if not report.created and not report.updated and not links:
            return report
        progress(f"Writing {report.created + report.updated:,} {spec.noun}s in one transaction…")
        at = timestamp(clock)
        records.insert(store, spec.table, changes.new, at)
        records.update(store, spec.table, changes.changed, spec.id_field, at)
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
                },
                actor=actor,
                at=at,
            ),
        )
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
        if links:
            report.owners_linked = account_queries.relink_owners(store, links)
            linked = {"links": links, "accounts": report.owners_linked}
            entries.append(AuditEntry(at, actor, "accounts.link_owners", "accounts", None, linked))
        audit.record(store, entries)
    report.written = True
    return report


def _compare(store: Store, spec: TableSpec, valid: pd.DataFrame) -> RowChanges:
    """What writing ``valid`` would change in the store."""
    existing = (
        records.load(store, spec.table, list(valid.columns)) if records.count(store, spec.table) else pd.DataFrame()
    )
    return compare_rows(existing, valid, spec.id_field, list(valid.columns))


def _count_changes(report: ImportReport, changes: RowChanges) -> None:
    report.created = len(changes.new)
    report.updated = len(changes.changed)
    report.unchanged = changes.unchanged


def _check(store: Store, spec: TableSpec, raw: RawTable, options: ImportOptions) -> CheckedTable:
    """Check the file against the spec and what the store already knows."""
    known = KnownValues(
        categories={
            f.name: records.distinct_values(store, spec.table, f.name) for f in spec.fields if f.kind == "category"
        },
        people=csm_queries.references(store),
    )
    return check_table(raw, spec, options, known)


def _owner_links(store: Store, roster: pd.DataFrame) -> dict[str, str]:
    """Account owners written as a name or email that this roster resolves to a CSM id."""
    refs: dict[str, str] = dict(csm_queries.references(store))
    for column in ("name", "email", "id"):
        if column in roster:
            for ref, csm_id in zip(roster[column], roster["id"], strict=True):
                if ref is not None and not pd.isna(ref):
                    refs[str(ref)] = str(csm_id)
                    refs[person_key(str(ref))] = str(csm_id)
    ids = set(refs.values())
    links = {}
    for owner in account_queries.owner_counts(store):
        if owner is None or owner in ids:
            continue
        target = refs.get(owner) or refs.get(person_key(owner))
        if target:
            links[owner] = target
    return links


def _default_errors_file(path: Path) -> Path:
    return path.with_name(f"{path.stem}.errors.csv")


def write_problems(problems: pd.DataFrame, target: Path) -> Path:
    """Write every problem to a CSV that opens safely in a spreadsheet; return its path.

    Falls back to the working directory when the export's folder is not writable.
    """
    safe = neutralise_frame(problems.astype(object).where(problems.notna(), ""))
    for candidate in (target, Path.cwd() / target.name):
        try:
            safe.to_csv(candidate, index=False, quoting=csv.QUOTE_MINIMAL)
            return candidate
        except OSError:
            continue
    raise CannotWrite(f"Cannot write the errors file {target} (nor one in the working folder).")
