"""The workload survey: CSMs estimate their weekly hours by activity; leaders run rounds that
ask every CSM, remind those who have not answered, and close with a summary.

Estimates are stored per CSM and period (a quarter); submitting again in the same period
updates the entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InputError, InvalidFields
from engine.workload import ACTIVITIES, ACTIVITY_KEYS, Estimate, check_estimate, parse_period, quarter_of
from store import Store, audit, csms
from store import workload as stored
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp, today
from workflows.outbox import Effects, record_effects
from workflows.roles import Person, actor_of


def current_period(clock: Clock) -> str:
    return quarter_of(today(clock))


def period_from(text: str | None, clock: Clock) -> str:
    """The period a person named, or the current quarter."""
    if not text or not text.strip():
        return current_period(clock)
    try:
        return parse_period(text)
    except ValueError as exc:
        raise InputError(str(exc)) from None


@dataclass(frozen=True)
class WorkloadForm:
    """What the workload form needs: whose estimate, for which period, and the last one given."""

    csm_id: str
    name: str
    period: str
    round_id: int | None
    existing: Estimate | None
    revisions: int = 0


def _estimate(row: dict) -> Estimate:
    return Estimate({k: float(row[k]) for k in ACTIVITY_KEYS}, float(row["capacity_hours"]), row["note"])


def workload_form(store: Store, person: Person, *, clock: Clock) -> WorkloadForm:
    """The form for ``person``: the open round's period, else the current quarter."""
    if person.csm_id is None:
        raise InputError(
            "You are not in the CSM roster, so there is no one to file a workload estimate for: ask an admin to add "
            "your Slack user id to the roster (column `slack_user_id`)."
        )
    round_ = stored.open_round(store)
    period = round_["period"] if round_ else current_period(clock)
    row = stored.submission(store, person.csm_id, period)
    return WorkloadForm(
        csm_id=person.csm_id,
        name=person.name or person.csm_id,
        period=period,
        round_id=round_["id"] if round_ else None,
        existing=_estimate(row) if row else None,
        revisions=int(row["revisions"]) if row else 0,
    )


@dataclass(frozen=True)
class Submission:
    """A stored estimate."""

    csm_id: str
    period: str
    estimate: Estimate
    revision: int  # 1 for the first entry of the period, 2+ for updates

    @property
    def updated(self) -> bool:
        return self.revision > 1


def check_workload(values: dict[str, str | None]) -> Estimate:
    """The estimate the form's fields give, or ``InvalidFields`` with every problem by field."""
    estimate, errors = check_estimate(values)
    if errors or estimate is None:
        raise InvalidFields(errors)
    return estimate


def submit_workload(
    store: Store,
    person: Person,
    values: dict[str, str | None],
    *,
    period: str,
    clock: Clock,
    then: Effects | None = None,
) -> Submission:
    """Check and store an estimate; raises ``InvalidFields`` with every problem by field. ``then``
    gives what must follow the saved estimate (App Home, the round's DM), recorded with it."""
    if person.csm_id is None:
        raise InputError("You are not in the CSM roster: ask an admin to add your Slack user id to it.")
    estimate = check_workload(values)
    parse_period(period)  # the form carries it; refuse a tampered one
    at = timestamp(clock)
    round_ = stored.open_round(store)
    row = {
        "csm_id": person.csm_id,
        "period": period,
        **{k: estimate.hours[k] for k in ACTIVITY_KEYS},
        "capacity_hours": estimate.capacity_hours,
        "note": estimate.note,
        "round_id": round_["id"] if round_ and round_["period"] == period else None,
        "submitted_by": person.slack_user_id,
        "submitted_at": at,
    }
    actor = actor_of(person)
    with store.transaction():
        before = stored.submission(store, person.csm_id, period)
        revision = stored.save_submission(store, row)
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "workload.submit",
                    f"workload:{person.csm_id}:{period}",
                    {k: before[k] for k in (*ACTIVITY_KEYS, "capacity_hours")} if before else None,
                    {**estimate.hours, "capacity_hours": estimate.capacity_hours},
                )
            ],
        )
        saved = Submission(person.csm_id, period, estimate, revision)
        if then is not None:
            record_effects(store, then(saved), actor=actor, clock=clock)
    return saved


# ---------------------------------------------------------------------------------- rounds


@dataclass(frozen=True)
class Target:
    """A CSM a round asks."""

    csm_id: str
    name: str
    slack_user_id: str | None


@dataclass(frozen=True)
class RoundStart:
    round_id: int
    period: str
    targets: tuple[Target, ...]  # those with a Slack user id: they get a DM
    unreachable: tuple[str, ...]  # roster names without a Slack user id


def start_round(
    store: Store,
    *,
    actor: str,
    clock: Clock,
    period: str | None = None,
    channel: str | None = None,
    then: Effects | None = None,
) -> RoundStart:
    """Open a survey round for ``period`` (default: this quarter) asking every active CSM with a
    Slack user id (each on the round's list from now on). ``then`` gives what must follow (a DM
    to each), recorded in the same transaction."""
    chosen = period_from(period, clock)
    at = timestamp(clock)
    with store.transaction():
        open_ = stored.open_round(store)
        if open_ is not None:
            raise InputError(
                f"The {open_['period']} round started {open_['started_at'][:10]} is still open: close it with "
                "`/workload close` before starting another."
            )
        people = csms.active_csms(store)
        if not people:
            raise InputError("The roster has no active CSMs to ask: import it with `tierbot import csms FILE`.")
        round_id = stored.create_round(store, chosen, channel, actor, at)
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "workload.round.start",
                    f"workload_round:{round_id}",
                    None,
                    {"period": chosen, "csms": len(people)},
                )
            ],
        )
        targets = tuple(Target(p["id"], p["name"], p["slack_user_id"]) for p in people if p["slack_user_id"])
        unreachable = tuple(p["name"] for p in people if not p["slack_user_id"])
        for target in targets:  # asked; where the DM went is recorded once it is sent
            stored.add_request(store, round_id, target.csm_id, target.slack_user_id, None, None, at)
        started = RoundStart(round_id, chosen, targets, unreachable)
        if then is not None:
            record_effects(store, then(started), actor=actor, clock=clock)
    return started


def record_asked(
    store: Store, round_id: int, target: Target, *, channel: str | None, ts: str | None, clock: Clock
) -> None:
    """Remember where a round's DM to ``target`` went (so it can be updated once answered)."""
    with store.transaction():
        stored.add_request(store, round_id, target.csm_id, target.slack_user_id, channel, ts, timestamp(clock))


@dataclass(frozen=True)
class RoundStatus:
    round_id: int
    period: str
    started_by: str
    started_at: str
    answered: tuple[str, ...]  # names
    missing: tuple[Target, ...]
    closed_at: str | None = None


def _open_round(store: Store) -> dict:
    round_ = stored.open_round(store)
    if round_ is None:
        raise InputError(
            "No workload round is open: start one with `/workload start` (this quarter) or `/workload start 2027-Q1`."
        )
    return round_


def _status(store: Store, round_: dict) -> RoundStatus:
    asked = stored.requests(store, round_["id"])
    done = {s["csm_id"] for s in stored.submissions(store, round_["period"])}
    return RoundStatus(
        round_id=round_["id"],
        period=round_["period"],
        started_by=round_["started_by"],
        started_at=round_["started_at"],
        answered=tuple(r["name"] or r["csm_id"] for r in asked if r["csm_id"] in done),
        missing=tuple(
            Target(r["csm_id"], r["name"] or r["csm_id"], r["slack_user_id"]) for r in asked if r["csm_id"] not in done
        ),
        closed_at=round_["closed_at"],
    )


def round_status(store: Store) -> RoundStatus:
    """Who the open round asked, who answered, who has not."""
    return _status(store, _open_round(store))


def record_reminded(store: Store, round_id: int, csm_id: str, *, clock: Clock) -> None:
    with store.transaction():
        stored.mark_reminded(store, round_id, csm_id, timestamp(clock))


def request_of(store: Store, round_id: int, csm_id: str) -> dict | None:
    """Where a round's DM to a CSM went."""
    return next((r for r in stored.requests(store, round_id) if r["csm_id"] == csm_id), None)


@dataclass(frozen=True)
class PersonLoad:
    name: str
    hours: float
    capacity_hours: float
    roster_capacity: float | None
    accounts: int

    @property
    def hours_per_account(self) -> float | None:
        return self.hours / self.accounts if self.accounts else None


@dataclass(frozen=True)
class RoundSummary:
    """What a closed round found: who answered, the totals, hours per account."""

    status: RoundStatus
    totals: dict[str, float]  # activity → total weekly hours over those who answered
    people: tuple[PersonLoad, ...]
    closed_by: str

    @property
    def hours(self) -> float:
        return float(sum(self.totals.values()))

    @property
    def capacity(self) -> float:
        return float(sum(p.capacity_hours for p in self.people))

    @property
    def accounts(self) -> int:
        return sum(p.accounts for p in self.people)

    @property
    def hours_per_account(self) -> float | None:
        return self.hours / self.accounts if self.accounts else None


def close_round(store: Store, *, actor: str, clock: Clock, then: Effects | None = None) -> RoundSummary:
    """Close the open round and sum up what it collected; ``then`` gives what must follow (the
    summary posted), recorded in the same transaction."""
    round_ = _open_round(store)
    at = timestamp(clock)
    with store.transaction():
        if not stored.close_round(store, round_["id"], actor, at):
            raise InputError(f"The {round_['period']} round was closed already.")
        audit.record(store, [AuditEntry(at, actor, "workload.round.close", f"workload_round:{round_['id']}")])
        summary = _summary(store, round_, at, actor)
        if then is not None:
            record_effects(store, then(summary), actor=actor, clock=clock)
    return summary


def _summary(store: Store, round_: dict, at: str, actor: str) -> RoundSummary:
    status = _status(store, {**round_, "closed_at": at})
    asked = {r["csm_id"] for r in stored.requests(store, round_["id"])}
    # The round's answers only: an estimate someone filed on their own (a leader, a manager)
    # would skew the team's totals and hours per account.
    rows = [r for r in stored.submissions(store, round_["period"]) if r["csm_id"] in asked]
    owned = stored.accounts_owned(store, [r["csm_id"] for r in rows])
    people = tuple(
        PersonLoad(
            name=r["name"] or r["csm_id"],
            hours=float(sum(r[k] for k in ACTIVITY_KEYS)),
            capacity_hours=float(r["capacity_hours"]),
            roster_capacity=r["roster_capacity"],
            accounts=owned.get(r["csm_id"], 0),
        )
        for r in rows
    )
    totals = {k: float(sum(r[k] for r in rows)) for k in ACTIVITY_KEYS}
    return RoundSummary(status, totals, people, actor)


ACTIVITY_LABELS = {key: label for key, label, _ in ACTIVITIES}
