"""App Home: one view per person, within Slack's 100 blocks."""

from __future__ import annotations

from typing import Any

from bot.render.tiers import headline, tier_table_text
from bot.slack.blocks.common import actions, button, context, divider, escape, header, home, section, sections
from bot.slack.blocks.handoff import decision_buttons, handoff_line
from bot.slack.blocks.notes import note_buttons, note_line
from bot.slack.blocks.segment import code_sections
from engine.formatting import count, money
from workflows.home import Home

SHOWN_APPROVALS = 10  # each takes two blocks; the rest are counted, not shown
SHOWN_DRAFTS = 5
SHOWN_NOTES = 5  # two blocks each


def home_view(h: Home) -> dict[str, Any]:
    """Everything a person sees in tierbot's Home tab."""
    p = h.person
    blocks: list[Any] = [header("tierbot")]
    roles = ", ".join(sorted(p.roles)) or "none yet"
    who = f"*{escape(p.name)}*" if p.name else f"<@{p.slack_user_id}>"
    blocks.append(context(f"{who} · roles: {roles}"))
    if not p.roles:
        blocks.append(
            section(
                "tierbot does not know you yet. An admin can add your Slack user id to the CSM roster, or grant "
                "you a role: `tierbot roles grant <@" + p.slack_user_id + "> csm`."
            )
        )
    if h.book is not None:
        blocks += _book(h)
    if h.workload is not None:
        blocks += _workload(h)
    if h.approvals:
        blocks += [divider(), section(f"*Waiting for your decision* ({len(h.approvals)})")]
        for handoff in h.approvals[:SHOWN_APPROVALS]:
            blocks += [section(handoff_line(handoff)), decision_buttons(handoff)]
        if len(h.approvals) > SHOWN_APPROVALS:
            blocks.append(context(f"…and {len(h.approvals) - SHOWN_APPROVALS} more; decide these first."))
    if h.notes:
        blocks += [divider(), section(f"*Customer notes* ({len(h.notes)})")]
        for note in h.notes[:SHOWN_NOTES]:
            blocks.append(section(note_line(note)))
            buttons = note_buttons(note)
            if buttons is not None:
                blocks.append(buttons)
        if len(h.notes) > SHOWN_NOTES:
            blocks.append(context(f"…and {len(h.notes) - SHOWN_NOTES} more (`tierbot draft HANDOFF` shows any)."))
    if h.tiers is not None:
        t = h.tiers
        blocks += [
            divider(),
            section(f"*Tiers under {escape(t.rule_set)}* · {count(t.accounts)} accounts · {money(t.arr)} ARR"),
            *code_sections(escape(tier_table_text(t.table))),
        ]
        if t.table:
            blocks.append(context(escape(headline(t.table)) + " `/segment` has the chart."))
    if h.drafts:
        buttons = [
            button(f"What-if: {d.name}", f"segment_simulate:{i}", d.name) for i, d in enumerate(h.drafts[:SHOWN_DRAFTS])
        ]
        blocks += [section(f"*Draft rule sets* ({len(h.drafts)}): see who would move."), actions(*buttons)]
    return home(blocks)


def _book(h: Home) -> list[Any]:
    b = h.book
    assert b is not None
    out: list[Any] = [divider(), section(f"*Your book* · {count(b.accounts)} accounts · {money(b.arr)} ARR")]
    if not b.accounts:
        return [*out, context("No accounts are assigned to you yet.")]
    out.append(
        section("", fields=[f"*{escape(tier)}*\n{count(n)} accounts · {money(arr)}" for tier, n, arr in b.by_tier])
    )
    lines = [
        f"• {escape(r.name)} · {escape(r.tier or 'untiered')} · {money(r.arr)}"
        + (f" · renews {r.renewal_date}" if r.renewal_date else "")
        for r in b.rows
    ]
    out.append(section(f"*Largest accounts* (page {b.page + 1} of {b.pages})"))
    out += sections(lines)
    if b.pages > 1:
        # Slack refuses a block whose buttons share an action_id; "home_page:…" all reach one listener.
        nav = []
        if b.page:
            nav.append(button("Previous", "home_page:previous", str(b.page - 1)))
        if b.page + 1 < b.pages:
            nav.append(button("Next", "home_page:next", str(b.page + 1)))
        out.append(actions(*nav, block_id="book_pages"))
    if b.renewals:
        soon = [f"• {r.renewal_date} · {escape(r.name)} · {money(r.arr)}" for r in b.renewals]
        out += [section(f"*Renewing in the next {b.renewal_days} days*"), *sections(soon)]
    else:
        out.append(context(f"No renewals in the next {b.renewal_days} days."))
    return out


def _workload(h: Home) -> list[Any]:
    w = h.workload
    assert w is not None
    if w.submitted:
        text = f"*Your workload, {w.period}:* {w.hours:g} h a week of work, {w.capacity_hours:g} h capacity."
        label = "Update my estimate"
    else:
        text = f"*Your workload, {w.period}:* not estimated yet" + (" — the round is open." if w.round_open else ".")
        label = "Estimate my workload"
    return [divider(), section(text), actions(button(label, "workload_open", str(w.round_id or "")))]
