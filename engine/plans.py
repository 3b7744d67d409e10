"""Transition plans: a set of proposed moves turned into dated weekly batches.

Moves are placed in the order given (the planner's priority), each in the first week from the
start where every guardrail passes and neither CSM has reached the weekly limit of moves. A
move the calendar cannot fix (a strategic or red account, the wrong region, no room) is held
for a leader's exception; so is one no week within the horizon allows. Later moves see the
earlier ones: moves per quarter and book sizes count what the plan has already placed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from engine.handoffs import GuardrailResult, GuardrailSettings, MoveFacts, check_guardrails, failures, quarter_of

PLANNED = "planned"
HELD = "held"
CHECK_IN_DAYS = 30  # the new CSM is reminded to check in this long after the move
WEEKLY_LIMIT = 3  # moves a CSM takes part in per week, giving or taking: each needs an introduction
HORIZON_WEEKS = 26
MAX_HORIZON_WEEKS = 104
MAX_WEEKLY_LIMIT = 50
# Guardrails a later week can change; any other failure holds the move whatever the date.
_TIME_BOUND = frozenset({"renewal", "moves"})


@dataclass(frozen=True)
class PlanMove:
    """One proposed move: a line of the planner's file, with the facts the guardrails read
    (``facts.effective`` and ``facts.moves_this_quarter`` are set by the planner)."""

    line: int
    crm_id: str
    reason: str
    facts: MoveFacts
    earliest: date | None = None


@dataclass(frozen=True)
class PlannedMove:
    line: int
    crm_id: str
    account_name: str
    from_csm: str | None
    to_csm: str
    reason: str
    status: str  # PLANNED or HELD
    batch: int | None  # 1, 2, … in date order; None when held
    effective: date | None
    check_in: date | None
    guardrails: tuple[GuardrailResult, ...]
    note: str  # why it is held, or where it landed and why not earlier


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def plan_moves(
    moves: Sequence[PlanMove],
    settings: GuardrailSettings,
    *,
    start: date,
    weekly_limit: int,
    horizon_weeks: int = 26,
    moves_by_quarter: Mapping[tuple[str, str], int] | None = None,
    moves_by_week: Mapping[tuple[str, date], int] | None = None,
) -> tuple[PlannedMove, ...]:
    """Place every move in a week (effective on its Monday), or hold it, saying why.

    ``moves_by_quarter`` and ``moves_by_week`` count moves outside this plan (committed handoffs,
    other plans' undecided lines) per CSM and quarter, and per CSM and week (by its Monday)."""
    first = monday_of(start) if start.weekday() == 0 else monday_of(start) + timedelta(days=7)
    committed = Counter(moves_by_quarter or {})  # (csm, quarter) → moves outside the plan
    in_week: Counter[tuple[str, date]] = Counter(moves_by_week or {})
    gained: Counter[str] = Counter()  # accounts a CSM's book grows by (or shrinks, negative) in the plan
    placed: list[tuple[PlanMove, date | None, tuple[GuardrailResult, ...], str]] = []
    for move in moves:
        people = [c.id for c in (move.facts.from_csm, move.facts.to_csm) if c is not None]
        landed: date | None = None
        last: tuple[GuardrailResult, ...] = ()
        note = ""
        skipped: Counter[str] = Counter()  # weeks passed over, by why
        for week in range(horizon_weeks):
            day = first + timedelta(days=7 * week)
            if move.earliest and day < move.earliest:
                skipped["earliest"] += 1
                continue
            if any(in_week[(c, day)] >= weekly_limit for c in people):
                skipped["limit"] += 1
                continue
            quarter = quarter_of(day)
            facts = _facts_on(move.facts, day, {c: committed[(c, quarter)] for c in people}, gained)
            last = check_guardrails(facts, settings)
            failed = failures(last)
            if not failed:
                landed = day
                break
            if any(r.name not in _TIME_BOUND for r in failed):
                note = "Needs a leader's exception: " + " ".join(r.message for r in failed)
                break
            skipped["guardrail"] += 1
        if landed is not None:
            for c in people:
                in_week[(c, landed)] += 1
                committed[(c, quarter_of(landed))] += 1
            gained[move.facts.to_csm.id] += 1
            if move.facts.from_csm is not None:
                gained[move.facts.from_csm.id] -= 1
            note = _why_later(skipped, move.earliest, weekly_limit)
        elif not note:
            reasons = " ".join(r.message for r in failures(last)) if last else ""
            limit = (
                f" the weekly limit ({weekly_limit}) was reached in {skipped['limit']} week(s)."
                if skipped["limit"]
                else ""
            )
            note = f"No week in the next {horizon_weeks} fits:{limit} {reasons}".rstrip()
        placed.append((move, landed, last, note))
    weeks = sorted({day for _, day, _, _ in placed if day is not None})
    batch_of = {day: n for n, day in enumerate(weeks, start=1)}
    return tuple(
        PlannedMove(
            line=move.line,
            crm_id=move.crm_id,
            account_name=move.facts.account_name,
            from_csm=move.facts.from_csm.id if move.facts.from_csm else None,
            to_csm=move.facts.to_csm.id,
            reason=move.reason,
            status=PLANNED if day else HELD,
            batch=batch_of[day] if day else None,
            effective=day,
            check_in=day + timedelta(days=CHECK_IN_DAYS) if day else None,
            guardrails=results,
            note=note,
        )
        for move, day, results, note in placed
    )


def _facts_on(facts: MoveFacts, day: date, moves: dict[str, int], gained: Counter[str]) -> MoveFacts:
    to = replace(facts.to_csm, accounts=facts.to_csm.accounts + gained[facts.to_csm.id])
    return replace(facts, effective=day, moves_this_quarter=moves, to_csm=to)


def _why_later(skipped: Counter[str], earliest: date | None, weekly_limit: int) -> str:
    """Where a move landed, and why not in an earlier week."""
    if not skipped:
        return "The first week of the plan."
    reasons = []
    if skipped["earliest"] and earliest:
        reasons.append(f"not before {earliest.isoformat()} ({skipped['earliest']} week(s))")
    if skipped["limit"]:
        reasons.append(f"a CSM had {weekly_limit} move(s) already ({skipped['limit']} week(s))")
    if skipped["guardrail"]:
        reasons.append(f"the renewal window or moves per quarter ruled it out ({skipped['guardrail']} week(s))")
    return f"{sum(skipped.values())} week(s) after the start: " + "; ".join(reasons) + "."
