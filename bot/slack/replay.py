"""`tierbot slack replay PAYLOAD.json`: run a saved Slack payload through the real app, offline.

For support and debugging: the payload is signed and dispatched to the app exactly as Slack
would send it, against a copy of the store (nothing in the real one changes), with the Web API
pointed at the local fake Slack. What comes back is the app's HTTP answer and every call it
made — what it would have sent to Slack.
"""

from __future__ import annotations

import copy
import json
import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import BoltRequest

from bot.config import SlackSettings
from bot.slack.app import build_app
from bot.slack.fake_api import Call, FakeSlack
from bot.slack.signing import from_payload, signed_headers
from engine.errors import InputError
from store import Store, open_store
from workflows.clock import Clock, today


@dataclass(frozen=True)
class Replay:
    """The app's answer to a replayed payload and what it sent to Slack meanwhile."""

    kind: str
    status: int
    body: str
    calls: tuple[Call, ...]


def read_payload(path: Path) -> dict[str, Any]:
    """A payload saved from Slack or a log: JSON, or the raw form body (``payload=…`` or a command)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        if text.startswith("{"):
            payload = json.loads(text)
        else:
            form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
            payload = json.loads(form["payload"]) if "payload" in form else form
    except (json.JSONDecodeError, KeyError) as exc:
        raise InputError(f"{path} is not a Slack payload: {exc}. Save the request body or its JSON.") from None
    if not isinstance(payload, dict):
        raise InputError(f"{path} is not a Slack payload: expected a JSON object.")
    return payload


def missing_fields(payload: dict[str, Any]) -> list[str]:
    """The fields Slack always sends that this payload lacks (the app cannot be replayed without)."""
    kind = payload.get("type")
    if "command" in payload:
        wanted = {"command": payload.get("command"), "user_id": payload.get("user_id")}
    elif kind == "event_callback":
        event = payload.get("event") or {}
        wanted = {"event_id": payload.get("event_id"), "event.type": event.get("type")}
    else:
        user = payload.get("user") or {}
        wanted = {"user.id": user.get("id") if isinstance(user, dict) else None}
        if kind == "block_actions":
            first = (payload.get("actions") or [{}])[0]
            wanted["actions[0].action_id"] = first.get("action_id")
        if kind in ("view_submission", "view_closed"):
            view = payload.get("view") or {}
            wanted |= {"view.type": view.get("type"), "view.callback_id": view.get("callback_id")}
    return [name for name, value in wanted.items() if not value]


def describe(payload: dict[str, Any]) -> str:
    """What a payload is, in a few words: "slash command /tier", "block_actions tier_share"."""
    if "command" in payload:
        return f"slash command {payload['command']}"
    if payload.get("type") == "event_callback":
        return f"event {payload.get('event', {}).get('type', '?')}"
    actions = [a.get("action_id", "?") for a in payload.get("actions", [])]
    callback = (payload.get("view") or {}).get("callback_id")
    return " ".join(str(x) for x in (payload.get("type"), *actions, callback) if x)


def _point_at_fake(payload: dict[str, Any], fake: FakeSlack) -> dict[str, Any]:
    """The payload with its response URL and trigger id swapped for the fake Slack's own."""
    out = copy.deepcopy(payload)
    if "response_url" in out:
        out["response_url"] = fake.response_url()
    if out.get("response_urls"):
        for item in out["response_urls"]:
            item["response_url"] = fake.response_url()
    if "trigger_id" in out:
        out["trigger_id"] = fake.new_trigger_id()
    return out


def replay(payload: dict[str, Any], store: Store, clock: Clock) -> Replay:
    """Dispatch ``payload`` through the app against a copy of ``store``."""
    try:
        from_payload(payload)
    except ValueError as exc:
        raise InputError(f"This is {exc}.") from None
    missing = missing_fields(payload)
    if missing:
        raise InputError(
            f"The {describe(payload)} payload lacks {', '.join(f'`{m}`' for m in missing)}, which Slack always "
            "sends: add it (copy it from the request Slack sent) and replay again."
        )
    with tempfile.TemporaryDirectory(prefix="tierbot-replay-") as folder, FakeSlack() as fake:
        copy_path = Path(folder) / "replay.db"
        store.copy_to(copy_path)
        with open_store(copy_path, today=lambda: today(clock).isoformat()) as scratch:
            secret = secrets.token_hex(16)
            settings = SlackSettings(bot_token="xoxb-replay", signing_secret=secret, api_url=fake.api_url)
            workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="replay")
            registry = build_app(settings, scratch, clock, executor=workers)
            request = from_payload(_point_at_fake(payload, fake))
            response = registry.bolt.dispatch(
                BoltRequest(body=request.body, headers=dict(signed_headers(secret, request)))
            )
            workers.shutdown(wait=True)
            registry.deps.close()  # the work after the ack: lookups, replies, uploads
        calls = tuple(c for c in fake.calls if c.method != "auth.test")
    return Replay(describe(payload), response.status, response.body, calls)
