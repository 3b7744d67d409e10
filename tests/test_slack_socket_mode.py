"""Socket Mode end to end: the real app, through Bolt's SocketModeHandler and slack_sdk's built-in client,
connected over a loopback WebSocket to the fake Slack (apps.connections.open, hello, envelopes, acks)."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import SlackSettings
from bot.slack.app import build_app
from bot.slack.fake_api import FakeSlack
from bot.slack.registry import Registry
from bot.slack.server import socket_mode_handler
from store import Store
from workflows.clock import FixedClock

from .slack_support import CSM, LEADER, command_fields, event_envelope, text_of

APP_TOKEN = "xapp-1-test"
BOT_TOKEN = "xoxb-test"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def app(fake: FakeSlack, demo_store: Store, clock: FixedClock) -> Iterator[Registry]:
    settings = SlackSettings(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    listeners = ThreadPoolExecutor(max_workers=4, thread_name_prefix="socket-test")
    registry = build_app(settings, demo_store, clock, executor=listeners)
    try:
        yield registry
    finally:
        listeners.shutdown(wait=True)  # work after an ack ends before the fake Slack goes away
        registry.deps.close()


def close(handler: SocketModeHandler) -> None:
    """handler.close() without waiting out slack_sdk's message processor, which polls its queue once a second and
    only then sees that the client closed: mark the client closed and wake the processor first."""
    handler.client.closed = True
    handler.client.message_queue.put(None)  # a None message is skipped
    handler.close()


@pytest.fixture
def handler(app: Registry, fake: FakeSlack) -> Iterator[SocketModeHandler]:
    connected = socket_mode_handler(app.bolt, APP_TOKEN)
    try:
        connected.connect()
        assert fake.socket_connected()
        yield connected
    finally:
        close(connected)  # before the listener pool shuts down and the fake stops


def slash_command(fake: FakeSlack, command: str, text: str = "", *, user: str = LEADER) -> dict[str, Any]:
    """A slash command's payload, as Slack puts it in a Socket Mode envelope."""
    return command_fields(fake, command, text, user=user) | {"is_enterprise_install": "false"}


def home_opened(user: str, event_id: str) -> dict[str, Any]:
    """An events_api payload: app_home_opened, as Slack wraps it in an event_callback."""
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home", "event_ts": "1.2"}
    return event_envelope(event, event_id)


def ack_call(fake: FakeSlack, envelope_id: str) -> Any:
    return next(c for c in fake.calls_to("socket") if c.body.get("envelope_id") == envelope_id)


# --- the app over Socket Mode ------------------------------------------------------------------------------------


def test_a_slash_command_is_acked_over_the_socket_and_answered_through_the_response_url(
    fake: FakeSlack, handler: SocketModeHandler
) -> None:
    payload = slash_command(fake, "/tier", "acme corp")
    envelope_id = fake.socket_send("slash_commands", payload)
    ack = fake.socket_ack(envelope_id, timeout=1.0)
    assert ack == {"envelope_id": envelope_id}  # an empty ack: the card follows through the response URL
    assert ack_call(fake, envelope_id).status == 200  # within Slack's 3 seconds
    reply = fake.wait_for("response_url")[-1]
    assert reply.status == 200 and payload["response_url"].endswith(reply.url)
    assert "Acme Corp" in text_of(reply.body)
    assert [c.method for c in fake.calls_to("apps.connections.open")] == ["apps.connections.open"]


def test_tier_without_an_account_answers_with_usage_in_the_ack(fake: FakeSlack, handler: SocketModeHandler) -> None:
    envelope_id = fake.socket_send("slash_commands", slash_command(fake, "/tier"))
    ack = fake.socket_ack(envelope_id)
    assert ack["envelope_id"] == envelope_id
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "/tier <account>" in text_of(ack["payload"])
    assert ack_call(fake, envelope_id).status == 200  # the message fits Slack's limits
    assert fake.calls_to("response_url") == []


def test_app_home_opened_publishes_the_home_tab_once_per_event_id(fake: FakeSlack, handler: SocketModeHandler) -> None:
    first = fake.socket_send("events_api", home_opened(CSM, "Ev0SOCKET01"))
    assert fake.socket_ack(first) == {"envelope_id": first}
    published = fake.wait_for("views.publish")
    assert published[0].body["user_id"] == CSM and published[0].status == 200
    assert "Jordan Blake" in text_of(published[0].body["view"])
    # Slack re-delivers an event whose ack it missed, with the same event id: acked, not handled again.
    again = fake.socket_send("events_api", home_opened(CSM, "Ev0SOCKET01"), retry_attempt=1, retry_reason="timeout")
    assert fake.socket_ack(again) == {"envelope_id": again}
    assert fake.envelopes[again]["retry_attempt"] == 1
    assert len(fake.calls_to("views.publish")) == 1


def test_a_bot_token_cannot_open_a_socket_mode_connection(fake: FakeSlack, app: Registry) -> None:
    handler = socket_mode_handler(app.bolt, BOT_TOKEN)
    try:
        with pytest.raises(SlackApiError) as raised:
            handler.connect()
    finally:
        close(handler)
    assert raised.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(AssertionError, match=r"no Socket Mode client connected within 0\.1s"):
        fake.socket_send("slash_commands", slash_command(fake, "/tier"), timeout=0.1)
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=fake.api_url).apps_connections_open(app_token="not-a-token")
    assert raised.value.response["error"] == "invalid_auth"


# --- the fake's WebSocket, byte by byte ----------------------------------------------------------------------------


def handshake(url: str) -> tuple[socket.socket, bytes]:
    """A raw WebSocket opening handshake; the connection and the server's whole HTTP answer."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.hostname}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)
        if not chunk:
            break
        answer += chunk
    return sock, answer


def read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    b0, b1 = read_exactly(sock, 2)
    assert b0 & 0x80 and not b1 & 0x80, "server frames are final and unmasked"
    length = b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", read_exactly(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", read_exactly(sock, 8))
    return b0 & 0x0F, read_exactly(sock, length)


def send_frame(sock: socket.socket, opcode: int, data: bytes) -> None:
    mask = os.urandom(4)
    sock.sendall(bytes([0x80 | opcode, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def next_non_ping(sock: socket.socket) -> tuple[int, bytes]:
    """The next frame that is not one of the fake's keep-alive pings."""
    frame = read_frame(sock)
    while frame[0] == 0x9:
        frame = read_frame(sock)
    return frame


def test_the_fake_speaks_rfc_6455_and_a_ticket_opens_one_connection(fake: FakeSlack) -> None:
    url = WebClient(base_url=fake.api_url).apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith(f"ws://127.0.0.1:{urlsplit(fake.url).port}/link/?ticket=")
    sock, answer = handshake(url)
    with sock:
        assert answer.startswith(b"HTTP/1.1 101 ")
        opcode, hello = read_frame(sock)
        assert opcode == 0x1
        assert json.loads(hello)["type"] == "hello" and json.loads(hello)["connection_info"]["app_id"] == "A0TIERBOT"
        send_frame(sock, 0x9, b"are you there")
        assert next_non_ping(sock) == (0xA, b"are you there")
        envelope_id = fake.socket_send("interactive", {"type": "block_actions"})
        opcode, data = next_non_ping(sock)
        assert (opcode, json.loads(data)["envelope_id"]) == (0x1, envelope_id)
        send_frame(sock, 0x1, json.dumps({"envelope_id": envelope_id}).encode())
        assert fake.socket_ack(envelope_id) == {"envelope_id": envelope_id}
        send_frame(sock, 0x1, json.dumps({"envelope_id": envelope_id}).encode())
        assert fake.wait_for("socket", 2)[-1].response["error"] == "already_acknowledged"
        second, refused = handshake(url)
        second.close()
        assert refused.startswith(b"HTTP/1.0 401 ")  # the ticket was used
        send_frame(sock, 0x8, struct.pack("!H", 1000))
        assert next_non_ping(sock) == (0x8, struct.pack("!H", 1000))  # the close handshake
    deadline = time.monotonic() + 2
    while fake.socket_connected(timeout=0) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not fake.socket_connected(timeout=0)


def test_stopping_the_fake_closes_the_socket_with_a_close_frame(fake: FakeSlack) -> None:
    url = WebClient(base_url=fake.api_url).apps_connections_open(app_token=APP_TOKEN)["url"]
    sock, _ = handshake(url)
    with sock:
        assert json.loads(read_frame(sock)[1])["type"] == "hello"
        stopper = threading.Thread(target=fake.stop)
        stopper.start()
        assert next_non_ping(sock) == (0x8, struct.pack("!H", 1001) + b"going away")
    started = time.monotonic()
    stopper.join(timeout=5)
    assert not stopper.is_alive() and time.monotonic() - started < 1  # stop() waited for the client to hang up
    assert not fake.socket_connected(timeout=0)
