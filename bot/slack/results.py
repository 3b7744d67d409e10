"""Results of posting to Slack, shown by the command line and in Slack alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Posted:
    """What was posted, for the person who asked."""

    what: str
    messages: int
    channel: str | None = None
