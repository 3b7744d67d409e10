"""The workload form, the survey DM, the round status and the round summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import InputBlock, NumberInputElement, PlainTextInputElement, PlainTextObject

from bot.slack.blocks.common import (
    Message,
    actions,
    button,
    context,
    escape,
    header,
    listing,
    message,
    modal,
    section,
    sections,
)
from bot.slack.blocks.segment import code_sections
from engine.formatting import count
from engine.workload import ACTIVITIES, MAX_WEEK_HOURS, NOTE_LENGTH, Estimate
from workflows.workload import RoundStart, RoundStatus, RoundSummary, WorkloadForm

FORM_CALLBACK = "workload_estimate"
ACTION = "value"  # each input's action id; the block id names the field


def _number(block_id: str, label: str, hint: str, initial: float | None) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        hint=PlainTextObject(text=hint),
        element=NumberInputElement(
            action_id=ACTION,
            is_decimal_allowed=True,
            min_value="0",
            max_value=str(int(MAX_WEEK_HOURS)),
            initial_value=f"{initial:g}" if initial is not None else None,
        ),
    )


def workload_modal(form: WorkloadForm) -> dict[str, Any]:
    """The form: hours a week per activity, perceived capacity, a note; filled with the last entry."""
    last = form.existing
    intro = (
        f"*{escape(form.name)}*, estimate a typical week in *{form.period}*: hours per activity, and the hours "
        "you have for this work. Rough numbers are fine."
    )
    if last:
        intro += f"\nYou already answered for {form.period}; saving again updates that entry."
    blocks: list[Any] = [section(intro)]
    for key, label, hint in ACTIVITIES:
        blocks.append(_number(key, f"{label} (hours a week)", hint, last.hours.get(key) if last else None))
    blocks.append(
        _number(
            "capacity",
            "Your capacity (hours a week)",
            "The hours a week you can give to customers and this work without overtime.",
            last.capacity_hours if last else None,
        )
    )
    blocks.append(
        InputBlock(
            block_id="note",
            label=PlainTextObject(text="Anything we should know? (optional)"),
            optional=True,
            element=PlainTextInputElement(
                action_id=ACTION, multiline=True, max_length=NOTE_LENGTH, initial_value=(last.note if last else None)
            ),
        )
    )
    metadata = json.dumps({"period": form.period, "round": form.round_id, "had_entry": last is not None})
    return modal("Workload estimate", blocks, callback_id=FORM_CALLBACK, submit="Save", private_metadata=metadata)


def form_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The typed values of a submitted form, by field."""
    state = view.get("state", {}).get("values", {})
    return {block: (fields.get(ACTION) or {}).get("value") for block, fields in state.items()}


def saved_view(period: str, e: Estimate, *, updated: bool) -> dict[str, Any]:
    """What the form shows once saved."""
    verb = "Updated" if updated else "Saved"
    text = (
        f":white_check_mark: {verb} your estimate for *{period}*: {e.total:g} hours a week of work, "
        f"{e.capacity_hours:g} hours of capacity."
    )
    if e.total > e.capacity_hours:
        text += "\nThat is more work than capacity; your manager sees it in the round's summary."
    return modal("Workload estimate", [section(text), context("Run `/workload` again any time to change it.")])


def survey_dm(period: str, round_id: int, *, reminder: bool = False, answered: bool = False) -> Message:
    """The DM a round sends each CSM, with the button that opens the form."""
    if answered:
        return message(
            f"Thanks: your {period} workload estimate is in",
            [section(f":white_check_mark: Thanks, your *{period}* workload estimate is in. `/workload` changes it.")],
        )
    lead = "Reminder: your" if reminder else "Your"
    text = (
        f"{lead} CS leadership is asking for a workload estimate for *{period}*: the hours a typical week takes "
        "per activity, and your capacity. It takes two minutes."
    )
    return message(
        f"{lead} workload estimate for {period}",
        [section(text), actions(button("Estimate my workload", "workload_open", str(round_id), style="primary"))],
    )


def round_started(start: RoundStart, sent: int, failed: Sequence[str]) -> Message:
    lines = [f":clipboard: Workload round for *{start.period}* started: asked {sent} CSM(s) by DM."]
    lines += listing(
        f"{len(start.unreachable)} have no Slack user id in the roster and were not asked:", start.unreachable
    )
    lines += listing("Could not DM:", failed)
    lines.append(
        "`/workload status` shows who answered; `/workload remind` nudges the rest; `/workload close` ends it."
    )
    return message(f"Workload round for {start.period} started", sections(lines))


def round_status_message(status: RoundStatus) -> Message:
    asked = len(status.answered) + len(status.missing)
    lines = [
        f"*{status.period}* round, started {status.started_at[:10]}: {len(status.answered)} of {asked} answered.",
    ]
    if status.missing:
        lines += listing("Not yet:", [t.name for t in status.missing])
    return message(f"Workload round {status.period}: {len(status.answered)} of {asked}", sections(lines))


def reminded_message(period: str, reminded: int, *, missing: int, failed: Sequence[str] = ()) -> Message:
    """How the reminders went: ``reminded`` of the ``missing`` who have not answered yet."""
    if not missing:
        return message("Everyone answered", [section(f"Everyone asked in the *{period}* round has answered.")])
    lines = [f"Reminded {reminded} CSM(s) who have not answered the *{period}* round."]
    lines += listing("Could not DM:", failed)
    return message(f"Reminded {reminded}", sections(lines))


def round_summary_message(summary: RoundSummary) -> Message:
    """Posted when a round closes: who answered, totals by activity, hours per account."""
    status = summary.status
    asked = len(status.answered) + len(status.missing)
    blocks: list[Any] = [header(f"Workload round {status.period}: summary")]
    lines = [f"{len(status.answered)} of {asked} CSMs answered."]
    if status.missing:
        lines += listing("No answer from:", [t.name for t in status.missing])
    blocks += sections(lines)
    if summary.people:
        labels = dict((k, label) for k, label, _ in ACTIVITIES)
        width = max(len(label) for label in labels.values())
        total = summary.hours or 1.0
        rows = [f"{labels[k].ljust(width)}  {v:7.1f} h  {v / total:6.1%}" for k, v in summary.totals.items()]
        rows.append(f"{'Total'.ljust(width)}  {summary.hours:7.1f} h")
        blocks.append(section("*Weekly hours by activity* (all who answered)"))
        blocks += code_sections("\n".join(rows))
        per_account = summary.hours_per_account
        used = (
            f"Work {summary.hours:g} h a week against {summary.capacity:g} h of capacity they report "
            f"({summary.hours / summary.capacity:.0%} used)."
            if summary.capacity
            else "No capacity reported."
        )
        books = (
            f"{count(summary.accounts)} accounts in their books: {per_account:.2f} h per account a week."
            if per_account is not None
            else "They own no accounts yet."
        )
        blocks.append(section(f"{used} {books}"))
        name_width = max(len(p.name) for p in summary.people)
        people = [
            f"{p.name.ljust(name_width)}  {p.hours:5.1f} h / {p.capacity_hours:4.1f} h"
            + (f"  {p.accounts:4d} accts  {p.hours_per_account:.2f} h/acct" if p.hours_per_account is not None else "")
            for p in summary.people
        ]
        blocks.append(section("*Per CSM* (work / capacity, accounts, hours per account)"))
        blocks += code_sections(escape("\n".join(people)))
    else:
        blocks.append(section("Nobody answered, so there is nothing to sum up."))
    return message(f"Workload round {status.period} closed", blocks)


def workload_usage(problem: str | None = None) -> Message:
    lines = [
        "*`/workload`* opens your workload estimate for this quarter (or the open round's period).",
        "Leaders: *`/workload start [2027-Q1]`* asks every CSM by DM · *`/workload status`* · "
        "*`/workload remind`* · *`/workload close`* posts the summary here.",
    ]
    if problem:
        lines.insert(0, f":warning: {escape(problem)}")
    return message(problem or "Usage: /workload [start|status|remind|close]", [section("\n".join(lines))])
