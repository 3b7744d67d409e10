"""Tiers: apply the active rule set to the book, explain one account, set and clear overrides,
and the tier table leaders look at."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.decisions import TierDecision, account_fields, arr_ranks, columns_needed, decide
from engine.errors import InputError
from engine.matching import did_you_mean
from engine.rules import RuleSet
from store import Store, audit, meta
from store import accounts as account_queries
from store import ranks as stored_ranks
from store import rules as stored_rules
from store import tiers as stored_tiers
from store.audit import AuditEntry
from store.rules import Activation
from store.tiers import HistoryEntry, Override, Run
from workflows.books import RANK_FIELDS
from workflows.clock import Clock, timestamp, today
from workflows.lookup import AccountMatch, NameIndex, one_account
from workflows.lookup import AmbiguousAccount as AmbiguousAccount  # where the surfaces have met it
from workflows.rules import active_rule_set, previous_rule_set, rule_set_on

if TYPE_CHECKING:  # the whole book (pandas) loads only for apply, summary and curves
    import pandas as pd

    from engine.proposals import TierRow
    from workflows.books import BookCache

SHOWN_HISTORY = 10


# ---------------------------------------------------------------------------------- apply


@dataclass(frozen=True)
class ApplyReport:
    """What `tiers apply` stored."""

    rule_set: str
    as_of: str
    accounts: int
    changed: int
    untiered: int
    untiered_examples: tuple[str, ...]
    table: tuple[TierRow, ...]
    unused_rules: tuple[str, ...]  # rules no account matched
    expired_overrides: int = 0


def apply_tiers(store: Store, *, actor: str, clock: Clock, books: BookCache | None = None) -> ApplyReport:
    """Tier the whole book under the active rule set and store the result.

    Only accounts whose tier or rule changed are written; each tier change goes to the account's
    history. The view ``account_tiers`` (and the export's Tier column) reads the result, with
    overrides in force applied on top.
    """
    import pandas as pd

    from engine.proposals import tier_table
    from engine.tiering import assign_tiers
    from workflows.books import BookCache

    books = books or BookCache()
    day = today(clock)
    at = timestamp(clock)
    # The book and the stored tiers are read before the write lock is taken, so other writers
    # wait only for the writing; under the lock they are used again only if nothing changed.
    _, rule_set = active_rule_set(store)
    books.book(store, day, columns_needed([rule_set]))
    before = meta.token(store, stored_tiers.TIERS_VERSION)  # first: what is read next is at least this new
    current = stored_tiers.assignments(store)
    with store.transaction():
        _, rule_set = active_rule_set(store)
        book = books.book(store, day, columns_needed([rule_set]))
        if meta.token(store, stored_tiers.TIERS_VERSION) != before:
            current = stored_tiers.assignments(store)
        result = assign_tiers(book, rule_set)
        labels = pd.Series(["", *[r.title for r in rule_set.rules]], dtype=object)
        result["rule_label"] = labels.iloc[result["rule"].to_numpy()].to_numpy()
        result["rule_set"] = rule_set.name
        merged = result.merge(current, on="crm_id", how="left", suffixes=("", "_was"), indicator=True)
        differs = (
            (merged["_merge"] == "left_only")
            | ~_same(merged["tier"], merged["tier_was"])
            | (merged["rule"] != merged["rule_was"])
            | (merged["rule_set"] != merged["rule_set_was"])
        )
        changed = merged[differs.to_numpy()]
        tier_moved = changed[~_same(changed["tier"], changed["tier_was"]).to_numpy()]
        run_id = stored_tiers.record_run(
            store,
            Run(
                rule_set=rule_set.name,
                as_of=day.isoformat(),
                accounts_version=meta.version(store, "accounts_version"),
                at=at,
                actor=actor,
                accounts=len(result),
                changed=len(tier_moved),
                untiered=int(result["tier"].isna().sum()),
            ),
        )
        written = changed[stored_tiers.ASSIGNMENT_COLUMNS]
        stored_tiers.write_assignments(store, written, run_id, at)
        after = meta.token(store, stored_tiers.TIERS_VERSION)
        expired = _close_expired_overrides(store, result, rule_set.name, day, at)
        stored_tiers.add_history(
            store,
            (
                HistoryEntry(row.crm_id, row.tier, row.tier_was, rule_set.name, row.rule_label, "rules", at, actor)
                for row in tier_moved.itertuples(index=False)
            ),
        )
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "tiers.apply",
                    f"tier_run:{run_id}",
                    None,
                    {"rule_set": rule_set.name, "accounts": len(result), "tier_changes": len(tier_moved)},
                )
            ],
        )
    if after != before:  # committed: the next run reads every assignment from the copy
        unchanged = current[~current["crm_id"].isin(written["crm_id"])]
        stored_tiers.keep_assignments_copy(store, pd.concat([unchanged, written], ignore_index=True), after)
    untiered = result[result["tier"].isna()]
    used = set(result["rule"].unique())
    return ApplyReport(
        rule_set=rule_set.name,
        as_of=day.isoformat(),
        accounts=len(result),
        changed=len(tier_moved),
        untiered=len(untiered),
        untiered_examples=tuple(untiered["crm_id"].head(5)),
        table=tuple(tier_table(book, _with_overrides(store, result, day), rule_set.tiers)),
        unused_rules=tuple(f"rule {i} ({r.title})" for i, r in enumerate(rule_set.rules, start=1) if i not in used),
        expired_overrides=expired,
    )


def _close_expired_overrides(store: Store, result: pd.DataFrame, rule_set: str, day: date, at: str) -> int:
    """Overrides past their `until` end by themselves; the run writes that into their history."""
    ended = stored_tiers.expired_overrides(store, day.isoformat())
    rule_tiers = result.set_index("crm_id")["tier"]
    for override in ended:
        stored_tiers.close_expired(store, override.id, at)
        tier = rule_tiers.get(override.crm_id)
        reason = f"override ended on {override.until}"
        entry = HistoryEntry(
            override.crm_id,
            tier if isinstance(tier, str) else None,
            override.tier,
            rule_set,
            reason,
            "override cleared",
            at,
            "tierbot",
        )
        stored_tiers.add_history(store, [entry])
    return len(ended)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a == b) | (a.isna() & b.isna())


def _with_overrides(store: Store, result: pd.DataFrame, day: date) -> pd.Series:
    """The tiers people see: rule tiers with the overrides in force on ``day`` on top."""
    overrides = stored_tiers.active_overrides(store, day.isoformat())
    tiers = result.set_index("crm_id")["tier"].astype(object)
    if not overrides.empty:
        forced = overrides.set_index("crm_id")["tier"]
        forced = forced[forced.index.isin(tiers.index)]
        tiers.loc[forced.index] = forced
    return tiers.reset_index(drop=True)


# ---------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class TierSummary:
    """The current tier table: accounts, ARR and their shares per tier."""

    rule_set: str
    in_effect_since: str
    as_of: str
    accounts: int
    arr: float
    table: tuple[TierRow, ...]
    overrides: int
    stored_is_current: bool  # the stored tiers (export) match this evaluation's inputs
    activated_by: str = ""
    activated_at: str = ""


def tier_summary(
    store: Store, *, clock: Clock, books: BookCache | None = None, as_of: date | None = None
) -> TierSummary:
    """Tier the book now (or under the rule set in effect on ``as_of``), without storing."""
    import pandas as pd

    from engine.proposals import tier_table
    from engine.tiering import assign_tiers
    from workflows.books import BookCache

    books = books or BookCache()
    day = as_of or today(clock)
    rule_set, activation = rule_set_on(store, day) if as_of else _active_with_activation(store)
    book = books.book(store, day, columns_needed([rule_set]))
    result = assign_tiers(book, rule_set)
    tiers = _with_overrides(store, result, day)
    run = stored_tiers.last_run(store)
    current = as_of is not None or (
        run is not None
        and run.rule_set == rule_set.name
        and run.accounts_version == meta.version(store, "accounts_version")
        # Days to renewal move every day: such rules need a run of the day.
        and ("days_to_renewal" not in rule_set.fields_used() or run.as_of == day.isoformat())
    )
    return TierSummary(
        rule_set=rule_set.name,
        in_effect_since=activation.effective_date,
        as_of=day.isoformat(),
        accounts=len(book),
        arr=float(pd.to_numeric(book["arr"]).sum()),
        table=tuple(tier_table(book, tiers, rule_set.tiers)),
        overrides=len(stored_tiers.active_overrides(store, day.isoformat())),
        stored_is_current=bool(current),
        activated_by=activation.actor,
        activated_at=activation.at,
    )


def arr_concentration(
    store: Store, *, clock: Clock, books: BookCache | None = None, points: int = 101
) -> tuple[tuple[float, float], ...]:
    """The ARR concentration curve: (share of accounts, share of ARR), largest accounts first."""
    import pandas as pd

    from engine.proposals import concentration_curve
    from workflows.books import BookCache

    books = books or BookCache()
    book = books.book(store, today(clock), ())
    return concentration_curve(pd.to_numeric(book["arr"], errors="coerce").fillna(0.0).to_numpy(), points)


def _active_with_activation(store: Store) -> tuple[RuleSet, Activation]:
    stored, rule_set = active_rule_set(store)
    history = [a for a in stored_rules.activations(store) if a.rule_set == stored.name]
    return rule_set, history[-1]


# ---------------------------------------------------------------------------------- explain


@dataclass(frozen=True)
class PreviousTier:
    rule_set: str
    tier: str | None


@dataclass(frozen=True)
class TierExplanation:
    """An account's tier with every reason: the rule that fired and its conditions, the earlier
    rules and why they did not match, any override, and the tier under the previous rule set."""

    account: AccountMatch
    as_of: str
    tier: str | None
    decision: TierDecision
    in_effect_since: str
    activated_by: str
    override: Override | None
    previous: PreviousTier | None
    stored_tier: str | None
    history: tuple[HistoryEntry, ...]
    matched_by: str

    @property
    def source(self) -> str:
        return "override" if self.override else "rules"


def account_as_rules_read_it(
    store: Store, crm_id: str, day: date, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """One account's row with the derived fields, from its own rows.

    The ARR ranks come from the stored ranks when they describe the store as it is (kept while a
    stored rule set reads them), else they are worked out from every account's ARR; and not at
    all when ``fields`` (those the rule sets at hand read) names none of them.
    """
    with store.snapshot():
        row = account_queries.get(store, crm_id) or {"crm_id": crm_id}
        if fields is not None and not set(fields) & set(RANK_FIELDS):
            ranks = None
        elif stored_ranks.current(store):
            ranks = stored_ranks.get(store, crm_id)
        else:
            ranks = arr_ranks(crm_id, account_queries.arr_ranking(store))
    return account_fields(row, ranks, day)


def explain_tier(
    store: Store,
    text: str,
    *,
    clock: Clock,
    as_of: date | None = None,
    names: NameIndex | None = None,
    books: BookCache | None = None,
) -> TierExplanation:
    """Why an account has its tier, under the active rule set (or the one in effect on ``as_of``).

    A long-running process passes its ``books`` (the prepared book kept in memory); without one,
    only this account's row and every account's ARR are read, not the whole book.
    """
    account = one_account(store, text, names)
    day = as_of or today(clock)
    rule_set, activation = rule_set_on(store, day) if as_of else _active_with_activation(store)
    previous = previous_rule_set(store, activation)
    sets: list[RuleSet] = [rule_set] + ([previous[0]] if previous else [])
    if books is None:
        row = account_as_rules_read_it(
            store, account.crm_id, day, {name for rules in sets for name in rules.fields_used()}
        )
    else:
        row = books.row(store, day, columns_needed(sets), account.crm_id)
    decision = decide(row, rule_set)
    override = stored_tiers.active_override(store, account.crm_id, day.isoformat())
    stored = stored_tiers.assignment(store, account.crm_id)
    return TierExplanation(
        account=account,
        as_of=day.isoformat(),
        tier=override.tier if override else decision.tier,
        decision=decision,
        in_effect_since=activation.effective_date,
        activated_by=activation.actor,
        override=override,
        previous=PreviousTier(previous[0].name, decide(row, previous[0]).tier) if previous else None,
        stored_tier=stored["tier"] if stored else None,
        history=tuple(stored_tiers.history(store, account.crm_id, SHOWN_HISTORY)),
        matched_by="crm id" if account.score == 100.0 and account.crm_id.lower() == text.strip().lower() else "name",
    )


# ---------------------------------------------------------------------------------- overrides and history


@dataclass(frozen=True)
class OverrideReport:
    account: AccountMatch
    tier: str | None
    previous_tier: str | None
    reason: str
    until: str | None
    cleared: bool = False


def set_override(
    store: Store,
    text: str,
    tier: str,
    *,
    reason: str,
    actor: str,
    clock: Clock,
    until: date | None = None,
    names: NameIndex | None = None,
    books: BookCache | None = None,
) -> OverrideReport:
    """Set an account's tier by hand: it beats the rules until ``until`` (or until cleared)."""
    if not reason.strip():
        raise InputError("Say why with --reason: an override without a reason cannot be reviewed later.")
    day = today(clock)
    if until is not None and until < day:
        raise InputError(f"--until {until.isoformat()} has passed: give a date from today on, or none.")
    _, rule_set = active_rule_set(store)
    matched = [t for t in rule_set.tiers if t.lower() == tier.strip().lower()]
    if not matched:
        hint = did_you_mean(tier, rule_set.tiers)
        raise InputError(
            f"`{tier}` is not a tier of {rule_set.name}"
            + (f"; did you mean `{hint}`?" if hint else ".")
            + f" Tiers: {', '.join(rule_set.tiers)}."
        )
    chosen = matched[0]
    account = one_account(store, text, names)
    explanation = explain_tier(store, account.crm_id, clock=clock, names=names, books=books)
    at = timestamp(clock)
    until_text = until.isoformat() if until else None
    with store.transaction():
        stored_tiers.clear_overrides(store, account.crm_id, at, actor)
        stored_tiers.add_override(store, account.crm_id, chosen, reason.strip(), until_text, at, actor)
        _record_change(
            store,
            HistoryEntry(
                account.crm_id, chosen, explanation.tier, rule_set.name, reason.strip(), "override", at, actor
            ),
            "tier.override",
            {"tier": explanation.tier, "source": explanation.source},
            {"tier": chosen, "reason": reason.strip(), "until": until_text},
        )
    return OverrideReport(account, chosen, explanation.tier, reason.strip(), until_text)


def _record_change(
    store: Store, entry: HistoryEntry, action: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """One hand-made tier change: into the account's history and the audit log."""
    stored_tiers.add_history(store, [entry])
    audit.record(store, [AuditEntry(entry.at, entry.actor, action, f"account:{entry.crm_id}", before, after)])


def clear_override(
    store: Store,
    text: str,
    *,
    actor: str,
    clock: Clock,
    names: NameIndex | None = None,
    books: BookCache | None = None,
) -> OverrideReport:
    """End an account's override: the rules decide its tier again."""
    account = one_account(store, text, names)
    before = explain_tier(store, account.crm_id, clock=clock, names=names, books=books)
    if before.override is None:
        raise InputError(f"{account.name} has no override in force; its tier comes from the rules.")
    at = timestamp(clock)
    with store.transaction():
        stored_tiers.clear_overrides(store, account.crm_id, at, actor)
        _record_change(
            store,
            HistoryEntry(
                account.crm_id,
                before.decision.tier,
                before.tier,
                before.decision.rule_set,
                None,
                "override cleared",
                at,
                actor,
            ),
            "tier.override.clear",
            {"tier": before.tier, "reason": before.override.reason},
            {"tier": before.decision.tier},
        )
    return OverrideReport(account, before.decision.tier, before.tier, before.override.reason, None, cleared=True)


@dataclass(frozen=True)
class AccountHistory:
    account: AccountMatch
    entries: tuple[HistoryEntry, ...]


def tier_history(store: Store, text: str, *, names: NameIndex | None = None, limit: int = 50) -> AccountHistory:
    """An account's tier changes, newest first."""
    account = one_account(store, text, names)
    return AccountHistory(account, tuple(stored_tiers.history(store, account.crm_id, limit)))


def parse_day(text: str | None, option: str) -> date | None:
    """A date given as an option, YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise InputError(f"{option} {text}: there is no such day.") from None
        raise InputError(f"{option} {text}: write the date as YYYY-MM-DD, e.g. 2027-03-31.") from None


def warm_up(store: Store, names: NameIndex, books: BookCache, clock: Clock) -> None:
    """Load what lookups need (the name index, the book under the active rule set) ahead of time."""
    names.refresh(store)
    try:
        _, rule_set = active_rule_set(store)
    except InputError:
        return  # nothing active yet: nothing to prepare
    books.book(store, today(clock), columns_needed([rule_set]))
