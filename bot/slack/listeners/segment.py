"""`/segment` (the tier table and its chart), `/segment simulate <draft>` and Activate."""

from __future__ import annotations

import hashlib
import logging

from slack_sdk.errors import SlackApiError

from bot.charts import segment_chart
from bot.slack.blocks.segment import (
    drafts_message,
    segment_message,
    segment_usage,
    simulation_message,
)
from bot.slack.outbound import slack_said
from bot.slack.registry import Registry, Req
from engine.permissions import ACTIVATE_RULES, SIMULATE_RULES, VIEW_SEGMENTS
from workflows.rules import RuleSetInfo, list_rule_sets, rule_set_named, simulate_rule_set
from workflows.tiers import TierSummary, arr_concentration, tier_summary

log = logging.getLogger("tierbot.slack")
SIMULATE_WORDS = ("simulate", "what-if", "whatif", "what if")


def drafts(req: Req) -> list[RuleSetInfo]:
    return [r for r in list_rule_sets(req.deps.store).rule_sets if r.state == "draft"]


def summary(req: Req) -> TierSummary:
    return tier_summary(req.deps.store, clock=req.deps.clock, books=req.deps.books)


def send_chart(req: Req, table: TierSummary, channel: str) -> None:
    """Draw the chart and upload it to ``channel``."""
    curve = arr_concentration(req.deps.store, clock=req.deps.clock, books=req.deps.books)
    png = segment_chart(table.table, curve, title=f"{table.rule_set} as of {table.as_of}")
    req.client.files_upload_v2(
        channel=channel,
        content=png,
        filename=f"tiers-{table.rule_set}-{table.as_of}.png",
        title=f"Tier mix and ARR concentration, {table.rule_set}, {table.as_of}",
    )


def simulate(req: Req, name: str) -> None:
    deps = req.deps
    if not name:
        req.reply(drafts_message(drafts(req)))
        return
    seen, _ = rule_set_named(deps.store, name)  # before simulating: the button activates what was simulated
    sim = simulate_rule_set(deps.store, name, clock=deps.clock, books=deps.books)
    can_activate = ACTIVATE_RULES.allows(req.person.roles)
    req.reply(simulation_message(sim, fingerprint=seen.fingerprint if can_activate else None))


def show_segments(req: Req) -> None:
    table = summary(req)
    leader_drafts = drafts(req)[:5] if SIMULATE_RULES.allows(req.person.roles) else []
    req.reply(segment_message(table, drafts=leader_drafts))
    # The chart is the slowest part; it goes to the person's DM with the app, private like the table.
    try:
        dm = req.client.conversations_open(users=req.user_id)["channel"]["id"]
        send_chart(req, table, dm)
        note = "The chart is in your DM with tierbot."
    except SlackApiError as failure:
        log.warning("could not send the segment chart: %s", failure.response.get("error"))
        note = f"The chart could not be sent (Slack said: {failure.response.get('error')})."
    req.reply(segment_message(table, drafts=leader_drafts, chart_note=note), replace=True)


def share_segments(req: Req) -> None:
    message_ts = (req.body.get("container") or {}).get("message_ts", "")
    if not req.once(f"segment-share:{req.user_id}:{message_ts}"):
        return
    table = summary(req)
    req.reply(segment_message(table, shared_by=req.user_id), public=True)
    note = "Shared in the channel."
    if req.channel_id:
        try:
            send_chart(req, table, req.channel_id)
        except SlackApiError as failure:
            note = (
                f"Shared in the channel; the chart could not go with it: {slack_said(failure.response.get('error'))}."
            )
    req.reply(segment_message(table, chart_note=note), replace=True)


def register(registry: Registry) -> None:
    @registry.command("/segment", VIEW_SEGMENTS)
    def segment(req: Req) -> None:
        first, _, rest = req.text.partition(" ")
        if first.lower() in ("help", "?"):
            req.ack(response_type="ephemeral", **segment_usage().as_kwargs())
            return
        if req.text and first.lower() not in SIMULATE_WORDS:
            problem = f"`/segment {req.text}` is not something /segment does."
            req.ack(response_type="ephemeral", **segment_usage(problem).as_kwargs())
            return
        if first:
            req.require(SIMULATE_RULES, "/segment simulate")
            req.ack()
            req.later(lambda: simulate(req, rest.strip()))
            return
        req.ack()
        req.later(lambda: show_segments(req))

    @registry.action("segment_share", VIEW_SEGMENTS)
    def share(req: Req) -> None:
        req.ack()
        req.later(lambda: share_segments(req))

    @registry.action("segment_simulate", SIMULATE_RULES)
    def simulate_draft(req: Req) -> None:
        req.ack()
        req.later(lambda: simulate(req, req.value))

    @registry.action("rules_activate", ACTIVATE_RULES)
    def activate_button(req: Req) -> None:
        # Recorded before the ack and carried out from the outbox (``bot.slack.intents``); a
        # double click on the same what-if is the same request, recorded once.
        message_ts = (req.body.get("container") or {}).get("message_ts", "")
        same = hashlib.sha256(f"{req.value}:{message_ts}".encode()).hexdigest()[:24]
        req.record("slack.rules_activate", key=f"slack:activate:{same}", value=req.value, tell=req.asker)
        req.ack()
