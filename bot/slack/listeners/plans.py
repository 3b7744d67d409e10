"""Transition plans in Slack: Approve all, and each move's Approve / Reject menu. Each decision is
recorded before its ack and carried out from the outbox (``bot.slack.intents``)."""

from __future__ import annotations

from bot.slack.registry import Registry, Req
from engine.permissions import DECIDE_HANDOFF


def register(registry: Registry) -> None:
    @registry.action("plan_approve", DECIDE_HANDOFF)
    def approve_all(req: Req) -> None:
        req.record("slack.plan_decide", plan=int(req.value), approve=True, tell=req.asker)
        req.ack()

    @registry.action("plan_line", DECIDE_HANDOFF)
    def line_menu(req: Req) -> None:
        verb, plan_id, line = req.value.split(":")
        req.record("slack.plan_decide", plan=int(plan_id), approve=verb == "approve", lines=[int(line)], tell=req.asker)
        req.ack()
