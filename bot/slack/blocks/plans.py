"""Transition plans, check-ins and announcement digests in Slack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Option, OverflowMenuElement, PlainTextObject, SectionBlock

from bot.render.handoffs import plan_decision_lines
from bot.slack.blocks.common import (
    MESSAGE_BLOCKS,
    Message,
    actions,
    button,
    context,
    error_message,
    escape,
    header,
    message,
    plain,
    section,
    sections,
)
from bot.slack.results import Posted
from engine.formatting import money
from workflows.handoffs import Handoff
from workflows.plans import BatchReport, PlanDecision, PlanLine, Reminder, TransitionPlan

LINE_MENUS = 30  # plans with more undecided lines than this are approved whole or from the command line
HELD_SECTIONS = 3  # the held moves' share of the message; the rest are counted
DIGEST_SIZE = 40  # handoffs per digest message: one section line each, well inside 50 blocks


def _line_text(line: PlanLine) -> str:
    status = {"approved": f":white_check_mark: approved (handoff #{line.handoff_id})", "rejected": ":x: rejected"}
    return (
        f"Row {line.line}: *{escape(line.account_name)}* ({money(line.arr)}) "
        f"{escape(line.from_name or 'no owner')} → {escape(line.to_name or line.to_csm)}"
        + (f" · {status[line.status]}" if line.status in status else "")
    )


def _line_menu(plan: TransitionPlan, line: PlanLine) -> OverflowMenuElement:
    return OverflowMenuElement(
        action_id=f"plan_line:{line.line}",
        options=[
            Option(text=PlainTextObject(text="Approve this move"), value=f"approve:{plan.id}:{line.line}"),
            Option(text=PlainTextObject(text="Reject this move"), value=f"reject:{plan.id}:{line.line}"),
        ],
    )


def plan_message(plan: TransitionPlan) -> Message:
    """The plan for approval: batches by week, each move (with a menu while undecided, when they
    fit), the moves held for an exception, and Approve all — always within Slack's 50 blocks."""
    planned = plan.count("planned")
    head = [
        header(f"Transition plan #{plan.id}: {len(plan.lines)} moves in {len(plan.batches)} batches"),
        context(
            f"From `{escape(plan.source)}` · weeks from {plan.start_date} · at most {plan.weekly_limit} move(s) per "
            f"CSM a week · {planned} to decide, {plan.count('approved')} approved, {plan.count('rejected')} "
            f"rejected, {len(plan.held)} held"
        ),
    ]
    tail: list[Any] = []
    if plan.held:
        held = [
            f"Row {h.line}: *{escape(h.account_name)}* → {escape(h.to_name or h.to_csm)}: {escape(h.note)}"
            for h in plan.held
        ]
        shown = sections(["*Held: these need a handoff with a leader's exception*", *held])
        if len(shown) > HELD_SECTIONS:
            hidden = sum(b.to_dict()["text"]["text"].count("\n") + 1 for b in shown[HELD_SECTIONS - 1 :])
            shown = [
                *shown[: HELD_SECTIONS - 1],
                context(f"…and {hidden} more held: `tierbot handoff plans {plan.id}`."),
            ]
        tail += shown
    room = MESSAGE_BLOCKS - len(head) - len(tail) - 2  # the actions and their context come last
    body = _batches(plan, menus=planned <= LINE_MENUS)
    if len(body) > room:
        body = _batches(plan, menus=False)
    if len(body) > room:
        body = _batch_summaries(plan)[:room]
    menus = any(isinstance(b, SectionBlock) and b.accessory is not None for b in body)
    if planned:
        tail.append(
            actions(
                button("Approve all planned moves", "plan_approve", str(plan.id), style="primary"),
                block_id=f"plan_{plan.id}",
            )
        )
        how = "each move's menu" if menus else f"`tierbot handoff plan-approve {plan.id} --line N`"
        tail.append(
            context(
                "Approving a move makes it an approved handoff. Managers decide their teams' moves; "
                f"line by line with {how}."
            )
        )
    return message(f"Transition plan #{plan.id}: {planned} move(s) to decide", [*head, *body, *tail])


def _batches(plan: TransitionPlan, *, menus: bool) -> list[Any]:
    """Each batch: its heading and moves packed in sections; undecided moves get a menu each."""
    blocks: list[Any] = []
    for number, lines in plan.batches.items():
        text = [f"*Batch {number}* · effective {lines[0].effective_date} · {len(lines)} move(s)"]
        for line in lines:
            if menus and line.status == "planned":
                blocks += sections(text) if text else []
                text = []
                blocks.append(section(_line_text(line), accessory=_line_menu(plan, line)))
            else:
                text.append(_line_text(line))
        blocks += sections(text) if text else []
    return blocks


def _batch_summaries(plan: TransitionPlan) -> list[Any]:
    """A line per batch, for plans too long to show move by move."""
    lines = []
    for number, batch in plan.batches.items():
        counts = {s: sum(line.status == s for line in batch) for s in ("planned", "approved", "rejected")}
        lines.append(
            f"*Batch {number}* · effective {batch[0].effective_date} · {len(batch)} move(s): {counts['planned']} to "
            f"decide, {counts['approved']} approved, {counts['rejected']} rejected"
        )
    lines.append(f"_Every move: `tierbot handoff plans {plan.id}` or its worksheet (`--worksheet plan.xlsx`)._")
    return sections(lines)


def reminder_message(reminder: Reminder) -> Message:
    return message(
        f"Check in on {reminder.account_name}",
        [
            section(
                f":wave: It has been 30 days since *{escape(reminder.account_name)}* moved to you "
                f"(effective {reminder.effective_date}). Time to check in: is the customer settled, is their health "
                "where it was, is anything from the handoff still open?"
            ),
            context(f"Handoff #{reminder.handoff_id} · `tierbot handoff show {reminder.handoff_id}`"),
        ],
    )


def batch_report_message(report: BatchReport) -> Message:
    return message(
        f"Plan #{report.plan_id}, batch {report.batch} is done",
        [
            section(
                f":checkered_flag: *Plan #{report.plan_id}, batch {report.batch}* (effective {report.effective_date}) "
                f"is done: {report.completed} of {report.lines} move(s) completed, {report.cancelled} cancelled, "
                f"{report.rejected} rejected."
            )
        ],
    )


def digest_messages(handoffs: Sequence[Handoff]) -> list[Message]:
    """Approved moves as a digest: one message per ``DIGEST_SIZE`` moves, never one per account."""
    parts = digest_parts(handoffs)
    return [digest_part(part, n, len(parts), len(handoffs)) for n, part in enumerate(parts, start=1)]


def digest_parts(items: Sequence[Any]) -> list[Sequence[Any]]:
    """A digest's moves, ``DIGEST_SIZE`` to a message."""
    return [items[i : i + DIGEST_SIZE] for i in range(0, len(items), DIGEST_SIZE)]


def digest_part(part: Sequence[Handoff], n: int, parts: int, total: int) -> Message:
    """Message ``n`` of ``parts`` of a digest of ``total`` approved moves."""
    lines = [
        f"• *{escape(h.account_name)}*: {escape(h.from_name or 'no owner')} → {escape(h.to_name or h.to_csm)}, "
        f"from {escape(h.effective_date or '—')}"
        for h in part
    ]
    title = f"Account moves approved: {total}" + (f" (part {n} of {parts})" if parts > 1 else "")
    return message(title, [header(title), *sections(lines)])


def plan_decision_message(decision: PlanDecision) -> Message:
    """The decider's answer: what was decided, and what was left and why (what Slack then will
    not do is told separately, as it happens)."""
    text = " ".join(plan_decision_lines(decision))
    return plain(text) if decision.approved or decision.rejected else error_message(text)


def posted_message(posted: Posted) -> Message:
    """What was posted where (a plan, a digest), or that there was nothing to post."""
    if not posted.messages:
        return plain(f"Nothing to post: {posted.what}.")
    where = f" in <#{posted.channel}>" if posted.channel else ""  # a channel link: ours, not data
    return message(f"Posted {posted.what}", [section(f":white_check_mark: Posted {escape(posted.what)}{where}.")])
