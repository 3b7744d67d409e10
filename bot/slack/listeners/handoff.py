"""Request handoff (from a /tier card) and the managers' Approve / Reject."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.slack.blocks.handoff import (
    FORM_CALLBACK,
    handoff_decided_message,
    handoff_modal,
    handoff_request_message,
    handoff_requested,
    handoff_values,
)
from bot.slack.listeners.home import publish_home
from bot.slack.registry import Registry, Req
from engine.permissions import DECIDE_HANDOFF, REQUEST_HANDOFF
from workflows.clock import today
from workflows.handoffs import Handoff, check_request, decide_handoff, deciders, handoff_choices, request_handoff
from workflows.roles import slack_ids_of

log = logging.getLogger("tierbot.slack")
NOTICE_DAYS = 14  # the form proposes a move two weeks out: time to introduce the new CSM


def notify(req: Req, user_ids: list[str], decided: Handoff) -> None:
    """DM each person the decision (once each)."""
    for user_id in dict.fromkeys(user_ids):
        req.dm(user_id, handoff_decided_message(decided))


def record_request(req: Req, fields: dict[str, str | None], decide: list[str]) -> None:
    """Record the request (checked again under the write lock) and send it to those who decide."""
    handoff = request_handoff(req.deps.store, req.person, **fields, clock=req.deps.clock)  # type: ignore[arg-type]
    for user_id in decide:
        req.dm(user_id, handoff_request_message(handoff))


def register(registry: Registry) -> None:
    @registry.action("handoff_request", REQUEST_HANDOFF)
    def open_form(req: Req) -> None:
        deps = req.deps
        account, choices = handoff_choices(deps.reader, req.value)
        first_day = today(deps.clock) + timedelta(days=NOTICE_DAYS)
        req.open_modal(handoff_modal(account, choices, first_day=first_day))

    @registry.view(FORM_CALLBACK, REQUEST_HANDOFF)
    def submit(req: Req) -> None:
        deps = req.deps
        fields = handoff_values(req.body["view"]) | {"crm_id": str(req.body["view"].get("private_metadata", ""))}
        # Checked before the ack (reads only), problems beside their fields; recorded after it.
        checked = check_request(deps.reader, **fields, clock=deps.clock)
        decide = deciders(deps.reader, checked.account["owner"], checked.to_csm)
        req.ack(response_action="update", view=handoff_requested(checked, decide))
        req.later(lambda: record_request(req, fields, decide))

    def decide(req: Req, approve: bool) -> None:
        req.ack()
        req.later(lambda: record_decision(req, approve))

    def record_decision(req: Req, approve: bool) -> None:
        deps = req.deps
        # decide_handoff checks this person manages either CSM (or leads) and that it is still
        # waiting: a double click or a second manager gets "already approved", nothing changes.
        done = decide_handoff(deps.store, int(req.value), approve=approve, person=req.person, clock=deps.clock)
        if req.body.get("response_url"):
            req.reply(handoff_decided_message(done), replace=True)
        publish_home(req)  # the request leaves "waiting for your decision"
        requester = done.requested_by.removeprefix("slack:")
        notify(req, [requester, *slack_ids_of(deps.store, [done.from_csm, done.to_csm])], done)

    @registry.action("handoff_approve", DECIDE_HANDOFF)
    def approve(req: Req) -> None:
        decide(req, True)

    @registry.action("handoff_reject", DECIDE_HANDOFF)
    def reject(req: Req) -> None:
        decide(req, False)
