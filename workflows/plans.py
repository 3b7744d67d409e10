"""Transition plans (`tierbot handoff plan FILE`): moves read from a file, checked row by row,
placed in weekly batches by ``engine.plans``, approved as a whole or line by line (each approved
line becomes an approved handoff), exported as a worksheet; then check-ins and announcements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import AccountNotFound, FileRefused, InputError, NotAllowed
from engine.fields import header_key
from engine.handoffs import OPEN, GuardrailResult, quarter_of
from engine.plans import (
    CHECK_IN_DAYS,
    HORIZON_WEEKS,
    MAX_HORIZON_WEEKS,
    MAX_WEEKLY_LIMIT,
    WEEKLY_LIMIT,
    PlanMove,
    PlannedMove,
    monday_of,
    plan_moves,
)
from store import Store, audit
from store import handoffs as stored_handoffs
from store import plans as stored
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp, today
from workflows.handoffs import (
    COMMITTED,
    REASON_LENGTH,
    Handoff,
    decide_handoff,
    get_handoff,
    guardrail_settings,
    guardrails_from,
    manages_either,
    move_facts,
    quarter_bounds,
    request_handoff,
    resolve_csm,
)
from workflows.lookup import NameIndex
from workflows.outbox import Effect, record_effects
from workflows.outputs import check_output, write_table_atomically
from workflows.roles import Person, actor_name, actor_of, holders, record_denial
from workflows.tiers import one_account

if TYPE_CHECKING:  # frames (pandas) only for plan files and worksheets, loaded when they are used
    import pandas as pd

# The plan file's columns, by the header spellings people use.
COLUMNS = {
    "account": ("account", "account name", "crm id", "company", "customer", "name"),
    "to": ("to", "to csm", "new csm", "new owner", "csm", "owner"),
    "reason": ("reason", "why", "note"),
    "earliest": ("earliest", "not before", "earliest date", "start"),
}
SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class PlanLine:
    line: int
    crm_id: str
    account_name: str
    arr: float
    from_csm: str | None
    from_name: str | None
    to_csm: str
    to_name: str | None
    reason: str
    status: str  # planned, held, approved, rejected
    batch: int | None
    effective_date: str | None
    check_in_date: str | None
    guardrails: tuple[GuardrailResult, ...]
    note: str
    handoff_id: int | None = None
    handoff_state: str | None = None
    decided_by: str | None = None
    to_slack: str | None = None


@dataclass(frozen=True)
class TransitionPlan:
    id: int
    source: str
    start_date: str
    weekly_limit: int
    created_at: str
    created_by: str
    lines: tuple[PlanLine, ...]
    channel: str | None = None
    ts: str | None = None

    @property
    def batches(self) -> dict[int, list[PlanLine]]:
        out: dict[int, list[PlanLine]] = defaultdict(list)
        for line in self.lines:
            if line.batch is not None:
                out[line.batch].append(line)
        return dict(sorted(out.items()))

    @property
    def held(self) -> list[PlanLine]:
        return [line for line in self.lines if line.status == "held"]

    def count(self, status: str) -> int:
        return sum(line.status == status for line in self.lines)


# ---------------------------------------------------------------------------------- reading


def _columns(header: list[str], source: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, text in enumerate(header):
        key = header_key(text or "")
        for name, spellings in COLUMNS.items():
            if key in spellings and name not in found:
                found[name] = position
    missing = [n for n in ("account", "to") if n not in found]
    if missing:
        raise FileRefused(
            f"{source} has no {' and no '.join(f'`{m}`' for m in missing)} column (its headers: "
            f"{', '.join(h for h in header if h) or 'none'}). A plan file needs `account` (name or CRM id), `to` "
            "(the new CSM) and `reason`; `earliest` (a date) is optional."
        )
    return found


def read_plan_file(store: Store, path: Path, *, start: date, names: NameIndex | None = None) -> list[PlanMove]:
    """Every move in the file, checked: all the problems come back together, by row and column."""
    from workflows.files import read_grid

    grid = read_grid(path)
    frame = grid.frame.fillna("")
    if len(frame) < 2:
        raise FileRefused(f"{grid.source} has no moves: one header row, then one row per move.")
    columns = _columns([str(v) for v in frame.iloc[0]], grid.source)
    problems: list[str] = []
    moves: list[PlanMove] = []
    first_row: dict[str, int] = {}
    in_flight = {h["crm_id"]: h for h in stored_handoffs.listing(store, list(OPEN), limit=10**9)}
    for index in range(1, len(frame)):
        row_number = index + 1  # as the spreadsheet numbers it
        cells = {name: str(frame.iat[index, at]).strip() for name, at in columns.items()}

        def cell(name: str, cells: dict[str, str] = cells) -> str:
            return cells.get(name, "")

        def problem(column: str, text: str, row: int = row_number) -> None:
            problems.append(f"Row {row}, column `{column}`: {text}")

        if not any(cells.values()):
            continue  # a blank line
        crm_id = None
        try:
            crm_id = one_account(store, cell("account"), names).crm_id if cell("account") else None
            if crm_id is None:
                problem("account", "blank: name the account or give its CRM id.")
        except (AccountNotFound, InputError) as failure:
            problem("account", str(failure))
        to_csm = None
        try:
            to_csm = resolve_csm(store, cell("to")) if cell("to") else None
            if to_csm is None:
                problem("to", "blank: name the new CSM.")
        except InputError as failure:
            problem("to", str(failure))
        reason = cell("reason")
        if not reason:
            problem("reason", "blank: say why; the managers decide on it.")
        elif len(reason) > REASON_LENGTH:
            problem("reason", f"{len(reason)} characters: keep it under {REASON_LENGTH}.")
        earliest = None
        if cell("earliest"):
            try:
                earliest = date.fromisoformat(cell("earliest"))
            except ValueError:
                problem("earliest", f"`{cell('earliest')}` is not a date: write it as YYYY-MM-DD.")
        if crm_id is None or to_csm is None:
            continue
        if crm_id in first_row:
            problem("account", f"{crm_id} is also on row {first_row[crm_id]}: one move per account.")
            continue
        first_row[crm_id] = row_number
        if crm_id in in_flight:
            waiting = in_flight[crm_id]
            problem("account", f"{crm_id} already has handoff #{waiting['id']} ({waiting['state']}).")
            continue
        facts = move_facts(store, crm_id, to_csm, start)
        if facts.from_csm is not None and facts.from_csm.id == to_csm:
            problem("to", f"{facts.to_csm.name} already owns {facts.account_name}.")
            continue
        moves.append(PlanMove(row_number, crm_id, reason, facts, earliest))
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        listing = "\n".join(problems[:SHOWN_PROBLEMS]) + (f"\n…and {more} more." if more > 0 else "")
        raise InputError(
            f"{grid.source} has {len(problems)} problem(s); nothing was planned. Fix them and run again:\n{listing}"
        )
    return moves


def _committed_moves(
    store: Store, moves: list[PlanMove], start: date, horizon_weeks: int
) -> dict[tuple[str, str], int]:
    """Moves already committed outside the plan, per CSM and quarter, over the plan's horizon."""
    people = sorted({c.id for m in moves for c in (m.facts.from_csm, m.facts.to_csm) if c is not None})
    out: dict[tuple[str, str], int] = {}
    day, end = start, start + timedelta(weeks=horizon_weeks)
    while day <= end:
        first, last = quarter_bounds(day)
        for csm_id, n in stored_handoffs.moves_in(store, people, first, last, list(COMMITTED), None).items():
            out[(csm_id, quarter_of(day))] = n
        day = date.fromisoformat(last) + timedelta(days=1)
    return out


def _moves_by_week(store: Store, start: date, horizon_weeks: int) -> dict[tuple[str, date], int]:
    """Moves each CSM already has per week (by its Monday): handoffs proposed or committed, and
    other plans' lines still to decide — the weekly limit counts them too."""
    first, last = monday_of(start).isoformat(), (start + timedelta(weeks=horizon_weeks + 1)).isoformat()
    out: dict[tuple[str, date], int] = defaultdict(int)
    for from_csm, to_csm, effective in stored.moves_between(store, first, last, ["proposed", *COMMITTED]):
        for csm_id in (from_csm, to_csm):
            if csm_id:
                out[(csm_id, monday_of(date.fromisoformat(effective)))] += 1
    return dict(out)


# ---------------------------------------------------------------------------------- planning


def create_plan(
    store: Store,
    path: Path,
    *,
    actor: str,
    clock: Clock,
    start: date | None = None,
    weekly_limit: int = WEEKLY_LIMIT,
    horizon_weeks: int = HORIZON_WEEKS,
    names: NameIndex | None = None,
    then: Callable[[int], Sequence[Effect]] | None = None,
) -> TransitionPlan:
    """Read the moves in ``path``, place them in weekly batches and keep the plan (nothing is
    decided yet: approving a line creates its handoff). ``then`` (given the plan's id) is what
    must follow, posting it say, recorded with the plan: the plan and its post land together."""
    if not 1 <= weekly_limit <= MAX_WEEKLY_LIMIT:
        raise InputError(f"--weekly-limit is {weekly_limit}: give 1 to {MAX_WEEKLY_LIMIT} moves per CSM per week.")
    if not 1 <= horizon_weeks <= MAX_HORIZON_WEEKS:
        raise InputError(f"--horizon is {horizon_weeks}: give 1 to {MAX_HORIZON_WEEKS} weeks.")
    day = start or today(clock) + timedelta(days=7)
    if day < today(clock):
        raise InputError(f"--start {day.isoformat()} has passed: start today or later.")
    if day > today(clock) + timedelta(weeks=MAX_HORIZON_WEEKS):
        raise InputError(f"--start {day.isoformat()} is more than two years out: plan closer to today.")
    moves = read_plan_file(store, path, start=day, names=names)
    planned = plan_moves(
        moves,
        guardrail_settings(store),
        start=day,
        weekly_limit=weekly_limit,
        horizon_weeks=horizon_weeks,
        moves_by_quarter=_committed_moves(store, moves, day, horizon_weeks),
        moves_by_week=_moves_by_week(store, day, horizon_weeks),
    )
    at = timestamp(clock)
    with store.transaction():
        plan_id = stored.create(
            store,
            {
                "source": path.name,
                "start_date": (planned_start(day)).isoformat(),
                "weekly_limit": weekly_limit,
                "created_at": at,
                "created_by": actor,
            },
            [_line_record(p) for p in planned],
        )
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "plan.create",
                    f"plan:{plan_id}",
                    None,
                    {
                        "file": path.name,
                        "moves": len(planned),
                        "held": sum(p.status == "held" for p in planned),
                        "weekly_limit": weekly_limit,
                    },
                )
            ],
        )
        if then is not None:
            record_effects(store, then(plan_id), actor=actor, clock=clock)
    return get_plan(store, plan_id)


def planned_start(day: date) -> date:
    """Plans run in weeks from a Monday: the start's own Monday, or the next one."""
    return day if day.weekday() == 0 else monday_of(day) + timedelta(days=7)


def _line_record(p: PlannedMove) -> dict[str, Any]:
    return {
        "line": p.line,
        "crm_id": p.crm_id,
        "from_csm": p.from_csm,
        "to_csm": p.to_csm,
        "reason": p.reason,
        "status": p.status,
        "batch": p.batch,
        "effective_date": p.effective.isoformat() if p.effective else None,
        "check_in_date": p.check_in.isoformat() if p.check_in else None,
        "guardrails": [asdict(r) for r in p.guardrails],
        "note": p.note,
    }


def get_plan(store: Store, plan_id: int) -> TransitionPlan:
    row = stored.get(store, plan_id)
    if row is None:
        raise InputError(f"There is no plan #{plan_id}; `tierbot handoff plans` lists them.")
    lines = tuple(
        PlanLine(
            line=int(r["line"]),
            crm_id=r["crm_id"],
            account_name=r["account_name"] or r["crm_id"],
            arr=float(r["arr"] or 0),
            from_csm=r["from_csm"],
            from_name=r["from_name"],
            to_csm=r["to_csm"],
            to_name=r["to_name"],
            reason=r["reason"],
            status=r["status"],
            batch=r["batch"],
            effective_date=r["effective_date"],
            check_in_date=r["check_in_date"],
            guardrails=guardrails_from(r["guardrails"]),
            note=r["note"],
            handoff_id=r["handoff_id"],
            handoff_state=r["handoff_state"],
            decided_by=actor_name(store, r["decided_by"]) if r["decided_by"] else None,
            to_slack=r["to_slack"],
        )
        for r in stored.lines(store, plan_id)
    )
    return TransitionPlan(
        id=int(row["id"]),
        source=row["source"],
        start_date=row["start_date"],
        weekly_limit=int(row["weekly_limit"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        lines=lines,
        channel=row["channel"],
        ts=row["ts"],
    )


@dataclass(frozen=True)
class PlanSummary:
    id: int
    source: str
    start_date: str
    created_at: str
    lines: int
    batches: int
    planned: int
    held: int
    approved: int
    rejected: int
    channel: str | None = None  # where it was posted for approval (None: not posted)


@dataclass(frozen=True)
class PlanList:
    plans: tuple[PlanSummary, ...]


def list_plans(store: Store) -> PlanList:
    return PlanList(
        tuple(
            PlanSummary(
                int(r["id"]),
                r["source"],
                r["start_date"],
                r["created_at"],
                int(r["lines"] or 0),
                int(r["batches"] or 0),
                int(r["planned"] or 0),
                int(r["held"] or 0),
                int(r["approved"] or 0),
                int(r["rejected"] or 0),
                r["channel"],
            )
            for r in stored.listing(store)
        )
    )


# ---------------------------------------------------------------------------------- deciding


@dataclass(frozen=True)
class PlanDecision:
    """What a decision on a plan did: lines decided, lines left (with why)."""

    plan: TransitionPlan
    approved: tuple[int, ...]
    rejected: tuple[int, ...]
    skipped: tuple[tuple[int, str], ...]


def may_decide_line(store: Store, person: Person, line: PlanLine) -> bool:
    """Like a handoff: a manager of either CSM, or a leader."""
    return "leader" in person.roles or (
        "manager" in person.roles and manages_either(store, person, line.from_csm, line.to_csm)
    )


def decide_plan(
    store: Store,
    plan_id: int,
    *,
    approve: bool,
    person: Person,
    clock: Clock,
    lines: list[int] | None = None,
    then: Callable[[int, Handoff | None], Sequence[Effect]] | None = None,
) -> PlanDecision:
    """Approve (each line becomes an approved handoff) or reject the planned lines — all of
    them, or ``lines``. Lines this person may not decide, or that no longer pass, are left
    planned and said why; held lines need a handoff with a leader's exception. ``then`` (given
    the line and its handoff) is what must follow each line's decision, recorded with it."""
    plan = get_plan(store, plan_id)
    by_number = {line.line: line for line in plan.lines}
    unknown = [n for n in (lines or []) if n not in by_number]
    if unknown:
        raise InputError(
            f"Plan #{plan_id} has no line {', '.join(map(str, unknown))}; its lines are the file's rows "
            f"{', '.join(str(n) for n in by_number)}."
        )
    wanted = [by_number[n] for n in lines] if lines else [line for line in plan.lines if line.status == "planned"]
    if not wanted:
        raise InputError(f"Plan #{plan_id} has no line waiting for a decision; nothing changed.")
    if not any(may_decide_line(store, person, line) for line in wanted):
        what = f"decide lines of plan #{plan_id}"
        record_denial(store, person, what, where="plan", clock=clock)
        raise NotAllowed(
            f"Only the managers of the CSMs in these moves, or a leader, may {what}.",
            what,
            ("manager", "leader"),
            holders(store, ["leader"]),
        )
    done: list[int] = []
    skipped: list[tuple[int, str]] = []
    actor = actor_of(person)
    for line in wanted:
        if line.status != "planned":
            skipped.append((line.line, f"it is {line.status}" + (f" ({line.note})" if line.status == "held" else "")))
            continue
        if not may_decide_line(store, person, line):
            skipped.append(
                (
                    line.line,
                    f"only a manager of {line.from_name or 'the owner'} or {line.to_name}, or a leader, decides it",
                )
            )
            continue
        at = timestamp(clock)
        try:
            # One transaction per line: the line is re-read under the write lock, so a double click
            # or two deciders at once make one handoff; a line that no longer passes leaves nothing.
            with store.transaction():
                current = stored.line(store, plan_id, line.line)
                if current is None or current["status"] != "planned":
                    skipped.append((line.line, f"it was {current['status'] if current else 'removed'} a moment ago"))
                    continue
                handoff_id = _approve_line(store, plan_id, line, person, clock) if approve else None
                stored.decide_line(
                    store,
                    plan_id,
                    line.line,
                    "approved" if approve else "rejected",
                    handoff_id=handoff_id,
                    actor=actor,
                    at=at,
                )
                audit.record(
                    store,
                    [
                        AuditEntry(
                            at,
                            actor,
                            "plan.approve_line" if approve else "plan.reject_line",
                            f"plan:{plan_id}",
                            {"line": line.line, "status": "planned"},
                            {"line": line.line, "status": "approved" if approve else "rejected", "handoff": handoff_id},
                        )
                    ],
                )
                if then is not None:
                    decided = get_handoff(store, handoff_id) if handoff_id else None
                    record_effects(store, then(line.line, decided), actor=actor, clock=clock)
        except (InputError, NotAllowed) as failure:  # it fails a guardrail now, or the owner changed
            skipped.append((line.line, str(failure)))
            continue
        done.append(line.line)
    verdict = tuple(done)
    return PlanDecision(
        get_plan(store, plan_id), verdict if approve else (), () if approve else verdict, tuple(skipped)
    )


def _approve_line(store: Store, plan_id: int, line: PlanLine, person: Person, clock: Clock) -> int:
    """The line's handoff, proposed and approved at once (its guardrails checked again now), inside
    the caller's transaction. A line whose week has passed moves to the next Monday."""
    effective = line.effective_date
    if effective and effective < today(clock).isoformat():
        moved = planned_start(today(clock))
        effective = moved.isoformat()
        stored.redate_line(store, plan_id, line.line, effective, (moved + timedelta(days=CHECK_IN_DAYS)).isoformat())
    handoff = request_handoff(
        store,
        person,
        crm_id=line.crm_id,
        to_csm=line.to_csm,
        reason=f"{line.reason} (plan #{plan_id}, batch {line.batch})",
        effective=effective,
        clock=clock,
    )
    decide_handoff(store, handoff.id, approve=True, person=person, clock=clock, note=f"plan #{plan_id}")
    return handoff.id


def record_plan_message(store: Store, plan_id: int, channel: str, ts: str) -> None:
    with store.transaction():
        stored.set_message(store, plan_id, channel, ts)


# ---------------------------------------------------------------------------------- worksheet

WORKSHEET_COLUMNS = (
    "Batch",
    "Effective date",
    "Account",
    "CRM id",
    "From CSM",
    "New owner",
    "Reason",
    "Status",
    "Handoff",
    "Handoff state",
    "Check-in date",
    "Guardrails",
    "Note",
)


_WORKSHEET_MARKS = {"passed": "ok: ", "failed": "FAILS: ", "unknown": "UNKNOWN: "}


def worksheet(plan: TransitionPlan) -> pd.DataFrame:
    """The plan as a table: one row per move, batches in date order, held moves last."""
    import pandas as pd

    rows = [
        (
            line.batch,
            line.effective_date,
            line.account_name,
            line.crm_id,
            line.from_name or line.from_csm,
            line.to_name or line.to_csm,
            line.reason,
            line.status,
            line.handoff_id,
            line.handoff_state,
            line.check_in_date,
            "; ".join(_WORKSHEET_MARKS[g.state] + g.message for g in line.guardrails),
            line.note,
        )
        for line in sorted(plan.lines, key=lambda ln: (ln.batch is None, ln.batch or 0, ln.line))
    ]
    frame = pd.DataFrame(rows, columns=list(WORKSHEET_COLUMNS))
    frame["Batch"] = frame["Batch"].astype("Int64")
    frame["Handoff"] = frame["Handoff"].astype("Int64")
    return frame


@dataclass(frozen=True)
class WorksheetReport:
    path: Path
    rows: int


def check_worksheet_path(path: Path, *, store_path: Path | None = None, force: bool = False) -> None:
    """Refuse a worksheet path before the plan is made: a SQLite file, or not .csv/.xlsx."""
    check_output(path, store_path=store_path, force=force)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"`{path.name}`: write the worksheet as .csv or .xlsx.")


def write_worksheet(
    plan: TransitionPlan, path: Path, *, store_path: Path | None = None, force: bool = False
) -> WorksheetReport:
    """CSV or XLSX (by the extension), formula-safe, written whole or not at all."""
    check_worksheet_path(path, store_path=store_path, force=force)
    frame = worksheet(plan)
    from engine.csv_safety import neutralise_frame

    write_table_atomically(neutralise_frame(frame), path, store_path=store_path, force=force)
    return WorksheetReport(path, len(frame))


# ---------------------------------------------------------------------------------- check-ins


@dataclass(frozen=True)
class Reminder:
    handoff_id: int
    account_name: str
    to_csm: str
    to_name: str | None
    to_slack: str | None
    effective_date: str
    check_in_date: str

    @property
    def key(self) -> str:
        return f"reminder:{self.handoff_id}"


@dataclass(frozen=True)
class BatchReport:
    plan_id: int
    batch: int
    effective_date: str
    lines: int
    approved: int
    completed: int
    cancelled: int
    rejected: int
    undecided: int

    @property
    def key(self) -> str:
        return f"batch:{self.plan_id}:{self.batch}"


@dataclass(frozen=True)
class Checkins:
    """What is due today: reminders to new CSMs, reports of finished batches."""

    day: str
    reminders: tuple[Reminder, ...]
    reports: tuple[BatchReport, ...]


def due_checkins(store: Store, clock: Clock) -> Checkins:
    """Reminders whose day has come (30 days after the move) and batches that are done (every
    line decided, every approved move completed or cancelled), not sent before."""
    day = today(clock).isoformat()
    reminders = tuple(
        Reminder(
            int(r["handoff_id"]),
            r["account_name"] or r["crm_id"],
            r["to_csm"],
            r["to_name"],
            r["to_slack"],
            r["effective_date"],
            r["check_in_date"],
        )
        for r in stored.due_reminders(store, day)
    )
    reports = []
    for r in stored.batches(store):
        finished = int(r["undecided"] or 0) == 0 and int(r["completed"] or 0) + int(r["cancelled"] or 0) == int(
            r["approved"] or 0
        )
        if finished and not r["reported"] and (r["effective_date"] or day) <= day:
            reports.append(
                BatchReport(
                    int(r["plan_id"]),
                    int(r["batch"]),
                    r["effective_date"],
                    int(r["lines"]),
                    int(r["approved"] or 0),
                    int(r["completed"] or 0),
                    int(r["cancelled"] or 0),
                    int(r["rejected"] or 0),
                    0,
                )
            )
    return Checkins(day, reminders, tuple(reports))


def claim_checkin(store: Store, key: str, kind: str, *, actor: str, clock: Clock) -> bool:
    """Mark a check-in sent before sending it: False when another run has (it must not go twice)."""
    with store.transaction():
        return stored.record_checkin(store, key, kind, at=timestamp(clock), actor=actor)


def release_checkin(store: Store, key: str) -> None:
    """Slack refused it: forget the claim, so the next run tries again."""
    with store.transaction():
        stored.forget_checkin(store, key)


# ---------------------------------------------------------------------------------- announcements


@dataclass(frozen=True)
class Announcement:
    """Approved handoffs not announced yet, for one digest."""

    handoffs: tuple[Handoff, ...]


def pending_announcement(store: Store) -> Announcement:
    return Announcement(tuple(get_handoff(store, i) for i in stored.unannounced(store)))


def queue_announcement(
    store: Store, *, actor: str, clock: Clock, then: Callable[[list[Handoff]], Sequence[Effect]]
) -> list[Handoff]:
    """Claim every approved handoff not announced yet and record the digest's posts (``then``)
    with the claim, in one transaction: two runs at once never announce one twice, and a claim
    never stays without its post. The handoffs claimed; none when nothing waits."""
    at = timestamp(clock)
    with store.transaction():
        waiting = [get_handoff(store, i) for i in stored.unannounced(store)]
        claimed = [h for h in waiting if stored.mark_announced(store, [h.id], at)]
        if claimed:
            record_effects(store, then(claimed), actor=actor, clock=clock)
    return claimed


def confirm_announcement(
    store: Store, handoff_ids: list[int], *, channel: str, ts: str, actor: str, clock: Clock
) -> None:
    """Slack took the digest's message: now the audit log says they were announced (inside the
    caller's transaction, with the delivery marked done)."""
    at = timestamp(clock)
    with store.transaction():
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "handoff.announce",
                    "handoffs",
                    None,
                    {"handoffs": handoff_ids, "channel": channel, "ts": ts},
                )
            ],
        )


def release_announcement(store: Store, handoff_ids: list[int]) -> None:
    """Slack refused the digest: these are announced next time, and nothing says they were."""
    with store.transaction():
        stored.unmark_announced(store, handoff_ids)
