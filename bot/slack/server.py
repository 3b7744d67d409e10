"""Serving the Slack app: HTTP on a port (waitress, a production WSGI server) or Socket Mode.

HTTP answers Slack at ``/slack/events`` (events, commands, interactivity), and, when OAuth is
configured, ``/slack/install`` and ``/slack/oauth_redirect``; ``/healthz`` tells a load balancer
the bot is up. Everything else is 404.

Before Bolt sees a request at ``/slack/events``: a body over ``MAX_BODY_BYTES`` is refused (413)
from its Content-Length, before it is read; signature and timestamp headers that are not
Slack's shape, a timestamp outside five minutes and a signature that does not match get 401.
Each refusal is reported (the bot audits it, after answering); a refused body is never logged.
"""

from __future__ import annotations

import hmac
import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask
from waitress.utilities import RequestEntityTooLarge

from bot.slack import signing
from bot.slack.app import EVENTS_PATH
from bot.slack.registry import Registry

log = logging.getLogger("tierbot.slack")
HTTP_THREADS = 16  # waitress threads: each holds a request until its listener acks
CONNECTION_LIMIT = 512  # Slack bursts (a round's DMs, many people at 9am) must queue, not be refused


MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kilobytes; a form's state, tens at most
WINDOW_S = 5 * 60  # Slack's requests are signed with their time: older ones are replays
_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True)
class Refusal:
    """A request refused before it reached the app: why, where, from whom, how big."""

    reason: str
    path: str
    remote: str | None
    size: int | None


Refused = Callable[[Refusal], None]


def signature_problem(headers: dict[str, str], body: bytes, secret: str, now: float) -> str | None:
    """Why a request is not one Slack signed with ``secret`` within the window; None when it is."""
    timestamp = headers.get("timestamp", "")
    signature = headers.get("signature", "")
    if not timestamp or not signature:
        return "unsigned (no X-Slack-Signature or X-Slack-Request-Timestamp)"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "malformed X-Slack-Request-Timestamp"
    if not _SIGNATURE.fullmatch(signature):
        return "malformed X-Slack-Signature"
    if abs(now - int(timestamp)) > WINDOW_S:
        return "timestamp outside the five-minute window"
    expected = signing.signature(secret, timestamp, body.decode("utf-8", "surrogateescape"))
    if not hmac.compare_digest(expected.encode("utf-8", "surrogateescape"), signature.encode()):
        return "signature does not match"
    return None


def wsgi_app(
    bolt: App, *, secret: str | None = None, refused: Refused | None = None, now: Callable[[], float] = time.time
) -> Callable[..., Iterable[bytes]]:
    """The Bolt app as a WSGI application, plus a health check; with ``secret``, requests to
    ``/slack/events`` are checked first and refusals reported to ``refused``."""
    slack = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if secret and path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
            headers = {
                "timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                "signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            }
            problem = (
                "body too large" if len(body) > MAX_BODY_BYTES else signature_problem(headers, body, secret, now())
            )
            if problem:
                if refused is not None:
                    refused(Refusal(problem, path, environ.get("REMOTE_ADDR"), len(body)))
                status = "413 Request Entity Too Large" if problem == "body too large" else "401 Unauthorized"
                start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
                return [b"This request is not one Slack signed for this app; it was refused.\n"]
            environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads it again (and checks it again)
            environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application


class _RefusingErrorTask(ErrorTask):
    """waitress answers a body over its limit itself, before reading it: report that refusal too."""

    def execute(self) -> None:
        super().execute()
        report = getattr(self.channel.server, "tierbot_refused", None)
        if report is not None and isinstance(self.request.error, RequestEntityTooLarge):
            addr = self.channel.addr
            remote = addr[0] if isinstance(addr, tuple) and addr else None
            report(Refusal("body too large", str(self.request.path), remote, self.request.content_length))


class _Channel(HTTPChannel):
    error_task_class = _RefusingErrorTask


# waitress warns on every queued request; under a burst that is noise, not news.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class HttpServer:
    """The app on ``host:port`` (port 0 picks a free one), served on a background thread or
    in the foreground."""

    def __init__(
        self,
        bolt: App,
        host: str = "127.0.0.1",
        port: int = 3000,
        threads: int = HTTP_THREADS,
        *,
        secret: str | None = None,
        refused: Refused | None = None,
    ):
        self._server = waitress.create_server(
            wsgi_app(bolt, secret=secret, refused=refused),
            host=host,
            port=port,
            threads=threads,
            connection_limit=CONNECTION_LIMIT,
            ident="tierbot",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=MAX_BODY_BYTES + 1,
        )
        self._server.channel_class = _Channel
        self._server.tierbot_refused = refused
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @classmethod
    def serving(cls, registry: Registry, host: str = "127.0.0.1", port: int = 3000) -> HttpServer:
        """The app of ``registry``, its requests checked with the signing secret, refusals audited."""
        deps = registry.deps

        def refused(refusal: Refusal) -> None:
            deps.refused(refusal.reason, path=refusal.path, remote=refusal.remote, bytes=refusal.size)

        return cls(registry.bolt, host, port, secret=deps.settings.signing_secret, refused=refused)

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self._server.effective_port}"

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve_forever(self) -> None:
        self._server.run()

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self._loop, name="tierbot-http", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        # waitress's run() loops until its sockets close; closing them from another thread races
        # the loop (EBADF). Turning the loop in short steps lets stop() end it first.
        server = self._server
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._server._map)

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def socket_mode_handler(bolt: App, app_token: str) -> SocketModeHandler:
    """Socket Mode: the app opens a WebSocket to Slack; no public URL needed (firewalls, laptops).

    The Socket Mode client asks the same Web API base URL (``SLACK_API_URL``) for its WebSocket.
    """
    web = WebClient(base_url=bolt.client.base_url, retry_handlers=bolt.client.retry_handlers)
    return SocketModeHandler(bolt, app_token=app_token, web_client=web)
