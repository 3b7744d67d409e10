"""Handoffs in Slack: `/handoff`, the request form, the managers' decision (in their channel's
thread, a DM or App Home), the leader's exception, and the thread's discussion kept as comments."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from bot.slack.blocks.common import Message, error_message
from bot.slack.blocks.handoff import (
    EXCEPTION_CALLBACK,
    FORM_CALLBACK,
    exception_modal,
    handoff_decided_message,
    handoff_modal,
    handoff_requested,
    handoff_sent,
    handoff_usage,
    handoff_values,
    needs_exception_message,
)
from bot.slack.blocks.plans import posted_message
from bot.slack.listeners.home import publish_home
from bot.slack.outbound import post_digest, post_plan, send_for_decision, tell_decision
from bot.slack.registry import Registry, Req
from bot.slack.retries import respond_through
from engine.errors import InvalidFields, NotAllowed
from engine.permissions import ANNOUNCE_HANDOFFS, DECIDE_HANDOFF, REQUEST_HANDOFF
from workflows.clock import today
from workflows.handoffs import (
    Handoff,
    NeedsException,
    add_comment,
    check_request,
    decide_handoff,
    deciders,
    get_handoff,
    handoff_channel,
    handoff_choices,
    propose_handoff,
    request_handoff,
    resolve_csm,
)
from workflows.roles import holders
from workflows.tiers import one_account

log = logging.getLogger("tierbot.slack")
NOTICE_DAYS = 14  # the form proposes a move two weeks out: time to introduce the new CSM
# "<account> to <csm> [reason]": the account is everything before the last " to " that is
# followed by a CSM (a mention or a word), so "Move to Cloud Inc to @sam" keeps its name.
_COMMAND = re.compile(r"^(?P<account>.+)\s+to\s+(?P<to><@[^>]+>|\S+)(?:\s+(?:because\s+)?(?P<reason>.+))?$", re.I)


def record_request(req: Req, crm_id: str, fields: dict[str, str | None]) -> None:
    """Record the form's request (checked again under the write lock) and send it for a decision."""
    handoff = request_handoff(req.deps.store, req.person, crm_id=crm_id, **fields, clock=req.deps.clock)
    send_for_decision(req.client, req.deps.store, handoff)


def propose_from_command(req: Req, account: str, to: str, reason: str) -> None:
    deps = req.deps
    handoff = propose_handoff(
        deps.store,
        req.person,
        account=account,
        to=to,
        reason=reason,
        effective=None,
        clock=deps.clock,
        names=deps.names,
    )
    decide, channel = send_for_decision(req.client, deps.store, handoff)
    req.reply(handoff_sent(handoff, decide, channel))


def open_form(req: Req, account_text: str, to: str | None) -> None:
    """The request form for an account, with the CSM picked when the command named one."""
    deps = req.deps
    crm_id = one_account(deps.store, account_text, deps.names).crm_id
    to_csm = resolve_csm(deps.store, to) if to else None
    account, choices = handoff_choices(deps.store, crm_id)
    first_day = today(deps.clock) + timedelta(days=NOTICE_DAYS)
    req.open_modal(handoff_modal(account, choices, first_day=first_day, picked=to_csm))


def announce_decision(req: Req, done: Handoff, response_url: str | None) -> None:
    """Everyone sees the decision (``tell_decision``), the clicked copy is replaced, Home is
    republished; the decider hears what Slack would not do, if anything."""
    deps = req.deps
    failed = tell_decision(req.client, deps.store, done, writer=deps.writer, clock=deps.clock, decider=req.user_id)
    clicked = req.body.get("container") or {}
    in_channel = (clicked.get("channel_id"), clicked.get("message_ts")) == (done.channel, done.ts)
    if response_url and not in_channel:
        replace_through(response_url, handoff_decided_message(done))
    try:
        publish_home(req)  # the request leaves "waiting for your decision"
    except Exception as failure:
        log.warning("could not republish Home after handoff #%s: %s", done.id, failure)
    if failed:
        req.reply(error_message(f"Handoff #{done.id} is {done.state}; but tierbot {'; '.join(failed)}."))


def replace_through(response_url: str, note: Message) -> None:
    """Replace the message a person clicked, through its response URL (valid 30 minutes)."""
    try:
        respond_through(response_url, {"replace_original": True} | note.as_kwargs())
    except Exception as failure:  # the decision stands; a stale copy of the buttons says so when clicked
        log.warning("could not replace the clicked handoff message: %s", failure)


def decide_and_announce(
    req: Req, handoff_id: int, *, approve: bool, response_url: str | None, exception: str | None = None
) -> None:
    deps = req.deps
    # decide_handoff checks this person manages either CSM (or leads) and that it is still
    # waiting: a double click or a second manager gets "already approved", nothing changes.
    try:
        done = decide_handoff(
            deps.store, handoff_id, approve=approve, person=req.person, clock=deps.clock, exception=exception
        )
    except NeedsException as needs:
        if "leader" not in req.person.roles:
            raise
        # It failed a guardrail only now (the data moved since the proposal): offer the exception.
        req.reply(needs_exception_message(str(needs), handoff_id))
        return
    announce_decision(req, done, response_url)


def keep_comment(req: Req) -> None:
    """A reply in a handoff's thread (or its edit) becomes the record's comment."""
    event = req.body.get("event", {})
    edited = event.get("subtype") == "message_changed"
    reply = event.get("message", {}) if edited else event
    if event.get("subtype") not in (None, "message_changed", "thread_broadcast"):
        return  # joins, deletions, bot messages: not discussion
    thread_ts, ts, author = reply.get("thread_ts"), reply.get("ts"), reply.get("user")
    if reply.get("bot_id") or not author or not thread_ts or thread_ts == ts:
        return  # the bot's own posts, and messages outside threads
    deps = req.deps
    add_comment(
        deps.store,
        channel=str(event.get("channel")),
        thread_ts=str(thread_ts),
        author=str(author),
        text=str(reply.get("text", "")),
        ts=str(ts),
        clock=deps.clock,
        edited=edited,
    )


def announce(req: Req) -> None:
    deps = req.deps
    actor = f"slack:{req.user_id}"
    done = post_digest(req.client, deps.store, str(req.channel_id), actor=actor, clock=deps.clock)
    req.reply(posted_message(done))


def register(registry: Registry) -> None:
    @registry.command("/handoff", REQUEST_HANDOFF)
    def handoff_command(req: Req) -> None:
        verb, _, rest = req.text.partition(" ")
        if verb.lower() == "plan" and rest.strip().isdigit():
            req.require(DECIDE_HANDOFF, "/handoff plan")
            req.ack()
            req.later(
                lambda: req.reply(posted_message(post_plan(req.client, req.deps.store, int(rest), req.channel_id)))
            )
            return
        if req.text.lower() == "announce":
            req.require(ANNOUNCE_HANDOFFS, "/handoff announce")
            req.ack()
            req.later(lambda: announce(req))
            return
        parsed = _COMMAND.match(req.text)
        if not parsed:
            req.ack(response_type="ephemeral", **handoff_usage().as_kwargs())
            return
        account, to, reason = parsed["account"], parsed["to"], parsed["reason"]
        if reason:
            req.ack()
            req.later(lambda: propose_from_command(req, account, to, reason))
        else:
            req.ack()  # the form opens from the work pool, well within the trigger's 3 seconds
            req.later(lambda: open_form(req, account, to))

    @registry.action("handoff_request", REQUEST_HANDOFF)
    def request_button(req: Req) -> None:
        deps = req.deps
        account, choices = handoff_choices(deps.reader, req.value)
        first_day = today(deps.clock) + timedelta(days=NOTICE_DAYS)
        req.open_modal(handoff_modal(account, choices, first_day=first_day))

    @registry.view(FORM_CALLBACK, REQUEST_HANDOFF)
    def submit(req: Req) -> None:
        deps = req.deps
        fields = handoff_values(req.body["view"])
        crm_id = str(req.body["view"].get("private_metadata", ""))
        # Checked before the ack (reads only), problems beside their fields; recorded after it.
        checked = check_request(deps.reader, crm_id=crm_id, **fields, clock=deps.clock)
        decide = deciders(deps.reader, checked.account["owner"], checked.to_csm)
        req.ack(response_action="update", view=handoff_requested(checked, decide, handoff_channel(deps.reader)))
        req.later(lambda: record_request(req, crm_id, fields))

    def decide(req: Req, approve: bool) -> None:
        req.ack()
        url = req.body.get("response_url")
        req.later(lambda: decide_and_announce(req, int(req.value), approve=approve, response_url=url))

    @registry.action("handoff_approve", DECIDE_HANDOFF)
    def approve(req: Req) -> None:
        decide(req, True)

    @registry.action("handoff_reject", DECIDE_HANDOFF)
    def reject(req: Req) -> None:
        decide(req, False)

    @registry.action("handoff_exception", DECIDE_HANDOFF)
    def exception_button(req: Req) -> None:
        deps = req.deps
        handoff = get_handoff(deps.reader, int(req.value))
        if "leader" not in req.person.roles:
            # Checked at click time like every role: managers see who may, nothing opens.
            raise NotAllowed(
                f"Handoff #{handoff.id} fails a guardrail: only a leader can approve it, as an exception.",
                f"approve handoff #{handoff.id} as an exception",
                ("leader",),
                holders(deps.reader, ("leader",)),
            )
        where = {"id": handoff.id, "response_url": req.body.get("response_url")}
        req.open_modal(exception_modal(handoff, metadata=json.dumps(where)))

    @registry.view(EXCEPTION_CALLBACK, DECIDE_HANDOFF)
    def exception_submitted(req: Req) -> None:
        view = req.body["view"]
        where = json.loads(view.get("private_metadata") or "{}")
        values = view.get("state", {}).get("values", {})
        why = ((values.get("exception", {}).get("value") or {}).get("value") or "").strip()
        if not why:
            raise InvalidFields({"exception": "Say why this move should go ahead anyway: it stays on the record."})
        req.ack(response_action="clear")
        handoff_id = int(where["id"])
        url = where.get("response_url")
        req.later(lambda: decide_and_announce(req, handoff_id, approve=True, response_url=url, exception=why))

    @registry.event("message", subscriptions=("message.channels", "message.groups"))
    def thread_reply(req: Req) -> None:
        req.later(lambda: keep_comment(req))
