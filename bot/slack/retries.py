"""How tierbot's calls to Slack retry: server errors and dropped connections a few times, rate
limits only as long as the caller can afford to wait.

A rate-limited call waits on its own thread. The bot's threads answer people, so they wait out
only short limits (``ANSWER_PATIENCE_S``); past that the call fails at once with ``ratelimited``
and what must still happen waits in the outbox, which tries again after Slack's Retry-After.
The command line, where one person waits for one answer, is patient.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

log = logging.getLogger("tierbot.slack")

ANSWER_PATIENCE_S = 2.0
COMMAND_LINE_PATIENCE_S = 60.0


def retry_after_s(headers: Mapping[str, Any]) -> float:
    """Slack's Retry-After (seconds) from response headers; 1 when it is missing or odd."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = str(value[0] if isinstance(value, list | tuple) and value else value).strip()
            return float(text) if text.isdigit() else 1.0
    return 1.0


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Wait out a 429 only when Slack asks for at most ``patience_s`` seconds."""

    def __init__(self, patience_s: float, max_retry_count: int = 3):
        super().__init__(max_retry_count=max_retry_count)
        self.patience_s = patience_s

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_s(response.headers) <= self.patience_s


class ServerErrorRetry(ServerErrorRetryHandler):
    """Retry any 5xx (slack_sdk's own handler retries only 500 and 503; proxies answer 502 and 504)."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return response is not None and 500 <= response.status_code <= 599


def retry_handlers(patience_s: float) -> list[RetryHandler]:
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        ShortRateLimitRetry(patience_s),
        ServerErrorRetry(max_retry_count=2),
    ]


class ResponseUrlRefused(Exception):
    """A response URL answered with an error (expired, used five times, a bad message)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"the response URL answered {status}: {body[:200]}")
        self.status = status


def respond_through(url: str, message: dict[str, Any], *, patience_s: float = ANSWER_PATIENCE_S) -> None:
    """Post ``message`` to a response URL, retrying server errors and short rate limits like the
    Web API; ``ResponseUrlRefused`` when Slack still refuses it."""
    client = WebhookClient(url, timeout=10, retry_handlers=retry_handlers(patience_s))
    response = client.send_dict(message)
    if response.status_code != 200:
        raise ResponseUrlRefused(response.status_code, str(response.body))
