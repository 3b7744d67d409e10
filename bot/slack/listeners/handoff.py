"""Handoffs in Slack: `/handoff`, the request form, the managers' decision (in their channel's
thread, a DM or App Home), the leader's exception, and the thread's discussion kept as comments."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from bot.slack.blocks.handoff import (
    EXCEPTION_CALLBACK,
    FORM_CALLBACK,
    exception_modal,
    handoff_modal,
    handoff_requested,
    handoff_usage,
    handoff_values,
)
from bot.slack.registry import Registry, Req
from engine.errors import InvalidFields, NotAllowed
from engine.permissions import ANNOUNCE_HANDOFFS, DECIDE_HANDOFF, REQUEST_HANDOFF
from workflows.clock import today
from workflows.handoffs import (
    add_comment,
    check_request,
    deciders,
    get_handoff,
    handoff_channel,
    handoff_choices,
    resolve_csm,
)
from workflows.plans import get_plan
from workflows.roles import holders
from workflows.tiers import one_account

log = logging.getLogger("tierbot.slack")
NOTICE_DAYS = 14  # the form proposes a move two weeks out: time to introduce the new CSM
# "<account> to <csm> [reason]": the account is everything before the last " to " that is
# followed by a CSM (a mention or a word), so "Move to Cloud Inc to @sam" keeps its name.
_COMMAND = re.compile(r"^(?P<account>.+)\s+to\s+(?P<to><@[^>]+>|\S+)(?:\s+(?:because\s+)?(?P<reason>.+))?$", re.I)


def open_form(req: Req, account_text: str, to: str | None) -> None:
    """The request form for an account, with the CSM picked when the command named one."""
    deps = req.deps
    crm_id = one_account(deps.store, account_text, deps.names).crm_id
    to_csm = resolve_csm(deps.store, to) if to else None
    account, choices = handoff_choices(deps.store, crm_id)
    first_day = today(deps.clock) + timedelta(days=NOTICE_DAYS)
    req.open_modal(handoff_modal(account, choices, first_day=first_day, picked=to_csm))


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


def register(registry: Registry) -> None:
    @registry.command("/handoff", REQUEST_HANDOFF)
    def handoff_command(req: Req) -> None:
        verb, _, rest = req.text.partition(" ")
        if verb.lower() == "plan" and rest.strip().isdigit():
            req.require(DECIDE_HANDOFF, "/handoff plan")
            get_plan(req.deps.reader, int(rest))  # no such plan: said in the ack, nothing recorded
            req.record("plan.post", plan=int(rest), channel=req.channel_id, reply=req.asker, tell=req.asker)
            req.ack()
            return
        if req.text.lower() == "announce":
            req.require(ANNOUNCE_HANDOFFS, "/handoff announce")
            req.record("slack.announce", channel=req.channel_id, tell=req.asker)
            req.ack()
            return
        parsed = _COMMAND.match(req.text)
        if not parsed:
            req.ack(response_type="ephemeral", **handoff_usage().as_kwargs())
            return
        account, to, reason = parsed["account"], parsed["to"], parsed["reason"]
        if reason:
            # Recorded before the ack: a request Slack was told we got is never lost.
            req.record("slack.handoff_propose", account=account, to=to, reason=reason, tell=req.asker)
            req.ack()
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
        req.record("slack.handoff_form", crm_id=crm_id, fields=fields, tell=req.asker)  # before the ack
        req.ack(response_action="update", view=handoff_requested(checked, decide, handoff_channel(deps.reader)))

    def decide(req: Req, approve: bool) -> None:
        container = req.body.get("container") or {}
        req.record(
            "slack.handoff_decide",
            handoff=int(req.value),
            approve=approve,
            container={k: container.get(k) for k in ("channel_id", "message_ts")},
            tell=req.asker,
        )
        req.ack()

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
            raise req.refuse(
                NotAllowed(
                    f"Handoff #{handoff.id} fails a guardrail: only a leader can approve it, as an exception.",
                    f"approve handoff #{handoff.id} as an exception",
                    ("leader",),
                    holders(deps.reader, ("leader",)),
                ),
                "button handoff_exception",
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
        url = where.get("response_url")
        asker = {"user": req.user_id} | ({"response_url": url} if url else {})
        req.record(
            "slack.handoff_decide", handoff=int(where["id"]), approve=True, exception=why, response_url=url, tell=asker
        )
        req.ack(response_action="clear")

    @registry.event("message", subscriptions=("message.channels", "message.groups"))
    def thread_reply(req: Req) -> None:
        req.later(lambda: keep_comment(req))
