"""A local fake of Slack's Web API, for offline end-to-end tests, `tierbot slack replay` and the benchmark.

`FakeSlack` serves on 127.0.0.1 the slice of Slack the app uses, answering in Slack's shapes:

- `POST /api/<method>` (JSON, form or query-string arguments; bearer or `token` field): auth.test, chat.postMessage,
  chat.postEphemeral, chat.update, chat.delete, views.open/push/update/publish, conversations.open, users.info,
  usergroups.users.list, files.getUploadURLExternal and files.completeUploadExternal;
- `POST /upload/<file_id>`: the upload URL handed out by files.getUploadURLExternal (raw bytes or multipart);
- `POST /response/<n>`: response URLs made by `response_url()`, for slash commands and interactions;
- Socket Mode: `apps.connections.open` (app-level `xapp-` token only) hands out a single-use
  `ws://127.0.0.1:<port>/link/?ticket=<n>`, a WebSocket (RFC 6455, standard library only) on the same port. The fake
  greets each connection with Slack's `hello`, pings it every `socket_ping_interval_s`, answers pings, and on
  `stop()` sends a close frame and waits for the client to hang up.

It records every request as a `Call` and enforces what would make real Slack refuse a request, so a test that passes
here does not fail in a workspace: Block Kit limits (`check_blocks`, `check_view`: sizes, a block_id once per message or
view, an action_id once per block), single-use trigger ids that expire,
`views.update` hash conflicts, at most 5 posts per response URL, and `chat.update` only of messages it posted.
`fail_next` injects 429 (with Retry-After) and 5xx answers to exercise the app's retries; `outside` (channels the bot
was not invited to: not_in_channel), `unreachable` (users a DM cannot reach: user_not_found) and `revoked` (tokens an
admin revoked: token_revoked) make Slack refuse the way it does.

Socket Mode in tests: connect the app (`handler.connect()`), then `socket_send(type, payload)` delivers an envelope
(`events_api`, `slash_commands` or `interactive`) to the newest connection and returns its envelope id;
`socket_ack(envelope_id)` waits for the app's ack and returns it (`{"envelope_id": …, "payload": {…}}`);
`socket_connected()` waits for a connection. Every text frame the app sends is recorded as a `Call` with method
"socket" (body: the parsed JSON; url: the connection's path), so `wait_for("socket")` and `calls_to("socket")` see
acks. Its status is 200 for an ack Slack would take, else 4xx: not JSON, an envelope never sent or already acked,
later than Slack's 3 seconds (408 operation_timeout), or a slash command's response payload that breaks the message
limits (400 invalid_blocks, …). The envelopes sent are in `envelopes` (envelope id -> envelope).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any
from urllib.parse import parse_qsl

# --- Block Kit limits, as documented by Slack ---------------------------------------------------------------------

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
BLOCK_TYPES = {"section", "header", "divider", "context", "actions", "image", "input", "rich_text", "file", "video"}
MAX_MESSAGE_TEXT = 40_000
MAX_RESPONSE_URL_POSTS = 5
# Element type -> (most options, whether option text must be plain_text).
_OPTIONS = {
    "static_select": (100, True),
    "multi_static_select": (100, True),
    "overflow": (5, True),
    "radio_buttons": (10, False),
    "checkboxes": (10, False),
}
# Form fields that Slack accepts as JSON-encoded strings.
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
# Socket Mode: the envelope types Slack sends, and how long it waits for an ack.
ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")
ACK_TIMEOUT_S = 3.0


class _Checker:
    """Collects problems worded like Slack's: '<reason> [json-pointer:<where>]'."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, reason: str, where: str) -> None:
        self.problems.append(f"{reason} [json-pointer:{where}]")

    def length(self, value: Any, limit: int, where: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.bad(f"must be less than {limit + 1} characters", where)

    def items(self, value: Any, limit: int, where: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad("must provide an array", where)
            return []
        if len(value) > limit:
            self.bad(f"must be less than {limit + 1} items", where)
        return value

    def text(self, obj: Any, where: str, limit: int, *, plain: bool = False, required: bool = True) -> None:
        if obj is None:
            if required:
                self.bad("must provide an object", where)
            return
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.bad("must be a text object of type plain_text or mrkdwn", where)
            return
        if plain and obj["type"] != "plain_text":
            self.bad("must be plain_text", f"{where}/type")
        if not isinstance(obj.get("text"), str) or not obj["text"]:
            self.bad("must be more than 0 characters", f"{where}/text")
        self.length(obj.get("text"), limit, f"{where}/text")

    def blocks(self, blocks: Any, where: str, surface: str) -> None:
        if not isinstance(blocks, list):
            self.bad("must provide an array", where)
            return
        self.items(blocks, MAX_BLOCKS[surface], where)
        block_ids: set[str] = set()
        for i, block in enumerate(blocks):
            here = f"{where}/{i}"
            if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
                self.bad("must be a known block type", f"{here}/type")
                continue
            block_id = block.get("block_id")
            self.length(block_id, 255, f"{here}/block_id")
            if block_id in block_ids:
                self.bad(f"duplicate block_id {block_id!r}", f"{here}/block_id")
            if block_id is not None:
                block_ids.add(block_id)
            self.block(block, here, surface)

    def block(self, block: dict, where: str, surface: str) -> None:
        kind = block["type"]
        if kind == "section":
            if block.get("text") is None and not block.get("fields"):
                self.bad("must provide either text or fields", where)
            self.text(block.get("text"), f"{where}/text", 3000, required=False)
            for j, field in enumerate(self.items(block.get("fields"), 10, f"{where}/fields")):
                self.text(field, f"{where}/fields/{j}", 2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{where}/accessory")
        elif kind == "header":
            self.text(block.get("text"), f"{where}/text", 150, plain=True)
        elif kind == "context":
            for j, element in enumerate(self.items(block.get("elements"), 10, f"{where}/elements")):
                if not (isinstance(element, dict) and element.get("type") == "image"):
                    self.text(element, f"{where}/elements/{j}", 3000)
        elif kind == "actions":
            action_ids: set[str] = set()
            for j, element in enumerate(self.items(block.get("elements"), 25, f"{where}/elements")):
                self.element(element, f"{where}/elements/{j}")
                action_id = element.get("action_id") if isinstance(element, dict) else None
                # Slack refuses the whole message when two elements of one block share an action_id.
                if action_id in action_ids:
                    self.bad(f"duplicate action_id {action_id!r}", f"{where}/elements/{j}/action_id")
                if action_id is not None:
                    action_ids.add(action_id)
        elif kind == "image":
            if not block.get("alt_text"):
                self.bad("must provide alt_text", where)
            self.length(block.get("alt_text"), 2000, f"{where}/alt_text")
            self.text(block.get("title"), f"{where}/title", 2000, plain=True, required=False)
        elif kind == "input":
            if surface == "message":
                self.bad("input blocks are only allowed in modals and Home tabs", f"{where}/type")
            self.text(block.get("label"), f"{where}/label", 2000, plain=True)
            self.text(block.get("hint"), f"{where}/hint", 2000, plain=True, required=False)
            self.element(block.get("element"), f"{where}/element")

    def element(self, element: Any, where: str) -> None:
        if not isinstance(element, dict):
            self.bad("must provide an object", where)
            return
        self.length(element.get("action_id"), 255, f"{where}/action_id")
        self.text(element.get("placeholder"), f"{where}/placeholder", 150, plain=True, required=False)
        kind = element.get("type")
        if kind == "button":
            self.text(element.get("text"), f"{where}/text", 75, plain=True)
            self.length(element.get("value"), 2000, f"{where}/value")
        elif kind in _OPTIONS:
            limit, plain = _OPTIONS[kind]
            for j, option in enumerate(self.items(element.get("options"), limit, f"{where}/options")):
                if not isinstance(option, dict):
                    self.bad("must provide an object", f"{where}/options/{j}")
                    continue
                self.text(option.get("text"), f"{where}/options/{j}/text", 75, plain=plain)
                self.length(option.get("value"), 150, f"{where}/options/{j}/value")


def check_blocks(blocks: Any, *, surface: str) -> list[str]:
    """Slack's Block Kit problems with `blocks` on a "message", "modal" or "home" surface; [] when it would accept."""
    if surface not in MAX_BLOCKS:
        raise ValueError(f"surface must be one of {sorted(MAX_BLOCKS)}, not {surface!r}")
    checker = _Checker()
    checker.blocks(blocks, "/blocks", surface)
    return checker.problems


def check_view(view: Any, *, surface: str) -> list[str]:
    """Slack's problems with a whole "modal" or "home" view (its blocks too), pointing under /view."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.bad("must provide an object", "/view")
        return checker.problems
    if view.get("type") != surface:
        checker.bad(f"must be {surface}", "/view/type")
    if surface == "modal":
        checker.text(view.get("title"), "/view/title", 24, plain=True)
        for key in ("submit", "close"):
            checker.text(view.get(key), f"/view/{key}", 24, plain=True, required=False)
        blocks = view["blocks"] if isinstance(view.get("blocks"), list) else []
        if "submit" not in view and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks):
            checker.bad("must provide submit when the view has input blocks", "/view/submit")
    checker.length(view.get("private_metadata"), 3000, "/view/private_metadata")
    checker.length(view.get("callback_id"), 255, "/view/callback_id")
    checker.length(view.get("external_id"), 255, "/view/external_id")
    checker.blocks(view.get("blocks"), "/view/blocks", surface)
    return checker.problems


# --- The server --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request the fake received, with what it answered."""

    method: str  # "chat.postMessage", …; "response_url" for response URL posts; "upload" for file upload POSTs
    body: dict  # the parsed arguments (JSON, form and query string merged; JSON-string fields decoded; no token)
    status: int
    response: dict
    at: float  # time.monotonic() when received
    url: str = ""  # for response_url calls: the path posted to


Answer = tuple[int, dict, dict[str, str]]  # HTTP status, JSON body, extra headers


def _error(error: str, **extra: Any) -> dict:
    return {"ok": False, "error": error, **extra}


def _invalid_arguments(messages: list[str]) -> dict:
    return _error("invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]})


def _parse_args(query: str, content_type: str, raw: bytes) -> dict:
    """Merge query-string and body arguments; raises ValueError for a body that is not a JSON object."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if raw and content_type == "application/json":
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        args.update(body)
    elif raw and content_type == "application/x-www-form-urlencoded":
        args.update(parse_qsl(raw.decode(), keep_blank_values=True))
    for name in _JSON_FIELDS:
        if isinstance(args.get(name), str):
            # Undecodable JSON stays a string, so the block checks report it the way Slack does.
            with contextlib.suppress(ValueError):
                args[name] = json.loads(args[name])
    return args


def _uploaded_bytes(content_type_header: str, raw: bytes) -> bytes:
    """The file in an upload POST: the whole body, or the first file part of a multipart form."""
    if not content_type_header.startswith("multipart/form-data"):
        return raw
    form = BytesParser(policy=policy.HTTP).parsebytes(f"Content-Type: {content_type_header}\r\n\r\n".encode() + raw)
    for part in form.iter_parts():
        if part.get_filename() or part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    return b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the benchmark opens 200 connections at once; the default backlog of 5 would drop some
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        at = time.monotonic()
        path, _, query = self.path.partition("?")
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(*self.server.fake._receive(path, query, dict(self.headers.items()), raw, at))

    def do_GET(self) -> None:
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.server.fake._serve_socket(self)
        else:
            self.do_POST()  # Slack accepts GET with query-string arguments too

    def answer(self, status: int, payload: dict, headers: dict[str, str]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and the benchmark stay quiet


# --- Socket Mode: a WebSocket server side (RFC 6455) --------------------------------------------------------------

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_MAX_MESSAGE = 16 * 1024 * 1024


def _accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()


def _frame(opcode: int, data: bytes) -> bytes:
    """A final, unmasked frame (a server never masks)."""
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + data


def _unmask(data: bytes, mask: bytes) -> bytes:
    n = len(data)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


class _Socket:
    """One Socket Mode connection, server side: frames out unmasked, frames in masked (else closed with 1002)."""

    def __init__(self, connection: socket.socket, rfile: BufferedIOBase, url: str) -> None:
        self.connection, self.rfile, self.url = connection, rfile, url
        self.done = threading.Event()  # set when the reading loop has ended (stops the pinger)
        self.close_sent = False
        self.last_pong: float | None = None
        self._lock = threading.Lock()  # one writer at a time: the test thread, the reader, the pinger

    def send(self, opcode: int, data: bytes) -> bool:
        """Send one frame; False once the connection is closing or gone."""
        with self._lock:
            if self.close_sent:
                return False
            try:
                self.connection.sendall(_frame(opcode, data))
            except OSError:
                self.close_sent = True
                return False
            self.close_sent = opcode == _CLOSE
            return True

    def close(self, code: int, reason: str = "") -> bool:
        return self.send(_CLOSE, struct.pack("!H", code) + reason.encode())

    def ping_every(self, interval: float) -> None:
        """Ping until the socket is done or a ping cannot be sent."""
        for n in itertools.count(1):
            if self.done.wait(interval) or not self.send(_PING, f"fake-slack:{n}".encode()):
                return

    def _read(self, n: int) -> bytes | None:
        try:
            data = self.rfile.read(n)
        except OSError:
            return None
        return data if len(data) == n else None

    def _frame_in(self) -> tuple[bool, int, bool, bytes] | None:
        """(fin, opcode, masked, unmasked payload), or None when the connection ended or broke the limits."""
        head = self._read(2)
        if head is None:
            return None
        fin, opcode, masked, length = bool(head[0] & 0x80), head[0] & 0x0F, bool(head[1] & 0x80), head[1] & 0x7F
        if length >= 126:
            extended = self._read(2 if length == 126 else 8)
            if extended is None:
                return None
            length = struct.unpack("!H" if length == 126 else "!Q", extended)[0]
        if length > _MAX_MESSAGE:
            self.close(1009, "message too big")
            return None
        mask = self._read(4) if masked else b""
        data = self._read(length) if length else b""
        if mask is None or data is None:
            return None
        return fin, opcode, masked, _unmask(data, mask) if masked else data

    def receive(self) -> str | None:
        """The next text (or binary) message, answering control frames on the way; None once the socket closes."""
        parts: list[bytes] = []
        while (frame := self._frame_in()) is not None:
            fin, opcode, masked, data = frame
            if not masked:  # RFC 6455 5.1: a client masks every frame
                self.close(1002, "client frames must be masked")
                return None
            if opcode == _PING:
                self.send(_PONG, data)
            elif opcode == _PONG:
                self.last_pong = time.monotonic()
            elif opcode == _CLOSE:
                self.send(_CLOSE, data[:2])  # echo the status code; no-op if we started the close
                return None
            elif opcode in (_TEXT, _BINARY, _CONTINUATION):
                parts.append(data)
                if sum(map(len, parts)) > _MAX_MESSAGE:
                    self.close(1009, "message too big")
                    return None
                if fin:
                    return b"".join(parts).decode("utf-8", "replace")
            else:
                self.close(1002, f"unknown opcode {opcode}")
                return None
        return None


class FakeSlack:
    """Slack's Web API on 127.0.0.1, recording calls; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        team_id: str = "T0TIERBOT",
        bot_user_id: str = "UTIERBOT",
        bot_id: str = "BTIERBOT",
        usergroups: dict[str, list[str]] | None = None,
        trigger_ttl_s: float = 3.0,
        socket_ping_interval_s: float = 0.1,
    ) -> None:
        self.team_id, self.bot_user_id, self.bot_id = team_id, bot_user_id, bot_id
        self.usergroups = dict(usergroups or {})
        self.trigger_ttl_s = trigger_ttl_s
        # Frequent pings keep slack_sdk's built-in client responsive: it reads with a 3 s timeout while holding the
        # lock its close() needs, so on a silent connection handler.close() would take up to 3 s.
        self.socket_ping_interval_s = socket_ping_interval_s
        self.url = ""
        self.api_url = ""
        self.files: dict[str, dict] = {}
        self.views: dict[str, dict] = {}
        self.outside: set[str] = set()  # channels the bot is not in: posts there are refused (not_in_channel)
        self.unreachable: set[str] = set()  # users a DM cannot reach (deactivated): posts refused (user_not_found)
        self.revoked: set[str] = set()  # tokens an admin revoked: every call answers token_revoked
        # One condition guards all state; handlers are quick dictionary work, so serialising them costs nothing.
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._ids = itertools.count(1)
        self._ts = itertools.count(100)
        self._messages: dict[tuple[str, str], dict] = {}
        self._triggers: dict[str, float | None] = {}  # trigger id -> expiry (monotonic), None once used
        self._external_ids: dict[str, str] = {}
        self._homes: dict[str, str] = {}
        self._response_urls: dict[str, int] = {}  # path -> posts accepted
        self._tickets: dict[str, bool] = {}  # Socket Mode ticket -> used
        self._sockets: list[_Socket] = []  # open Socket Mode connections, oldest first
        self.envelopes: dict[str, dict] = {}  # envelope id -> the envelope socket_send sent
        self._sent_at: dict[str, float] = {}  # envelope id -> when it was sent (monotonic); popped when acked
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict], dict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update_message,
            "chat.delete": self._delete_message,
            "views.open": self._open_view,
            "views.push": self._open_view,
            "views.update": self._update_view,
            "views.publish": self._publish_view,
            "conversations.open": self._open_conversation,
            "users.info": self._user_info,
            "usergroups.users.list": self._usergroup_users,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "oauth.v2.access": self._oauth_access,
            "apps.connections.open": self._open_connection,
        }
        self._oauth_codes: dict[str, tuple[str, str]] = {}  # code -> (team id, installing user)
        self._installed: dict[str, str] = {}  # bot token handed out by oauth.v2.access -> team id
        self._token = ""  # the token of the call being answered (set under the lock)

    # --- lifecycle and inspection --------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self.api_url = self.url + "api/"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._close_sockets()
            self._server.server_close()
            self._thread.join()
        self._server = self._thread = None

    def _close_sockets(self) -> None:
        """Close every Socket Mode connection the RFC 6455 way: a close frame, then the client hangs up."""
        with self._cond:
            sockets = list(self._sockets)
        for ws in sockets:
            ws.close(1001, "going away")
        for ws in sockets:
            if not self._socket_ended(ws, 2.0):  # the client did not hang up: end the connection from this side
                with contextlib.suppress(OSError):
                    ws.connection.shutdown(socket.SHUT_RDWR)
                self._socket_ended(ws, 2.0)

    def _socket_ended(self, ws: _Socket, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: ws not in self._sockets, timeout)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def response_url(self) -> str:
        with self._cond:
            path = f"/response/{next(self._ids)}"
            self._response_urls[path] = 0
        return self.url + path.lstrip("/")

    def new_trigger_id(self) -> str:
        with self._cond:
            trigger_id = f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex[:16]}"
            self._triggers[trigger_id] = time.monotonic() + self.trigger_ttl_s
        return trigger_id

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        with self._cond:
            arrived = self._cond.wait_for(lambda: sum(c.method == method for c in self._calls) >= count, timeout)
            calls = list(self._calls)
        if not arrived:
            listing = "\n".join(f"  {c.method} -> {c.status} {c.response.get('error', 'ok')}" for c in calls)
            raise AssertionError(
                f"expected {count} call(s) to {method} within {timeout}s; {len(calls)} call(s) so far:\n"
                + (listing or "  (none)")
            )
        return [call for call in calls if call.method == method]

    def wait_until(self, condition: Callable[[list[Call]], bool], timeout: float = 5.0) -> list[Call]:
        """Every call so far, once ``condition`` holds for them (an AssertionError listing them if not)."""
        with self._cond:
            arrived = self._cond.wait_for(lambda: condition(self._calls), timeout)
            calls = list(self._calls)
        if not arrived:
            listing = "\n".join(f"  {c.method} {c.url} -> {c.status} {c.response.get('error', 'ok')}" for c in calls)
            raise AssertionError(
                f"the expected calls did not come within {timeout}s; so far:\n" + (listing or "  (none)")
            )
        return calls

    def clear(self) -> None:
        with self._cond:
            self._calls.clear()

    def fail_next(self, method: str, status: int = 429, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls to `method` with HTTP 429 (ratelimited, Retry-After) or a 5xx."""
        if status != 429 and not 500 <= status <= 599:
            raise ValueError(f"fail_next fakes 429 or 5xx answers, not {status}")
        with self._cond:
            self._failures[method].extend([(status, retry_after)] * times)

    def clear_failures(self) -> None:
        """Forget the failures ``fail_next`` still had to give."""
        with self._cond:
            self._failures.clear()

    # --- Socket Mode ----------------------------------------------------------------------------------------------

    def socket_connected(self, timeout: float = 5.0) -> bool:
        """Whether a Socket Mode client is connected (waiting up to ``timeout`` seconds for one)."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._sockets), timeout)

    def socket_send(
        self,
        envelope_type: str,
        payload: dict,
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope to the newest Socket Mode connection, as Slack does; returns its envelope id.

        ``accepts_response_payload`` defaults to Slack's: False for events_api, True otherwise. events_api envelopes
        carry ``retry_attempt`` (0) and ``retry_reason`` ("") like Slack's. Waits up to ``timeout`` seconds for a
        connection; AssertionError if none comes.
        """
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope_type must be one of {ENVELOPE_TYPES}, not {envelope_type!r}")
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type != "events_api"
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api" or retry_attempt is not None or retry_reason is not None:
            envelope |= {"retry_attempt": retry_attempt or 0, "retry_reason": retry_reason or ""}
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._sockets), timeout):
                opened = sum(c.method == "apps.connections.open" for c in self._calls)
                raise AssertionError(
                    f"no Socket Mode client connected within {timeout}s to send a {envelope_type} envelope to "
                    f"({opened} call(s) to apps.connections.open); connect the app first (handler.connect())"
                )
            ws = self._sockets[-1]
            self.envelopes[envelope_id] = envelope
            self._sent_at[envelope_id] = time.monotonic()
        if not ws.send(_TEXT, json.dumps(envelope).encode()):
            raise AssertionError(f"the Socket Mode connection {ws.url} closed before the {envelope_type} envelope went")
        return envelope_id

    def socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict:
        """The app's ack of envelope ``envelope_id`` (the parsed JSON), once it arrives within ``timeout`` seconds."""

        def ack() -> dict | None:
            found = (c.body for c in self._calls if c.method == "socket" and c.body.get("envelope_id") == envelope_id)
            return next(found, None)

        with self._cond:
            self._cond.wait_for(lambda: ack() is not None, timeout)
            found, frames, connected = ack(), [c for c in self._calls if c.method == "socket"], len(self._sockets)
        if found is None:
            listing = "\n".join(
                f"  {c.body.get('envelope_id')} -> {c.status} {c.response.get('error', 'ok')}" for c in frames
            )
            raise AssertionError(
                f"no ack for envelope {envelope_id} within {timeout}s ({connected} connection(s) open); "
                f"{len(frames)} socket message(s) so far:\n" + (listing or "  (none)")
            )
        return found

    def _open_connection(self, args: dict) -> dict:
        ticket = str(next(self._ids))
        self._tickets[ticket] = False
        return {"ok": True, "url": f"ws://{self.url.removeprefix('http://')}link/?ticket={ticket}"}

    def _serve_socket(self, handler: _Handler) -> None:
        """Upgrade a GET to a Socket Mode WebSocket, then serve it on the handler's thread until it closes."""
        handler.close_connection = True
        path, _, query = handler.path.partition("?")
        key = handler.headers.get("Sec-WebSocket-Key", "")
        with self._cond:
            ticket = dict(parse_qsl(query)).get("ticket", "")
            valid = path == "/link/" and self._tickets.get(ticket) is False
            if valid:
                self._tickets[ticket] = True  # a ticket opens one connection
        if not valid:
            handler.answer(401, _error("invalid_ticket"), {})
            return
        if handler.headers.get("Sec-WebSocket-Version") != "13" or not key:
            handler.answer(426, _error("upgrade_required"), {"Sec-WebSocket-Version": "13"})
            return
        ws = _Socket(handler.connection, handler.rfile, handler.path)
        handler.connection.sendall(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {_accept_key(key)}\r\n\r\n".encode()
        )
        with self._cond:
            self._sockets.append(ws)
            hello = {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "fake-slack", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0TIERBOT"},
            }
            self._cond.notify_all()
        pinger = threading.Thread(
            target=ws.ping_every, args=(self.socket_ping_interval_s,), name="fake-slack-ping", daemon=True
        )
        try:
            ws.send(_TEXT, json.dumps(hello).encode())
            pinger.start()
            while (text := ws.receive()) is not None:
                self._socket_message(ws, text)
        finally:
            ws.done.set()
            if pinger.is_alive():
                pinger.join()
            with self._cond:
                self._sockets.remove(ws)
                self._cond.notify_all()

    def _socket_message(self, ws: _Socket, text: str) -> None:
        at = time.monotonic()
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        with self._cond:
            status, response = 200, {"ok": True}
            if not isinstance(body, dict):
                body, status, response = {"text": text}, 400, _error("invalid_json")
            elif body.get("envelope_id") not in self.envelopes:
                status, response = 404, _error("envelope_not_found")
            elif body["envelope_id"] not in self._sent_at:
                status, response = 400, _error("already_acknowledged")
            else:
                envelope = self.envelopes[body["envelope_id"]]
                if at - self._sent_at.pop(body["envelope_id"]) > ACK_TIMEOUT_S:
                    status, response = 408, _error("operation_timeout")
                elif envelope["type"] == "slash_commands" and body.get("payload"):
                    problem = self._message_problem(body["payload"], required=False)
                    status, response = (400, problem) if problem else (status, response)
            self._calls.append(Call("socket", body, status, response, at, ws.url))
            self._cond.notify_all()

    def home_of(self, user_id: str) -> dict | None:
        with self._cond:
            view_id = self._homes.get(user_id)
            return self.views.get(view_id) if view_id else None

    # --- request handling ----------------------------------------------------------------------------------------

    def _receive(self, path: str, query: str, headers: Mapping[str, str], raw: bytes, at: float) -> Answer:
        content_type = headers.get("Content-Type", "")
        url = ""
        if path.startswith("/response/"):
            method, url = "response_url", path
        elif path.startswith("/upload/"):
            method = "upload"
        elif path.startswith("/api/"):
            method = path.removeprefix("/api/")
        else:
            return 404, _error("not_found"), {}
        content, token, parse_error = b"", None, None
        if method == "upload":
            content = _uploaded_bytes(content_type, raw)
            args: dict[str, Any] = {"file_id": path.removeprefix("/upload/"), "length": len(content)}
        else:
            try:
                args = _parse_args(query, content_type.split(";")[0].strip().lower(), raw)
            except ValueError:
                args, parse_error = {}, _error("invalid_json")
            token = args.pop("token", None)  # not recorded: calls hold arguments, not credentials
        with self._cond:
            if self._failures.get(method):
                answer = self._failure(*self._failures[method].pop(0))
            elif parse_error is not None:
                answer = 200, parse_error, {}
            elif method == "response_url":
                answer = self._post_to_response_url(path, args)
            elif method == "upload":
                answer = self._upload(args["file_id"], content)
            else:
                answer = 200, self._api(method, headers.get("Authorization", ""), token, args), {}
            self._calls.append(Call(method, args, answer[0], answer[1], at, url))
            self._cond.notify_all()
        return answer

    @staticmethod
    def _failure(status: int, retry_after: int) -> Answer:
        if status == 429:
            return 429, _error("ratelimited"), {"Retry-After": str(retry_after)}
        return status, _error("internal_error"), {}

    def _api(self, method: str, authorization: str, token: str | None, args: dict) -> dict:
        handler = self._methods.get(method)
        if handler is None:
            return _error("unknown_method")
        if method == "oauth.v2.access":  # authenticated by the app's client id and secret, not a token
            return handler(args | {"authorization": authorization})
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else token
        if not token:
            return _error("not_authed")
        if method == "apps.connections.open":  # the one method for the app-level token
            if token.startswith("xapp-"):
                return handler(args)
            return _error("not_allowed_token_type" if token.startswith("xox") else "invalid_auth")
        if not token.startswith("xox"):
            return _error("invalid_auth")
        if token in self.revoked:
            return _error("token_revoked")
        self._token = token
        return handler(args)

    def _post_to_response_url(self, path: str, body: dict) -> Answer:
        if path not in self._response_urls:
            return 404, _error("no_service"), {}
        # Slack allows 5 posts per response URL and then answers 404 used_url.
        if self._response_urls[path] >= MAX_RESPONSE_URL_POSTS:
            return 404, _error("used_url"), {}
        problem = self._message_problem(body, required=not body.get("delete_original"))
        if problem:
            return 400, problem, {}
        self._response_urls[path] += 1
        return 200, {"ok": True}, {}

    # --- chat ----------------------------------------------------------------------------------------------------

    def _message_problem(self, args: dict, *, required: bool = True) -> dict | None:
        if required and not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return _error("no_text")
        if len(str(args.get("text") or "")) > MAX_MESSAGE_TEXT:
            return _error("msg_too_long")
        problems = check_blocks(args["blocks"], surface="message") if "blocks" in args else []
        return _error("invalid_blocks", errors=problems) if problems else None

    def _channel(self, channel: str) -> str:
        # Posting to a user id lands in the DM with them, and Slack answers with that D… channel.
        return self._dm_id([channel]) if channel[:1] in ("U", "W") else channel

    def _new_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _message(self, args: dict, ts: str) -> dict:
        keys = ("text", "blocks", "attachments", "thread_ts", "metadata")
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "team": self.team_id, "ts": ts}
        return message | {key: args[key] for key in keys if key in args}

    def new_oauth_code(self, team_id: str, user_id: str = "UINSTALLER") -> str:
        """A code as Slack's OAuth redirect would carry it, for an install into ``team_id``."""
        with self._cond:
            code = f"code-{next(self._ids)}"
            self._oauth_codes[code] = (team_id, user_id)
        return code

    def _oauth_access(self, args: dict) -> dict:
        if not args.pop("authorization", "").startswith("Basic ") and not args.get("client_secret"):
            return _error("invalid_client_id")
        found = self._oauth_codes.pop(str(args.get("code", "")), None)
        if found is None:
            return _error("invalid_code")
        team_id, user_id = found
        token = f"xoxb-{team_id.lower()}-installed"
        self._installed[token] = team_id
        return {
            "ok": True,
            "app_id": "A0TIERBOT",
            "authed_user": {"id": user_id},
            "scope": "commands,chat:write,im:write,files:write,usergroups:read",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": team_id, "name": f"Team {team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _auth_test(self, args: dict) -> dict:
        return {
            "ok": True,
            "url": "https://tierbot-fake.slack.com/",
            "team": "Tierbot Fake",
            "team_id": self._installed.get(self._token, self.team_id),
            "user": "tierbot",
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: dict) -> dict:
        if not args.get("channel"):
            return _error("channel_not_found")
        if args["channel"] in self.outside:
            return _error("not_in_channel")
        if args["channel"] in self.unreachable:
            return _error("user_not_found")
        if problem := self._message_problem(args):
            return problem
        channel, ts = self._channel(args["channel"]), self._new_ts()
        self._messages[(channel, ts)] = message = self._message(args, ts)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _post_ephemeral(self, args: dict) -> dict:
        if not args.get("channel"):
            return _error("channel_not_found")
        if not args.get("user"):
            return _error("user_not_found")
        return self._message_problem(args) or {"ok": True, "message_ts": self._new_ts()}

    def _update_message(self, args: dict) -> dict:
        key = (args.get("channel", ""), args.get("ts", ""))
        if key not in self._messages:
            return _error("message_not_found")
        if problem := self._message_problem(args):
            return problem
        self._messages[key] = message = self._messages[key] | self._message(args, key[1])
        return {"ok": True, "channel": key[0], "ts": key[1], "text": message.get("text", ""), "message": message}

    def message(self, channel: str, ts: str) -> dict | None:
        """A message as it stands now (after any chat.update), or None."""
        with self._cond:
            return self._messages.get((channel, ts))

    def _delete_message(self, args: dict) -> dict:
        key = (args.get("channel", ""), args.get("ts", ""))
        if self._messages.pop(key, None) is None:
            return _error("message_not_found")
        return {"ok": True, "channel": key[0], "ts": key[1]}

    # --- views ---------------------------------------------------------------------------------------------------

    def _use_trigger(self, trigger_id: Any) -> str | None:
        """The error for an unusable trigger id, or None after spending it."""
        if trigger_id not in self._triggers:
            return "invalid_trigger_id"
        expires = self._triggers[trigger_id]
        if expires is None:
            return "exchanged_trigger_id"
        if time.monotonic() > expires:
            return "expired_trigger_id"
        self._triggers[trigger_id] = None
        return None

    def _store_view(self, view: dict, view_id: str | None = None) -> dict:
        view_id = view_id or f"V{next(self._ids):010d}"
        stored = view | {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": "ATIERBOT",
            "bot_id": self.bot_id,
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "state": {"values": {}},
            "root_view_id": self.views.get(view_id, {}).get("root_view_id", view_id),
        }
        self.views[view_id] = stored
        if view.get("external_id"):
            self._external_ids[view["external_id"]] = view_id
        return stored

    def _open_view(self, args: dict) -> dict:
        # Checked before the trigger is spent, so a rejected view leaves the trigger usable (as a retry would need).
        if problems := check_view(args.get("view"), surface="modal"):
            return _invalid_arguments(problems)
        if error := self._use_trigger(args.get("trigger_id")):
            return _error(error)
        return {"ok": True, "view": self._store_view(args["view"])}

    def _update_view(self, args: dict) -> dict:
        if not args.get("view_id") and not args.get("external_id"):
            return _invalid_arguments(["missing required field: view_id or external_id"])
        view_id = args.get("view_id") or self._external_ids.get(args["external_id"])
        if view_id not in self.views:
            return _error("not_found")
        if problems := check_view(args.get("view"), surface=self.views[view_id]["type"]):
            return _invalid_arguments(problems)
        if args.get("hash") and args["hash"] != self.views[view_id]["hash"]:
            return _error("hash_conflict")
        return {"ok": True, "view": self._store_view(args["view"], view_id)}

    def _publish_view(self, args: dict) -> dict:
        user_id = args.get("user_id")
        if not user_id:
            return _invalid_arguments(["missing required field: user_id"])
        if problems := check_view(args.get("view"), surface="home"):
            return _invalid_arguments(problems)
        view_id = self._homes.get(user_id)  # a user's Home tab keeps its view id across publishes
        if args.get("hash") and view_id and args["hash"] != self.views[view_id]["hash"]:
            return _error("hash_conflict")
        stored = self._store_view(args["view"], view_id)
        self._homes[user_id] = stored["id"]
        return {"ok": True, "view": stored}

    # --- people and conversations --------------------------------------------------------------------------------

    @staticmethod
    def _dm_id(users: list[str]) -> str:
        return "D" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()

    def _open_conversation(self, args: dict) -> dict:
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if users:
            return {"ok": True, "channel": {"id": self._dm_id(users)}}
        if args.get("channel"):  # re-opening a known conversation by id
            return {"ok": True, "channel": {"id": args["channel"]}}
        return _error("users_list_not_supplied")

    def _user_info(self, args: dict) -> dict:
        user_id = args.get("user")
        if not user_id:
            return _error("user_not_found")
        name = user_id.lower()
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "team_id": self.team_id,
                "name": name,
                "real_name": f"User {user_id}",
                "deleted": False,
                "is_bot": user_id == self.bot_user_id,
                "tz": "Europe/London",
                "tz_label": "Greenwich Mean Time",
                "tz_offset": 0,
                "profile": {"display_name": name, "real_name": f"User {user_id}", "email": f"{name}@example.com"},
            },
        }

    def _usergroup_users(self, args: dict) -> dict:
        if args.get("usergroup") not in self.usergroups:
            return _error("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[args["usergroup"]])}

    # --- files ---------------------------------------------------------------------------------------------------

    def _get_upload_url(self, args: dict) -> dict:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return _invalid_arguments(["missing required field: filename and a whole-number length"])
        file_id = f"F{next(self._ids):010d}"
        self.files[file_id] = {
            "filename": args["filename"],
            "length": int(args["length"]),
            "content": b"",
            "title": args["filename"],
            "channel_id": None,
            "initial_comment": None,
            "thread_ts": None,
            "uploaded": False,
            "completed": False,
        }
        return {"ok": True, "upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, content: bytes) -> Answer:
        file = self.files.get(file_id)
        if file is None:
            return 404, _error("not_found"), {}
        file.update(content=content, uploaded=True)
        return 200, {"ok": True}, {}

    def _complete_upload(self, args: dict) -> dict:
        if args.get("channel_id") in self.outside:
            return _error("not_in_channel")
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            return _invalid_arguments(["missing required field: files"])
        # Every file must have been announced and uploaded first; Slack refuses the completion otherwise.
        if any(not isinstance(e, dict) or not self.files.get(str(e.get("id")), {}).get("uploaded") for e in entries):
            return _error("file_not_found")
        done = []
        for entry in entries:
            file = self.files[entry["id"]]
            file.update(
                title=entry.get("title") or file["filename"],
                channel_id=args.get("channel_id"),
                initial_comment=args.get("initial_comment"),
                thread_ts=args.get("thread_ts"),
                completed=True,
            )
            done.append({"id": entry["id"], "title": file["title"], "name": file["filename"], "size": file["length"]})
        return {"ok": True, "files": done}
