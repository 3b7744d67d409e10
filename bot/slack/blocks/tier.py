"""The /tier answers: the account card, the pick-one list, the history, the usage help."""

from __future__ import annotations

from slack_sdk.models.blocks import Option, PlainTextObject, StaticSelectElement

from bot.render.tiers import history_phrase, rule_name, trace_lines
from bot.slack.blocks.common import (
    OPTION_TEXT,
    SELECT_OPTIONS,
    Message,
    actions,
    button,
    clip,
    context,
    divider,
    escape,
    header,
    message,
    section,
    sections,
)
from engine.errors import AccountNotFound
from engine.formatting import money
from workflows.lookup import AccountMatch, FindResult
from workflows.tiers import AccountHistory, TierExplanation

HISTORY_PAGE = 15


def actor_text(actor: str) -> str:
    """Who did something, as Slack shows them: a mention for Slack users, else as recorded."""
    if actor.startswith("slack:"):
        return f"<@{actor.removeprefix('slack:')}>"
    return escape(actor)


def tier_card(exp: TierExplanation, *, shared_by: str | None = None, shared: bool = False) -> Message:
    """An account's tier and every reason for it, with the buttons to act on it.

    ``shared_by``: the copy posted in a channel (no buttons, says who shared it). ``shared``:
    the private copy after sharing (no Share button any more).
    """
    a = exp.account
    decision = exp.decision
    tier = exp.tier or "untiered"
    blocks = [header(f"{a.name} — {tier}")]
    previous = (
        f"{escape(exp.previous.tier or 'untiered')} under {escape(exp.previous.rule_set)}" if exp.previous else "—"
    )
    blocks.append(
        section(
            "",
            fields=[
                f"*Tier*\n{escape(tier)}" + (" (override)" if exp.override else ""),
                f"*ARR*\n{money(a.arr)}",
                f"*Owner*\n{escape(a.owner_name or a.owner or 'no owner')}",
                f"*Renewal*\n{escape(a.renewal_date or '—')}",
                f"*Previous tier*\n{previous}",
                f"*Rule set*\n{escape(decision.rule_set)} since {escape(exp.in_effect_since)}",
            ],
        )
    )
    if exp.override:
        o = exp.override
        until = f"until {escape(o.until)}" if o.until else "until cleared"
        blocks.append(
            section(
                f":pushpin: *Override:* set to {escape(o.tier)} by {actor_text(o.actor)} on {o.at[:10]}, {until}: "
                f"“{escape(o.reason)}”. The rules alone give {escape(decision.tier or 'no tier')}."
            )
        )
    blocks += sections(_why(exp))
    notes = [f"CRM id {escape(a.crm_id)} · matched by {escape(exp.matched_by)} · as of {exp.as_of}"]
    if exp.stored_tier is not None and not exp.override and exp.stored_tier != decision.tier:
        notes.append(f"The CRM export still says {escape(exp.stored_tier)}: tiers need a `tierbot tiers apply`.")
    if exp.history:
        notes.append("Latest change: " + escape(history_phrase(exp.history[0])))
    if shared_by:
        notes.append(f"Shared by <@{shared_by}>.")
    blocks.append(context(*notes))
    if not shared_by:
        buttons = [] if shared else [button("Share in channel", "tier_share", a.crm_id)]
        buttons += [
            button("Show history", "tier_history", a.crm_id),
            button("Request handoff", "handoff_request", a.crm_id),
        ]
        blocks.append(actions(*buttons, block_id="tier_actions"))
        if shared:
            blocks.append(context("Shared in the channel."))
    return message(f"{a.name}: {tier} ({money(a.arr)} ARR)", blocks)


def _why(exp: TierExplanation) -> list[str]:
    decision = exp.decision
    if decision.fired is None:
        return [f"*Why:* no rule of {escape(decision.rule_set)} matched, and it has no default rule."]
    lines = [
        f"*Why:* {escape(rule_name(decision.fired))} of {escape(decision.rule_set)} gives "
        f"{escape(decision.fired.rule.tier)}:"
    ]
    if decision.fired.trace is None:
        lines.append("    the default rule: every account the rules above leave")
    else:
        lines += [escape(line) for line in trace_lines(decision.fired.trace)]
    if decision.earlier:
        lines.append("*Earlier rules that did not match:*")
        for trace in decision.earlier:
            lines.append(f"    {escape(rule_name(trace))} ({escape(trace.rule.tier)})")
            if trace.trace is not None:
                lines += [escape(line) for line in trace_lines(trace.trace, "        ")]
    return lines


def _option(match: AccountMatch) -> Option:
    label = clip(f"{match.name} ({match.crm_id}) · {money(match.arr)}", OPTION_TEXT)
    return Option(text=PlainTextObject(text=label), value=match.crm_id)


def pick_account(result: FindResult) -> Message:
    """Several accounts match about equally: let the person pick one."""
    matches = [result.best, *result.alternatives][:SELECT_OPTIONS]
    select = StaticSelectElement(
        placeholder=PlainTextObject(text="Pick the account"),
        action_id="tier_pick",
        options=[_option(m) for m in matches],
    )
    listing = "\n".join(
        f"• {escape(m.name)} ({escape(m.crm_id)}) · {money(m.arr)} · {escape(m.owner_name or m.owner or 'no owner')}"
        for m in matches
    )
    text = f"Several accounts match *{escape(result.query)}*; which one?\n{listing}"
    return message(f"Several accounts match {result.query}", [section(text, accessory=select)])


def not_found(error: AccountNotFound) -> Message:
    """Nothing matches: say so, and offer the closest names as buttons."""
    blocks = [section(f":mag: {escape(str(error))}")]
    if error.suggestions:
        blocks.append(
            actions(
                *[button(s, f"tier_pick:{i}", s) for i, s in enumerate(error.suggestions[:5])],
                block_id="suggestions",
            )
        )
    else:
        blocks.append(context("Try part of the name (`/tier acme`) or the CRM id (`/tier ACC-0000123`)."))
    return message(str(error), blocks)


def tier_usage() -> Message:
    """`/tier` with nothing after it."""
    return message(
        "Usage: /tier <account name or CRM id>",
        [
            section(
                "*`/tier <account>`* shows an account's tier and why: the rule that fired and each of its "
                "conditions with the value read, any override, the tier under the previous rule set, ARR, "
                "owner and renewal."
            ),
            section(
                "Type part of the name, a misspelling or the CRM id:\n"
                "• `/tier acme`\n• `/tier northwind health`\n• `/tier ACC-0000123`"
            ),
            context("Only you see the answer; *Share in channel* posts it for everyone."),
        ],
    )


def history_message(history: AccountHistory, page: int = 0) -> Message:
    """An account's tier changes, newest first, a page at a time."""
    a = history.account
    if not history.entries:
        return message(
            f"No tier history for {a.name}",
            [section(f"*{escape(a.name)}* ({escape(a.crm_id)}) has no tier history yet.")],
        )
    start = page * HISTORY_PAGE
    shown = history.entries[start : start + HISTORY_PAGE]
    lines = [
        f"• {escape(history_phrase(h))}" + (f" — {actor_text(h.actor)}" if h.source != "rules" else "") for h in shown
    ]
    blocks = [section(f"*Tier history of {escape(a.name)}* ({escape(a.crm_id)}), newest first:"), *sections(lines)]
    more = start + HISTORY_PAGE < len(history.entries)
    if page or more:
        blocks.append(divider())
        nav = []
        # One action_id per button of a block (Slack refuses the message otherwise); both reach tier_history.
        if page:
            nav.append(button("Newer", "tier_history:newer", f"{a.crm_id}#{page - 1}"))
        if more:
            nav.append(button("Older", "tier_history:older", f"{a.crm_id}#{page + 1}"))
        blocks.append(actions(*nav, block_id="history_pages"))
    return message(f"Tier history of {a.name}", blocks)
