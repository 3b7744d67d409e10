"""Handoff requests: the form, the request a decider sees, and the decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

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
    mention,
    message,
    modal,
    section,
)
from bot.slack.blocks.tier import actor_text
from engine.formatting import money
from workflows.handoffs import REASON_LENGTH, Handoff, HandoffChoice, HandoffRequest

FORM_CALLBACK = "handoff_request"
ACTION = "value"


def handoff_modal(account: dict, choices: Sequence[HandoffChoice], *, first_day: date) -> dict[str, Any]:
    """The request form: to whom, from when, and why."""
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
                action_id=ACTION, placeholder=PlainTextObject(text="Pick a CSM"), options=options
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


def _summary(h: Handoff) -> str:
    when = f" from {h.effective_date}" if h.effective_date else ""
    return (
        f"*#{h.id} {escape(h.account_name)}* ({money(h.arr)} ARR): {escape(h.from_name or 'no owner')} → "
        f"{escape(h.to_name or h.to_csm)}{when}\n“{escape(h.reason)}” — asked by {actor_text(h.requested_by)}"
    )


def decision_buttons(h: Handoff) -> Any:
    return actions(
        button("Approve", "handoff_approve", str(h.id), style="primary"),
        button("Reject", "handoff_reject", str(h.id), style="danger"),
        block_id=f"handoff_{h.id}",
    )


def handoff_request_message(h: Handoff) -> Message:
    """What a decider gets: the request and Approve / Reject."""
    return message(
        f"Handoff request #{h.id}: {h.account_name}",
        [section(f":arrows_counterclockwise: Handoff request\n{_summary(h)}"), decision_buttons(h)],
    )


def handoff_requested(request: HandoffRequest, deciders: Sequence[str]) -> dict[str, Any]:
    """The form after sending: who will decide."""
    who = ", ".join(mention(d) for d in deciders) or "a leader"
    text = (
        f":white_check_mark: Asked {who} to approve moving *{escape(request.account['name'])}* to "
        f"{escape(request.to_name)}. You will hear the decision here."
    )
    return modal("Request handoff", [section(text)])


def handoff_decided_message(h: Handoff) -> Message:
    """A decision, for the message that asked and for both CSMs."""
    verb = {"approved": ":white_check_mark: Approved", "rejected": ":x: Rejected"}.get(h.state, h.state)
    by = f" by {actor_text(h.decided_by)}" if h.decided_by else ""
    at = f" at {h.decided_at}" if h.decided_at else ""
    return message(f"Handoff #{h.id} {h.state}", [section(f"{verb}{by}{at}\n{_summary(h)}")])


def handoff_line(h: Handoff) -> str:
    return _summary(h)
