"""Import status: what the store holds and the latest imports that changed it."""

from __future__ import annotations

from dataclasses import dataclass

from store import Store, imports, records


@dataclass(frozen=True)
class ImportSummary:
    """One past import, as people want to see it."""

    id: int
    kind: str
    file_name: str
    at: str
    actor: str
    rows_read: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    warnings: int


@dataclass(frozen=True)
class WorkspaceStatus:
    """What the store holds."""

    path: str
    accounts: int
    csms: int
    imports: tuple[ImportSummary, ...]


def workspace_status(store: Store, limit: int = 5) -> WorkspaceStatus:
    """Counts of accounts and CSMs, and the latest imports."""
    recent = tuple(
        ImportSummary(
            id=row["id"],
            kind=row["kind"],
            file_name=row["file_name"],
            at=row["at"],
            actor=row["actor"],
            rows_read=row["rows_read"],
            created=row["created"],
            updated=row["updated"],
            unchanged=row["unchanged"],
            skipped=row["skipped"],
            warnings=row["warnings"],
        )
        for row in imports.recent(store, limit)
    )
    return WorkspaceStatus(
        path=str(store.path),
        accounts=records.count(store, "accounts"),
        csms=records.count(store, "csms"),
        imports=recent,
    )
