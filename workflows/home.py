"""What a person's App Home shows: their book, their workload estimate, what waits for their
decision, and for leaders the tier table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from engine.permissions import SIMULATE_RULES
from store import Store
from store import accounts as account_queries
from store import workload as stored_workload
from workflows.books import BookCache
from workflows.clock import Clock, today
from workflows.drafting import CustomerNote, notes_waiting_on
from workflows.handoffs import Handoff, pending_for
from workflows.roles import Person
from workflows.rules import NoActiveRuleSet, RuleSetInfo, list_rule_sets
from workflows.tiers import TierSummary, tier_summary
from workflows.workload import current_period

BOOK_PAGE = 10
RENEWAL_DAYS = 90
SHOWN_RENEWALS = 8


@dataclass(frozen=True)
class BookRow:
    crm_id: str
    name: str
    arr: float
    tier: str | None
    renewal_date: str | None


@dataclass(frozen=True)
class Book:
    """A CSM's accounts: per tier, a page of the largest, the renewals coming up."""

    by_tier: tuple[tuple[str, int, float], ...]
    accounts: int
    arr: float
    page: int
    pages: int
    rows: tuple[BookRow, ...]
    renewals: tuple[BookRow, ...]
    renewal_days: int = RENEWAL_DAYS


@dataclass(frozen=True)
class WorkloadStatus:
    period: str
    submitted: bool
    hours: float | None = None
    capacity_hours: float | None = None
    round_open: bool = False
    round_id: int | None = None


@dataclass(frozen=True)
class Home:
    person: Person
    book: Book | None
    workload: WorkloadStatus | None
    approvals: tuple[Handoff, ...]
    tiers: TierSummary | None  # leaders
    drafts: tuple[RuleSetInfo, ...]  # those who may run what-ifs
    notes: tuple[CustomerNote, ...] = ()  # customer notes to approve or send (new CSMs)


def _row(r: dict) -> BookRow:
    return BookRow(r["crm_id"], r["name"], float(r["arr"]), r["tier"], r["renewal_date"])


def book_of(store: Store, csm_id: str, *, clock: Clock, page: int = 0) -> Book:
    by_tier = account_queries.book_by_tier(store, csm_id)
    total = sum(n for _, n, _ in by_tier)
    pages = max(1, -(-total // BOOK_PAGE))
    page = min(max(page, 0), pages - 1)
    day = today(clock)
    soon = account_queries.renewals(
        store, csm_id, day.isoformat(), (day + timedelta(days=RENEWAL_DAYS)).isoformat(), SHOWN_RENEWALS
    )
    return Book(
        by_tier=tuple((t or "untiered", n, arr) for t, n, arr in sorted(by_tier, key=lambda r: -r[2])),
        accounts=total,
        arr=sum(arr for _, _, arr in by_tier),
        page=page,
        pages=pages,
        rows=tuple(_row(r) for r in account_queries.book_page(store, csm_id, page * BOOK_PAGE, BOOK_PAGE)),
        renewals=tuple(_row(r) for r in soon),
    )


def workload_status(store: Store, csm_id: str, *, clock: Clock) -> WorkloadStatus:
    round_ = stored_workload.open_round(store)
    period = round_["period"] if round_ else current_period(clock)
    row = stored_workload.submission(store, csm_id, period)
    hours = sum(float(row[k]) for k in stored_workload.ACTIVITY_COLUMNS) if row else None
    return WorkloadStatus(
        period=period,
        submitted=row is not None,
        hours=hours,
        capacity_hours=float(row["capacity_hours"]) if row else None,
        round_open=round_ is not None,
        round_id=round_["id"] if round_ else None,
    )


def home_for(store: Store, person: Person, *, clock: Clock, books: BookCache, page: int = 0) -> Home:
    """Everything ``person``'s App Home shows."""
    tiers = None
    if "leader" in person.roles:
        try:
            tiers = tier_summary(store, clock=clock, books=books)
        except NoActiveRuleSet:
            tiers = None
    drafts: tuple[RuleSetInfo, ...] = ()
    if SIMULATE_RULES.allows(person.roles):
        drafts = tuple(r for r in list_rule_sets(store).rule_sets if r.state == "draft")
    book = book_of(store, person.csm_id, clock=clock, page=page) if person.csm_id else None
    if book is not None and not book.accounts and "csm" not in person.roles:
        book = None  # a leader or manager without accounts of their own: no empty section
    workload = workload_status(store, person.csm_id, clock=clock) if person.csm_id else None
    if workload is not None and not workload.submitted and "csm" not in person.roles:
        workload = None  # rounds ask CSMs; others see theirs once they have filed one
    return Home(
        person=person,
        book=book,
        workload=workload,
        approvals=tuple(pending_for(store, person)),
        tiers=tiers,
        drafts=drafts,
        notes=tuple(notes_waiting_on(store, person)),
    )
