"""Slack requests that change something, carried out from the outbox.

A `/handoff`, the handoff form, an Approve or Reject click, a plan's decision,
`/handoff announce`, a customer note's buttons (Approve, Discard, Mark as sent, the Edit form)
a workload round's `/workload start`, `remind` and `close`, and a leader's Activate are recorded in the outbox
before their ack (``Req.record``: one small write), so a request Slack was told "got it" is
never lost, even if the bot dies right after.
Here they are carried out: the decision and everything that must follow it land in one
transaction (``then``), then the deliverer sends each follow-up once. Carrying out a request
again (after a restart) finds what it recorded the first time and stops.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks.common import Message, denied_message, error_message
from bot.slack.blocks.handoff import handoff_decided_message, needs_exception_message
from bot.slack.blocks.notes import note_message
from bot.slack.blocks.plans import plan_decision_message, posted_message
from bot.slack.blocks.workload import reminded_message, round_started, round_summary_message
from bot.slack.outbox import Delivery, Done, announcement_effects, handles, in_team, reply_effect, survey_effects
from bot.slack.results import Posted
from engine.errors import InvalidFields, NotAllowed, TierbotError
from workflows.drafting import CustomerNote, approve_note, discard_note, edit_note, mark_note_sent
from workflows.handoffs import (
    Handoff,
    NeedsException,
    decide_handoff,
    decision_effects,
    propose_handoff,
    request_effects,
    request_handoff,
)
from workflows.outbox import Effect, effects_with, recorded
from workflows.plans import decide_plan, queue_announcement
from workflows.roles import Person, identify
from workflows.rules import ActivationReport, activate_rule_set
from workflows.workload import RoundStart, RoundSummary, close_round, round_status, start_round


def person_of(d: Delivery) -> Person:
    """Who asked, with their roles now (and the role-holding Slack groups they were in then)."""
    return identify(d.store, str(d.payload["user"]), d.payload.get("groups") or [])


def asker(d: Delivery) -> dict[str, Any]:
    """Where to answer the person who asked: their response URL (while it lasts), else their DM."""
    p = d.payload
    return {k: v for k, v in (("response_url", p.get("response_url")), ("user", p.get("user"))) if v}


def refusal(failure: TierbotError) -> Message:
    if isinstance(failure, NotAllowed):
        return denied_message(failure)
    if isinstance(failure, InvalidFields):
        return error_message(" ".join(failure.errors.values()))
    return error_message(str(failure))


def refused(d: Delivery, failure: TierbotError, note: Message | None = None) -> Done:
    """The request cannot be done (the data says no): tell the person why; nothing else happens."""
    key = d.effect.key
    return Done(
        {"refused": str(failure)},
        in_team(reply_effect(f"{key}:reply", asker(d), note or refusal(failure)), d.payload.get("team")),
    )


@handles("slack.handoff_propose", "record your handoff request")
def propose(d: Delivery) -> Done:
    """`/handoff <account> to @csm <reason>`: the proposal and its request for a decision."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if recorded(d.store, f"{key}:request") or recorded(d.store, f"{key}:reply"):
        return Done({"already": True})
    try:
        handoff = propose_handoff(
            d.store,
            person_of(d),
            account=str(p["account"]),
            to=str(p["to"]),
            reason=str(p["reason"]),
            effective=None,
            clock=d.clock,
            names=d.deps.names if d.deps else None,
            then=lambda h: in_team(request_effects(h, reply=asker(d), key=f"{key}:request"), team),
        )
    except TierbotError as failure:
        return refused(d, failure)
    return Done({"handoff": handoff.id})


@handles("slack.handoff_form", "record your handoff request")
def request_from_form(d: Delivery) -> Done:
    """The request form, submitted: checked again under the write lock, then recorded."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if recorded(d.store, f"{key}:request") or recorded(d.store, f"{key}:reply"):
        return Done({"already": True})
    fields = p["fields"]
    try:
        handoff = request_handoff(
            d.store,
            person_of(d),
            crm_id=str(p["crm_id"]),
            to_csm=fields.get("to_csm"),
            reason=fields.get("reason"),
            effective=fields.get("effective"),
            clock=d.clock,
            then=lambda h: in_team(request_effects(h, reply=asker(d), key=f"{key}:request"), team),
        )
    except TierbotError as failure:
        return refused(d, failure)
    return Done({"handoff": handoff.id})


@handles("slack.handoff_decide", "record your decision")
def decide(d: Delivery) -> Done:
    """Approve, Reject or an exception: the decision and what must follow it, together."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if recorded(d.store, f"{key}:home"):
        return Done({"already": True})
    person = person_of(d)
    handoff_id = int(p["handoff"])
    url, clicked = p.get("response_url"), p.get("container") or {}

    def then(done: Handoff) -> list[Effect]:
        effects = decision_effects(d.store, done, decider=person.slack_user_id, tell=asker(d))
        in_channel = (clicked.get("channel_id"), clicked.get("message_ts")) == (done.channel, done.ts)
        if url and not in_channel:  # the copy clicked (a DM) shows the decision too
            effects += reply_effect(f"{key}:reply", {"response_url": url}, handoff_decided_message(done), replace=True)
        # Home: the request leaves "waiting for your decision".
        effects.append(Effect(f"{key}:home", "home.publish", {"user": person.slack_user_id, "groups": p.get("groups")}))
        return in_team(effects, team)

    try:
        done = decide_handoff(
            d.store,
            handoff_id,
            approve=bool(p["approve"]),
            person=person,
            clock=d.clock,
            exception=p.get("exception"),
            then=then,
        )
    except NeedsException as needs:
        # It failed a guardrail only now (the data moved since the proposal): a leader is offered the exception.
        offer = needs_exception_message(str(needs), handoff_id) if "leader" in person.roles else None
        return refused(d, needs, offer)
    except TierbotError as failure:  # someone decided first, or this person may not
        return refused(d, failure)
    return Done({"handoff": done.id, "state": done.state})


@handles("slack.plan_decide", "record your decision on the plan")
def decide_plan_lines(d: Delivery) -> Done:
    """Approve all, or one line's Approve / Reject: each line with what must follow it, then the
    answer. Lines are decided one by one (each in its own transaction); carrying this out again
    skips the lines decided already."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if recorded(d.store, f"{key}:reply"):
        return Done({"already": True})
    person, plan_id = person_of(d), int(p["plan"])

    def then(line: int, handoff: Handoff | None) -> list[Effect]:
        follow = decision_effects(d.store, handoff, decider=person.slack_user_id, tell=asker(d)) if handoff else []
        refresh = {"plan": plan_id, "tell": asker(d), "subject": f"Row {line} of plan #{plan_id} is decided"}
        return in_team([*follow, Effect(f"plan:{plan_id}:refresh:{line}", "plan.refresh", refresh)], team)

    try:
        decision = decide_plan(
            d.store, plan_id, approve=bool(p["approve"]), person=person, clock=d.clock, lines=p.get("lines"), then=then
        )
    except TierbotError as failure:
        return refused(d, failure)
    note = plan_decision_message(decision)
    return Done(
        {"approved": list(decision.approved), "rejected": list(decision.rejected)},
        in_team(reply_effect(f"{key}:reply", asker(d), note), team),
    )


@handles("slack.announce", "announce the approved handoffs")
def announce(d: Delivery) -> Done:
    """`/handoff announce`: the approved handoffs not announced yet claimed, and the digest's
    messages recorded with the claim; the asker hears how it went once the last one is posted."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    digest = key.replace(":", "-")
    if recorded(d.store, f"announce:{digest}:1") or recorded(d.store, f"{key}:reply"):
        return Done({"already": True})
    channel = str(p["channel"])
    claimed = queue_announcement(
        d.store,
        actor=f"slack:{p['user']}",
        clock=d.clock,
        then=lambda hs: announcement_effects(hs, channel, reply=asker(d), team=team, digest=digest),
    )
    if claimed:
        return Done({"handoffs": [h.id for h in claimed]})
    note = posted_message(Posted("no approved handoff waiting to be announced", 0, channel))
    return Done({"handoffs": []}, in_team(reply_effect(f"{key}:reply", asker(d), note), team))


NOTE_DONE = {"approve": "approved", "discard": "discarded", "sent": "marked sent", "edit": "edited"}


@handles("slack.note_decide", "record what you did with the customer note")
def decide_note(d: Delivery) -> Done:
    """Approve, Discard, Mark as sent or the Edit form: the note's new state and what must follow
    it (its DM shown as it is now, the person's App Home), together."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if recorded(d.store, f"{key}:home"):
        return Done({"already": True})
    person, note_id, action = person_of(d), int(p["note"]), str(p["action"])

    def then(note: CustomerNote) -> list[Effect]:
        subject = f"Customer note #{note.id} is {NOTE_DONE[action]}"
        if note.channel and note.ts:
            effects = [Effect(f"{key}:show", "note.show", {"note": note.id, "tell": asker(d), "subject": subject})]
        else:  # a note never sent to Slack: the copy clicked shows it instead
            effects = reply_effect(f"{key}:reply", asker(d), note_message(note), replace=True)
        # Home: the note leaves (or changes in) the list of notes to act on.
        effects.append(Effect(f"{key}:home", "home.publish", {"user": person.slack_user_id, "groups": p.get("groups")}))
        return in_team(effects, team)

    try:
        if action == "edit":
            fields = {"subject": str(p["subject"]), "body": str(p["body"])}
            note = edit_note(d.store, note_id, **fields, person=person, writer=d.writer, clock=d.clock, then=then)
        elif action == "approve":
            note = approve_note(d.store, note_id, person=person, clock=d.clock, writer=d.writer, then=then)
        elif action == "discard":
            note = discard_note(d.store, note_id, person=person, clock=d.clock, then=then)
        else:
            note = mark_note_sent(d.store, note_id, person=person, clock=d.clock, then=then)
    except TierbotError as failure:  # decided already, may not, or fails the checks now
        return refused(d, failure)
    return Done({"note": note.id, "state": note.state})


# ---------------------------------------------------------------------------------- workload rounds


def surveyed(d: Delivery) -> bool:
    """This request's DMs (or its answer) were recorded already: carried out before a restart."""
    key = d.effect.key
    return bool(effects_with(d.store, "workload.ask", "batch", key)) or recorded(d.store, f"{key}:reply")


@handles("slack.workload_start", "start the workload round")
def start_survey(d: Delivery) -> Done:
    """`/workload start [period]`: the round opened, and a DM to each CSM recorded with it."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if surveyed(d):
        return Done({"already": True})

    def then(started: RoundStart) -> list[Effect]:
        if not started.targets:  # nobody to DM: say so now
            return in_team(reply_effect(f"{key}:reply", asker(d), round_started(started, 0, ())), team)
        return in_team(survey_effects(key, started, started.targets, reply=asker(d)), team)

    try:
        started = start_round(
            d.store,
            actor=f"slack:{p['user']}",
            clock=d.clock,
            period=p.get("period"),
            channel=p.get("channel"),
            then=then,
        )
    except TierbotError as failure:  # a round is open already, or nobody in the roster
        return refused(d, failure)
    return Done({"round": started.round_id, "asked": len(started.targets)})


@handles("slack.workload_remind", "remind those who have not answered")
def remind_survey(d: Delivery) -> Done:
    """`/workload remind`: a reminder DM to each CSM the open round still waits for."""
    key, team = d.effect.key, d.payload.get("team")
    if surveyed(d):
        return Done({"already": True})
    try:
        status = round_status(d.store)
    except TierbotError as failure:  # no round open
        return refused(d, failure)
    waiting = [t for t in status.missing if t.slack_user_id]
    if not waiting:
        note = reminded_message(status.period, 0, missing=len(status.missing))
        return Done({"reminded": 0}, in_team(reply_effect(f"{key}:reply", asker(d), note), team))
    round_ = RoundStart(status.round_id, status.period, tuple(waiting), ())
    return Done(
        {"reminding": len(waiting)}, in_team(survey_effects(key, round_, waiting, reply=asker(d), reminder=True), team)
    )


@handles("slack.workload_close", "close the workload round")
def close_survey(d: Delivery) -> Done:
    """`/workload close`: the round closed and its summary posted in the channel, together."""
    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if recorded(d.store, f"{key}:reply"):
        return Done({"already": True})

    def then(summary: RoundSummary) -> list[Effect]:
        return in_team(reply_effect(f"{key}:reply", asker(d), round_summary_message(summary), public=True), team)

    try:
        summary = close_round(d.store, actor=f"slack:{p['user']}", clock=d.clock, then=then)
    except TierbotError as failure:  # no round open, or closed meanwhile
        return refused(d, failure)
    return Done({"round": summary.status.round_id})


# ---------------------------------------------------------------------------------- rule sets


@handles("slack.rules_activate", "activate the rule set")
def activate(d: Delivery) -> Done:
    """Activate (after a what-if): the rule set made active and the book's re-tiering recorded
    together; the re-tiering (``rules.apply``) then says how it went, privately and in the channel."""
    from bot.slack.blocks.segment import activation_of

    p, key, team = d.payload, d.effect.key, d.payload.get("team")
    if recorded(d.store, f"{key}:apply"):
        return Done({"already": True})
    name, fingerprint = activation_of(str(p["value"]))

    def then(report: ActivationReport) -> list[Effect]:
        tell = {"reply": asker(d), "tell": asker(d), "subject": f"`{report.name}` is active"}
        retier = {"name": report.name, "previous": report.previous, "actor": report.actor} | tell
        return in_team([Effect(f"{key}:apply", "rules.apply", retier)], team)

    try:
        report = activate_rule_set(
            d.store, name, actor=f"slack:{p['user']}", clock=d.clock, fingerprint=fingerprint, then=then
        )
    except TierbotError as failure:  # active already (another leader), or changed since its what-if
        return refused(d, failure)
    return Done({"activated": report.name})
