"""Plain-text answers for the terminal (command line and chat), one renderer per value object."""

from __future__ import annotations

import dataclasses
import json
from functools import singledispatch
from pathlib import Path
from typing import Any

from tabulate import tabulate

from bot.commands import HelpText
from engine.fields import TableSpec
from engine.formatting import count, money, percent
from engine.gaps import GapReport
from engine.validation import Problem
from prompts import render_template
from workflows.demo import DemoReport
from workflows.exporting import ExportReport
from workflows.importing import ImportReport
from workflows.lookup import AccountMatch, FindResult
from workflows.status import WorkspaceStatus


@singledispatch
def render(value: Any) -> str:
    """Render a workflow's answer as text for a person."""
    return str(value)


def to_json(value: Any) -> str:
    """Render a workflow's answer as JSON for scripts."""
    return json.dumps(_plain(value), indent=2, ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, FindResult):
            out["ambiguous"] = value.ambiguous
        return out
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def bullet(lines: list[str]) -> str:
    return "\n".join(f"  • {line}" for line in lines)


def problems_text(problems: list[Problem], total: int, errors_file: Path | None) -> str:
    """The first problems of an import, and where the rest are."""
    parts = [bullet([str(p) for p in problems])] if problems else []
    if errors_file is not None:
        more = f"All {total:,} problems are" if total > len(problems) else "They are also"
        parts.append(f"{more} listed in {errors_file}.")
    return "\n".join(parts)


@render.register
def _(report: ImportReport) -> str:
    noun = report.noun
    counts = (
        f"{count(report.created)} new, {count(report.updated)} updated, "
        f"{count(report.unchanged)} unchanged"
        + (f", {count(report.skipped)} skipped with errors" if report.skipped else "")
    )
    if report.dry_run:
        head = (
            f"Checked {report.file_name}: {count(report.rows_read)} rows would give {counts} "
            f"{noun}s. Nothing was written (--dry-run)."
        )
    elif report.written:
        head = f"Imported {report.file_name}: {count(report.rows_read)} rows → {counts} {noun}s."
    else:
        head = (
            f"Nothing changed: all {count(report.unchanged)} {noun}s in {report.file_name} "
            "already match the store."
        )
    lines = [head]
    if report.owners_linked:
        lines.append(f"Linked {count(report.owners_linked)} accounts to their owners in the roster.")
    if report.mapping:
        lines.append("Columns: " + ", ".join(f"{h} → {f}" for f, h in report.mapping.items()))
    if report.notes:
        lines.append(bullet(report.notes))
    total = report.errors + report.warnings
    if total:
        kind = f"{count(report.warnings)} warning(s)" + (
            f" and {count(report.errors)} error(s)" if report.errors else ""
        )
        lines.append(f"{kind}:")
        lines.append(problems_text(report.problems, total, report.errors_file))
    return "\n".join(lines)


def _match_line(match: AccountMatch) -> str:
    owner = match.owner_name or match.owner or "no owner"
    renewal = f", renews {match.renewal_date}" if match.renewal_date else ""
    return f"{match.name} ({match.crm_id}) — {money(match.arr)} ARR, {owner}{renewal}"


@render.register
def _(result: FindResult) -> str:
    lines = []
    if result.corrections:
        fixed = ", ".join(f"{typed} → {used}" for typed, used in result.corrections)
        lines.append(f"(read {fixed})")
    if result.ambiguous:
        lines.append(f"Several accounts match `{result.query}`:")
        lines.append(bullet([_match_line(m) for m in (result.best, *result.alternatives)]))
        lines.append("Type more of the name or the CRM id to pick one.")
        return "\n".join(lines)
    lines.append(_match_line(result.best))
    if result.alternatives:
        lines.append("Also close:")
        lines.append(bullet([_match_line(m) for m in result.alternatives]))
    return "\n".join(lines)


@render.register
def _(report: GapReport) -> str:
    if not report.accounts and not report.csms:
        return (
            "The store is empty: load the demo with `tierbot demo` or import a CRM export with "
            "`tierbot import accounts FILE`."
        )
    open_gaps = len(report.open_gaps)
    parts = [
        f"{count(report.accounts)} accounts, {count(report.csms)} CSMs. "
        + (f"{open_gaps} field(s) have gaps." if open_gaps else "No gaps: every field is filled.")
    ]
    for table, title in (("accounts", "Accounts"), ("csms", "CSM roster")):
        rows = [
            [g.label, count(g.missing), percent(g.share), "; ".join(g.blocks) if g.missing else "—"]
            for g in report.gaps
            if g.table == table
        ]
        if rows:
            headers = [title, "Missing", "Share", "Blocks"]
            parts.append(tabulate(rows, headers=headers, tablefmt="simple"))
    return "\n\n".join(parts)


@render.register
def _(status: WorkspaceStatus) -> str:
    lines = [f"Store {status.path}: {count(status.accounts)} accounts, {count(status.csms)} CSMs."]
    if not status.imports:
        lines.append("No imports yet." + (" (The data came from `tierbot demo`.)" if status.accounts else ""))
        return "\n".join(lines)
    rows = [
        [
            i.id,
            i.at.replace("T", " ").rstrip("Z"),
            i.kind,
            i.file_name,
            count(i.rows_read),
            count(i.created),
            count(i.updated),
            count(i.skipped),
            i.actor,
        ]
        for i in status.imports
    ]
    lines.append("Latest imports:")
    lines.append(
        tabulate(
            rows,
            headers=["#", "When (UTC)", "What", "File", "Rows", "New", "Updated", "Skipped", "By"],
            tablefmt="simple",
        )
    )
    return "\n".join(lines)


@render.register
def _(report: DemoReport) -> str:
    if not report.loaded:
        return (
            f"The store already holds {count(report.accounts)} accounts and {count(report.csms)} "
            "CSMs; the demo was not loaded."
        )
    replaced = (
        f" (replacing {count(report.replaced_accounts)} accounts and {count(report.replaced_csms)} CSMs)"
        if report.replaced_accounts or report.replaced_csms
        else ""
    )
    return (
        f"Loaded the demo workspace{replaced}: {count(report.accounts)} accounts and "
        f"{report.csms} people (seed {report.seed})."
    )


@render.register
def _(report: ExportReport) -> str:
    tiers = (
        f"{count(report.tiered)} with a tier"
        if report.tiered
        else "the Tier column is empty until accounts are tiered"
    )
    return f"Wrote {count(report.rows)} accounts to {report.path} ({len(report.columns)} columns; {tiers})."


def fields_text(spec: TableSpec) -> str:
    """The vocabulary of an importable table, for `tierbot fields`."""
    rows = [
        [f.name, f.label, f.kind, ", ".join(f.synonyms[:4]) + ("…" if len(f.synonyms) > 4 else "")]
        for f in spec.fields
    ]
    return tabulate(
        rows, headers=["Field", "Label", "Kind", "Header spellings recognised"], tablefmt="simple"
    )


@render.register
def _(help_text: HelpText) -> str:
    return render_template(
        "chat_help.txt.j2",
        commands=[{"usage": c.usage, "summary": c.summary} for c in help_text.commands],
        examples=[f"`{c.example}`" for c in help_text.commands if c.name != "help"],
    ).rstrip()
