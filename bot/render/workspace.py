"""Imports, lookups, gaps, the workspace, the audit log, roles and the chat's own answers, as text."""

from __future__ import annotations

from collections.abc import Sequence  # noqa: F401
from typing import Any  # noqa: F401

from tabulate import tabulate

from bot.answers import HelpText, Note
from bot.render.core import bullet, problems_text, render
from engine.fields import TableSpec
from engine.formatting import count, percent
from engine.gaps import GapReport
from prompts import render_template
from workflows.audit import AuditTrail
from workflows.demo import DemoReport
from workflows.exporting import ExportReport
from workflows.importing import ImportReport
from workflows.roles import GrantReport, RoleList
from workflows.status import WorkspaceStatus


@render.register
def _(report: ImportReport) -> str:
    noun = report.noun
    counts = f"{count(report.created)} new, {count(report.updated)} updated, {count(report.unchanged)} unchanged" + (
        f", {count(report.skipped)} skipped with errors" if report.skipped else ""
    )
    if report.dry_run:
        head = (
            f"Checked {report.file_name}: {count(report.rows_read)} rows would give {counts} "
            f"{noun}s. Nothing was written (--dry-run)."
        )
    elif report.written:
        head = f"Imported {report.file_name}: {count(report.rows_read)} rows → {counts} {noun}s."
    else:
        head = f"Nothing changed: all {count(report.unchanged)} {noun}s in {report.file_name} already match the store."
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
        f"{count(report.tiered)} with a tier" if report.tiered else "the Tier column is empty until accounts are tiered"
    )
    return f"Wrote {count(report.rows)} accounts to {report.path} ({len(report.columns)} columns; {tiers})."


def fields_text(spec: TableSpec) -> str:
    """The vocabulary of an importable table, for `tierbot fields`."""
    rows = [
        [f.name, f.label, f.kind, ", ".join(f.synonyms[:4]) + ("…" if len(f.synonyms) > 4 else "")] for f in spec.fields
    ]
    return tabulate(rows, headers=["Field", "Label", "Kind", "Header spellings recognised"], tablefmt="simple")


@render.register
def _(help_text: HelpText) -> str:
    return render_template(
        "chat_help.txt.j2",
        commands=[{"usage": c.usage, "summary": c.summary} for c in help_text.commands],
        examples=[f"`{c.example}`" for c in help_text.commands if c.name != "help"],
    ).rstrip()


@render.register
def _(trail: AuditTrail) -> str:
    lines = []
    if trail.created:
        lines.append(f"{trail.entity} was created by {trail.created}.")
    for e in trail.entries:
        change = ""
        if e["before"] is not None or e["after"] is not None:
            change = f"  {e['before']} → {e['after']}"
        lines.append(f"{e['at']}  {e['actor']}  {e['action']}  {e['entity']}{change}")
    if not lines:
        return f"No audit entries for {trail.entity}." if trail.entity else "The audit log is empty."
    return "\n".join(lines)


@render.register
def _(note: Note) -> str:
    return note.text


# ---------------------------------------------------------------------------------- roles


@render.register
def _(listing: RoleList) -> str:
    if not listing.holders:
        return (
            "Nobody holds a role yet. Import a roster with Slack user ids and roles (`tierbot import csms FILE`) "
            "or grant one: `tierbot roles grant U024BE7LH leader`."
        )
    rows = [
        [h.role, h.name or "—", h.slack_id, h.kind, h.source if h.source == "roster" else f"granted by {h.granted_by}"]
        for h in sorted(listing.holders, key=lambda h: (h.role, h.name or h.slack_id))
    ]
    return tabulate(rows, headers=["Role", "Name", "Slack id", "Kind", "From"], tablefmt="simple")


@render.register
def _(report: GrantReport) -> str:
    who = (
        f"{report.subject.label} ({report.subject.slack_id})"
        if report.subject.label != report.subject.slack_id
        else (f"{report.subject.kind} {report.subject.slack_id}")
    )
    if report.granted:
        line = (
            f"Granted {report.role} to {who}."
            if report.changed
            else f"{who} already had {report.role}; nothing changed."
        )
    else:
        line = (
            f"Revoked {report.role} from {who}."
            if report.changed
            else f"{who} had no {report.role} grant; nothing changed."
        )
    if report.roster_role:
        line += f" The roster also makes them a {report.roster_role}."
    return line
