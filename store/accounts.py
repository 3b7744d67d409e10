"""Account queries: lookup by id and name, the full-text name index, owners."""

from __future__ import annotations

from typing import Any

from store import meta
from store.db import Store

_SUMMARY = "crm_id, name, arr"


def get(store: Store, crm_id: str) -> dict[str, Any] | None:
    """One account by CRM id, or None."""
    rows = store.query("SELECT * FROM accounts WHERE crm_id = ?", (crm_id,))
    return rows[0] if rows else None


def arr_ranking(store: Store) -> list[tuple[str, float]]:
    """Every account's (CRM id, ARR), largest first, ties by CRM id: the order ARR ranks follow."""
    return store.rows("SELECT crm_id, arr FROM accounts ORDER BY arr DESC, crm_id")


def search_names(store: Store, fts_query: str, limit: int) -> list[tuple[str, str, float]]:
    """Accounts whose name matches an FTS5 query, as (crm_id, name, arr)."""
    rows = store.rows(
        f"SELECT {_SUMMARY} FROM accounts WHERE rowid IN "
        "(SELECT rowid FROM accounts_fts WHERE accounts_fts MATCH ? LIMIT ?)",
        (fts_query, limit),
    )
    return [(r[0], r[1], float(r[2])) for r in rows]


def name_terms(store: Store) -> dict[str, int]:
    """Every word of every account name, as the full-text index holds them, with how many
    accounts' names contain it."""
    return {r[0]: int(r[1]) for r in store.rows("SELECT term, doc FROM accounts_fts_terms")}


def owner_counts(store: Store) -> dict[str | None, int]:
    """Accounts per owner value (None for unowned)."""
    rows = store.rows("SELECT owner, COUNT(*) FROM accounts GROUP BY owner")
    return {r[0]: int(r[1]) for r in rows}


def unlinked_owner_count(store: Store) -> int:
    """Accounts whose owner is set but names no CSM id in the roster."""
    return int(
        str(
            store.scalar(
                "SELECT COUNT(*) FROM accounts WHERE owner IS NOT NULL AND owner != '' "
                "AND owner NOT IN (SELECT id FROM csms)"
            )
        )
    )


def relink_owners(store: Store, links: dict[str, str], at: str) -> int:
    """Point accounts owned by a raw reference (a name or email) at the CSM id it names."""
    store.require_transaction()
    total = 0
    for reference, csm_id in links.items():
        cursor = store.execute("UPDATE accounts SET owner = ?, updated_at = ? WHERE owner = ?", (csm_id, at, reference))
        total += cursor.rowcount
    if total:
        meta.bump(store, "accounts_version")
    return total


def provenance(store: Store, crm_id: str) -> str | None:
    """What created the account: ``import:3`` or ``demo``."""
    value = store.scalar("SELECT created_by FROM accounts WHERE crm_id = ?", (crm_id,))
    return str(value) if value is not None else None


def summary(store: Store, crm_id: str) -> dict[str, Any]:
    """The fields a lookup answer shows, with the owner's name from the roster."""
    rows = store.query(
        "SELECT a.crm_id, a.name, a.arr, a.owner, c.name AS owner_name, a.region, a.renewal_date "
        "FROM accounts a LEFT JOIN csms c ON c.id = a.owner WHERE a.crm_id = ?",
        (crm_id,),
    )
    return rows[0]


def book_by_tier(store: Store, owner: str) -> list[tuple[str | None, int, float]]:
    """A CSM's accounts per tier (overrides applied): (tier, accounts, ARR)."""
    rows = store.rows(
        "SELECT t.tier, COUNT(*), COALESCE(SUM(a.arr), 0) FROM accounts a "
        "JOIN account_tiers t ON t.crm_id = a.crm_id WHERE a.owner = ? GROUP BY t.tier",
        (owner,),
    )
    return [(r[0], int(r[1]), float(r[2])) for r in rows]


def book_page(store: Store, owner: str, offset: int, limit: int) -> list[dict[str, Any]]:
    """A CSM's accounts, largest ARR first, one page at a time."""
    return store.query(
        "SELECT a.crm_id, a.name, a.arr, a.renewal_date, a.health, t.tier FROM accounts a "
        "JOIN account_tiers t ON t.crm_id = a.crm_id WHERE a.owner = ? "
        "ORDER BY a.arr DESC, a.crm_id LIMIT ? OFFSET ?",
        (owner, limit, offset),
    )


def renewals(store: Store, owner: str, start: str, end: str, limit: int) -> list[dict[str, Any]]:
    """A CSM's accounts renewing between ``start`` and ``end`` (ISO dates), soonest first."""
    return store.query(
        "SELECT a.crm_id, a.name, a.arr, a.renewal_date, t.tier FROM accounts a "
        "JOIN account_tiers t ON t.crm_id = a.crm_id "
        "WHERE a.owner = ? AND a.renewal_date BETWEEN ? AND ? ORDER BY a.renewal_date, a.crm_id LIMIT ?",
        (owner, start, end, limit),
    )
