"""Customer notes: drafted after a handoff is approved, sent to the new CSM with Approve / Edit /
Discard, and Mark as sent once approved. Each click (and the Edit form) is recorded before its ack
and carried out from the outbox (``bot.slack.intents``), where the workflows check who may."""

from __future__ import annotations

from bot.slack.blocks.notes import EDIT_CALLBACK, edited_values, note_edit_modal
from bot.slack.registry import Registry, Req
from engine.errors import NotAllowed
from engine.permissions import REQUEST_HANDOFF
from workflows.drafting import check_edit, check_editor, get_note


def register(registry: Registry) -> None:
    def act(action_id: str, action: str) -> None:
        @registry.action(action_id, REQUEST_HANDOFF)
        def listener(req: Req) -> None:
            # Recorded before the ack: a click Slack was told we got is never lost.
            req.record("slack.note_decide", note=int(req.value), action=action, tell=req.asker)
            req.ack()

    act("note_approve", "approve")
    act("note_discard", "discard")
    act("note_sent", "sent")

    @registry.action("note_edit", REQUEST_HANDOFF)
    def edit(req: Req) -> None:
        deps = req.deps
        note = get_note(deps.reader, int(req.value))
        # Who may is checked before the form opens (reads only), not only when it is saved.
        try:
            check_editor(deps.reader, note, req.person)
        except NotAllowed as denial:
            raise req.refuse(denial, "button note_edit") from None
        req.open_modal(note_edit_modal(note))

    @registry.view(EDIT_CALLBACK, REQUEST_HANDOFF)
    def save(req: Req) -> None:
        deps = req.deps
        note_id = int(req.body["view"].get("private_metadata") or 0)
        subject, body = edited_values(req.body["view"])
        # Checked before the ack (reads only): problems show beside subject and body, nothing saved.
        check_edit(
            deps.reader, note_id, subject=subject, body=body, person=req.person, writer=deps.writer, refresh=False
        )
        # Recorded before the form closes; saved (and checked again) from the outbox.
        req.record("slack.note_decide", note=note_id, action="edit", subject=subject, body=body, tell=req.asker)
        req.ack(response_action="clear")
