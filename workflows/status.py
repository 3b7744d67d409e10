"""Import status: what the store holds and the latest imports that changed it."""

from __future__ import annotations

from dataclasses import dataclass

from store import Store, imports, records
from store.imports import ImportRecord


@dataclass(frozen=True)
class WorkspaceStatus:
    """What the store holds."""

    path: str
    accounts: int
    csms: int
    imports: tuple[ImportRecord, ...]


def workspace_status(store: Store, limit: int = 5) -> WorkspaceStatus:
    """Counts of accounts and CSMs, and the latest imports."""
    recent = tuple(imports.recent(store, limit))
    return WorkspaceStatus(
        path=str(store.path),
        accounts=records.count(store, "accounts"),
        csms=records.count(store, "csms"),
        imports=recent,
    )
