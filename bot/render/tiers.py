"""One account's tier and why, its history, overrides, tier runs and the tier table, as text and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.render.core import json_view, plain_data, render
from engine.decisions import ComparisonTrace, RuleTrace, Trace, leaf_traces
from engine.formatting import count, money, percent
from engine.rules import describe, show_value
from store.tiers import HistoryEntry
from workflows.tiers import AccountHistory, ApplyReport, OverrideReport, TierExplanation, TierSummary

if TYPE_CHECKING:
    from engine.proposals import BandShare, TierRow

# ---------------------------------------------------------------------------------- tiering


def tier_table_text(rows: Sequence[TierRow], title: str = "Tier", bands: Sequence[BandShare] = ()) -> str:
    """The tier table; with ``bands`` (a proposal), the share asked and got beside each tier."""
    from tabulate import tabulate  # not loaded to explain one account

    asked = {b.tier: b for b in bands}
    table = []
    for r in rows:
        line = [
            r.tier,
            count(r.accounts),
            percent(r.account_share),
            money(r.arr),
            percent(r.arr_share),
            f"{money(r.min_arr)}–{money(r.max_arr)}" if r.accounts else "—",
            money(r.average_arr),
        ]
        if bands:
            band = asked.get(r.tier)
            got = percent(band.actual) + ("" if band.within else " ✗") if band else "—"
            line += [percent(band.target, 0) if band else "—", got]
        table.append(line)
    headers = [title, "Accounts", "% accounts", "ARR", "% ARR", "ARR range", "Average ARR"]
    if bands:
        headers += ["Asked", "Got"]
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
    from tabulate import tabulate

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


def _trace_json(found: Trace | None) -> Any:
    """A trace as nested JSON: comparisons inside `all`, `any` and `not` stay inside them."""
    if found is None:
        return None
    if isinstance(found, ComparisonTrace):
        c = found.comparison
        return {"field": c.field, "op": c.op, "value": plain_data(c.value), "read": found.read, "held": found.held}
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
        "override": plain_data(exp.override),
        "previous": plain_data(exp.previous),
        "stored_tier": exp.stored_tier,
        "as_of": exp.as_of,
        "account": plain_data(exp.account),
        "history": plain_data(exp.history),
    }
