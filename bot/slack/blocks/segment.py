"""The /segment answers: the tier table, the what-if, the activation result."""

from __future__ import annotations

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.render.rules import mover_line, movers_matrix_text, simulation_headline
from bot.render.tiers import headline, tier_table_text
from bot.slack.blocks.common import (
    SECTION_TEXT,
    Message,
    actions,
    button,
    clip,
    context,
    escape,
    header,
    message,
    mrkdwn,
    section,
    sections,
)
from bot.slack.blocks.tier import actor_text
from engine.formatting import count, money
from engine.simulation import Simulation
from workflows.rules import RuleSetInfo
from workflows.tiers import ApplyReport, TierSummary

SHOWN_DRAFTS = 5
SHOWN_MOVERS = 15


def code(text: str) -> str:
    """A preformatted block: tables keep their columns."""
    return f"```{text}```"


def code_sections(text: str) -> list[Block]:
    """A preformatted table in as many sections as it needs, each a whole fenced block of whole
    lines: a long table continues in the next section instead of being cut mid-line."""
    out: list[Block] = []
    chunk: list[str] = []
    size = 6  # the two fences
    for line in text.splitlines():
        line = clip(line, SECTION_TEXT - 8)
        if chunk and size + len(line) + 1 > SECTION_TEXT:
            out.append(section(code("\n".join(chunk))))
            chunk, size = [], 6
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        out.append(section(code("\n".join(chunk))))
    return out


def segment_message(
    summary: TierSummary,
    *,
    drafts: Sequence[RuleSetInfo] = (),
    chart_note: str | None = None,
    shared_by: str | None = None,
) -> Message:
    """The tier table: accounts, ARR and their shares per tier, and the rule set behind it."""
    status = (
        f"*{escape(summary.rule_set)}* is active since {escape(summary.in_effect_since)}"
        + (f", activated by {actor_text(summary.activated_by)}" if summary.activated_by else "")
        + f" · as of {summary.as_of} · {count(summary.accounts)} accounts · {money(summary.arr)} ARR"
        + (f" · {summary.overrides} override(s) in force" if summary.overrides else "")
    )
    blocks = [header(f"Tiers under {summary.rule_set}"), section(status)]
    blocks += code_sections(escape(tier_table_text(summary.table)))
    if summary.table:
        blocks.append(section(escape(headline(summary.table))))
    notes = []
    if not summary.stored_is_current:
        notes.append("The stored tiers (CRM export) are older than this table: run `tierbot tiers apply`.")
    if chart_note:
        notes.append(chart_note)
    if shared_by:
        notes.append(f"Shared by <@{shared_by}>.")
    if notes:
        blocks.append(context(*notes))
    if not shared_by:
        buttons = [button("Share in channel", "segment_share", summary.as_of)]
        buttons += [button(f"What-if: {d.name}", f"segment_simulate:{i}", d.name) for i, d in enumerate(drafts)]
        blocks.append(actions(*buttons[: 1 + SHOWN_DRAFTS], block_id="segment_actions"))
    return message(f"Tiers under {summary.rule_set}: {count(summary.accounts)} accounts", blocks)


def activation_value(name: str, fingerprint: str) -> str:
    """The Activate button's value: the draft and the version of it the what-if simulated."""
    return json.dumps({"rule_set": name, "version": fingerprint})


def activation_of(value: str) -> tuple[str, str | None]:
    """The draft and version an Activate button names (a bare name from an older message: no check)."""
    try:
        parsed = json.loads(value)
        return str(parsed["rule_set"]), str(parsed["version"])
    except (ValueError, KeyError, TypeError):
        return value, None


def simulation_message(sim: Simulation, *, fingerprint: str | None) -> Message:
    """A what-if: the movers matrix, the tier tables before and after, the largest movers, and for
    leaders (``fingerprint`` given: the version simulated) an Activate button."""
    blocks = [
        header(f"What-if: {sim.after}"),
        section(escape(simulation_headline(sim))),
        section("*Movers* (rows: tier now; columns: under the draft; accounts and ARR)"),
        *code_sections(escape(movers_matrix_text(sim))),
        section("*Per tier, now*"),
        *code_sections(escape(tier_table_text(sim.totals_before))),
        section(f"*Per tier, under {escape(sim.after)}*"),
        *code_sections(escape(tier_table_text(sim.totals_after))),
    ]
    if sim.movers:
        shown = sim.movers[:SHOWN_MOVERS]
        blocks.append(section(f"*Largest movers* ({len(shown)} of {count(sim.moved)})"))
        blocks += sections([f"• {escape(mover_line(m))}" for m in shown])
    if fingerprint is not None:
        confirm = {
            "title": {"type": "plain_text", "text": "Activate the rule set?"},
            "text": mrkdwn(
                f"*{escape(sim.after)}* replaces {escape(sim.before)} and every account is tiered again: "
                f"{count(sim.moved)} would change tier."
            ).to_dict(),
            "confirm": {"type": "plain_text", "text": "Activate"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
        blocks.append(
            actions(
                button(
                    f"Activate {sim.after}",
                    "rules_activate",
                    activation_value(sim.after, fingerprint),
                    style="primary",
                    confirm=confirm,
                )
            )
        )
    else:
        blocks.append(context("Nothing has changed. A leader can activate this rule set."))
    return message(simulation_headline(sim), blocks)


def drafts_message(drafts: Sequence[RuleSetInfo]) -> Message:
    """`/segment simulate` without a name: the drafts to choose from."""
    if not drafts:
        return message(
            "No draft rule sets",
            [
                section(
                    "There is no draft rule set to try. Propose one in the chat (`propose tiers by arr share 15 40`) "
                    "or load one: `tierbot rules load FILE.yml`."
                )
            ],
        )
    lines = [f"• *{escape(d.name)}* — {escape(d.description or 'no description')}" for d in drafts]
    buttons = [button(f"What-if: {d.name}", f"segment_simulate:{i}", d.name) for i, d in enumerate(drafts[:25])]
    return message(
        "Which draft?",
        [section("Which draft rule set? `/segment simulate NAME`, or pick one:"), *sections(lines), actions(*buttons)],
    )


def activation_message(name: str, replaced: str | None, applied: ApplyReport, actor: str) -> Message:
    """The announcement after a leader activates a rule set."""
    text = (
        f":white_check_mark: {actor_text(actor)} activated *{escape(name)}*"
        + (f" (replacing {escape(replaced)})" if replaced else "")
        + f". {count(applied.accounts)} accounts tiered again; {count(applied.changed)} changed tier."
    )
    blocks = [section(text), *code_sections(escape(tier_table_text(applied.table)))]
    if applied.untiered:
        blocks.append(context(f"{count(applied.untiered)} accounts match no rule and have no tier."))
    return message(f"{name} activated", blocks)


def segment_usage(problem: str | None = None) -> Message:
    lines = [
        "*`/segment`* shows the tier table: accounts, ARR and their shares per tier, the average ARR, the active "
        "rule set and who activated it, with a chart of the tier mix and the ARR concentration.",
        "*`/segment simulate <draft>`* shows who would change tier under a draft rule set; leaders can activate it "
        "from there.",
    ]
    if problem:
        lines.insert(0, f":warning: {escape(problem)}")
    return message(problem or "Usage: /segment [simulate <draft>]", [section("\n".join(lines))])
