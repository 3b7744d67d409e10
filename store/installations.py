"""Slack installations (OAuth installs and their bots) and the OAuth states handed out."""

from __future__ import annotations

import json

from store.db import Store


def save(
    store: Store,
    kind: str,
    *,
    client_id: str,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str | None,
    installed_at: float,
    data: dict,
) -> None:
    store.execute(
        "INSERT INTO slack_installations(kind, client_id, enterprise_id, team_id, user_id, installed_at, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (kind, client_id, enterprise_id, team_id, user_id, installed_at, json.dumps(data, default=str)),
    )


def _where(
    kind: str, client_id: str, enterprise_id: str | None, team_id: str | None, user_id: str | None
) -> tuple[str, tuple]:
    # `IS` compares NULLs as equal: an org-wide install has no team, a workspace install no enterprise.
    sql = "kind = ? AND client_id = ? AND enterprise_id IS ? AND team_id IS ?"
    params: tuple = (kind, client_id, enterprise_id, team_id)
    if user_id is not None:
        sql += " AND user_id = ?"
        params += (user_id,)
    return sql, params


def latest(
    store: Store,
    kind: str,
    *,
    client_id: str,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str | None = None,
) -> dict | None:
    """The newest record matching, as saved."""
    where, params = _where(kind, client_id, enterprise_id, team_id, user_id)
    value = store.scalar(f"SELECT data FROM slack_installations WHERE {where} ORDER BY id DESC LIMIT 1", params)
    return json.loads(str(value)) if value is not None else None


def delete(
    store: Store,
    kind: str,
    *,
    client_id: str,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str | None = None,
) -> int:
    where, params = _where(kind, client_id, enterprise_id, team_id, user_id)
    return store.execute(f"DELETE FROM slack_installations WHERE {where}", params).rowcount


def add_state(store: Store, state: str, expires_at: float) -> None:
    store.execute("INSERT INTO slack_oauth_states(state, expires_at) VALUES (?, ?)", (state, expires_at))


def consume_state(store: Store, state: str, now: float) -> bool:
    """Use a state once: True when it was handed out and has not expired."""
    row = store.scalar("SELECT expires_at FROM slack_oauth_states WHERE state = ?", (state,))
    store.execute("DELETE FROM slack_oauth_states WHERE state = ? OR expires_at < ?", (state, now))
    return row is not None and float(str(row)) >= now
