"""Customer notes in Slack: the draft the new CSM approves, edits or discards, and the edit form."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject

from bot.slack.blocks.common import Message, actions, button, context, escape, header, message, modal, section
from bot.slack.blocks.tier import actor_text
from workflows.drafting import CustomerNote

EDIT_CALLBACK = "note_edit"
ACTION = "value"
SUBJECT_INPUT = 150  # room past the 120-character limit, so an over-long subject gets its message
BODY_INPUT = 3000


def _made(note: CustomerNote) -> str:
    if note.source == "model":
        return f"Drafted by {escape(note.model or 'the model')}"
    if note.source == "edited":
        return "Edited by a person"
    tried = f" ({escape(note.fallback)})" if note.fallback else ""
    return "Drafted from the template" + tried


def _who(actor: str | None, name: str | None) -> str:
    """A Slack user as a mention; someone acting through the command line by name ("Sam Patel (via
    cli:alice)")."""
    if not actor:
        return "someone"
    return actor_text(actor) if actor.startswith("slack:") else escape(name or actor)


def _state_line(note: CustomerNote) -> str | None:
    by, sent_by = _who(note.decided_by, note.decided_by_name), _who(note.sent_by, note.sent_by_name)
    return {
        "approved": f":white_check_mark: Approved by {by} at {note.decided_at}. Send it from your email "
        f"(or `tierbot draft {note.handoff_id} --eml note.eml`), then press *Mark as sent*.",
        "sent": f":envelope: Approved by {by}; marked sent by {sent_by} at {note.sent_at}.",
        "discarded": f":wastebasket: Discarded by {by} at {note.decided_at}.",
    }.get(note.state)


def note_message(note: CustomerNote) -> Message:
    """The draft as the new CSM sees it, with what they can do next."""
    to = escape(note.contact_name or "the account's contact") + (
        f" ({escape(note.contact_email)})" if note.contact_email else ""
    )
    blocks: list[Any] = [
        header(f"Customer note: {note.account_name}"),
        context(
            f"Handoff #{note.handoff_id} · a {note.style} note from {escape(note.sender or 'the team')} to {to} · "
            f"note #{note.id}"
        ),
        section(f"*Subject:* {escape(note.subject)}"),
        section("\n".join(f">{escape(line)}" if line else ">" for line in note.body.splitlines())),
        context(f"{_made(note)} · prompt {escape(note.prompt_version)}"),
    ]
    if note.problems:
        lines = "\n".join(f":x: {escape(p.message)}" for p in note.problems)
        blocks.append(section(f"*It fails the checks: edit it before approving.*\n{lines}"))
    line = _state_line(note)
    if line:
        blocks.append(section(line))
    buttons = note_buttons(note)
    if buttons is not None:
        blocks.append(buttons)
    return message(f"Customer note for {note.account_name}: {note.state}", blocks)


def note_buttons(note: CustomerNote) -> Any | None:
    """What can be done with the note now: Approve (when it passes) / Edit / Discard, or Mark as sent."""
    value = str(note.id)
    if note.state == "draft":
        first = [button("Approve", "note_approve", value, style="primary")] if note.valid else []
        return actions(
            *first, button("Edit", "note_edit", value), button("Discard", "note_discard", value, style="danger")
        )
    if note.state == "approved":
        return actions(button("Mark as sent", "note_sent", value, style="primary"))
    return None


def note_line(note: CustomerNote) -> str:
    """A note in a list (App Home)."""
    what = "approved: send it, then mark it sent" if note.state == "approved" else "to approve"
    checks = "" if note.valid else " · :x: fails the checks: edit it"
    return f"*{escape(note.account_name)}* (handoff #{note.handoff_id}) · “{escape(note.subject)}” · {what}{checks}"


def note_edit_modal(note: CustomerNote) -> dict[str, Any]:
    """Edit the subject and body; the edit is checked like any draft."""
    return modal(
        "Edit customer note",
        [
            InputBlock(
                block_id="subject",
                label=PlainTextObject(text="Subject"),
                element=PlainTextInputElement(action_id=ACTION, initial_value=note.subject, max_length=SUBJECT_INPUT),
            ),
            InputBlock(
                block_id="body",
                label=PlainTextObject(text="Body"),
                element=PlainTextInputElement(
                    action_id=ACTION, initial_value=note.body, multiline=True, max_length=BODY_INPUT
                ),
            ),
        ],
        callback_id=EDIT_CALLBACK,
        submit="Save",
        private_metadata=str(note.id),
    )


def edited_values(view: dict[str, Any]) -> tuple[str, str]:
    state = view.get("state", {}).get("values", {})
    subject = (state.get("subject", {}).get(ACTION) or {}).get("value") or ""
    body = (state.get("body", {}).get(ACTION) or {}).get("value") or ""
    return str(subject), str(body)
