"""Serving the Slack app: HTTP on a port (waitress, a production WSGI server) or Socket Mode.

HTTP answers Slack at ``/slack/events`` (events, commands, interactivity), and, when OAuth is
configured, ``/slack/install`` and ``/slack/oauth_redirect``; ``/healthz`` tells a load balancer
the bot is up. Everything else is 404.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import wasyncore

from bot.slack.app import EVENTS_PATH

log = logging.getLogger("tierbot.slack")
HTTP_THREADS = 16  # waitress threads: each holds a request until its listener acks
CONNECTION_LIMIT = 512  # Slack bursts (a round's DMs, many people at 9am) must queue, not be refused


def wsgi_app(bolt: App) -> Callable[..., Iterable[bytes]]:
    """The Bolt app as a WSGI application, plus a health check."""
    slack = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


# waitress warns on every queued request; under a burst that is noise, not news.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class HttpServer:
    """The app on ``host:port`` (port 0 picks a free one), served on a background thread or
    in the foreground."""

    def __init__(self, bolt: App, host: str = "127.0.0.1", port: int = 3000, threads: int = HTTP_THREADS):
        self._server = waitress.create_server(
            wsgi_app(bolt),
            host=host,
            port=port,
            threads=threads,
            connection_limit=CONNECTION_LIMIT,
            ident="tierbot",
            clear_untrusted_proxy_headers=True,
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

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
