"""Transition plans in Slack: Approve all, and each move's Approve / Reject menu."""

from __future__ import annotations

from bot.slack.blocks.plans import plan_decision_message
from bot.slack.outbound import tell_plan_decision
from bot.slack.registry import Registry, Req
from engine.permissions import DECIDE_HANDOFF
from workflows.plans import decide_plan


def decide(req: Req, plan_id: int, approve: bool, lines: list[int] | None) -> None:
    deps = req.deps
    decision = decide_plan(deps.store, plan_id, approve=approve, person=req.person, clock=deps.clock, lines=lines)
    failed = tell_plan_decision(
        req.client, deps.store, decision, writer=deps.writer, clock=deps.clock, decider=req.user_id
    )
    req.reply(plan_decision_message(decision, failed))


def register(registry: Registry) -> None:
    @registry.action("plan_approve", DECIDE_HANDOFF)
    def approve_all(req: Req) -> None:
        req.ack()
        req.later(lambda: decide(req, int(req.value), True, None))

    @registry.action("plan_line", DECIDE_HANDOFF)
    def line_menu(req: Req) -> None:
        req.ack()
        verb, plan_id, line = req.value.split(":")
        req.later(lambda: decide(req, int(plan_id), verb == "approve", [int(line)]))
