"""The audit trail: who changed what and when, for the whole store or one record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store import Store, audit, imports
from store import accounts as account_queries
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp


@dataclass(frozen=True)
class AuditTrail:
    """Audit entries, newest first; for an account, also what created it."""

    entity: str | None
    entries: tuple[dict[str, Any], ...]
    created: str | None = None  # "import 3 of accounts.csv by cli:alice on 2026-11-22", "the demo"


def audit_trail(store: Store, *, limit: int = 20, entity: str | None = None) -> AuditTrail:
    """The latest entries (of one entity, e.g. ``account:ACC-0000001``)."""
    entries = tuple(audit.recent(store, limit, entity))
    created = None
    if entity and entity.startswith("account:"):
        origin = account_queries.provenance(store, entity.split(":", 1)[1])
        if origin == "demo":
            created = "the demo workspace"
        elif origin and origin.startswith("import:"):
            found = [r for r in imports.recent(store, 10_000) if r.id == int(origin.split(":", 1)[1])]
            created = (
                f"import {found[0].id} of {found[0].file_name} by {found[0].actor} on {found[0].at[:10]}"
                if found
                else origin
            )
    return AuditTrail(entity, entries, created)


def record_refusal(store: Store, reason: str, *, actor: str, details: dict[str, Any], clock: Clock) -> None:
    """Write a request refused before it reached anyone (forged, stale, replayed, too large)."""
    with store.transaction():
        audit.record(
            store,
            [AuditEntry(timestamp(clock), actor, "slack.refused", "slack_request", None, {"reason": reason} | details)],
        )
