"""What tierbot posts on its own (not in answer to someone): a plan for approval, check-ins, the
announcement digest. Used by the bot and by `tierbot handoff … --post` alike."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.common import Message, section
from bot.slack.blocks.handoff import decided_line, handoff_decided_message, handoff_request_message
from bot.slack.blocks.notes import note_message
from bot.slack.blocks.plans import DIGEST_SIZE, batch_report_message, digest_messages, plan_message, reminder_message
from bot.slack.results import Posted
from engine.errors import InputError
from store import Store
from workflows.clock import Clock
from workflows.drafting import NoteWriter, draft_note, record_note_message
from workflows.handoffs import Handoff, deciders, get_handoff, handoff_channel, record_thread
from workflows.plans import (
    Checkins,
    PlanDecision,
    claim_announcement,
    claim_checkin,
    due_checkins,
    get_plan,
    pending_announcement,
    record_plan_message,
    release_announcement,
    release_checkin,
)
from workflows.roles import slack_ids_of

log = logging.getLogger("tierbot.slack")
# Slack allows about one message per second per channel; a digest in parts waits this long between them.
PER_CHANNEL_INTERVAL_S = 1.1


def post_plan(client: WebClient, store: Store, plan_id: int, channel: str | None) -> Posted:
    """Post the plan for approval (to ``channel``, else the managers' channel); later decisions
    update this message."""
    where = channel or handoff_channel(store)
    if not where:
        raise InputError(
            "Say where to post the plan (`--channel C0123ABCD`), or set the managers' channel: "
            "`tierbot handoff settings --channel C0123ABCD`."
        )
    plan = get_plan(store, plan_id)
    posted = client.chat_postMessage(channel=where, **plan_message(plan).as_kwargs())
    record_plan_message(store, plan_id, str(posted["channel"]), str(posted["ts"]))
    return Posted(f"plan #{plan_id}", 1, str(posted["channel"]))


def send_for_decision(client: WebClient, store: Store, handoff: Handoff) -> tuple[list[str], str | None]:
    """Post the request in the managers' channel (its thread is the discussion), or DM the deciders
    when no channel is set or Slack refuses the post. Returns who decides and the channel used."""
    decide = deciders(store, handoff.from_csm, handoff.to_csm)
    note = handoff_request_message(handoff)
    channel = handoff_channel(store)
    if channel:
        try:
            posted = client.chat_postMessage(channel=channel, **note.as_kwargs())
            record_thread(store, handoff.id, str(posted["channel"]), str(posted["ts"]))
            return decide, channel
        except SlackApiError as failure:  # e.g. not_in_channel: the request must still reach someone
            log.warning("could not post handoff #%s in %s: %s", handoff.id, channel, failure.response.get("error"))
    for user_id in decide:
        try:
            client.chat_postMessage(channel=user_id, **note.as_kwargs())
        except SlackApiError as failure:
            log.warning("could not DM %s: %s", user_id, failure.response.get("error"))
    return decide, None


BOT_ACTOR = "tierbot"  # the audit log's actor for what the bot does on its own (notes drafted, check-ins)


def send_note(client: WebClient, store: Store, handoff_id: int, *, writer: NoteWriter, clock: Clock) -> None:
    """Draft the customer note of an approved handoff and DM it to the new CSM."""
    handoff = get_handoff(store, handoff_id)
    if not handoff.to_slack:
        log.warning("handoff #%s: %s has no Slack id; the note waits for `tierbot draft`", handoff.id, handoff.to_csm)
        return
    note = draft_note(store, handoff_id, writer=writer, actor=BOT_ACTOR, clock=clock)
    posted = client.chat_postMessage(channel=handoff.to_slack, **note_message(note).as_kwargs())
    record_note_message(store, note.id, str(posted["channel"]), str(posted["ts"]))


def dm_decision(client: WebClient, store: Store, handoff: Handoff, *, decider: str | None = None) -> None:
    """DM the decision to the requester and both CSMs (each once; not to whoever decided)."""
    people = [handoff.requested_by_slack, *slack_ids_of(store, [handoff.from_csm, handoff.to_csm])]
    for user_id in dict.fromkeys(p for p in people if p and p != decider):
        client.chat_postMessage(channel=user_id, **handoff_decided_message(handoff).as_kwargs())


def tell_decision(
    client: WebClient, store: Store, done: Handoff, *, writer: NoteWriter, clock: Clock, decider: str | None = None
) -> list[str]:
    """Everything that follows a decision, each step on its own so one failure stops no other: the
    customer note to the new CSM (when approved), DMs to the requester and both CSMs, the request's
    channel message and thread. Returns what could not be done, for the person who decided."""
    steps: list[tuple[str, Callable[[], object]]] = []
    if done.state == "approved":
        steps.append(("send the customer note", lambda: send_note(client, store, done.id, writer=writer, clock=clock)))
    steps += [
        ("DM the decision", lambda: dm_decision(client, store, done, decider=decider)),
        ("update the request in its channel", lambda: show_decision(client, done)),
    ]
    failed = []
    for what, step in steps:
        try:
            step()
        except Exception as failure:  # Slack refused, or the network failed: the record stands
            log.warning("handoff #%s: could not %s: %s", done.id, what, failure)
            failed.append(f"could not {what} ({_reason(failure)})")
    return failed


def tell_plan_decision(
    client: WebClient,
    store: Store,
    decision: PlanDecision,
    *,
    writer: NoteWriter,
    clock: Clock,
    decider: str | None = None,
) -> list[str]:
    """After plan lines are decided: the posted plan shows it, and each approved move is told
    like any decision (its note, DMs). Returns what could not be done."""
    failed = []
    try:
        refresh_plan(client, store, decision.plan.id)
    except Exception as failure:
        log.warning("plan #%s: could not update its message: %s", decision.plan.id, failure)
        failed.append(f"could not update the plan's message ({_reason(failure)})")
    for line in decision.plan.lines:
        if line.line in decision.approved and line.handoff_id:
            done = get_handoff(store, line.handoff_id)
            failed += [
                f"row {line.line}: {f}"
                for f in tell_decision(client, store, done, writer=writer, clock=clock, decider=decider)
            ]
    return failed


def _reason(failure: Exception) -> str:
    if isinstance(failure, SlackApiError):
        return f"Slack said `{failure.response.get('error')}`"
    return type(failure).__name__


def show_decision(client: WebClient, handoff: Handoff) -> None:
    """A decided handoff's channel message loses its buttons and says who decided; its thread hears it."""
    if not (handoff.channel and handoff.ts):
        return
    client.chat_update(channel=handoff.channel, ts=handoff.ts, **handoff_decided_message(handoff).as_kwargs())
    line = decided_line(handoff)
    client.chat_postMessage(channel=handoff.channel, thread_ts=handoff.ts, **plain_line(line).as_kwargs())


def plain_line(line: str) -> Message:
    """A line of ours (data in it escaped already, mentions live) as a message; its notification
    text has no mrkdwn or emoji codes."""
    return Message(re.sub(r"[*_]|:[a-z_]+: ", "", line), [section(line).to_dict()])


def refresh_plan(client: WebClient, store: Store, plan_id: int) -> None:
    """Show the plan's decisions on its posted message (when it was posted)."""
    plan = get_plan(store, plan_id)
    if plan.channel and plan.ts:
        client.chat_update(channel=plan.channel, ts=plan.ts, **plan_message(plan).as_kwargs())


def send_checkins(client: WebClient, store: Store, *, actor: str, clock: Clock) -> Checkins:
    """DM each due reminder to the new CSM and post each finished batch's report in the managers'
    channel. Each is claimed before it is sent, so two runs never send it twice; what Slack refuses
    is released and tried again next time."""
    due = due_checkins(store, clock)
    channel = handoff_channel(store)
    reminders = [
        r
        for r in due.reminders
        if r.to_slack and _send_once(store, r.key, "reminder", actor, clock, client, r.to_slack, reminder_message(r))
    ]
    reports = [
        b
        for b in due.reports
        if channel and _send_once(store, b.key, "batch report", actor, clock, client, channel, batch_report_message(b))
    ]
    for r in due.reminders:
        if not r.to_slack:
            log.warning("check-in for handoff #%s: %s has no Slack id", r.handoff_id, r.to_csm)
    return Checkins(due.day, tuple(reminders), tuple(reports))


def _send_once(
    store: Store, key: str, kind: str, actor: str, clock: Clock, client: WebClient, channel: str, note: Message
) -> bool:
    if not claim_checkin(store, key, kind, actor=actor, clock=clock):
        return False  # another run sent it
    try:
        client.chat_postMessage(channel=channel, **note.as_kwargs())
    except Exception as failure:  # Slack refused, or the network failed: try again next run
        log.warning("could not send a check-in (%s): %s; trying again next run", key, failure)
        release_checkin(store, key)
        return False
    return True


def post_digest(
    client: WebClient,
    store: Store,
    channel: str,
    *,
    actor: str,
    clock: Clock,
    pause: Callable[[float], None] = time.sleep,
) -> Posted:
    """Announce every approved handoff not announced yet, as a digest (a message per 40 moves,
    a second apart: Slack's pace for one channel). The moves are claimed first, so two runs at once
    never announce one twice; a part Slack refuses is released, with those after it."""
    pending = pending_announcement(store).handoffs
    claimed = set(claim_announcement(store, [h.id for h in pending], actor=actor, clock=clock))
    mine = [h for h in pending if h.id in claimed]
    if not mine:
        return Posted("no approved handoff waiting to be announced", 0, channel)
    parts = digest_messages(mine)
    for n, part in enumerate(parts):
        if n:
            pause(PER_CHANNEL_INTERVAL_S)
        try:
            client.chat_postMessage(channel=channel, **part.as_kwargs())
        except Exception:
            release_announcement(store, [h.id for h in mine[n * DIGEST_SIZE :]])  # this part and the rest
            raise
    return Posted(f"{len(mine)} approved handoff(s)", len(parts), channel)
