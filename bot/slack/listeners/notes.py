"""Customer notes: drafted after a handoff is approved, sent to the new CSM with Approve / Edit /
Discard, and Mark as sent once approved. The workflows check who may."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.slack.blocks.notes import EDIT_CALLBACK, edited_values, note_edit_modal, note_message
from bot.slack.listeners.home import publish_home
from bot.slack.registry import Registry, Req
from engine.errors import NotAllowed
from engine.permissions import REQUEST_HANDOFF
from store import Store
from workflows.clock import Clock
from workflows.drafting import (
    CustomerNote,
    approve_note,
    check_edit,
    check_editor,
    discard_note,
    edit_note,
    get_note,
    mark_note_sent,
    record_note_message,
)
from workflows.roles import Person

log = logging.getLogger("tierbot.slack")


def show(req: Req, note: CustomerNote, *, message_of: CustomerNote | None = None) -> None:
    """Update the note's DM (the one ``message_of`` was posted in) to show ``note`` now."""
    where = message_of or note
    if where.channel and where.ts:
        req.client.chat_update(channel=where.channel, ts=where.ts, **note_message(note).as_kwargs())
        if message_of is not None:
            record_note_message(req.deps.store, note.id, where.channel, where.ts)
    else:
        req.reply(note_message(note), replace=True)
    publish_home(req)  # the note leaves (or changes in) the Home's list


def register(registry: Registry) -> None:
    def act(action_id: str, workflow: Callable[..., Any]) -> None:
        @registry.action(action_id, REQUEST_HANDOFF)
        def listener(req: Req) -> None:
            req.ack()
            deps = req.deps
            req.later(lambda: show(req, workflow(deps.store, int(req.value), person=req.person, clock=deps.clock)))

    def approve(store: Store, draft_id: int, *, person: Person, clock: Clock) -> CustomerNote:
        return approve_note(store, draft_id, person=person, clock=clock, writer=registry.deps.writer)

    act("note_approve", approve)
    act("note_discard", discard_note)
    act("note_sent", mark_note_sent)

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
        req.ack(response_action="clear")

        def saved() -> None:
            old = get_note(deps.store, note_id)
            new = edit_note(
                deps.store, note_id, subject=subject, body=body, person=req.person, writer=deps.writer, clock=deps.clock
            )
            show(req, new, message_of=old)

        req.later(saved)
