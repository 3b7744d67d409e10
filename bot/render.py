"""Plain-text answers for the terminal (command line and chat), one renderer per value object."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from functools import singledispatch
from pathlib import Path
from typing import Any

from tabulate import tabulate

from bot.commands import HelpText, Note
from bot.slack.results import Posted
from engine.fields import TableSpec
from engine.formatting import count, money, percent
from engine.formula import Formula
from engine.gaps import GapReport
from engine.handoffs import GuardrailResult
from engine.proposals import TierRow
from engine.rule_diff import RuleSetDiff
from engine.rules import RuleSet, describe, show_value, to_document
from engine.simulation import Mover, Simulation
from engine.tiering import ComparisonTrace, RuleTrace, Trace, leaf_traces
from engine.validation import Problem
from prompts import render_template
from store.tiers import HistoryEntry
from workflows.audit import AuditTrail
from workflows.demo import DemoReport
from workflows.drafting import CustomerNote
from workflows.exporting import ExportReport
from workflows.handoffs import Handoff, HandoffDetail, HandoffList, HandoffSettings
from workflows.importing import ImportReport
from workflows.lookup import AccountMatch, FindResult
from workflows.plans import Announcement, Checkins, PlanDecision, PlanList, TransitionPlan
from workflows.roles import GrantReport, RoleList
from workflows.rules import ActivationReport, LoadReport, ProposalReport, RuleSetDetail, RuleSetList
from workflows.status import WorkspaceStatus
from workflows.tiers import AccountHistory, ApplyReport, OverrideReport, TierExplanation, TierSummary


@singledispatch
def render(value: Any) -> str:
    """Render a workflow's answer as text for a person."""
    return str(value)


def to_json(value: Any) -> str:
    """Render a workflow's answer as JSON for scripts."""
    return json.dumps(json_view(value), indent=2, ensure_ascii=False, default=str)


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


# ---------------------------------------------------------------------------------- tiering


def tier_table_text(rows: Sequence[TierRow], title: str = "Tier") -> str:
    table = [
        [
            r.tier,
            count(r.accounts),
            percent(r.account_share),
            money(r.arr),
            percent(r.arr_share),
            f"{money(r.min_arr)}–{money(r.max_arr)}" if r.accounts else "—",
            money(r.average_arr),
        ]
        for r in rows
    ]
    headers = [title, "Accounts", "% accounts", "ARR", "% ARR", "ARR range", "Average ARR"]
    return tabulate(table, headers=headers, tablefmt="simple", disable_numparse=True)


def _read(value: Any, field_name: str) -> str:
    return "blank" if value is None else show_value(field_name, value)


def trace_lines(found: Trace, indent: str = "    ") -> list[str]:
    if isinstance(found, ComparisonTrace):
        mark = "✓" if found.held else "✗"
        return [f"{indent}{mark} {describe(found.comparison)} — read {_read(found.read, found.comparison.field)}"]
    mark = "✓" if found.held else "✗"
    heading = {"all": "all of:", "any": "any of:", "not": "not:"}[found.kind]
    lines = [f"{indent}{mark} {heading}"]
    for part in found.parts:
        lines += trace_lines(part, indent + "    ")
    return lines


def rule_name(trace: RuleTrace) -> str:
    label = f" “{trace.rule.label}”" if trace.rule.label else ""
    return f"Rule {trace.position}{label}"


def headline(table: Sequence[TierRow]) -> str:
    """The sentence leaders quote: "Tier 1 is 12% of customers and 60% of revenue"."""
    top = next((r for r in table if r.tier != "Strategic"), table[0])

    def share(value: float) -> str:
        return percent(value, 1 if value < 0.1 or value > 0.9 else 0)

    return f"{top.tier} is {share(top.account_share)} of customers and {share(top.arr_share)} of revenue."


@render.register
def _(exp: TierExplanation) -> str:
    a = exp.account
    tier = exp.tier or "untiered"
    lines = [f"{a.name} ({a.crm_id}) — {tier}" + (" (override)" if exp.override else "")]
    decision = exp.decision
    if exp.override:
        o = exp.override
        until = f", until {o.until}" if o.until else ", until cleared"
        lines.append(f"  Set by hand by {o.actor} on {o.at[:10]}: “{o.reason}”{until}.")
        lines.append(f"  The rules alone give {decision.tier or 'no tier'}:")
    since = f"in effect since {exp.in_effect_since}"
    if decision.fired is None:
        lines.append(f"  No rule of {decision.rule_set} ({since}) matched, and it has no default rule.")
    else:
        lines.append(
            f"  {rule_name(decision.fired)} of {decision.rule_set} ({since}) gives {decision.fired.rule.tier}:"
        )
        if decision.fired.trace is None:
            lines.append("    the default rule: every account the rules above leave")
        else:
            lines += trace_lines(decision.fired.trace)
    if decision.earlier:
        lines.append("  Earlier rules that did not match:")
        for trace in decision.earlier:
            lines.append(f"    {rule_name(trace)} ({trace.rule.tier}):")
            if trace.trace is not None:
                lines += trace_lines(trace.trace, "      ")
    if exp.previous:
        lines.append(f"  Under the previous rule set ({exp.previous.rule_set}): {exp.previous.tier or 'untiered'}.")
    if exp.stored_tier is not None and not exp.override and exp.stored_tier != decision.tier:
        lines.append(
            f"  The stored tier (for the CRM export) is still {exp.stored_tier}: "
            "run `tierbot tiers apply` to update it."
        )
    owner = a.owner_name or a.owner or "no owner"
    renewal = f" · renews {a.renewal_date}" if a.renewal_date else ""
    lines.append(f"  ARR {money(a.arr)} · {owner}{renewal}" + (f" · as of {exp.as_of}" if exp.as_of else ""))
    if exp.history:
        lines.append("  History: " + "; ".join(history_phrase(h) for h in exp.history[:3]))
    return "\n".join(lines)


def history_phrase(entry: HistoryEntry) -> str:
    change = f"{entry.previous_tier or 'untiered'} → {entry.tier or 'untiered'}"
    why = {"rules": f"by {entry.rule_set}", "override": "override", "override cleared": "override cleared"}[
        entry.source
    ]
    reason = f" (“{entry.reason}”)" if entry.reason and entry.source == "override" else ""
    return f"{entry.at[:10]} {change} {why}{reason}"


@render.register
def _(history: AccountHistory) -> str:
    a = history.account
    if not history.entries:
        return f"{a.name} ({a.crm_id}) has no tier history yet: run `tierbot tiers apply`."
    rows = [
        [
            h.at.replace("T", " ").rstrip("Z"),
            h.previous_tier or "—",
            h.tier or "—",
            h.source,
            h.rule_set or "",
            h.reason or "",
            h.actor,
        ]
        for h in history.entries
    ]
    table = tabulate(
        rows,
        headers=["When (UTC)", "From", "To", "How", "Rule set", "Rule or reason", "By"],
        tablefmt="simple",
    )
    return f"Tier history of {a.name} ({a.crm_id}), newest first:\n{table}"


@render.register
def _(report: OverrideReport) -> str:
    a = report.account
    if report.cleared:
        return (
            f"Cleared the override of {a.name}: {report.previous_tier} → {report.tier or 'untiered'} (from the rules)."
        )
    until = f" until {report.until}" if report.until else " until cleared"
    return f"{a.name} is now {report.tier} (was {report.previous_tier or 'untiered'}){until}: “{report.reason}”."


@render.register
def _(report: ApplyReport) -> str:
    lines = [
        f"Tiered {count(report.accounts)} accounts with {report.rule_set}: "
        f"{count(report.changed)} changed tier since the last run."
    ]
    lines.append(tier_table_text(report.table))
    if report.untiered:
        lines.append(
            f"{count(report.untiered)} account(s) match no rule and stay untiered "
            f"(e.g. {', '.join(report.untiered_examples)}): add a default rule to tier everyone."
        )
    if report.unused_rules:
        lines.append("No account matched " + ", ".join(report.unused_rules) + ".")
    if report.expired_overrides:
        lines.append(
            f"{report.expired_overrides} override(s) reached their end date; those accounts follow the rules again."
        )
    return "\n".join(lines)


@render.register
def _(summary: TierSummary) -> str:
    head = (
        f"{summary.rule_set} (in effect since {summary.in_effect_since}), as of {summary.as_of}: "
        f"{count(summary.accounts)} accounts, {money(summary.arr)} ARR"
        + (f", {summary.overrides} override(s) in force" if summary.overrides else "")
        + "."
    )
    lines = [head, tier_table_text(summary.table)]
    if summary.table:
        lines.append(headline(summary.table))
    if not summary.stored_is_current:
        lines.append("The stored tiers (CRM export) are older than this: run `tierbot tiers apply`.")
    return "\n".join(lines)


@render.register
def _(report: LoadReport) -> str:
    verb = "Replaced the draft" if report.replaced else "Loaded the draft"
    lines = [
        f"{verb} {report.name}: {report.rules} rules over {', '.join(report.tiers)}.",
        f"Next: `tierbot rules simulate {report.name}` to see who moves, then `tierbot rules activate {report.name}`.",
    ]
    if report.warnings:
        lines.append("Warnings:")
        lines.append(bullet(list(report.warnings)))
    return "\n".join(lines)


@render.register
def _(listing: RuleSetList) -> str:
    if not listing.rule_sets:
        return (
            "No rule sets yet: `tierbot rules load FILE.yml` or `tierbot rules propose --by arr-share --bands 15,40`."
        )
    rows = [
        [
            i.name,
            i.state + (f" since {i.in_effect_since}" if i.in_effect_since else ""),
            ", ".join(i.tiers),
            i.rules,
            i.updated_at[:10],
            i.updated_by,
        ]
        for i in listing.rule_sets
    ]
    return tabulate(rows, headers=["Rule set", "State", "Tiers", "Rules", "Updated", "By"], tablefmt="simple")


def rules_text(rule_set: RuleSet) -> list[str]:
    lines = []
    for position, rule in enumerate(rule_set.rules, start=1):
        condition = "every account left (default)" if rule.default or rule.when is None else describe(rule.when)
        label = f" “{rule.label}”" if rule.label else ""
        lines.append(f"  {position}. {rule.tier}{label}: {condition}")
    return lines


@render.register
def _(detail: RuleSetDetail) -> str:
    lines = [f"{detail.name} ({detail.state}; updated {detail.updated_at[:10]} by {detail.updated_by})"]
    if detail.description:
        lines.append(f"  {detail.description}")
    lines.append(f"  Tiers, highest first: {', '.join(detail.rule_set.tiers)}. First matching rule wins:")
    lines += rules_text(detail.rule_set)
    if detail.warnings:
        lines.append("Warnings:")
        lines.append(bullet(list(detail.warnings)))
    return "\n".join(lines)


@render.register
def _(report: ActivationReport) -> str:
    previous = f"; {report.previous} is archived" if report.previous else ""
    text = (
        f"{report.name} is the active rule set, in effect since {report.effective_date}{previous}. "
        "Run `tierbot tiers apply` to store the new tiers for the CRM export."
    )
    if report.stray_overrides:
        text += (
            f"\n{len(report.stray_overrides)} override(s) name tiers {report.name} does not have and stay in "
            f"force until cleared: {', '.join(report.stray_overrides[:10])}. `tierbot tier clear ACCOUNT` ends one."
        )
    return text


@render.register
def _(difference: RuleSetDiff) -> str:
    if difference.same:
        return f"{difference.a} and {difference.b} have the same tiers and rules."
    return f"From {difference.a} to {difference.b}:\n" + bullet(list(difference.changes))


@render.register
def _(proposal: ProposalReport) -> str:
    lines = [f"Proposed {proposal.name} ({proposal.rule_set.description}):"]
    lines += rules_text(proposal.rule_set)
    lines.append(tier_table_text(proposal.table))
    if proposal.bands:
        base = "ARR" if proposal.by == "arr-share" else "accounts"
        strategic = " outside Strategic" if "Strategic" in proposal.rule_set.tiers else ""
        asked = "; ".join(f"{b.tier} {percent(b.target, 0)} → {percent(b.actual)}" for b in proposal.bands)
        lines.append(f"Asked for vs. got, as shares of the {base}{strategic} (thresholds rounded): {asked}.")
    if proposal.table:
        lines.append(headline(proposal.table))
    if proposal.warnings:
        lines.append(bullet(list(proposal.warnings)))
    if proposal.saved:
        lines.append(
            f"Saved as the draft {proposal.name}: `tierbot rules simulate {proposal.name}` to see who moves, "
            f"`tierbot rules export {proposal.name}` to edit it."
        )
    return "\n".join(lines)


def movers_matrix_text(sim: Simulation) -> str:
    """Accounts and ARR from each tier now (rows) to each tier under the draft (columns)."""
    sources = [t for t in sim.tiers if any(k[0] == t for k in sim.accounts)]
    targets = [t for t in sim.tiers if any(k[1] == t for k in sim.accounts)]
    matrix = []
    for source in sources:
        cells = []
        for target in targets:
            n = sim.accounts.get((source, target), 0)
            cells.append(f"{count(n)} ({money(sim.arr.get((source, target), 0.0))})" if n else "·")
        matrix.append([source, *cells])
    return tabulate(matrix, headers=["now \\ draft", *targets], tablefmt="simple", disable_numparse=True)


def simulation_headline(sim: Simulation) -> str:
    return (
        f"What-if: {sim.after} instead of {sim.before}. "
        f"{count(sim.moved)} accounts ({money(sim.moved_arr)} ARR) would change tier. Nothing has changed yet."
    )


def mover_line(m: Mover) -> str:
    return f"{m.name} ({m.crm_id}, {money(m.arr)}): {m.before} → {m.after} by “{m.rule}”"


@render.register
def _(sim: Simulation) -> str:
    lines = [
        simulation_headline(sim),
        "Movers (rows: tier now; columns: tier under the draft; accounts and ARR):",
        movers_matrix_text(sim),
        "Per tier, now:",
        tier_table_text(sim.totals_before),
        "Per tier, under the draft:",
        tier_table_text(sim.totals_after),
    ]
    if sim.movers:
        lines.append(f"Largest movers ({min(len(sim.movers), 15)} of {count(sim.moved)}):")
        lines.append(bullet([mover_line(m) for m in sim.movers[:15]]))
    lines.append(f"To adopt it: `tierbot rules activate {sim.after}`, then `tierbot tiers apply`.")
    return "\n".join(lines)


@render.register
def _(formula: Formula) -> str:
    fields_used = ", ".join(f"{k} → {v}" for k, v in formula.fields.items())
    return "\n".join(
        [
            f"Salesforce formula for {formula.rule_set} ({len(formula.text):,} characters):",
            "",
            formula.text,
            "",
            f"Fields: {fields_used}",
            bullet(list(formula.notes)),
        ]
    )


@singledispatch
def json_view(value: Any) -> Any:
    """The shape a value takes in --json output (dataclasses as objects by default)."""
    return _plain(value)


def _trace_json(found: Trace | None) -> Any:
    """A trace as nested JSON: comparisons inside `all`, `any` and `not` stay inside them."""
    if found is None:
        return None
    if isinstance(found, ComparisonTrace):
        c = found.comparison
        return {"field": c.field, "op": c.op, "value": _plain(c.value), "read": found.read, "held": found.held}
    return {"kind": found.kind, "held": found.held, "parts": [_trace_json(p) for p in found.parts]}


@json_view.register
def _(exp: TierExplanation) -> Any:
    def conditions(found: Trace | None) -> list[dict[str, Any]]:
        return [_trace_json(t) for t in leaf_traces(found)]

    def rule(trace: RuleTrace) -> dict[str, Any]:
        return {
            "position": trace.position,
            "tier": trace.rule.tier,
            "label": trace.rule.label,
            "held": trace.held,
            "conditions": conditions(trace.trace),
            "trace": _trace_json(trace.trace),
        }

    fired = exp.decision.fired
    return {
        "crm_id": exp.account.crm_id,
        "name": exp.account.name,
        "tier": exp.tier,
        "source": exp.source,
        "rule_set": exp.decision.rule_set,
        "rule": {"position": fired.position, "tier": fired.rule.tier, "label": fired.rule.label} if fired else None,
        # Every comparison of the fired rule, flat; `trace` keeps them inside their all/any/not.
        "conditions": conditions(fired.trace if fired else None),
        "trace": _trace_json(fired.trace) if fired else None,
        "earlier_rules": [rule(t) for t in exp.decision.earlier],
        "override": _plain(exp.override),
        "previous": _plain(exp.previous),
        "stored_tier": exp.stored_tier,
        "as_of": exp.as_of,
        "account": _plain(exp.account),
        "history": _plain(exp.history),
    }


@json_view.register
def _(sim: Simulation) -> Any:
    out = _plain(sim)
    out.pop("all_movers", None)
    out["accounts"] = [{"from": f, "to": t, "accounts": n} for (f, t), n in sim.accounts.items()]
    out["arr"] = [{"from": f, "to": t, "arr": v} for (f, t), v in sim.arr.items()]
    return out


@json_view.register
def _(proposal: ProposalReport) -> Any:
    out = _plain(proposal)
    out["rule_set"] = to_document(proposal.rule_set)
    return out


@json_view.register
def _(detail: RuleSetDetail) -> Any:
    out = _plain(detail)
    out["rule_set"] = to_document(detail.rule_set)
    return out


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


# ---------------------------------------------------------------------------------- handoffs


def guardrail_lines(results: Sequence[GuardrailResult]) -> list[str]:
    return [f"{'✓' if r.passed else '✗'} {r.name}: {r.message}" for r in results]


@render.register
def _(h: Handoff) -> str:
    when = f" from {h.effective_date}" if h.effective_date else ""
    lines = [
        f"Handoff #{h.id} ({h.state}): {h.account_name} ({h.crm_id}, {money(h.arr)}, {h.tier or 'untiered'}) "
        f"{h.from_name or 'no owner'} → {h.to_name or h.to_csm}{when}.",
        f"  Reason: “{h.reason}” — proposed by {h.requested_by_name} at {h.requested_at}.",
    ]
    if h.guardrails:
        lines.append("  Guardrails:")
        lines += [f"    {line}" for line in guardrail_lines(h.guardrails)]
    if h.decided_by:
        rejected = h.state == "rejected"  # final: a rejected handoff never moves on
        how = "Rejected" if rejected else "Approved as an exception" if h.exception_note else "Approved"
        why = f": “{h.exception_note}”." if h.exception_note and not rejected else "."
        lines.append(f"  {how} by {h.decided_by_name} at {h.decided_at}{why}")
    if h.state == "proposed" and h.failed:
        lines.append(
            f"  It fails {len(h.failed)} guardrail(s): a leader can approve it as an exception "
            f'(`tierbot handoff approve {h.id} --as LEADER --exception "why"`).'
        )
    if h.next_states:
        lines.append(f"  Next: {', '.join(h.next_states)}.")
    return "\n".join(lines)


@render.register
def _(listing: HandoffList) -> str:
    if not listing.handoffs:
        which = f" {listing.state}" if listing.state else ""
        return f"No{which} handoffs. Propose one: `tierbot handoff propose ACCOUNT --to CSM --reason TEXT`."
    rows = [
        [
            h.id,
            h.state,
            h.account_name,
            money(h.arr),
            f"{h.from_name or '—'} → {h.to_name or h.to_csm}",
            h.effective_date or "—",
            "ok" if not h.failed else f"✗ {', '.join(r.name for r in h.failed)}",
        ]
        for h in listing.handoffs
    ]
    return tabulate(
        rows,
        headers=["#", "State", "Account", "ARR", "Move", "Effective", "Guardrails"],
        tablefmt="simple",
        disable_numparse=True,
    )


@render.register
def _(detail: HandoffDetail) -> str:
    lines = [render(detail.handoff), "  History:"]
    lines += [
        f"    {e['at']} {e['state']} by {e['who']}" + (f": “{e['note']}”" if e["note"] else "") for e in detail.events
    ]
    if detail.comments:
        lines.append("  Discussion (Slack thread):")
        lines += [f"    {c['at']} {c['who']}: {c['text']}" for c in detail.comments]
    return "\n".join(lines)


@render.register
def _(current: HandoffSettings) -> str:
    g = current.guardrails

    def switch(on: bool) -> str:
        return "on" if on else "off"

    rows: list[list[object]] = [
        ["renewal_days", g.renewal_days or "off", "no move within this many days before a renewal"],
        ["keep_strategic", switch(g.keep_strategic), "strategic accounts keep their CSM"],
        ["keep_red_health", switch(g.keep_red_health), "red-health accounts keep their CSM"],
        ["max_moves_per_quarter", g.max_moves_per_quarter or "off", "moves per CSM per quarter, giving or taking"],
        ["max_accounts", g.max_accounts or "off", "the new CSM's book may not grow past this"],
        ["check_capacity", switch(g.check_capacity), "the new CSM's latest workload estimate leaves room"],
        ["match_region", switch(g.match_region), "the new CSM covers the account's region"],
        ["match_specialty", switch(g.match_specialty), "a CSM with specialties takes those industries"],
    ]
    table = tabulate(rows, headers=["Guardrail", "Value", "Meaning"], tablefmt="simple", disable_numparse=True)
    channel = current.channel or "none: proposals go to the managers by DM"
    return f"{table}\nManagers' channel: {channel}\nA move failing a guardrail needs a leader's exception."


@render.register
def _(note: CustomerNote) -> str:
    state = {
        "draft": "waiting for approval",
        "approved": f"approved by {note.decided_by_name} at {note.decided_at}",
        "sent": f"approved by {note.decided_by_name}; marked sent by {note.sent_by_name} at {note.sent_at}",
        "discarded": f"discarded by {note.decided_by_name}",
    }[note.state]
    made = (
        "from the template" if note.source == "template" else f"by {note.model}" if note.source == "model" else "edited"
    )
    lines = [
        f"Customer note #{note.id} for handoff #{note.handoff_id} ({note.account_name}): {state}.",
        f"To: {note.contact_name or '(no contact on the account)'}"
        + (f" <{note.contact_email}>" if note.contact_email else ""),
        f"Subject: {note.subject}",
        "",
        note.body,
        "",
        f"Drafted {made} (prompt {note.prompt_version}) at {note.created_at}.",
    ]
    if note.fallback:
        lines.append(f"The template was used because {note.fallback}")
    if note.problems:
        lines.append("It fails the checks; edit it before approving:")
        lines += [f"  ✗ {p.message}" for p in note.problems]
    else:
        lines.append("It passes the checks: new CSM named, date present, no other customer, no outside links.")
    return "\n".join(lines)


@render.register
def _(plan: TransitionPlan) -> str:
    lines = [
        f"Transition plan #{plan.id} from {plan.source}: {len(plan.lines)} move(s) in {len(plan.batches)} batch(es), "
        f"weeks from {plan.start_date}, at most {plan.weekly_limit} move(s) per CSM a week.",
        f"{plan.count('planned')} to decide, {plan.count('approved')} approved, {plan.count('rejected')} rejected, "
        f"{len(plan.held)} held.",
    ]
    for number, batch in plan.batches.items():
        lines += ["", f"Batch {number} — effective {batch[0].effective_date}, check-in {batch[0].check_in_date}:"]
        for line in batch:
            handoff = f" → handoff #{line.handoff_id} ({line.handoff_state})" if line.handoff_id else ""
            lines.append(
                f"  row {line.line}: {line.account_name} ({line.crm_id}) {line.from_name or 'no owner'} → "
                f"{line.to_name or line.to_csm} [{line.status}]{handoff}"
            )
            if line.note and not line.note.startswith("The first week"):
                lines.append(f"      {line.note}")
    if plan.held:
        lines += ["", "Held (need a handoff with a leader's exception):"]
        lines += [f"  row {h.line}: {h.account_name} → {h.to_name or h.to_csm}: {h.note}" for h in plan.held]
    if plan.count("planned"):
        lines += ["", f"Approve: tierbot handoff plan-approve {plan.id} --as PERSON [--line N]"]
    if plan.channel:
        lines.append(f"Posted for approval in Slack channel {plan.channel}.")
    else:
        lines.append(
            f"Not posted in Slack: `tierbot handoff plans {plan.id} --post [--channel C…]` posts it, or "
            f"`/handoff plan {plan.id}` in the channel."
        )
    return "\n".join(lines)


def plan_decision_lines(decision: PlanDecision) -> list[str]:
    """What a decision on a plan did: the rows decided, and each row left with why."""
    done = decision.approved or decision.rejected
    verb = "Approved" if decision.approved else "Rejected"
    said = f"{verb} row(s) {', '.join(map(str, done))} of plan #{decision.plan.id}." if done else "Nothing changed."
    return [said, *(f"Row {line}: {why}." for line, why in decision.skipped)]


@render.register
def _(decision: PlanDecision) -> str:
    out = plan_decision_lines(decision)
    if decision.approved:
        ids = [str(ln.handoff_id) for ln in decision.plan.lines if ln.line in decision.approved]
        out.append(f"Handoffs: #{', #'.join(ids)} (approved; `tierbot draft ID` for each customer note).")
    return "\n".join(out)


@render.register
def _(checkins: Checkins) -> str:
    if not checkins.reminders and not checkins.reports:
        return f"No check-in is due on {checkins.day}."
    out = [f"Check-ins on {checkins.day}:"]
    out += [
        f"  remind {r.to_name or r.to_csm} about {r.account_name} (moved {r.effective_date}, handoff #{r.handoff_id})"
        for r in checkins.reminders
    ]
    out += [
        f"  report plan #{b.plan_id} batch {b.batch}: {b.completed} of {b.lines} completed, {b.cancelled} cancelled, "
        f"{b.rejected} rejected"
        for b in checkins.reports
    ]
    return "\n".join(out)


@render.register
def _(announcement: Announcement) -> str:
    if not announcement.handoffs:
        return "No approved handoff is waiting to be announced."
    count = len(announcement.handoffs)
    out = [f"{count} approved handoff(s) to announce (`--post --channel C…` posts them as one digest):"]
    out += [
        f"  {h.account_name}: {h.from_name or 'no owner'} → {h.to_name or h.to_csm}, from {h.effective_date}"
        for h in announcement.handoffs
    ]
    return "\n".join(out)


@render.register
def _(posted: Posted) -> str:
    if not posted.messages:
        return f"Nothing posted: {posted.what}."
    return f"Posted {posted.what} in {posted.messages} message(s) to {posted.channel}."


@render.register
def _(listing: PlanList) -> str:
    if not listing.plans:
        return "No transition plans yet: `tierbot handoff plan FILE` makes one."
    rows = [
        (p.id, p.source, p.start_date, p.lines, p.batches, p.planned, p.approved, p.rejected, p.held, p.channel or "no")
        for p in listing.plans
    ]
    headers = ("plan", "file", "from", "moves", "batches", "to decide", "approved", "rejected", "held", "posted in")
    return tabulate(rows, headers=headers)
