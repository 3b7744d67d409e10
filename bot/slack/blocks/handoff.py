"""Handoff requests: the form, the request a decider sees, and the decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)

from bot.slack.blocks.common import (
    OPTION_TEXT,
    SELECT_OPTIONS,
    Message,
    actions,
    button,
    clip,
    context,
    escape,
    header,
    mention,
    message,
    modal,
    section,
)
from bot.slack.blocks.tier import actor_text
from engine.formatting import money
from workflows.handoffs import REASON_LENGTH, Handoff, HandoffChoice, HandoffRequest

if TYPE_CHECKING:
    from bot.slack.outbound import RequestDelivery

FORM_CALLBACK = "handoff_request"
EXCEPTION_CALLBACK = "handoff_exception"
ACTION = "value"


def handoff_modal(
    account: dict, choices: Sequence[HandoffChoice], *, first_day: date, picked: str | None = None
) -> dict[str, Any]:
    """The request form: to whom (``picked`` when the command named someone), from when, and why."""
    options = [
        Option(
            text=PlainTextObject(text=clip(f"{c.name}" + (f" · {c.region}" if c.region else ""), OPTION_TEXT)),
            value=c.csm_id,
        )
        for c in choices[:SELECT_OPTIONS]
    ]
    owner = account["owner_name"] or account["owner"] or "no owner"
    blocks: list[Any] = [
        section(
            f"Move *{escape(account['name'])}* ({money(float(account['arr']))} ARR) away from {escape(owner)}. "
            "A manager of either CSM, or a leader, decides."
        ),
        InputBlock(
            block_id="to_csm",
            label=PlainTextObject(text="New CSM"),
            element=StaticSelectElement(
                action_id=ACTION,
                placeholder=PlainTextObject(text="Pick a CSM"),
                options=options,
                initial_option=next((o for o in options if o.value == picked), None),
            ),
        ),
        InputBlock(
            block_id="effective",
            label=PlainTextObject(text="Effective from"),
            element=DatePickerElement(action_id=ACTION, initial_date=first_day.isoformat()),
        ),
        InputBlock(
            block_id="reason",
            label=PlainTextObject(text="Why"),
            element=PlainTextInputElement(action_id=ACTION, multiline=True, max_length=REASON_LENGTH),
        ),
    ]
    if len(choices) > SELECT_OPTIONS:
        blocks.append(context(f"Showing the first {SELECT_OPTIONS} of {len(choices)} CSMs."))
    return modal(
        "Request handoff", blocks, callback_id=FORM_CALLBACK, submit="Request", private_metadata=str(account["crm_id"])
    )


def handoff_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The form's answers, by field."""
    state = view.get("state", {}).get("values", {})
    picked = (state.get("to_csm", {}).get(ACTION) or {}).get("selected_option") or {}
    return {
        "to_csm": picked.get("value"),
        "effective": (state.get("effective", {}).get(ACTION) or {}).get("selected_date"),
        "reason": (state.get("reason", {}).get(ACTION) or {}).get("value"),
    }


def handoff_line(h: Handoff) -> str:
    """A handoff in a list (App Home): account, move, date, reason, who asked."""
    when = f" from {h.effective_date}" if h.effective_date else ""
    return (
        f"*#{h.id} {escape(h.account_name)}* ({money(h.arr)} ARR): {escape(h.from_name or 'no owner')} → "
        f"{escape(h.to_name or h.to_csm)}{when}\n“{escape(h.reason)}” — asked by {actor_text(h.requested_by)}"
    )


_MARKS = {"failed": ":x:", "unknown": ":grey_question:", "passed": ":white_check_mark:"}


def guardrail_text(h: Handoff) -> str:
    """The guardrails, failures first, then those not checked: what a decider must weigh."""
    ordered = sorted(h.guardrails, key=lambda r: list(_MARKS).index(r.state))
    lines = [f"{_MARKS[r.state]} {escape(r.message)}" for r in ordered]
    if h.failed:
        lines.append(f"_Fails {len(h.failed)} guardrail(s): only a leader can approve it, as an exception._")
    if h.unknown:
        lines.append(
            f"_{len(h.unknown)} guardrail(s) could not be checked for want of data: approving decides without them._"
        )
    return "\n".join(lines) or "_No guardrail applies._"


def decision_buttons(h: Handoff) -> Any:
    """Approve (or, when a guardrail fails, Approve as exception: leaders only) and Reject."""
    first = (
        button("Approve as exception", "handoff_exception", str(h.id))
        if h.failed
        else button("Approve", "handoff_approve", str(h.id), style="primary")
    )
    return actions(first, button("Reject", "handoff_reject", str(h.id), style="danger"), block_id=f"handoff_{h.id}")


def _facts(h: Handoff) -> Any:
    return section(
        "",
        fields=[
            f"*Account*\n{escape(h.account_name)} ({escape(h.crm_id)})",
            f"*Tier · ARR*\n{escape(h.tier or 'untiered')} · {money(h.arr)}",
            f"*Renewal*\n{escape(h.renewal_date or '—')}",
            f"*Health*\n{escape(h.health or '—')}",
            f"*Move*\n{escape(h.from_name or 'no owner')} → {escape(h.to_name or h.to_csm)}",
            f"*Effective*\n{escape(h.effective_date or '—')}",
        ],
    )


def handoff_request_message(h: Handoff) -> Message:
    """The approval request (the managers' channel, or a DM): the facts, the reason, the
    guardrails, and the buttons."""
    return message(
        f"Handoff #{h.id}: {h.account_name} to {h.to_name} needs a decision",
        [
            header(f"Handoff #{h.id}: {h.account_name}"),
            _facts(h),
            section(f"*Why:* “{escape(h.reason)}” — asked by {actor_text(h.requested_by)}"),
            section(f"*Guardrails*\n{guardrail_text(h)}"),
            decision_buttons(h),
            context(
                "A manager of either CSM, or a leader, decides. Discuss it in this thread: it is kept with the record."
            ),
        ],
    )


def handoff_requested(request: HandoffRequest, deciders: Sequence[str], channel: str | None) -> dict[str, Any]:
    """The form after submitting: the request is recorded; where it went comes by DM once sent."""
    who = ", ".join(mention(d) for d in deciders) or "a leader"
    where = f"post it in <#{channel}>" if channel else "send it"
    text = (
        f":inbox_tray: Recorded your request to move *{escape(request.account['name'])}* to "
        f"{escape(request.to_name)}. tierbot will {where} for {who} to decide, and tell you in a DM where it "
        "went; you will hear the decision there too."
    )
    return modal("Request handoff", [section(text)])


def decided_line(h: Handoff) -> str:
    """ "Approved by @x at …" (with the exception, when there was one)."""
    verb = {"approved": ":white_check_mark: Approved", "rejected": ":x: Rejected"}.get(h.state, h.state)
    if h.state not in ("approved", "rejected") and h.decided_by:
        verb = ":white_check_mark: Approved"
    by = f" by {actor_text(h.decided_by)}" if h.decided_by else ""
    at = f" at {h.decided_at}" if h.decided_at else ""
    exception = f" as an exception: “{escape(h.exception_note)}”" if h.exception_note else ""
    return f"{verb}{by}{at}{exception}"


def handoff_decided_message(h: Handoff) -> Message:
    """A decision: for the request message (buttons gone), its thread, and both CSMs."""
    return message(
        f"Handoff #{h.id} {h.state}",
        [
            header(f"Handoff #{h.id}: {h.account_name}"),
            _facts(h),
            section(f"*Why:* “{escape(h.reason)}” — asked by {actor_text(h.requested_by)}"),
            section(decided_line(h)),
        ],
    )


def exception_modal(h: Handoff, *, metadata: str) -> dict[str, Any]:
    """Leaders approving a move that fails a guardrail say why (``metadata``: the handoff and the
    message clicked, to update it after)."""
    return modal(
        "Approve as exception",
        [
            section(f"*{escape(h.account_name)}* → {escape(h.to_name or h.to_csm)} fails:\n{guardrail_text(h)}"),
            InputBlock(
                block_id="exception",
                label=PlainTextObject(text="Why approve it anyway?"),
                element=PlainTextInputElement(action_id=ACTION, multiline=True, max_length=REASON_LENGTH),
            ),
        ],
        callback_id=EXCEPTION_CALLBACK,
        submit="Approve",
        private_metadata=metadata,
    )


def handoff_usage() -> Message:
    """`/handoff` without an account or a CSM."""
    return message(
        "Usage: /handoff <account> to @csm [reason]",
        [
            section(
                "*`/handoff <account> to @csm [reason]`* proposes moving an account to another CSM. A manager of "
                "either CSM, or a leader, approves or rejects it; guardrails (renewal window, strategic and red "
                "accounts, moves per quarter, the new CSM's room, region and specialty) are checked and shown."
            ),
            section(
                "• `/handoff acme to @sam because Jordan's book is over capacity`\n"
                "• `/handoff ACC-0000123 to @lena` opens the form, to pick the date and say why\n"
                "• `/handoff plan 3` posts transition plan #3 here for approval (managers, leaders)\n"
                "• `/handoff announce` posts the approved moves not announced yet, as one digest (managers, leaders)"
            ),
            context("The move takes effect two weeks out unless you pick a date in the form."),
        ],
    )


def handoff_sent(h: Handoff, sent: RequestDelivery) -> Message:
    """The requester's confirmation: where the request actually went (the channel, the DMs that
    got through), what Slack refused, and who decides."""
    failing = f" It fails {len(h.failed)} guardrail(s): only a leader can approve it." if h.failed else ""
    move = (
        f"moving *{escape(h.account_name)}* from {escape(h.from_name or 'no owner')} to "
        f"{escape(h.to_name or h.to_csm)} from {escape(h.effective_date or '—')}"
    )
    lines = []
    if sent.channel:
        lines.append(f":white_check_mark: Handoff #{h.id}: posted in <#{sent.channel}> for a decision on {move}.")
    elif sent.asked:
        asked = ", ".join(mention(d) for d in sent.asked)
        lines.append(f":white_check_mark: Handoff #{h.id}: asked {asked} by DM to decide on {move}.")
    else:
        lines.append(
            f":warning: Handoff #{h.id} ({move}) is recorded, but tierbot could not reach anyone in Slack to decide "
            f"it. It waits in the deciders' App Home; `tierbot handoff post {h.id}` sends it again."
        )
    if sent.channel_refused:
        lines.append(f"It could not go to the managers' channel: {escape(sent.channel_refused)}.")
    if sent.unreached:
        lines.append(f"Slack refused the DM to {', '.join(mention(d) for d in sent.unreached)}.")
    if sent.delivered:
        lines.append(f"{failing.strip()} You will hear the decision by DM.".strip())
    return message(
        f"Handoff #{h.id}: " + ("sent for a decision" if sent.delivered else "not sent"), [section("\n".join(lines))]
    )


def needs_exception_message(text: str, handoff_id: int) -> Message:
    """A leader's approval that a guardrail now refuses: why, and the exception's button."""
    return message(
        text,
        [
            section(f":warning: {escape(text)}"),
            actions(button("Approve as exception", "handoff_exception", str(handoff_id))),
        ],
    )
