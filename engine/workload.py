"""Workload estimates: the activities a CSM's week splits into, and checking what they typed.

A CSM estimates typical weekly hours per activity and the hours they feel they have for this
work (perceived capacity); a period is a calendar quarter, "2026-Q4".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

# (key, label, hint) — the keys are the store's column names.
ACTIVITIES = (
    ("onboarding", "Onboarding", "Kick-offs, implementation calls, first-90-day check-ins"),
    ("qbrs", "QBRs and business reviews", "Preparing and holding business reviews"),
    ("escalations", "Escalations", "Firefighting: outages, complaints, support escalations"),
    ("renewals", "Renewals", "Renewal and expansion conversations, commercial follow-up"),
    ("internal", "Internal", "Team meetings, training, admin, CRM hygiene"),
    ("other", "Other customer work", "Everything else you do for customers"),
)
ACTIVITY_KEYS = tuple(key for key, _, _ in ACTIVITIES)
MAX_WEEK_HOURS = 80.0
NOTE_LENGTH = 500

_PERIOD = re.compile(r"^\s*(?:(\d{4})\s*[-/ ]?\s*q([1-4])|q([1-4])\s*[-/ ]?\s*(\d{4}))\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Estimate:
    """Weekly hours per activity and the perceived capacity, as a CSM gave them."""

    hours: Mapping[str, float]
    capacity_hours: float
    note: str | None = None

    @property
    def total(self) -> float:
        return float(sum(self.hours.values()))


def quarter_of(day: date) -> str:
    """The period a day falls in: 2026-11-22 → "2026-Q4"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def parse_period(text: str) -> str:
    """A quarter as people type it ("2026-Q4", "q4 2026", "2026q4") in its stored form.

    Raises ``ValueError`` with the fix for anything else.
    """
    found = _PERIOD.match(text)
    if not found:
        raise ValueError(f"`{text}` is not a quarter: write it like 2026-Q4.")
    year = found.group(1) or found.group(4)
    quarter = found.group(2) or found.group(3)
    return f"{year}-Q{quarter}"


def _hours(text: str | None, *, required: str, most: float) -> tuple[float | None, str | None]:
    typed = (text or "").strip()
    if not typed:
        return None, required
    try:
        value = float(typed.replace(",", ".") if typed.count(",") == 1 and "." not in typed else typed)
    except ValueError:
        return None, f"“{typed[:20]}” is not a number of hours: type a number like 6 or 2.5."
    if value != value or value in (float("inf"), float("-inf")):
        return None, f"“{typed[:20]}” is not a number of hours: type a number like 6 or 2.5."
    if value < 0:
        return None, "Hours cannot be negative: type 0 if you spend no time on this."
    if value > most:
        return None, f"At most {most:g} hours a week: give a typical week's hours, not a month's."
    return value, None


def check_estimate(values: Mapping[str, str | None]) -> tuple[Estimate | None, dict[str, str]]:
    """An estimate from the form's text fields, or the problems keyed by field.

    Fields: each activity key, ``capacity`` and ``note``. Every problem is reported at once, so
    the form shows them all beside their fields.
    """
    errors: dict[str, str] = {}
    hours: dict[str, float] = {}
    for key, _label, _ in ACTIVITIES:
        value, problem = _hours(values.get(key), required="Enter the hours a week; 0 if none.", most=MAX_WEEK_HOURS)
        if problem:
            errors[key] = problem
        elif value is not None:
            hours[key] = value
    capacity, problem = _hours(
        values.get("capacity"),
        required="Enter the hours a week you have for this work.",
        most=MAX_WEEK_HOURS,
    )
    if problem:
        errors["capacity"] = problem
    elif capacity == 0:
        errors["capacity"] = "Capacity must be more than 0 hours a week."
    if not errors and sum(hours.values()) > MAX_WEEK_HOURS:
        errors[ACTIVITY_KEYS[0]] = (
            f"These add up to {sum(hours.values()):g} hours a week, more than {MAX_WEEK_HOURS:g}: check the numbers."
        )
    note = (values.get("note") or "").strip() or None
    if note and len(note) > NOTE_LENGTH:
        errors["note"] = f"Keep the note under {NOTE_LENGTH} characters (it has {len(note)})."
    if errors:
        return None, errors
    assert capacity is not None
    return Estimate(hours, capacity, note), {}
