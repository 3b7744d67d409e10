"""What an export reads beside the accounts: each account's current tier, in the book's order.

The export streams the accounts a batch at a time (``store.columnar.batches``, rowid order);
the tiers come the same way, from the ``account_tiers`` view's own SQL ordered by the accounts'
rowid, so the two streams line up batch for batch without a lookup per account. The view's
``today`` is the store's clock (as in the TEMP view every tierbot connection has), passed as a
parameter because Arrow's SQLite driver reads through a connection of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from engine.errors import StoreError
from store import columnar
from store.db import Store, sql_literal
from store.migrations import ACCOUNT_TIERS_ON

if TYPE_CHECKING:
    import pyarrow as pa

# The view's `today` is filled in as a literal (the store's clock; Arrow's driver reads through a
# connection of its own, without tierbot's TEMP view).
_TIERS_IN_BOOK_ORDER = "SELECT crm_id, tier FROM (" + ACCOUNT_TIERS_ON + " ORDER BY a.rowid)"


def tiers_in_book_order(store: Store, size: int = 65_536) -> Iterator[pa.RecordBatch]:
    """(crm_id, tier) of every account, in rowid order, as batches of about ``size`` rows.

    The caller checks each batch's ids against the accounts it reads: a batch that does not line
    up (the book changed between the two reads, or an account with two overrides in force) is the
    caller's cue to look its tiers up by id instead. A failure of the driver ends the stream early
    with an exception, for the same reason.
    """
    import pyarrow as pa

    if not columnar.worth_a_child(store, "accounts"):
        # A small book: each chunk's tiers are looked up by id sooner than a child process starts.
        raise StoreError("a small book: tiers are looked up by id")
    schema = pa.schema([("crm_id", pa.large_string()), ("tier", pa.large_string())])
    sql = _TIERS_IN_BOOK_ORDER.format(today=sql_literal(store.today()))
    with columnar.ArrowRows(store, sql, batch_rows=size) as rows:
        for batch in rows:
            if batch.num_rows:
                yield pa.RecordBatch.from_arrays(
                    [batch.column(i).cast(field.type) for i, field in enumerate(schema)], schema=schema
                )


def tiers_of(store: Store, crm_ids: list[str]) -> dict[str, str | None]:
    """The current tier of each of these accounts (the TEMP view: today is the store's clock)."""
    import json

    sql = "SELECT crm_id, tier FROM account_tiers WHERE crm_id IN (SELECT value FROM json_each(?))"
    return {str(r[0]): r[1] for r in store.rows(sql, (json.dumps(crm_ids, ensure_ascii=False),))}
