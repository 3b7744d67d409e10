"""Delivering the outbox: every effect a decision or a request left behind, performed once.

A decision (a handoff approved, plan lines decided) records what must follow it in its own
transaction (``workflows.outbox``); so does a Slack request that changes something, recorded
before its ack (``Req.record``). The ``Deliverer`` claims what is due, runs the handler of its
kind, and marks it done in the transaction that records what the delivery changed (the
request's channel message, the note's DM) and what follows it (the reply saying where a request
went). Slack busy or unreachable: tried again after its Retry-After, or with a growing pause,
also after a restart (`tierbot serve` drains the outbox when it starts and keeps at it); Slack
refusing for good: kept as failed, and whoever decided is told what could not be done.

Exactly once: an effect's key makes it one row however often it is recorded, a claim makes one
deliverer perform it, and done is recorded with what it did. What remains is the moment between
Slack taking a message and the store recording it: a process killed exactly then sends that one
message again after the restart, rather than never.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.common import Message, error_message
from bot.slack.blocks.handoff import decided_line, handoff_decided_message, handoff_sent
from bot.slack.blocks.notes import note_message
from bot.slack.blocks.plans import digest_part, digest_parts, plan_message, posted_message
from bot.slack.blocks.workload import reminded_message, round_started, survey_dm
from bot.slack.outbound import (
    BOT_ACTOR,
    failure_reason,
    is_transient,
    plain_line,
    send_for_decision,
)
from bot.slack.results import Posted
from bot.slack.retries import ResponseUrlRefused, respond_through, retry_after_s
from engine.errors import InputError, StoreBusy, TierbotError
from store import Store
from workflows.clock import Clock
from workflows.drafting import NoteWriter, draft_note, latest_note, note_in_message, record_note_message
from workflows.handoffs import get_handoff, handoff_channel, record_thread
from workflows.outbox import (
    Effect,
    Pending,
    claim_effects,
    cover_pending,
    effect_done,
    effect_failed,
    effect_ids,
    effect_later,
    effect_state,
    effects_with,
    forget_delivered,
    next_due_in,
    record_effects,
    release_dead_claims,
    this_process,
)
from workflows.plans import confirm_announcement, get_plan, record_plan_message, release_announcement
from workflows.workload import RoundStart, Target, record_asked, record_reminded, request_of

if TYPE_CHECKING:
    from bot.slack.deps import SlackDeps

log = logging.getLogger("tierbot.slack")

MAX_ATTEMPTS = 12  # with pauses doubling from 2 s to 5 min: about half an hour of Slack being away
MAX_PAUSE_S = 300.0
POLL_S = 2.0  # how often a bot looks for effects another process (the command line) recorded
TIDY_S = 60.0  # how often it takes back what processes that are gone had claimed
DELIVERY_THREADS = 4
# Slack's pace for one channel: a digest's messages go this far apart.
PER_CHANNEL_INTERVAL_S = 1.1


@dataclass(frozen=True)
class Done:
    """A delivery that worked: what it did (``result``), what it changed in the store (``also``,
    in the transaction that marks it done) and what follows it (``then``)."""

    result: dict[str, Any] | None = None
    then: Sequence[Effect] = ()
    also: Callable[[Store], None] | None = None


@dataclass
class Delivery:
    """One effect being delivered, with what its handler may use."""

    effect: Pending
    store: Store
    client_for: Callable[[str | None], WebClient]
    clock: Clock
    writer: NoteWriter
    deps: SlackDeps | None = None  # the running bot (intents need it); None on the command line

    @property
    def payload(self) -> dict[str, Any]:
        return self.effect.payload

    @functools.cached_property
    def client(self) -> WebClient:
        """The Web API client of the workspace the effect is for (asked only by handlers that call Slack)."""
        return self.client_for(self.payload.get("team"))


def in_team(effects: Sequence[Effect], team: str | None) -> list[Effect]:
    """Effects delivered with the asking workspace's token (multi-workspace installs)."""
    if not team:
        return list(effects)
    return [Effect(e.key, e.kind, {"team": team} | e.payload, e.delay_s) for e in effects]


def in_team_of(effect: Pending, effects: Sequence[Effect]) -> list[Effect]:
    """What follows an effect goes to the same workspace (multi-workspace installs)."""
    team = effect.payload.get("team")
    if not team:
        return list(effects)
    return [e if "team" in e.payload else Effect(e.key, e.kind, {"team": team} | e.payload, e.delay_s) for e in effects]


Handler = Callable[[Delivery], Done]
HANDLERS: dict[str, Handler] = {}
# What a kind's failure undoes (``release_announcement`` for a digest Slack refused), in the
# transaction that records the failure.
ON_FAILURE: dict[str, Callable[[Delivery, str], Callable[[Store], None]]] = {}
# What could not be done, in words, for the person told about a failure.
WHAT: dict[str, str] = {}


def handles(kind: str, what: str = "") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        WHAT[kind] = what or kind
        return handler

    return register


@dataclass(frozen=True)
class Outcome:
    """What became of one effect: done, failed (for good) or later (tried again)."""

    id: int
    key: str
    kind: str
    state: str
    result: dict[str, Any] | None = None
    error: str | None = None


def reply_effect(
    key: str, to: dict[str, Any] | None, note: Message, *, replace: bool = False, public: bool = False
) -> list[Effect]:
    """An answer to someone, through their response URL when there is one, else their DM;
    ``public``: in the channel the request came from (through the response URL)."""
    if not to:
        return []
    answer = {"to": to, "message": note.as_kwargs(), "replace": replace} | ({"public": True} if public else {})
    return [Effect(key, "slack.reply", answer)]


def pause_after(attempts: int) -> float:
    return min(2.0**attempts, MAX_PAUSE_S)


def retry_in(failure: BaseException, attempts: int) -> float | None:
    """Seconds to wait before trying again, or None when trying again cannot help."""
    if isinstance(failure, SlackApiError):
        if getattr(failure.response, "status_code", 200) == 429 or failure.response.get("error") == "ratelimited":
            return max(retry_after_s(failure.response.headers), 1.0)
        return pause_after(attempts) if is_transient(failure) else None
    if isinstance(failure, ResponseUrlRefused):
        return pause_after(attempts) if failure.status == 429 or failure.status >= 500 else None
    if isinstance(failure, StoreBusy):
        return pause_after(attempts)
    if isinstance(failure, TierbotError):
        return None  # the data says no: trying again says no again
    return pause_after(attempts)  # the network, or a bug: a few more tries, then failed


class Deliverer:
    """Claims due effects and delivers them on a few threads of its own (never the threads that
    answer people), waking when told there is something new and every ``poll_s`` seconds."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        client_for: Callable[[str | None], WebClient],
        writer: NoteWriter,
        *,
        deps: SlackDeps | None = None,
        threads: int = DELIVERY_THREADS,
        poll_s: float = POLL_S,
        now: Callable[[], float] = time.time,
    ):
        self.store, self.clock, self.client_for, self.writer, self.deps = store, clock, client_for, writer, deps
        self.threads, self.poll_s, self.now = threads, poll_s, now
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._busy = 0
        self._pool: ThreadPoolExecutor | None = None
        self._loop_thread: threading.Thread | None = None
        self.claimer = this_process()

    # -- running in the bot

    def start(self) -> Deliverer:
        """Take back what a killed process had claimed, then deliver from now on."""
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="slack-outbox")
        self._loop_thread = threading.Thread(target=self._loop, name="slack-outbox", daemon=True)
        self._loop_thread.start()
        return self

    def kick(self) -> None:
        """Something was just recorded: look now, not at the next poll."""
        self._wake.set()

    def stop(self, *, drain_s: float = 10.0) -> None:
        """Deliver what is due now (for up to ``drain_s`` seconds), then stop."""
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            with self._idle:
                busy = self._busy
            due = next_due_in(self.store, now=self.now)
            if busy == 0 and (due is None or due > 0):
                break
            self.kick()
            time.sleep(0.02)
        self._stop.set()
        self._wake.set()
        if self._loop_thread is not None:
            self._loop_thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _loop(self) -> None:
        try:
            forget_delivered(self.store, clock=self.clock)
        except Exception:
            log.exception("could not drop the outbox's old deliveries")
        tidied = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            wait = self.poll_s
            try:
                if time.monotonic() - tidied > TIDY_S:  # at start, then now and then: a command killed mid-way
                    release_dead_claims(self.store, alive=_alive, now=self.now)
                    tidied = time.monotonic()
                with self._idle:
                    free = self.threads - self._busy
                claimed = claim_effects(self.store, limit=free, claimer=self.claimer, now=self.now) if free > 0 else []
                for effect in claimed:
                    with self._idle:
                        self._busy += 1
                    assert self._pool is not None
                    self._pool.submit(self._run, effect)
                due = next_due_in(self.store, now=self.now)
                if due is not None and free > len(claimed):
                    wait = min(wait, due)
            except Exception:  # the store busy for long, say: look again soon
                log.exception("the outbox could not be read; trying again in %.0f s", self.poll_s)
            self._wake.wait(wait)

    def _run(self, effect: Pending) -> None:
        try:
            self.deliver_one(effect)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()
            self._wake.set()

    # -- on the command line: these effects, now

    def deliver_now(self, keys: Sequence[str], *, patience_s: float) -> list[Outcome]:
        """Deliver the effects recorded under ``keys`` in this thread, waiting up to
        ``patience_s`` for those Slack asks to wait for. What is still waiting after that stays
        in the outbox for `tierbot serve`."""
        ids = effect_ids(self.store, keys)
        outcomes: dict[int, Outcome] = {}
        deadline = time.monotonic() + patience_s
        while True:
            waiting = [i for i in ids if i not in outcomes or outcomes[i].state == "later"]
            for effect in claim_effects(
                self.store, limit=len(waiting) or 1, ids=waiting, claimer=self.claimer, now=self.now
            ):
                outcomes[effect.id] = self.deliver_one(effect)
            left = [i for i in ids if i not in outcomes or outcomes[i].state == "later"]
            due = next_due_in(self.store, now=self.now, ids=left) if left else None
            if not left or due is None or time.monotonic() + due > deadline:
                break
            time.sleep(max(due, 0.05))
        for i in ids:
            if i not in outcomes:
                entry = effect_state(self.store, i)
                if entry is not None:
                    outcomes[i] = Outcome(
                        i,
                        entry.key,
                        entry.kind,
                        "later" if entry.state != "done" else "done",
                        entry.result,
                        entry.error,
                    )
        return [outcomes[i] for i in ids if i in outcomes]

    # -- one effect

    def deliver_one(self, effect: Pending) -> Outcome:
        handler = HANDLERS.get(effect.kind)
        delivery = Delivery(effect, self.store, self.client_for, self.clock, self.writer, self.deps)
        try:
            if handler is None:
                raise InputError(
                    f"tierbot does not know how to deliver `{effect.kind}` (a newer version recorded it?)."
                )
            done = handler(delivery)
        except Exception as failure:
            return self._failed(delivery, failure)
        then = in_team_of(effect, done.then)
        self._record(
            lambda: effect_done(self.store, effect.id, done.result, clock=self.clock, then=then, also=done.also)
        )
        if then:
            self.kick()
        return Outcome(effect.id, effect.key, effect.kind, "done", done.result)

    def _failed(self, delivery: Delivery, failure: BaseException) -> Outcome:
        effect = delivery.effect
        error = failure_reason(failure) if isinstance(failure, SlackApiError | OSError) else str(failure)
        wait = retry_in(failure, effect.attempts)
        if not isinstance(failure, SlackApiError | TierbotError | ResponseUrlRefused | OSError):
            reference = uuid.uuid4().hex[:8]
            log.exception("delivering %s failed unexpectedly (reference %s)", effect.key, reference)
            error = f"an unexpected error (reference {reference}; the bot's log has the details)"
        if wait is not None and effect.attempts < MAX_ATTEMPTS:
            log.warning("%s: %s; trying again in %.0f s", effect.key, error, wait)
            self._record(lambda: effect_later(self.store, effect.id, after_s=wait, error=error, now=self.now))
            return Outcome(effect.id, effect.key, effect.kind, "later", None, error)
        log.warning("%s: %s; giving up", effect.key, error)
        undo = ON_FAILURE.get(effect.kind)
        try:
            tell = in_team_of(effect, tell_effects(delivery, error))
        except Exception:  # telling must not keep the failure from being recorded
            log.exception("could not say that %s failed", effect.key)
            tell = []
        self._record(
            lambda: effect_failed(
                self.store, effect.id, error, clock=self.clock, then=tell, also=undo(delivery, error) if undo else None
            )
        )
        if tell:
            self.kick()
        return Outcome(effect.id, effect.key, effect.kind, "failed", None, error)

    def _record(self, write: Callable[[], None]) -> None:
        """Record an outcome; a store busy for over a minute is waited out again (the delivery
        happened: forgetting it would deliver it twice)."""
        for attempt in range(5):
            try:
                write()
                return
            except StoreBusy:
                if attempt == 4:
                    raise
                log.warning("the store is busy; recording a delivery again")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tell_effects(delivery: Delivery, error: str) -> list[Effect]:
    """Tell whoever decided what could not be done (when they are known)."""
    tell = delivery.payload.get("tell")
    if not tell:
        return []
    subject = delivery.payload.get("subject") or ""
    if not subject and "handoff" in delivery.payload:
        state = get_handoff(delivery.store, int(delivery.payload["handoff"])).state
        subject = f"Handoff #{delivery.payload['handoff']} is {state}"
    what = WHAT.get(delivery.effect.kind, delivery.effect.kind)
    text = f"{subject}, but tierbot could not {what} ({error})." if subject else f"tierbot could not {what} ({error})."
    return reply_effect(f"{delivery.effect.key}:failed", tell, error_message(text))


# ---------------------------------------------------------------------------------- replies


@handles("slack.reply", "answer you")
def deliver_reply(d: Delivery) -> Done:
    """An answer: through the response URL (valid 30 minutes, five posts), else a DM. A copy to
    replace (the message clicked) is only replaced, never sent again as a DM."""
    to, note = d.payload["to"], Message(d.payload["message"]["text"], d.payload["message"]["blocks"])
    replace = bool(d.payload.get("replace"))
    if to.get("response_url"):
        try:
            shown = "in_channel" if d.payload.get("public") else "ephemeral"
            message = {"response_type": shown, "replace_original": replace}
            respond_through(str(to["response_url"]), message | note.as_kwargs(), patience_s=0)
            return Done({"response_url": True})
        except ResponseUrlRefused as refused:
            if refused.status == 429 or refused.status >= 500:
                raise
            if replace or not to.get("user"):
                return Done({"skipped": f"the response URL no longer takes posts ({refused})"})
            log.warning("answering %s by DM: %s", to.get("user"), refused)
    posted = d.client.chat_postMessage(channel=str(to["user"]), **note.as_kwargs())
    return Done({"channel": posted["channel"], "ts": posted["ts"]})


@handles("home.publish", "refresh your App Home")
def deliver_home(d: Delivery) -> Done:
    if d.deps is None:
        return Done({"skipped": "no Slack app running"})
    from bot.slack.blocks.home import home_view
    from workflows.home import home_for
    from workflows.roles import identify

    deps = d.deps
    person = identify(d.store, str(d.payload["user"]), d.payload.get("groups") or [])
    view = home_view(home_for(d.store, person, clock=d.clock, books=deps.books))
    d.client.views_publish(user_id=person.slack_user_id, view=view)
    return Done({"published": True})


# ---------------------------------------------------------------------------------- handoffs


@handles("handoff.request", "send the request for a decision")
def deliver_request(d: Delivery) -> Done:
    """The request in the managers' channel (or DMs to the deciders); then, to the requester,
    where it actually went."""
    handoff = get_handoff(d.store, int(d.payload["handoff"]))
    sent = send_for_decision(d.client, d.store, handoff)
    if not sent.delivered and sent.transient:
        raise OSError(f"Slack could not be reached to send handoff #{handoff.id} ({'; '.join(sent.reasons)})")

    def keep_thread(store: Store) -> None:
        if sent.channel and sent.ts:
            record_thread(store, handoff.id, sent.channel, sent.ts)

    told = reply_effect(f"{d.effect.key}:reply", d.payload.get("reply"), handoff_sent(handoff, sent))
    return Done(sent.as_result(), told, keep_thread)


@handles("handoff.note", "send the customer note to the new CSM")
def deliver_note(d: Delivery) -> Done:
    """Draft the customer note of an approved handoff (once) and DM it to the new CSM."""
    handoff = get_handoff(d.store, int(d.payload["handoff"]))
    if not handoff.to_slack:
        log.warning("handoff #%s: %s has no Slack id; the note waits for `tierbot draft`", handoff.id, handoff.to_csm)
        return Done({"skipped": f"{handoff.to_name or handoff.to_csm} has no Slack id"})
    note = latest_note(d.store, handoff.id)
    if note is None or note.state != "draft" or note.channel:
        if note is not None and note.channel:
            return Done({"skipped": f"note #{note.id} is in {note.channel} already"})
        try:  # slow with a model: outside any transaction, and a redelivery reuses this draft
            note = draft_note(d.store, handoff.id, writer=d.writer, actor=BOT_ACTOR, clock=d.clock)
        except InputError as nothing:  # told already, or no longer approved: no note to send
            return Done({"skipped": str(nothing)})
    posted = d.client.chat_postMessage(channel=handoff.to_slack, **note_message(note).as_kwargs())
    channel, ts, note_id = str(posted["channel"]), str(posted["ts"]), note.id
    return Done(
        {"note": note_id, "channel": channel, "ts": ts}, also=lambda s: record_note_message(s, note_id, channel, ts)
    )


@handles("handoff.dm", "DM the decision")
def deliver_decision_dm(d: Delivery) -> Done:
    handoff = get_handoff(d.store, int(d.payload["handoff"]))
    posted = d.client.chat_postMessage(channel=str(d.payload["user"]), **handoff_decided_message(handoff).as_kwargs())
    return Done({"channel": posted["channel"], "ts": posted["ts"]})


@handles("handoff.update", "update the request in its channel")
def deliver_decision_update(d: Delivery) -> Done:
    """The request's channel message loses its buttons and says who decided."""
    handoff = get_handoff(d.store, int(d.payload["handoff"]))
    if not (handoff.channel and handoff.ts):
        return Done({"skipped": "the request has no channel message"})
    d.client.chat_update(channel=handoff.channel, ts=handoff.ts, **handoff_decided_message(handoff).as_kwargs())
    return Done({"channel": handoff.channel, "ts": handoff.ts})


@handles("handoff.thread", "say it in the request's thread")
def deliver_decision_thread(d: Delivery) -> Done:
    handoff = get_handoff(d.store, int(d.payload["handoff"]))
    if not (handoff.channel and handoff.ts):
        return Done({"skipped": "the request has no channel message"})
    line = plain_line(decided_line(handoff))
    posted = d.client.chat_postMessage(channel=handoff.channel, thread_ts=handoff.ts, **line.as_kwargs())
    return Done({"channel": posted["channel"], "ts": posted["ts"]})


@handles("note.show", "update the customer note's message")
def deliver_note_shown(d: Delivery) -> Done:
    """The new CSM's DM with the note shows what was decided (its buttons change or go), and the
    latest draft when an edit took the message over."""
    note = note_in_message(d.store, int(d.payload["note"]))
    if not (note.channel and note.ts):
        return Done({"skipped": f"note #{note.id} has no message"})
    d.client.chat_update(channel=note.channel, ts=note.ts, **note_message(note).as_kwargs())
    return Done({"note": note.id, "channel": note.channel, "ts": note.ts})


# ---------------------------------------------------------------------------------- workload


def survey_effects(
    batch: str,
    round_: RoundStart,
    targets: Sequence[Target],
    *,
    reply: dict[str, Any] | None,
    reminder: bool = False,
) -> list[Effect]:
    """A round's DM (or its reminder) to each of ``targets``; whoever asked hears how it went
    once the last one is sent or refused."""
    common = {
        "batch": batch,
        "round": round_.round_id,
        "period": round_.period,
        "reminder": reminder,
        "reply": reply,
        "unreachable": list(round_.unreachable),
    }
    who = [{"csm": t.csm_id, "name": t.name, "user": t.slack_user_id} for t in targets]
    return [Effect(f"{batch}:ask:{w['csm']}", "workload.ask", common | w) for w in who]


@handles("workload.ask", "DM the workload survey")
def deliver_survey(d: Delivery) -> Done:
    """A CSM's DM asking for their estimate (or reminding them), kept on the round's record."""
    p, clock = d.payload, d.clock
    round_id, csm, reminder = int(p["round"]), str(p["csm"]), bool(p.get("reminder"))
    note = survey_dm(str(p["period"]), round_id, reminder=reminder)
    posted = d.client.chat_postMessage(channel=str(p["user"]), **note.as_kwargs())
    channel, ts = str(posted["channel"]), str(posted["ts"])

    def asked(store: Store) -> None:
        if reminder:
            record_reminded(store, round_id, csm, clock=clock)
        else:
            record_asked(
                store, round_id, Target(csm, str(p["name"]), str(p["user"])), channel=channel, ts=ts, clock=clock
            )
        _survey_told(d, store)

    return Done({"channel": channel, "ts": ts}, also=asked)


ON_FAILURE["workload.ask"] = lambda d, error: lambda store: _survey_told(d, store, failed=True)


def _survey_told(d: Delivery, store: Store, *, failed: bool = False) -> None:
    """The batch's last DM finished (sent or refused): tell whoever asked how it went."""
    p = d.payload
    parts = effects_with(store, "workload.ask", "batch", p["batch"])
    others = [e for e in parts if e.id != d.effect.id]
    if not p.get("reply") or any(e.state not in ("done", "failed") for e in others):
        return
    refused = [str(e.payload.get("name")) for e in others if e.state == "failed"] + ([str(p["name"])] if failed else [])
    sent = len(parts) - len(refused)
    if p.get("reminder"):
        note = reminded_message(str(p["period"]), sent, missing=len(parts), failed=refused)
    else:
        started = RoundStart(int(p["round"]), str(p["period"]), (), tuple(p.get("unreachable") or ()))
        note = round_started(started, sent, refused)
    told = in_team(reply_effect(f"{p['batch']}:reply", p["reply"], note), p.get("team"))
    record_effects(store, told, actor=BOT_ACTOR, clock=d.clock)


@handles("workload.answered", "mark the survey's DM answered")
def deliver_workload_answered(d: Delivery) -> Done:
    """The round's DM that asked for the estimate says it is in, so its button does not invite a
    second answer."""
    p = d.payload
    round_id = int(p["round"])
    asked = request_of(d.store, round_id, str(p["csm"]))
    if not (asked and asked["channel"] and asked["ts"]):
        return Done({"skipped": "the round's DM was not sent"})
    note = survey_dm(str(p["period"]), round_id, answered=True)
    d.client.chat_update(channel=asked["channel"], ts=asked["ts"], **note.as_kwargs())
    return Done({"channel": asked["channel"], "ts": asked["ts"]})


# ---------------------------------------------------------------------------------- rule sets


@handles("rules.apply", "tier the accounts again")
def deliver_retiering(d: Delivery) -> Done:
    """After an activation: every account tiered again under the new rules, then the leader's
    message replaced with the result and the result announced in the channel."""
    from bot.slack.blocks.segment import activation_message
    from workflows.tiers import apply_tiers

    p, key = d.payload, d.effect.key
    applied = apply_tiers(d.store, actor=str(p["actor"]), clock=d.clock, books=d.deps.books if d.deps else None)
    done = activation_message(str(p["name"]), p.get("previous"), applied, str(p["actor"]))
    to = p.get("reply")
    told = [
        *reply_effect(f"{key}:mine", to, done, replace=True),
        *reply_effect(f"{key}:channel", to, done, public=True),
    ]
    return Done({"accounts": applied.accounts, "changed": applied.changed}, told)


# ---------------------------------------------------------------------------------- plans


@handles("plan.post", "post the plan")
def deliver_plan(d: Delivery) -> Done:
    """Post a plan for approval (in the channel asked for, else the managers' channel); later
    decisions update this message."""
    plan_id = int(d.payload["plan"])
    where = d.payload.get("channel") or handoff_channel(d.store)
    if not where:
        raise InputError(
            "Say where to post the plan (`--channel C0123ABCD`), or set the managers' channel: "
            "`tierbot handoff settings --channel C0123ABCD`."
        )
    posted = d.client.chat_postMessage(channel=where, **plan_message(get_plan(d.store, plan_id)).as_kwargs())
    channel, ts = str(posted["channel"]), str(posted["ts"])
    told = reply_effect(
        f"{d.effect.key}:reply", d.payload.get("reply"), posted_message(Posted(f"plan #{plan_id}", 1, channel))
    )
    return Done({"channel": channel, "ts": ts}, told, lambda s: record_plan_message(s, plan_id, channel, ts))


@handles("plan.refresh", "update the plan's message")
def deliver_plan_refresh(d: Delivery) -> Done:
    """The posted plan shows its decisions (once for several decisions waiting together)."""
    plan = get_plan(d.store, int(d.payload["plan"]))
    if not (plan.channel and plan.ts):
        return Done({"skipped": "the plan was not posted"})
    d.client.chat_update(channel=plan.channel, ts=plan.ts, **plan_message(plan).as_kwargs())
    effect_id, clock = d.effect.id, d.clock
    return Done(
        {"channel": plan.channel, "ts": plan.ts},
        also=lambda s: _cover(s, plan.id, effect_id, clock),
    )


def _cover(store: Store, plan_id: int, effect_id: int, clock: Clock) -> None:
    cover_pending(store, "plan.refresh", "plan", plan_id, by=effect_id, clock=clock)


# ---------------------------------------------------------------------------------- announcements


def announcement_effects(
    handoffs: Sequence[Any], channel: str, *, reply: dict[str, Any] | None, team: str | None, digest: str | None = None
) -> list[Effect]:
    """A digest's messages as effects, a second apart (Slack's pace for one channel)."""
    digest = digest or uuid.uuid4().hex[:12]
    parts = digest_parts(handoffs)
    return [
        Effect(
            f"announce:{digest}:{n}",
            "announce.part",
            {
                "channel": channel,
                "handoffs": [h.id for h in part],
                "digest": digest,
                "part": n,
                "parts": len(parts),
                "total": len(handoffs),
                "reply": reply,
                "team": team,
            },
            delay_s=(n - 1) * PER_CHANNEL_INTERVAL_S,
        )
        for n, part in enumerate(parts, start=1)
    ]


@handles("announce.part", "post the announcement")
def deliver_announcement(d: Delivery) -> Done:
    p = d.payload
    handoffs = [get_handoff(d.store, int(i)) for i in p["handoffs"]]
    note = digest_part(handoffs, int(p["part"]), int(p["parts"]), int(p["total"]))
    posted = d.client.chat_postMessage(channel=str(p["channel"]), **note.as_kwargs())
    channel, ts, ids, clock = str(posted["channel"]), str(posted["ts"]), [h.id for h in handoffs], d.clock

    def announced(store: Store) -> None:
        # Only now does the audit log say they were announced: Slack has the message.
        confirm_announcement(store, ids, channel=channel, ts=ts, actor=d.effect.created_by, clock=clock)
        _reply_when_last(d, store, posted=len(ids))

    return Done({"channel": channel, "ts": ts, "handoffs": ids}, also=announced)


def _release_announcement(d: Delivery, error: str) -> Callable[[Store], None]:
    def release(store: Store) -> None:
        release_announcement(store, [int(i) for i in d.payload["handoffs"]])
        _reply_when_last(d, store, posted=0, error=error)

    return release


ON_FAILURE["announce.part"] = _release_announcement


def _reply_when_last(d: Delivery, store: Store, *, posted: int, error: str | None = None) -> None:
    """The digest's last message finished (posted or refused): tell whoever asked how it went."""
    p = d.payload
    parts = digest_parts_of(store, str(p["digest"]))
    others = [e for e in parts if e.id != d.effect.id]
    if not p.get("reply") or any(e.state not in ("done", "failed") for e in others):
        return
    done = posted + sum(len(e.result.get("handoffs", [])) if e.result else 0 for e in others if e.state == "done")
    failed = [e.error for e in others if e.state == "failed" and e.error] + ([error] if error else [])
    total = int(p["total"])
    channel = str(p["channel"])
    if done == total:
        note = posted_message(Posted(f"{total} approved handoff(s)", int(p["parts"]), channel))
    else:
        why = next((f for f in failed if f), "Slack refused it")
        note = error_message(
            f"Posted {done} of {total} approved handoff(s) in <#{channel}>; the rest wait for the next "
            f"`/handoff announce` ({why})."
        )
    record_effects(
        store, reply_effect(f"announce:{p['digest']}:reply", p["reply"], note), actor=BOT_ACTOR, clock=d.clock
    )


def digest_parts_of(store: Store, digest: str) -> list[Any]:
    return effects_with(store, "announce.part", "digest", digest)
