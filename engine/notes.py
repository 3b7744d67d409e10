"""What a customer transition note may say, decided from the handoff alone.

The facts are reduced before any drafter sees them: the contact's first name only, a reason
*category* instead of the reason someone typed (it may be candid: "Jordan cannot stand them"),
and an intro-meeting slot. The style follows the tier: a personal note from the outgoing CSM
for high-touch tiers, a short standard notice for the lowest (tech-touch) tier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from engine.drafts import Draft

PERSONAL = "personal"  # from the outgoing CSM, in their voice
STANDARD = "standard"  # a short notice from the Customer Success team

# Keyword → the category the note may mention. Order matters: the first match wins.
_REASONS = (
    (("capacity", "rebalanc", "workload", "book", "load", "balance"), "rebalancing our team's accounts"),
    (("region", "territor", "time zone", "timezone", "geograph", "local", "language"), "regional coverage"),
    (("special", "industry", "expert", "vertical", "domain", "technical"), "specialist coverage"),
    (("grow", "expan", "upsell", "tier", "enterprise", "strategic", "scale"), "your account's growth"),
    (("leav", "depart", "parental", "sabbatical", "promot", "new role", "moving on"), "a change in our team"),
)
DEFAULT_REASON = "a change in our team"
TITLES = {
    "csm": "Customer Success Manager",
    "manager": "Customer Success Team Lead",
    "leader": "Head of Customer Success",
    "admin": "Customer Success Operations",
}
_FIRST_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_])){0,39}")
INTRO_TIME = "10:00"


def reason_category(reason: str) -> str:
    """The category of a handoff's reason: what a customer may be told, never the words typed."""
    text = reason.lower()
    for keys, category in _REASONS:
        if any(k in text for k in keys):
            return category
    return DEFAULT_REASON


PROMPT_NAME_LENGTH = 120
_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f<>\u2028\u2029]+")


def one_line(text: str | None, limit: int = 200) -> str:
    """CRM text as one plain line: no line breaks or control characters (which could end the
    prompt's facts block or an email header), no angle brackets (tags, Slack mentions), clipped."""
    return " ".join(_NOT_TEXT.sub(" ", text or "").split())[:limit]


def first_name(contact: str | None) -> str:
    """The contact's first name (letters, hyphens and apostrophes only), or "there" ("Hi there,")."""
    found = _FIRST_NAME.match((contact or "").strip())
    return found.group(0) if found else "there"


def note_style(tier: str | None, tiers: Sequence[str]) -> str:
    """Personal for every tier but the lowest of the rule set (tech touch); standard when untiered."""
    if not tier or not tiers or tier == tiers[-1] or tier not in tiers:
        return STANDARD
    return PERSONAL


def intro_slot(effective: date) -> str:
    """A slot to offer for the introduction: the first weekday on or after the effective date."""
    day = effective
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}, {INTRO_TIME}"


def title_of(role: str | None) -> str:
    return TITLES.get(role or "csm", TITLES["csm"])


_SUBJECT = re.compile(r"^\s*(?:\*\*)?subject(?:\*\*)?\s*:\s*(?P<subject>.+?)\s*$", re.I | re.M)


def parse_note(text: str) -> Draft:
    """A drafter's answer as subject and body: the first "Subject:" line, then the rest."""
    found = _SUBJECT.search(text)
    if not found:
        return Draft("", text.strip())
    body = text[found.end() :].strip()
    return Draft(found["subject"].strip().strip("*").strip(), body)
