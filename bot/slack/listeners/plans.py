"""Transition plans in Slack: Approve all, and each move's Approve / Reject menu."""

from __future__ import annotations

from bot.slack.blocks.common import error_message, plain
from bot.slack.outbound import tell_plan_decision
from bot.slack.registry import Registry, Req
from engine.permissions import DECIDE_HANDOFF
from workflows.plans import PlanDecision, decide_plan


def decision_note(decision: PlanDecision) -> str:
    done = decision.approved or decision.rejected
    verb = "Approved" if decision.approved else "Rejected"
    said = f"{verb} row(s) {', '.join(map(str, done))} of plan #{decision.plan.id}." if done else "Nothing changed."
    left = " ".join(f"Row {line}: {why}." for line, why in decision.skipped)
    return f"{said} {left}".strip()


def decide(req: Req, plan_id: int, approve: bool, lines: list[int] | None) -> None:
    deps = req.deps
    decision = decide_plan(deps.store, plan_id, approve=approve, person=req.person, clock=deps.clock, lines=lines)
    note = decision_note(decision)
    failed = tell_plan_decision(
        req.client, deps.store, decision, writer=deps.writer, clock=deps.clock, decider=req.user_id
    )
    if failed:
        note += f" But tierbot {'; '.join(failed)}."
    req.reply(plain(note) if decision.approved or decision.rejected else error_message(note))


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
