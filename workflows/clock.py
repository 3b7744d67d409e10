"""Time as a collaborator: workflows ask a clock, so tests can fix the date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock stopped at one moment (for tests and reproducible demos)."""

    def __init__(self, moment: datetime):
        self.moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def timestamp(clock: Clock) -> str:
    """The clock's time as ISO 8601 UTC with seconds: 2026-11-22T20:18:16Z."""
    return clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today(clock: Clock) -> date:
    return clock.now().astimezone(UTC).date()
