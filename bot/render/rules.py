"""Rule sets, proposals, what-ifs and the CRM formula, as text and JSON."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from bot.render.core import bullet, json_view, plain_data, render
from bot.render.tiers import headline, tier_table_text
from engine.formatting import count, money, percent
from engine.formula import Formula
from engine.rule_diff import RuleSetDiff
from engine.rules import RuleSet, describe, to_document
from engine.simulation import Mover, Simulation
from workflows.rules import ActivationReport, LoadReport, ProposalReport, RuleSetDetail, RuleSetList


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
    lines.append(tier_table_text(proposal.table, bands=proposal.bands))
    if proposal.bands:
        base = "ARR" if proposal.by == "arr-share" else "accounts"
        strategic = " outside Strategic" if "Strategic" in proposal.rule_set.tiers else ""
        asked = "; ".join(f"{b.tier} {percent(b.target, 0)} → {percent(b.actual)}" for b in proposal.bands)
        missed = sum(1 for b in proposal.bands if not b.within)
        verdict = (
            f"every band within {proposal.tolerance * 100:g} points"
            if not missed
            else f"{missed} band(s) further than {proposal.tolerance * 100:g} points, see below"
        )
        lines.append(f"Asked for vs. got, as shares of the {base}{strategic}: {asked} ({verdict}).")
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


@json_view.register
def _(sim: Simulation) -> Any:
    out = plain_data(sim)
    out.pop("all_movers", None)
    out["accounts"] = [{"from": f, "to": t, "accounts": n} for (f, t), n in sim.accounts.items()]
    out["arr"] = [{"from": f, "to": t, "arr": v} for (f, t), v in sim.arr.items()]
    return out


@json_view.register
def _(proposal: ProposalReport) -> Any:
    out = plain_data(proposal)
    out["rule_set"] = to_document(proposal.rule_set)
    return out


@json_view.register
def _(detail: RuleSetDetail) -> Any:
    out = plain_data(detail)
    out["rule_set"] = to_document(detail.rule_set)
    return out
