"""Data gaps: per field, how many records lack it and which later steps that blocks."""

from __future__ import annotations

from engine.fields import ACCOUNT_FIELDS, CSM_FIELDS, TableSpec
from engine.gaps import GapReport, summarize_gaps, unlinked_manager_gap, unlinked_owner_gap
from store import Store, records
from store import accounts as account_queries
from store import csms as csm_queries

# Fields that can never be blank in the store (the schema requires them or gives a default), and
# the CSM's title, which blocks nothing (a note takes a title from the role without it).
_ALWAYS_SET = {"crm_id", "name", "arr", "strategic", "id", "role", "active", "title"}


def _optional(spec: TableSpec) -> list[str]:
    return [f.name for f in spec.fields if f.name not in _ALWAYS_SET]


def data_gaps(store: Store) -> GapReport:
    """Count blanks per field for accounts and CSMs."""
    accounts = records.count(store, "accounts")
    csms = records.count(store, "csms")
    gaps = summarize_gaps(ACCOUNT_FIELDS, records.blank_counts(store, "accounts", _optional(ACCOUNT_FIELDS)), accounts)
    unlinked = account_queries.unlinked_owner_count(store)
    if unlinked:
        gaps.append(unlinked_owner_gap(unlinked, accounts))
    gaps += summarize_gaps(CSM_FIELDS, records.blank_counts(store, "csms", _optional(CSM_FIELDS)), csms)
    unlinked_managers = csm_queries.unlinked_manager_count(store)
    if unlinked_managers:
        gaps.append(unlinked_manager_gap(unlinked_managers, csms))
    return GapReport(
        accounts=accounts,
        csms=csms,
        gaps=tuple(sorted(gaps, key=lambda g: (g.table != "accounts", -g.share))),
    )
