"""`tierbot draft HANDOFF`: the customer note of an approved handoff, drafted, shown, decided."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli_base import CONTEXT, db_option, emit, force_option, json_option, open_cli_store
from bot.config import NoteSettings, app_clock, load_settings, local_actor
from engine.errors import InputError

if TYPE_CHECKING:
    from workflows.drafting import ModelSettings, NoteWriter


def model_settings(notes: NoteSettings) -> ModelSettings:
    from workflows.drafting import ModelSettings

    return ModelSettings(
        notes.llm,
        notes.base_url,
        timeout_s=notes.timeout_s,
        max_tokens=notes.max_tokens,
        api_key=notes.api_key,
        key_variable=notes.key_variable,
    )


def note_writer() -> NoteWriter:
    """The drafter the environment configures: TIERBOT_LLM's model or the templates. A model that
    cannot be used (no key, its package missing) is said once, here, and every note it would have
    drafted is drafted from the templates with the reason recorded."""
    from workflows.drafting import load_note_writer

    notes = load_settings().notes
    writer = load_note_writer(model_settings(notes), allowed_domains=notes.allowed_domains)
    if writer.unavailable:
        click.echo(f"Note: {writer.unavailable} Drafting customer notes from templates for now.", err=True)
    return writer


writer_or_templates = note_writer  # the name the chat, handoff and plan commands know it by


@click.command(name="draft", context_settings=CONTEXT)
@click.argument("handoff_id", metavar="HANDOFF", type=int)
@click.option("--again", is_flag=True, help="Draft it anew (the waiting draft is discarded on the record).")
@click.option("--eml", "eml", type=click.Path(dir_okay=False, path_type=Path), help="Write the note as an .eml file.")
@click.option("--approve", "decision", flag_value="approve", help="Approve the draft (needs --as).")
@click.option("--discard", "decision", flag_value="discard", help="Discard the draft (needs --as).")
@click.option("--sent", "decision", flag_value="sent", help="Record that the approved note was sent (needs --as).")
@click.option("--as", "as_person", metavar="PERSON", help="Who decides: the new or old CSM, their manager, a leader.")
@force_option
@json_option
@db_option
def draft(
    handoff_id: int,
    again: bool,
    eml: Path | None,
    decision: str | None,
    as_person: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Show the customer note of handoff HANDOFF, drafting it first when it has none.

    The note introduces the new CSM to the customer's contact. It is drafted by the model
    TIERBOT_LLM names, or from a template, and checked: new CSM named, effective date present,
    no other customer's name, no links or addresses off the allowed domains, no mass mentions,
    no offers, term changes, requests for secrets, model instructions, money figures or the
    reason as typed, subject ≤ 120 and body ≤ 1,500 characters. A failing model draft falls back
    to the template, and so does a model that cannot be used (no key, its package missing): said
    once on stderr.

    \b
    Example:
        tierbot draft 12                      # show (or draft) it
        tierbot draft 12 --json               # subject, body, source (template|model|edited), valid, …
        tierbot draft 12 --eml note-12.eml    # open it in your mail program and send it
        tierbot draft 12 --approve --as sam-patel
        tierbot draft 12 --sent --as sam-patel
    """
    from bot.cli_handoffs import deliver, slack_outbox
    from workflows.drafting import (
        CustomerNote,
        NoteWriter,
        approve_note,
        discard_note,
        draft_note,
        latest_note,
        mark_note_sent,
        note_email,
    )
    from workflows.handoffs import person_named
    from workflows.outbox import Effect
    from workflows.outputs import check_output, write_bytes_atomically

    store = open_cli_store()
    if eml:
        check_output(eml, store_path=store.path, force=force)
    clock = app_clock()
    actor = local_actor("cli")
    note = None if again else latest_note(store, handoff_id)
    if note is None:  # the model is set up only when something is drafted
        note = draft_note(store, handoff_id, writer=note_writer(), actor=actor, clock=clock)
    if decision:
        if not as_person:
            raise InputError(f"Say who decides: `tierbot draft {handoff_id} --{decision} --as PERSON`.")
        person = person_named(store, as_person, acting=actor)
        outbox = slack_outbox(store)
        shown = f"note:{note.id}:{decision}:show"  # a note is approved, discarded or sent once

        def then(decided: CustomerNote) -> list[Effect]:
            # The new CSM's DM with the note shows the decision, as after a click in Slack.
            return [Effect(shown, "note.show", {"note": decided.id})] if decided.channel and decided.ts else []

        follow = then if outbox is not None else None
        if decision == "approve":
            domains = load_settings().notes.allowed_domains  # the checks run again: same allow-list
            writer = NoteWriter(allowed_domains=domains)
            note = approve_note(store, note.id, person=person, clock=clock, writer=writer, then=follow)
        else:
            action = {"discard": discard_note, "sent": mark_note_sent}[decision]
            note = action(store, note.id, person=person, clock=clock, then=follow)
        if outbox is not None:
            deliver(outbox, [shown], f"Customer note #{note.id} is {note.state}")
    if eml:
        if note.state not in ("approved", "sent"):
            raise InputError(
                f"Customer note #{note.id} is {note.state}: only an approved note is written as an email. Approve it "
                f"first (`tierbot draft {handoff_id} --approve --as PERSON --eml {eml}`)."
            )
        write_bytes_atomically(note_email(note), eml, store_path=store.path, force=force)
        click.echo(f"Wrote {eml}.", err=True)
    emit(note, as_json)
