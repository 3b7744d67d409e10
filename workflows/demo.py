"""Load the demo workspace into the store, so a newcomer sees the product in one command."""

from __future__ import annotations

from dataclasses import dataclass

from engine.demo import DEFAULT_SEED, MAX_ACCOUNTS, MIN_ACCOUNTS, demo_workspace
from engine.errors import InputError, StoreNotEmpty
from store import Store, audit, records
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp, today
from workflows.progress import Progress, silent


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
            f"--accounts {accounts:,} is out of range: the demo holds {MIN_ACCOUNTS:,} to "
            f"{MAX_ACCOUNTS:,} accounts."
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
        records.insert(store, "csms", workspace.csms, at)
        records.insert(store, "accounts", workspace.accounts, at)
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
