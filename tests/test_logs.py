"""Secrets never reach a log line, whatever the level."""

from __future__ import annotations

import logging

import pytest

from bot.logs import Redact


@pytest.fixture
def captured() -> tuple[logging.Logger, list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(Redact(["signing-secret-123"]))
    logger = logging.getLogger("tierbot.test.logs")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, lines


def test_tokens_basic_credentials_and_known_secrets_are_masked(captured: tuple[logging.Logger, list[str]]) -> None:
    logger, lines = captured
    logger.debug("Received: %s", {"ok": True, "access_token": "xoxb-1234-5678-abcdefABCDEF", "team": {"id": "T1"}})
    logger.debug("headers: {'Authorization': 'Basic MTExMS4yMjIyOm9hdXRoLXNlY3JldA=='}")
    logger.info("app token xapp-1-A0-123-abc and user token xoxp-9-9-9")
    logger.warning("verifying with signing-secret-123")
    text = "\n".join(lines)
    for secret in (
        "xoxb-1234-5678-abcdefABCDEF",
        "MTExMS4yMjIyOm9hdXRoLXNlY3JldA==",
        "xapp-1-A0",
        "xoxp-9",
        "signing-secret-123",
    ):
        assert secret not in text
    assert "xoxb-[redacted]" in text and "'team': {'id': 'T1'}" in text  # the rest is kept


def test_the_bot_logs_redacted_from_the_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.logs import configure_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        handler = configure_logging(debug=True, secrets=["my-client-secret"])
        assert any(isinstance(f, Redact) for f in handler.filters)
        assert root.level == logging.DEBUG
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
