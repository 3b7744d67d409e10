"""Logging for the long-running bot: one format, and secrets masked in every line.

Debug logging is what people turn on before pasting logs into a bug report, and at that level
slack_sdk logs request and response bodies (an OAuth exchange returns the bot token). Every
record passes ``Redact`` on its way out, so tokens and secrets never reach a log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# Slack tokens (bot, user, app-level, refresh, config), HTTP basic credentials, and any value
# known to be secret (the signing and client secrets from the environment).
_TOKENS = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
_BASIC = re.compile(r"(Basic\s+)[A-Za-z0-9+/=]{8,}")


class Redact(logging.Filter):
    """Masks tokens and the given secrets in a record's final message."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = _BASIC.sub(r"\1[redacted]", _TOKENS.sub(r"\1-[redacted]", text))
        for secret in self.secrets:
            masked = masked.replace(secret, "[redacted]")
        if masked != text:
            record.msg, record.args = masked, None
        return True


def configure_logging(*, debug: bool, secrets: Iterable[str | None] = ()) -> logging.Handler:
    """Log to stderr (INFO, or DEBUG with TIERBOT_DEBUG=1), secrets masked."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return handler
