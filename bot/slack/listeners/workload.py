"""`/workload`: the estimate form for CSMs, and survey rounds for leaders."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.slack.blocks.workload import (
    FORM_CALLBACK,
    form_values,
    round_status_message,
    saved_view,
    workload_modal,
    workload_usage,
)
from bot.slack.outbox import in_team
from bot.slack.registry import Registry, Req
from engine.permissions import RUN_WORKLOAD_SURVEY, SUBMIT_WORKLOAD
from workflows.outbox import Effect
from workflows.workload import (
    Submission,
    check_workload,
    period_from,
    round_status,
    submit_workload,
    workload_form,
)

log = logging.getLogger("tierbot.slack")
ROUND_WORDS = ("start", "status", "remind", "close")


def open_form(req: Req) -> None:
    """The form, filled with the last entry of the period (read before the ack: a read never waits)."""
    form = workload_form(req.deps.reader, req.person, clock=req.deps.clock)
    req.open_modal(workload_modal(form))


def run_round(req: Req, word: str, argument: str) -> None:
    """`status` answers after the ack; `start`, `remind` and `close` change the round: recorded
    before the ack and carried out from the outbox (``bot.slack.intents``)."""
    if word == "status":
        req.ack()
        req.later(lambda: req.reply(round_status_message(round_status(req.deps.store))))
        return
    if word == "start":
        period_from(argument, req.deps.clock)  # a period that is not one: said in the ack, nothing recorded
        req.record("slack.workload_start", period=argument or None, channel=req.channel_id, tell=req.asker)
    else:
        req.record(f"slack.workload_{word}", channel=req.channel_id, tell=req.asker)
    req.ack()


def register(registry: Registry) -> None:
    @registry.command("/workload", SUBMIT_WORKLOAD)
    def workload(req: Req) -> None:
        word, _, argument = req.text.partition(" ")
        word = word.lower()
        if not word:
            open_form(req)
        elif word in ROUND_WORDS:
            req.require(RUN_WORKLOAD_SURVEY, f"/workload {word}")
            run_round(req, word, argument.strip())
        elif word in ("help", "?"):
            req.ack(response_type="ephemeral", **workload_usage().as_kwargs())
        else:
            problem = f"`/workload {req.text}` is not something /workload does."
            req.ack(response_type="ephemeral", **workload_usage(problem).as_kwargs())

    @registry.action("workload_open", SUBMIT_WORKLOAD)
    def open_from_button(req: Req) -> None:
        open_form(req)

    @registry.view(FORM_CALLBACK, SUBMIT_WORKLOAD)
    def submit(req: Req) -> None:
        view = req.body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        values = form_values(view)
        check_workload(values)  # problems come back beside their fields (InvalidFields), nothing saved
        period, round_id, asked = str(meta.get("period", "")), meta.get("round"), req.asked
        # Saved before the ack says so (a small write on the intake connection): an estimate the
        # person was told is saved is in the store, whatever happens to the bot next.
        saved = req.write_now(
            lambda intake: submit_workload(
                intake,
                req.person,
                values,
                period=period,
                clock=req.deps.clock,
                then=lambda done: after_saving(done, asked, round_id),
            )
        )
        req.ack(response_action="update", view=saved_view(period, saved.estimate, updated=saved.updated))


def after_saving(saved: Submission, asked: dict[str, Any], round_id: int | None) -> list[Effect]:
    """What follows a saved estimate, delivered from the outbox: App Home shows it, and the round's
    DM that asked for it says it is in (so its button does not invite a second answer)."""
    key = f"workload:{saved.csm_id}:{saved.period}:{saved.revision}"
    follow = [Effect(f"{key}:home", "home.publish", {"user": asked["user"], "groups": asked.get("groups")})]
    if round_id:
        answered = {"round": int(round_id), "csm": saved.csm_id, "period": saved.period}
        follow.append(Effect(f"{key}:answered", "workload.answered", answered))
    return in_team(follow, asked.get("team"))
