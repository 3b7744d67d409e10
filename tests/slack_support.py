"""A Slack workspace on loopback for end-to-end tests: the real app behind its real HTTP
endpoint, the local fake Slack Web API, and requests signed exactly as Slack signs them."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.config import SlackSettings
from bot.slack.app import EVENTS_PATH, build_app
from bot.slack.fake_api import Call, FakeSlack
from bot.slack.registry import Registry
from bot.slack.server import HttpServer
from bot.slack.signing import SlackRequest, event, interaction, signed_headers, slash_command
from store import Store
from workflows.clock import Clock

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the signing secret of Slack's own documentation example
TOKEN = "xoxb-test-token"
TEAM = "T0TIERBOT"

# The demo team's Slack ids (engine/demo.py numbers them in roster order).
LEADER = "UDEMO0001"  # Dana Whitfield
MANAGER_NA = "UDEMO0002"  # Marcus Chen, manages the NA CSMs
MANAGER_EMEA = "UDEMO0003"  # Ingrid Larsen
CSM = "UDEMO0005"  # Jordan Blake, NA, reports to Marcus
CSM_EMEA = "UDEMO0011"  # Lena Fischer, reports to Ingrid
ADMIN = "UDEMO0017"  # Casey Park
STRANGER = "UNOBODY99"  # in the workspace, not in the roster, no grants


def command_fields(
    fake: FakeSlack, command: str, text: str = "", *, user: str = LEADER, channel: str = "C0CSLEADS"
) -> dict[str, str]:
    """A slash command's fields as Slack sends them (form-encoded over HTTP, as JSON in Socket Mode)."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "team_domain": "tierbot-fake",
        "channel_id": channel,
        "channel_name": "cs-leads",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0TIERBOT",
        "response_url": fake.response_url(),
        "trigger_id": fake.new_trigger_id(),
    }


def view_submission(
    fake: FakeSlack, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = LEADER
) -> SlackRequest:
    """A modal the app opened, submitted with ``values`` as Slack's view.state.values."""
    submitted = view | {"state": {"values": values}, "id": view.get("id", "VMODAL"), "hash": "h"}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "tierbot-fake"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0TIERBOT",
        "trigger_id": fake.new_trigger_id(),
        "view": submitted,
    }
    return interaction(payload)


def event_envelope(event_body: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An event as Slack wraps it in an event_callback."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0TIERBOT",
        "event": event_body,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
    }


@dataclass
class Answer:
    """The app's HTTP answer to one request."""

    status: int
    body: str
    elapsed_s: float

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


@dataclass
class Workspace:
    """Send requests as Slack would, and look at what the app sent back to Slack."""

    fake: FakeSlack
    server: HttpServer
    registry: Registry
    secret: str = SECRET
    _n: int = field(default=0)
    _asked: str | None = field(default=None)  # the response URL of the latest command or click sent

    # -- raw

    def post(self, request: SlackRequest, *, headers: dict[str, str] | None = None, path: str = EVENTS_PATH) -> Answer:
        headers = headers if headers is not None else signed_headers(self.secret, request)
        url = urlsplit(self.server.url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=request.body.encode(), headers=headers)
            response = connection.getresponse()
            body = response.read().decode()
        finally:
            connection.close()
        return Answer(response.status, body, time.perf_counter() - started)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        url = urlsplit(self.server.url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    # -- as Slack sends them

    def command_request(
        self, command: str, text: str = "", *, user: str = LEADER, channel: str = "C0CSLEADS"
    ) -> SlackRequest:
        fields = command_fields(self.fake, command, text, user=user, channel=channel)
        fields["response_url"] = self._response_url()
        return slash_command(fields)

    def command(self, command: str, text: str = "", *, user: str = LEADER, channel: str = "C0CSLEADS") -> Answer:
        return self.post(self.command_request(command, text, user=user, channel=channel))

    def _response_url(self) -> str:
        url = self.fake.response_url()
        self._asked = urlsplit(url).path
        return url

    def click(self, action_id: str, value: str = "", **where: Any) -> Answer:
        """Click a button (or pick an option): see ``click_request`` for where."""
        return self.post(self.click_request(action_id, value, **where))

    def click_request(
        self,
        action_id: str,
        value: str = "",
        *,
        user: str = LEADER,
        channel: str = "C0CSLEADS",
        message_ts: str = "1700000000.000100",
        selected: bool = False,
        home: bool = False,
    ) -> SlackRequest:
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "action_ts": f"{time.time():.6f}"}
        if selected:
            action |= {
                "type": "static_select",
                "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
            }
        else:
            action |= {"type": "button", "value": value, "text": {"type": "plain_text", "text": action_id}}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "tierbot-fake"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0TIERBOT",
            "trigger_id": self.fake.new_trigger_id(),
            "actions": [action],
        }
        if home:
            payload |= {
                "container": {"type": "view", "view_id": "VHOME"},
                "view": {"id": "VHOME", "type": "home", "callback_id": ""},
            }
        else:
            payload |= {
                "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": True},
                "channel": {"id": channel, "name": "cs-leads"},
                "response_url": self._response_url(),
            }
        return interaction(payload)

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = LEADER) -> Answer:
        """Submit a modal the app opened, with ``values`` as Slack's view.state.values."""
        return self.post(view_submission(self.fake, view, values, user=user))

    def event_request(self, event_body: dict[str, Any], *, event_id: str | None = None) -> SlackRequest:
        self._n += 1
        return event(event_envelope(event_body, event_id or f"Ev{self._n:08d}"))

    def open_home(self, user: str, *, event_id: str | None = None) -> Answer:
        return self.post(
            self.event_request(
                {
                    "type": "app_home_opened",
                    "user": user,
                    "channel": f"D{user}",
                    "tab": "home",
                    "event_ts": f"{time.time():.6f}",
                },
                event_id=event_id,
            )
        )

    # -- what the app sent

    def replies(self, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The posts to response URLs (of any request), once at least ``count`` arrived."""
        return self.fake.wait_for("response_url", count, timeout)

    def replies_to(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The posts Slack accepted to one request's response URL, once at least ``count`` arrived
        (a post Slack refused, say with a 503 before a retry, never reached the person)."""

        def accepted(call: Call) -> bool:
            return call.method == "response_url" and call.url == path and call.status == 200

        self.fake.wait_until(lambda calls: sum(accepted(c) for c in calls) >= count, timeout)
        return [c for c in self.fake.calls if accepted(c)]

    def last_reply(self, nth: int = 1) -> dict[str, Any]:
        """The ``nth`` accepted post to the response URL of the latest command or click sent (a
        request may answer, then replace its answer): never a late reply to an earlier request."""
        assert self._asked is not None, "no command or click sent yet"
        return self.replies_to(self._asked, nth)[nth - 1].body

    def next_reply(self, send: Callable[[], object]) -> dict[str, Any]:
        """The reply to the command or click that ``send`` makes."""
        send()
        return self.last_reply()

    def calls_after(self, send: Callable[[], object], method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls to ``method`` that what ``send`` does makes, once ``count`` arrived (never an
        earlier request's call that happens to be the latest so far)."""
        before = len(self.fake.calls_to(method))
        send()
        return self.fake.wait_for(method, before + count, timeout)[before:]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait for work done after the ack (on the work pool) to show."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting for the app"
            time.sleep(0.02)


@contextmanager
def holding_write_lock(path: object, seconds: float) -> Iterator[None]:
    """Another process's long write (an import): the store's write lock held for up to ``seconds``."""
    script = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "print('held', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def movable_account(store: Store, owner: str = "jordan-blake") -> str:
    """A demo account of ``owner`` that every handoff guardrail lets move to another NA CSM:
    not strategic, green, healthcare, in NA, renewing long after the move."""
    return str(
        store.scalar(
            "SELECT crm_id FROM accounts WHERE owner = ? AND strategic = 0 AND health = 'green' "
            "AND industry = 'Healthcare' AND region = 'NA' AND renewal_date > '2027-03-01' ORDER BY crm_id LIMIT 1",
            (owner,),
        )
    )


def text_of(message: dict[str, Any]) -> str:
    """Every piece of text in a message or view, joined: what a person reads."""
    found: list[str] = [str(message.get("text", ""))] if isinstance(message.get("text"), str) else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(found)


def parsed_text_of(message: dict[str, Any]) -> str:
    """The text Slack parses for mentions and links: the notification text and every mrkdwn object
    (plain_text is shown as typed, so data there cannot ping anyone)."""
    found = [str(message.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(found)


def buttons_of(message: dict[str, Any]) -> dict[str, str]:
    """action_id → value of every button in a message or view."""
    out: dict[str, str] = {}
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("type") == "button":
                out[element["action_id"]] = element.get("value", "")
    return out


@contextmanager
def workspace(store: Store, clock: Clock, **fake_options: Any) -> Iterator[Workspace]:
    """The app served on an ephemeral loopback port, talking to a fake Slack."""
    with FakeSlack(**fake_options) as fake:
        settings = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, api_url=fake.api_url)
        listeners = ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-test")
        registry = build_app(settings, store, clock, executor=listeners)
        try:
            with HttpServer.serving(registry, port=0) as server:
                yield Workspace(fake, server, registry)
        finally:
            # Work after an ack finishes before the fake Slack goes away.
            listeners.shutdown(wait=True)
            registry.deps.close()
