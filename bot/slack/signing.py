"""Requests as Slack sends them, signed with the app's signing secret.

Slack signs ``v0:{timestamp}:{body}`` with HMAC-SHA256 and sends the result in
``X-Slack-Signature`` with the timestamp in ``X-Slack-Request-Timestamp``. Slash commands come
form-encoded, interactions as a form with one ``payload`` field of JSON, events as JSON. The
replay command, the end-to-end tests and the benchmark all build their requests here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

INTERACTION_TYPES = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}


@dataclass(frozen=True)
class SlackRequest:
    """A request body with its content type, ready to sign."""

    body: str
    content_type: str

    @property
    def kind(self) -> str:
        return {"application/json": "event"}.get(self.content_type, "form")


def slash_command(fields: dict[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode({k: str(v) for k, v in fields.items()}), "application/x-www-form-urlencoded")


def interaction(payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def event(envelope: dict[str, Any]) -> SlackRequest:
    return SlackRequest(json.dumps(envelope), "application/json")


def from_payload(payload: dict[str, Any]) -> SlackRequest:
    """Whatever a saved payload is — a slash command, an interaction or an event — encoded the
    way Slack sends that kind."""
    if "command" in payload:
        return slash_command(payload)
    if payload.get("type") in INTERACTION_TYPES:
        return interaction(payload)
    if payload.get("type") in ("event_callback", "url_verification"):
        return event(payload)
    raise ValueError(
        "not a Slack payload: expected a slash command (with `command`), an interaction (`type` "
        f"{', '.join(sorted(INTERACTION_TYPES))}) or an event (`type` event_callback)"
    )


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(secret: str, request: SlackRequest, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack would send with ``request``, signed now (or at ``timestamp``)."""
    moment = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": request.content_type,
        "X-Slack-Request-Timestamp": moment,
        "X-Slack-Signature": signature(secret, moment, request.body),
    }
