"""Each account's place in the ARR ranking, kept so one account is explained from its own rows.

The ranks depend on every account's ARR, so they are computed for the whole book at once (in
``workflows.books``, with the engine's ``arr_rank_fields``) and stored with the ARR version they
belong to (the token of ``arr_version``). ``current`` tells whether they still describe the
store; a reader that finds them stale computes the account's ranks the long way instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.decisions import ArrRanks
from store import meta
from store.db import Store
from store.records import ARR_VERSION

COMPUTED_AT = "account_ranks_of"  # meta: the ARR version token the stored ranks were computed at


def computed_at(store: Store) -> str:
    value = store.scalar("SELECT value FROM meta WHERE key = ?", (COMPUTED_AT,))
    return str(value) if value is not None else ""


def current(store: Store) -> bool:
    """Whether the stored ranks belong to the accounts' ARRs as they are now."""
    with store.snapshot():
        token = meta.token(store, ARR_VERSION)
        return bool(token) and computed_at(store) == token


def get(store: Store, crm_id: str) -> ArrRanks | None:
    """One account's stored ranks (check ``current`` first), or None if it has none."""
    rows = store.rows(
        "SELECT arr_share_rank, account_share_rank, arr_percentile FROM account_ranks WHERE crm_id = ?", (crm_id,)
    )
    if not rows:
        return None
    return ArrRanks(*(float("nan") if v is None else float(v) for v in rows[0]))


def replace(
    store: Store,
    crm_ids: Sequence[str],
    ranks: tuple[Sequence[float], Sequence[float], Sequence[float]],
    token: str,
) -> bool:
    """Store the ranks computed at ARR version ``token``; nothing if the ARRs changed since (the
    next refresh computes them again). Returns whether they were stored."""
    with store.transaction():
        if meta.token(store, ARR_VERSION) != token:
            return False
        store.execute("DELETE FROM account_ranks")
        store.executemany(
            "INSERT INTO account_ranks(crm_id, arr_share_rank, account_share_rank, arr_percentile) VALUES (?, ?, ?, ?)",
            zip(crm_ids, *ranks, strict=True),
        )
        store.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (COMPUTED_AT, token),
        )
    return True
