"""CSM roster queries."""

from __future__ import annotations

from store.db import Store


def people(store: Store) -> list[tuple[str, str | None, str | None]]:
    """Every CSM as (id, name, email): what references to people are resolved against."""
    return [(r[0], r[1], r[2]) for r in store.rows("SELECT id, name, email FROM csms")]


def relink_managers(store: Store, links: dict[str, str]) -> int:
    """Point managers written as a name or email at the CSM id they name."""
    store.require_transaction()
    total = 0
    for reference, csm_id in links.items():
        total += store.execute("UPDATE csms SET manager = ? WHERE manager = ?", (csm_id, reference)).rowcount
    return total


def unlinked_manager_count(store: Store) -> int:
    """CSMs whose manager is set but names nobody in the roster."""
    return int(
        str(
            store.scalar(
                "SELECT COUNT(*) FROM csms WHERE manager IS NOT NULL AND manager != '' "
                "AND manager NOT IN (SELECT id FROM csms)"
            )
        )
    )


def managers(store: Store) -> list[str]:
    """Every distinct manager reference."""
    return [r[0] for r in store.rows("SELECT DISTINCT manager FROM csms WHERE manager IS NOT NULL")]


def managers_of(store: Store, csm_ids: list[str]) -> set[str]:
    """The managers (roster ids) of these CSMs."""
    if not csm_ids:
        return set()
    marks = ", ".join("?" for _ in csm_ids)
    rows = store.rows(f"SELECT manager FROM csms WHERE manager IS NOT NULL AND id IN ({marks})", tuple(csm_ids))
    return {str(r[0]) for r in rows}


def active_csms(store: Store) -> list[dict]:
    """Active people with the csm role: who can own accounts and be asked for workload."""
    return store.query(
        "SELECT id, name, region, slack_user_id FROM csms WHERE active = 1 AND role = 'csm' ORDER BY name"
    )


def get(store: Store, csm_id: str) -> dict | None:
    rows = store.query("SELECT * FROM csms WHERE id = ?", (csm_id,))
    return rows[0] if rows else None


def by_slack_id(store: Store, slack_user_id: str) -> dict | None:
    rows = store.query("SELECT * FROM csms WHERE slack_user_id = ? ORDER BY active DESC LIMIT 1", (slack_user_id,))
    return rows[0] if rows else None


def owned_count(store: Store, csm_id: str) -> int:
    return int(str(store.scalar("SELECT COUNT(*) FROM accounts WHERE owner = ?", (csm_id,))))
