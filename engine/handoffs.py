"""Handoffs as a state machine, and the guardrails a move must pass.

    proposed ──> approved ──> scheduled ──> customer notified ──> introduced ──> completed
        │            │            │                 │
        ├──> rejected └────────────┴─────────────────┴──> cancelled
        └──> cancelled

Guardrails protect customers from being "caught up in the shuffle": no move close to renewal,
strategic and red-health accounts keep their CSM, a CSM is not churned through too many moves
in a quarter, and the new CSM has room and covers the account's region and industry. A move
that fails one needs a leader's exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date

from engine.errors import InputError
from engine.fields import region_of

STATES = ("proposed", "approved", "rejected", "scheduled", "customer notified", "introduced", "completed", "cancelled")
NEXT: Mapping[str, tuple[str, ...]] = {
    "proposed": ("approved", "rejected", "cancelled"),
    "approved": ("scheduled", "cancelled"),
    "scheduled": ("customer notified", "cancelled"),
    "customer notified": ("introduced", "cancelled"),
    "introduced": ("completed",),  # the customer has met the new CSM: there is no going back
    "rejected": (),
    "completed": (),
    "cancelled": (),
}
OPEN = ("proposed", "approved", "scheduled", "customer notified", "introduced")  # still in flight


class IllegalTransition(InputError):
    """A handoff cannot go from its state to the one asked."""


def check_transition(handoff_id: int, current: str, wanted: str) -> None:
    """Refuse a transition the state machine does not have, saying which ones it does."""
    if wanted not in STATES:
        raise InputError(f"`{wanted}` is not a handoff state. States: {', '.join(STATES)}.")
    if wanted in NEXT[current]:
        return
    allowed = NEXT[current]
    then = f"From {current} it can go to {' or '.join(allowed)}." if allowed else f"{current.capitalize()} is final."
    raise IllegalTransition(f"Handoff #{handoff_id} is {current}: it cannot become {wanted}. {then}")


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


# ---------------------------------------------------------------------------------- guardrails


def same_region(account_region: str, csm_region: str) -> bool:
    """Whether two region values name the same region: case ignored, and "North America" is NA
    (regions are stored as each file writes them)."""
    if account_region.strip().lower() == csm_region.strip().lower():
        return True
    region = region_of(account_region)
    return region is not None and region == region_of(csm_region)


@dataclass(frozen=True)
class GuardrailSettings:
    """What a move must respect; each can be relaxed or switched off (`tierbot handoff settings`)."""

    renewal_days: int = 60  # no move within this many days before a renewal (0: off)
    keep_strategic: bool = True  # strategic accounts keep their CSM
    keep_red_health: bool = True  # red-health accounts keep their CSM
    max_moves_per_quarter: int = 10  # moves a CSM takes part in per quarter, giving or taking (0: off)
    max_accounts: int = 0  # the new CSM's book may not grow past this (0: off)
    check_capacity: bool = True  # the new CSM's latest workload estimate must leave room
    match_region: bool = True  # the new CSM covers the account's region
    match_specialty: bool = True  # a CSM with specialties takes accounts of those industries

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> GuardrailSettings:
        """Settings as stored (unknown keys ignored, so older stores keep working)."""
        known = {f.name: f.type for f in fields(cls)}
        return replace(cls(), **{k: v for k, v in values.items() if k in known})  # type: ignore[arg-type]


@dataclass(frozen=True)
class CsmFacts:
    id: str
    name: str
    region: str | None = None
    specialties: tuple[str, ...] = ()
    accounts: int = 0  # book size now
    work_hours: float | None = None  # latest workload estimate: weekly hours of work
    capacity_hours: float | None = None  # … and the capacity they reported


@dataclass(frozen=True)
class MoveFacts:
    """Everything the guardrails look at for one move."""

    account_name: str
    renewal_date: date | None
    strategic: bool
    health: str | None
    region: str | None
    industry: str | None
    effective: date
    to_csm: CsmFacts
    from_csm: CsmFacts | None = None
    moves_this_quarter: Mapping[str, int] = field(default_factory=dict)  # csm id → moves already counted


PASSED, FAILED, UNKNOWN = "passed", "failed", "unknown"


@dataclass(frozen=True)
class GuardrailResult:
    """One guardrail for one move: passed, failed, or unknown (the data to check it is missing).

    Unknown never counts as passed: it is shown and counted as such. It does not block an
    approval (a failure does), so a decider sees it and decides knowing it was not checked.
    """

    name: str  # "renewal", "strategic", "health", "moves", "capacity", "region", "specialty"
    passed: bool | None  # None: unknown
    message: str
    state: str = ""  # passed, failed or unknown; derived from ``passed`` for records kept before it

    def __post_init__(self) -> None:
        if not self.state:
            state = UNKNOWN if self.passed is None else PASSED if self.passed else FAILED
            object.__setattr__(self, "state", state)


def _unknown(name: str, missing: str, what: str) -> GuardrailResult:
    return GuardrailResult(name, None, f"{missing}, so {what} was not checked.", UNKNOWN)


def check_guardrails(facts: MoveFacts, settings: GuardrailSettings) -> tuple[GuardrailResult, ...]:
    """Every guardrail switched on, passed, failed or unknown, each with a sentence saying why."""
    out: list[GuardrailResult] = []
    to = facts.to_csm
    if settings.renewal_days:
        if facts.renewal_date is None:
            out.append(_unknown("renewal", f"No renewal date on record for {facts.account_name}", "the renewal window"))
        else:
            days = (facts.renewal_date - facts.effective).days
            ok = days < 0 or days > settings.renewal_days
            when = (
                f"renews {facts.renewal_date.isoformat()}, {days} days after the move"
                if days >= 0
                else f"renewed {facts.renewal_date.isoformat()}, before the move"
            )
            rule = f"no move within {settings.renewal_days} days before a renewal"
            out.append(GuardrailResult("renewal", ok, f"{facts.account_name} {when} ({rule})."))
    if settings.keep_strategic:
        # A blank Strategic cell means not strategic (the import's rule), so this one is always known.
        out.append(
            GuardrailResult(
                "strategic", False, f"{facts.account_name} is strategic: strategic accounts keep their CSM."
            )
            if facts.strategic
            else GuardrailResult("strategic", True, f"{facts.account_name} is not designated strategic.")
        )
    if settings.keep_red_health:
        health = (facts.health or "").lower()
        if not health:
            out.append(_unknown("health", f"{facts.account_name} has no health on record", "the red-health rule"))
        elif health == "red":
            message = f"{facts.account_name}'s health is red: it keeps its CSM until it recovers."
            out.append(GuardrailResult("health", False, message))
        else:
            out.append(GuardrailResult("health", True, f"{facts.account_name}'s health is {health}."))
    if settings.max_moves_per_quarter:
        quarter = quarter_of(facts.effective)
        for csm in (c for c in (facts.from_csm, to) if c is not None):
            done = facts.moves_this_quarter.get(csm.id, 0)
            ok = done < settings.max_moves_per_quarter
            out.append(
                GuardrailResult(
                    "moves",
                    ok,
                    f"{csm.name} has {done} other move(s) in {quarter} (limit {settings.max_moves_per_quarter}).",
                )
            )
    if settings.max_accounts:
        ok = to.accounts + 1 <= settings.max_accounts
        out.append(
            GuardrailResult(
                "capacity", ok, f"{to.name} owns {to.accounts} accounts; the limit is {settings.max_accounts}."
            )
        )
    if settings.check_capacity:
        if to.work_hours is None or to.capacity_hours is None:
            out.append(_unknown("capacity", f"{to.name} has no workload estimate on record", "their room"))
        else:
            ok = to.work_hours < to.capacity_hours
            out.append(
                GuardrailResult(
                    "capacity",
                    ok,
                    f"{to.name}'s latest estimate is {to.work_hours:g} h of work a week for {to.capacity_hours:g} h "
                    "of capacity" + ("." if ok else ": no room for another account."),
                )
            )
    if settings.match_region:
        if not facts.region:
            out.append(_unknown("region", "The account has no region on record", "the region"))
        elif not to.region:
            out.append(_unknown("region", f"{to.name} has no region in the roster", "the region"))
        else:
            ok = same_region(facts.region, to.region)
            out.append(
                GuardrailResult("region", ok, f"The account is in {facts.region}; {to.name} covers {to.region}.")
            )
    if settings.match_specialty:
        if not to.specialties:
            out.append(GuardrailResult("specialty", True, f"{to.name} has no specialties: any industry."))
        elif not facts.industry:
            out.append(_unknown("specialty", "The account has no industry on record", "the specialty"))
        else:
            ok = facts.industry.lower() in {s.lower() for s in to.specialties}
            message = (
                f"The account's industry is {facts.industry}; {to.name} specialises in {', '.join(to.specialties)}."
            )
            out.append(GuardrailResult("specialty", ok, message))
    return tuple(out)


def failures(results: Sequence[GuardrailResult]) -> tuple[GuardrailResult, ...]:
    """The guardrails a move fails: only a leader's exception approves it."""
    return tuple(r for r in results if r.state == FAILED)


def unknowns(results: Sequence[GuardrailResult]) -> tuple[GuardrailResult, ...]:
    """The guardrails that could not be checked for want of data: shown and recorded, not blocking."""
    return tuple(r for r in results if r.state == UNKNOWN)
