"""Time as a collaborator: workflows ask a clock, so tests and demos can fix the date."""

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


class DayClock:
    """Today is a given day; the time of day runs as usual (`TIERBOT_TODAY`).

    The hours keep moving so that audit entries and records made one after the other still sort
    in the order they happened, while every date the app computes (renewal windows, quarters,
    plan weeks) is reproducible.
    """

    def __init__(self, day: date):
        self.day = day

    def now(self) -> datetime:
        real = datetime.now(UTC)
        return datetime.combine(self.day, real.timetz())


def timestamp(clock: Clock) -> str:
    """The clock's time as ISO 8601 UTC with seconds: 2026-11-22T20:18:16Z."""
    return clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today(clock: Clock) -> date:
    return clock.now().astimezone(UTC).date()
