"""What tierbot posts on its own (not in answer to someone): a request for a decision, the
check-ins. The outbox (``bot.slack.outbox``) delivers the rest."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.common import Message, section
from bot.slack.blocks.handoff import handoff_decided_message, handoff_request_message
from bot.slack.blocks.plans import batch_report_message, reminder_message
from store import Store
from workflows.clock import Clock
from workflows.handoffs import Handoff, deciders, handoff_channel
from workflows.plans import Checkins, claim_checkin, due_checkins, release_checkin

log = logging.getLogger("tierbot.slack")
BOT_ACTOR = "tierbot"  # the audit log's actor for what the bot does on its own (notes drafted, check-ins)
# Slack errors that say "not now" rather than "never": the outbox tries again later.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}
)


def slack_said(error: str) -> str:
    """Slack's error code in words a person can act on."""
    if error == "not_in_channel":
        return "tierbot is not in that channel (Slack said `not_in_channel`): invite it with `/invite @tierbot` there"
    if error == "channel_not_found":
        return (
            "Slack does not know that channel, or tierbot cannot see it (`channel_not_found`): check the channel id, "
            "and for a private channel invite tierbot with `/invite @tierbot`"
        )
    if error == "is_archived":
        return "the channel is archived (Slack said `is_archived`)"
    return f"Slack said `{error}`"


def failure_reason(failure: BaseException) -> str:
    """Why a call to Slack failed, for the person who asked."""
    if isinstance(failure, SlackApiError):
        return slack_said(str(failure.response.get("error")))
    return f"Slack could not be reached ({type(failure).__name__})"


def is_transient(failure: BaseException) -> bool:
    """Whether trying again later can help (Slack busy or unreachable), as opposed to a refusal."""
    if isinstance(failure, SlackApiError):
        status = getattr(failure.response, "status_code", 200)
        return status == 429 or status >= 500 or str(failure.response.get("error")) in TRANSIENT_ERRORS
    return isinstance(failure, OSError | TimeoutError)  # URLError, connection refused, timeouts


@dataclass(frozen=True)
class RequestDelivery:
    """Where a request for a decision actually went: the channel message, the DMs that got
    through, and what Slack refused."""

    channel: str | None = None
    ts: str | None = None
    channel_refused: str | None = None  # why the managers' channel did not take it
    asked: tuple[str, ...] = ()  # deciders DM'd
    unreached: tuple[str, ...] = ()  # deciders whose DM Slack refused
    reasons: tuple[str, ...] = field(default=(), compare=False)
    transient: bool = False  # a failure was Slack being busy or unreachable

    @property
    def delivered(self) -> bool:
        return bool(self.channel or self.asked)

    def as_result(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "channel_refused": self.channel_refused,
            "asked": list(self.asked),
            "unreached": list(self.unreached),
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> RequestDelivery:
        return cls(
            result.get("channel"),
            result.get("ts"),
            result.get("channel_refused"),
            tuple(result.get("asked") or ()),
            tuple(result.get("unreached") or ()),
            tuple(result.get("reasons") or ()),
        )


def send_for_decision(client: WebClient, store: Store, handoff: Handoff) -> RequestDelivery:
    """Post the request in the managers' channel (its thread is the discussion), or DM the
    deciders when no channel is set or Slack refuses the post. Says exactly what got through."""
    note = handoff_request_message(handoff) if handoff.state == "proposed" else handoff_decided_message(handoff)
    channel = handoff_channel(store)
    refused, reasons, transient = None, [], False
    if channel:
        try:
            posted = client.chat_postMessage(channel=channel, **note.as_kwargs())
            return RequestDelivery(channel=str(posted["channel"]), ts=str(posted["ts"]))
        except (SlackApiError, OSError) as failure:  # e.g. not_in_channel: the request must still reach someone
            log.warning("could not post handoff #%s in %s: %s", handoff.id, channel, failure_reason(failure))
            refused, transient = failure_reason(failure), is_transient(failure)
            reasons.append(refused)
    asked, unreached = [], []
    for user_id in deciders(store, handoff.from_csm, handoff.to_csm):
        try:
            client.chat_postMessage(channel=user_id, **note.as_kwargs())
            asked.append(user_id)
        except (SlackApiError, OSError) as failure:
            log.warning("could not DM %s: %s", user_id, failure_reason(failure))
            unreached.append(user_id)
            reasons.append(failure_reason(failure))
            transient = transient or is_transient(failure)
    return RequestDelivery(None, None, refused, tuple(asked), tuple(unreached), tuple(reasons), transient)


def plain_line(line: str) -> Message:
    """A line of ours (data in it escaped already, mentions live) as a message; its notification
    text has no mrkdwn or emoji codes."""
    return Message(re.sub(r"[*_]|:[a-z_]+: ", "", line), [section(line).to_dict()])


def send_checkins(client: WebClient, store: Store, *, actor: str, clock: Clock) -> Checkins:
    """DM each due reminder to the new CSM and post each finished batch's report in the managers'
    channel. Each is claimed before it is sent, so two runs never send it twice; what Slack refuses
    is released and tried again next time."""
    due = due_checkins(store, clock)
    channel = handoff_channel(store)
    reminders = [
        r
        for r in due.reminders
        if r.to_slack and _send_once(store, r.key, "reminder", actor, clock, client, r.to_slack, reminder_message(r))
    ]
    reports = [
        b
        for b in due.reports
        if channel and _send_once(store, b.key, "batch report", actor, clock, client, channel, batch_report_message(b))
    ]
    for r in due.reminders:
        if not r.to_slack:
            log.warning("check-in for handoff #%s: %s has no Slack id", r.handoff_id, r.to_csm)
    return Checkins(due.day, tuple(reminders), tuple(reports))


def _send_once(
    store: Store, key: str, kind: str, actor: str, clock: Clock, client: WebClient, channel: str, note: Message
) -> bool:
    if not claim_checkin(store, key, kind, actor=actor, clock=clock):
        return False  # another run sent it
    try:
        client.chat_postMessage(channel=channel, **note.as_kwargs())
    except Exception as failure:  # Slack refused, or the network failed: try again next run
        log.warning("could not send a check-in (%s): %s; trying again next run", key, failure)
        release_checkin(store, key)
        return False
    return True
