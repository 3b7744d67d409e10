"""Load the demo workspace into the store, so a newcomer sees the product in one command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.demo import DEFAULT_SEED, MAX_ACCOUNTS, MIN_ACCOUNTS, demo_workspace
from engine.errors import InputError, StoreNotEmpty
from store import Store, audit, imports, records
from store import rules as stored_rules
from store import tiers as stored_tiers
from store.audit import AuditEntry
from workflows.books import BookCache
from workflows.clock import Clock, timestamp, today
from workflows.progress import Progress, silent
from workflows.rules import activate_rule_set, parse_yaml, store_rule_set
from workflows.tiers import apply_tiers

# Last year's rules, then this year's: `tier acme` can say what changed.
DEMO_RULE_SETS = (
    """
name: fy26-tiers
description: Last year's ARR bands
tiers: [Strategic, Enterprise, Mid-Market, SMB]
rules:
  - tier: Strategic
    label: designated strategic
    when: {strategic: true}
  - tier: Enterprise
    label: large accounts
    when: {arr: {">=": 100000}}
  - tier: Mid-Market
    label: mid-sized accounts
    when: {arr: {">=": 20000}}
  - tier: SMB
    label: everyone else
    default: true
""",
    """
name: fy27-tiers
description: ARR bands on expected ARR, a lower bar for hospitals and health systems, strategic by hand
tiers: [Strategic, Enterprise, Mid-Market, SMB]
rules:
  - tier: Strategic
    label: designated strategic
    when: {strategic: true}
  - tier: Enterprise
    label: large or growing into large
    when: {expected_arr: {">=": 150000}}
  - tier: Enterprise
    label: hospitals and health systems
    when: {all: [{setting: {in: [hospital, health system]}}, {arr: {">=": 75000}}]}
  - tier: Mid-Market
    label: mid-sized accounts
    when: {arr: {">=": 25000}}
  - tier: SMB
    label: everyone else
    default: true
""",
)


@dataclass(frozen=True)
class DemoReport:
    """What ``load_demo`` did."""

    loaded: bool
    accounts: int
    csms: int
    seed: int
    replaced_accounts: int = 0
    replaced_csms: int = 0


def load_demo(
    store: Store,
    *,
    actor: str,
    clock: Clock,
    accounts: int = MIN_ACCOUNTS,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    if_empty: bool = False,
    progress: Progress = silent,
) -> DemoReport:
    """Fill the store with the demo workspace.

    A store that already holds accounts or CSMs is left alone when ``if_empty`` is set, wiped
    first when ``replace`` is set, and otherwise refused, so real data is never overwritten by
    accident.
    """
    if not MIN_ACCOUNTS <= accounts <= MAX_ACCOUNTS:
        raise InputError(
            f"--accounts {accounts:,} is out of range: the demo holds {MIN_ACCOUNTS:,} to {MAX_ACCOUNTS:,} accounts."
        )
    held_accounts = records.count(store, "accounts")
    held_csms = records.count(store, "csms")
    if held_accounts or held_csms:
        if if_empty:
            return DemoReport(False, held_accounts, held_csms, seed)
        if not replace:
            raise StoreNotEmpty(
                f"The store {store.path} already holds {held_accounts:,} accounts and "
                f"{held_csms:,} CSMs. Pass --replace to wipe them and load the demo, or use "
                f"another file with --db."
            )
    progress(f"Generating {accounts:,} demo accounts…")
    workspace = demo_workspace(accounts, seed=seed, as_of=today(clock))
    at = timestamp(clock)
    progress(f"Writing {accounts:,} accounts and {len(workspace.csms)} CSMs…")
    with store.transaction():
        removed_accounts = records.delete_all(store, "accounts") if held_accounts else 0
        removed_csms = records.delete_all(store, "csms") if held_csms else 0
        if replace:
            stored_tiers.delete_all(store)
            stored_rules.delete_all(store)
            imports.delete_all(store)
        records.insert(store, "csms", workspace.csms, at)
        records.insert(store, "accounts", workspace.accounts, at, created_by="demo")
        progress("Activating the demo rule sets and tiering the accounts…")
        _load_demo_rules(store, actor=actor, clock=clock)
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "demo.load",
                    "store",
                    {"accounts": removed_accounts, "csms": removed_csms} if replace else None,
                    {"accounts": accounts, "csms": len(workspace.csms), "seed": seed},
                )
            ],
        )
    return DemoReport(True, accounts, len(workspace.csms), seed, removed_accounts, removed_csms)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _load_demo_rules(store: Store, *, actor: str, clock: Clock) -> None:
    """Last year's rule set, then this quarter's, activated in turn; then tier the book."""
    this_quarter = _quarter_start(today(clock))
    effective = (this_quarter.replace(year=this_quarter.year - 1), this_quarter)
    for text, day in zip(DEMO_RULE_SETS, effective, strict=True):
        rule_set, warnings = parse_yaml(text, "the demo rule set")
        store_rule_set(store, rule_set, [str(w) for w in warnings], source="demo", actor=actor, clock=clock)
        activate_rule_set(store, rule_set.name, actor=actor, clock=clock, effective=day)
    apply_tiers(store, actor=actor, clock=clock, books=BookCache())
