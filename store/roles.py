"""Roles granted by hand, and the roster's own roles, by Slack id."""

from __future__ import annotations

from store.db import Store


def grant(store: Store, subject: str, role: str, actor: str, at: str) -> bool:
    """Grant ``role`` to a Slack user or user group; False when it was already granted."""
    cursor = store.execute(
        "INSERT OR IGNORE INTO role_grants(subject, role, granted_by, granted_at) VALUES (?, ?, ?, ?)",
        (subject, role, actor, at),
    )
    return cursor.rowcount == 1


def revoke(store: Store, subject: str, role: str) -> bool:
    """Take a granted role back; False when it was not granted."""
    return store.execute("DELETE FROM role_grants WHERE subject = ? AND role = ?", (subject, role)).rowcount == 1


def grants(store: Store) -> list[dict]:
    """Every hand-made grant, by subject then role."""
    return store.query("SELECT subject, role, granted_by, granted_at FROM role_grants ORDER BY subject, role")


def granted_roles(store: Store, subjects: list[str]) -> set[str]:
    """The roles granted to any of ``subjects`` (a user id and the ids of their groups)."""
    if not subjects:
        return set()
    marks = ", ".join("?" for _ in subjects)
    return {r[0] for r in store.rows(f"SELECT role FROM role_grants WHERE subject IN ({marks})", tuple(subjects))}


def group_subjects(store: Store) -> list[str]:
    """The user groups that hold a grant (their members must be looked up in Slack)."""
    return [r[0] for r in store.rows("SELECT DISTINCT subject FROM role_grants WHERE subject LIKE 'S%'")]


def roster_people(store: Store) -> list[dict]:
    """Active CSMs with a Slack user id: id, name, slack_user_id, role, manager."""
    return store.query(
        "SELECT id, name, slack_user_id, role, manager FROM csms "
        "WHERE active = 1 AND slack_user_id IS NOT NULL AND slack_user_id != '' ORDER BY name"
    )


def roster_person(store: Store, slack_user_id: str) -> dict | None:
    """The active CSM with this Slack user id, if any."""
    rows = store.query(
        "SELECT id, name, slack_user_id, role, manager FROM csms WHERE active = 1 AND slack_user_id = ? LIMIT 1",
        (slack_user_id,),
    )
    return rows[0] if rows else None
