"""CSM roster queries."""

from __future__ import annotations

from store.db import Store


def references(store: Store) -> dict[str, str]:
    """Every way an export may name a CSM (id, email, name), each pointing at the CSM id.

    Keys come both as written and in lower case with single spaces, so "jane DOE " matches.
    """
    refs: dict[str, str] = {}
    for csm_id, email, name in store.conn.execute("SELECT id, email, name FROM csms"):
        for ref in (name, email, csm_id):
            if ref:
                refs[str(ref)] = csm_id
                refs[" ".join(str(ref).lower().split())] = csm_id
    return refs
