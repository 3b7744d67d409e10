"""Cross-cutting rules every Slack request passes, written once as Bolt middleware.

Bolt verifies the signature and the 5-minute timestamp window before any of these run. Then:
a request already received (a replay: same signature) is refused; an event already handled
(Slack retries on a slow ack) is acknowledged and dropped; the person asking is identified;
and each listener's permission is checked, at command time and again at click time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.slack.blocks.common import denied_message, notice_view
from bot.slack.deps import UNVERIFIED, SlackDeps
from bot.slack.retries import ResponseUrlRefused, respond_through
from engine.errors import NotAllowed
from engine.permissions import Permission
from workflows.roles import Person, denial, identify, record_denial

log = logging.getLogger("tierbot.slack")


def kind_of(body: dict[str, Any]) -> str:
    """ "command", "action", "view", "event" or "other", from a request's body."""
    if "command" in body:
        return "command"
    return {"block_actions": "action", "view_submission": "view", "event_callback": "event"}.get(
        body.get("type", ""), "other"
    )


def at_most_once(deps: SlackDeps) -> Callable[..., BoltResponse | None]:
    """Refuse replayed requests and drop events already handled."""

    def middleware(req: BoltRequest, body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        retried = kind_of(body) == "event" and req.headers.get("x-slack-retry-num")
        signatures = req.headers.get("x-slack-signature") or []
        signature = signatures[0] if signatures else None
        # Slack re-sends an event it thinks we missed; that retry may repeat the signature, and
        # the event id below catches it. Anything else seen twice was replayed by someone else.
        if signature and not retried and not deps.recent.first_time(f"signature:{signature}"):
            log.warning("refused a replayed request (signature seen before)")
            user = req.context.user_id
            deps.refused("replayed request (signature seen before)", actor=f"slack:{user}" if user else UNVERIFIED)
            return BoltResponse(status=401, body="This request was already received once; replays are refused.")
        event_id = body.get("event_id")
        if kind_of(body) == "event" and event_id and not deps.recent.first_time(f"event:{event_id}"):
            return BoltResponse(status=200, body="")
        return next()

    return middleware


def identify_person(deps: SlackDeps) -> Callable[..., BoltResponse | None]:
    """Put the person asking, with their roles, in the context as ``person``."""

    def middleware(context: dict[str, Any], client: WebClient, next: Callable[[], BoltResponse]) -> BoltResponse:
        user_id = context.get("user_id")
        if user_id:
            groups = deps.groups.groups_of(deps.reader, client, user_id)
            context["person"] = identify(deps.reader, user_id, groups)
        return next()

    return middleware


def requires(deps: SlackDeps, permission: Permission, where: str) -> Callable[..., BoltResponse | None]:
    """Listener middleware: run the listener only for people whose role allows ``permission``."""

    def middleware(
        ack: Any,
        body: dict[str, Any],
        context: dict[str, Any],
        client: WebClient,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        person: Person = context.get("person") or Person(context.get("user_id") or "unknown", frozenset())
        refused = check(deps, person, permission, where)
        if refused is None:
            return next()
        # Returning the ack's response (and not calling next) is how Bolt listener middleware
        # answers a request itself.
        return deny(ack, client, body, person.slack_user_id, refused)

    return middleware


def check(deps: SlackDeps, person: Person, permission: Permission, where: str) -> NotAllowed | None:
    """The denial if ``person`` may not; its audit entry is written after the ack."""
    refused = denial(deps.reader, person, permission)
    if refused is not None:
        deps.in_background(record_denial, deps.store, person, permission.action, where=where, clock=deps.clock)
    return refused


def deny(ack: Any, client: WebClient, body: dict[str, Any], user_id: str, denial: NotAllowed) -> BoltResponse:
    """Tell the person, privately, that they may not, and who may; return the ack's response."""
    note = denied_message(denial)
    kind = kind_of(body)
    if kind == "command":
        return ack(response_type="ephemeral", **note.as_kwargs())
    if kind == "view":
        return ack(response_action="update", view=notice_view("Not allowed", note))
    acked = ack()
    if body.get("response_url"):
        try:
            respond_through(
                str(body["response_url"]), {"response_type": "ephemeral", "replace_original": False} | note.as_kwargs()
            )
            return acked
        except ResponseUrlRefused as refused:
            log.warning("telling %s of a denial by DM: %s", user_id, refused)
    # A button in App Home or a DM without a response URL: answer in the app's DM
    client.chat_postMessage(channel=user_id, **note.as_kwargs())
    return acked
