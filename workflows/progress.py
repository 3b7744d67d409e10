"""Progress messages: long workflows report what they are doing through a callback."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


def silent(message: str) -> None:
    """The progress callback that says nothing (tests, Slack, scripts)."""
