"""Order- and subscription-level files made into one account per id, and ARR read from MRR.

Sales exports often have a row per order or subscription: stored as accounts, each customer's
first order became its ARR. ``Rollup`` folds the checked rows, a part at a time, into one row
per id: ``sum`` adds the ARR of every row, ``last`` takes the latest row's; either way the
other fields come from the latest row (by the file's order date, else its contract or renewal
date, else the last row in the file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import FileRefused, UnknownName
from engine.fields import TableSpec, header_key

AGGREGATIONS = ("sum", "last")
# Headers of a monthly amount: ARR is 12 times it.
MRR_HEADERS = frozenset(
    header_key(h)
    for h in (
        "MRR",
        "MRR (USD)",
        "Monthly Recurring Revenue",
        "Monthly Recurring Revenue (USD)",
        "Monthly Revenue",
        "Current MRR",
        "Total MRR",
    )
)
# Headers of the date a row of an order or subscription file happened, best first.
ORDER_DATE_HEADERS = tuple(
    header_key(h)
    for h in (
        "Order Date",
        "Invoice Date",
        "Transaction Date",
        "Purchase Date",
        "Booking Date",
        "Billing Date",
        "Payment Date",
        "Close Date",
        "Closed Date",
        "Subscription Start Date",
        "Subscription Start",
        "Period Start",
        "Start Date",
        "Created Date",
        "Date",
    )
)
_DATE_FIELDS = ("contract_start", "renewal_date")


def mrr_column(
    headers: Sequence[str], mapped: Mapping[str, str], explicit: str | None, arr_found: bool, source: str
) -> str | None:
    """The column ARR is read from as 12 × a monthly amount: ``--mrr``'s, or an MRR header.

    An ARR column (found or mapped) wins over a recognised MRR header.
    """
    if explicit is not None:
        if "arr" in mapped:
            raise UnknownName("`--mrr` and `--map arr=…` both say where ARR comes from: give one of them.", "arr")
        match = (
            explicit
            if explicit in headers
            else next((h for h in headers if header_key(h) == header_key(explicit)), None)
        )
        if match is None:
            shown = ", ".join(f"`{h}`" for h in headers)
            raise FileRefused(f"--mrr `{explicit}`: the file has no such column (columns: {shown}).")
        return match
    if arr_found or "arr" in mapped:
        return None
    return next((h for h in headers if header_key(h) in MRR_HEADERS), None)


def order_column(spec: TableSpec, fields: Mapping[str, str], extra: Sequence[str]) -> tuple[str | None, str | None]:
    """Which column dates a row, as (field, header): an order date, else contract start or renewal."""
    keys = {header_key(h): h for h in reversed(extra)}
    for key in ORDER_DATE_HEADERS:
        if key in keys:
            return None, keys[key]
    for name in _DATE_FIELDS:
        if name in fields and name in spec.names:
            return name, fields[name]
    return None, None


@dataclass(frozen=True)
class RollupSummary:
    """What a rollup made: ``rows`` of the file became ``accounts`` (ids left out not counted)."""

    how: str
    rows: int
    accounts: int
    latest_by: str | None

    def note(self) -> str:
        latest = f"its latest row by `{self.latest_by}`" if self.latest_by else "its last row in the file"
        what = (
            f"each account's ARR is the sum of its rows; its other fields come from {latest}"
            if self.how == "sum"
            else f"each account is {latest}"
        )
        return f"Aggregated {self.rows:,} rows into {self.accounts:,} accounts (--aggregate {self.how}): {what}."


class Rollup:
    """Folds checked rows into one row per id, a part of the file at a time."""

    def __init__(self, how: str, key: str = "crm_id"):
        if how not in AGGREGATIONS:
            raise UnknownName(f"`--aggregate {how}`: use sum or last.", how)
        self.how, self.key = how, key
        self.latest: pd.DataFrame | None = None  # one row per id: the latest so far
        self.arr_sums: pd.Series | None = None
        self.counts: pd.Series | None = None  # rows folded in, per id
        self.left_out: set[str] = set()  # ids with a row in error: never rolled up from the rest

    def add(self, rows: pd.DataFrame, dates: pd.Series, row_numbers: np.ndarray) -> None:
        """Fold in the next part's valid rows, with each row's date (ISO text or blank) and row number."""
        if rows.empty:
            return
        part = rows.assign(_date=dates.to_numpy(dtype=object), _row=row_numbers)
        groups = part.groupby(self.key, sort=False)
        counts = groups.size()
        self.counts = counts if self.counts is None else self.counts.add(counts, fill_value=0).astype("int64")
        if self.how == "sum":
            sums = groups["arr"].sum()
            self.arr_sums = sums if self.arr_sums is None else self.arr_sums.add(sums, fill_value=0)
        joined = part if self.latest is None else pd.concat([self.latest, part], ignore_index=True)
        self.latest = _latest_per_id(joined, self.key)

    def leave_out(self, ids: Sequence[str]) -> None:
        """Ids with a row in error: their other rows would give a wrong sum or a wrong latest row."""
        self.left_out.update(str(i) for i in ids)

    def result(self) -> pd.DataFrame:
        """One row per id (ids left out excluded), in the order each id first appeared."""
        if self.latest is None:
            return pd.DataFrame()
        out = self.latest.sort_values("_first", kind="stable") if "_first" in self.latest else self.latest
        out = out[~out[self.key].isin(self.left_out)]
        if self.how == "sum" and self.arr_sums is not None:
            out = out.assign(arr=out[self.key].map(self.arr_sums).to_numpy())
        return out.drop(columns=[c for c in ("_date", "_row", "_first") if c in out]).reset_index(drop=True)

    def left_out_rows(self) -> list[tuple[str, int, int]]:
        """The ids left out that had good rows: (id, first good row, good rows), by id."""
        if self.latest is None or self.counts is None or not self.left_out:
            return []
        latest = self.latest[self.latest[self.key].isin(self.left_out)]
        first = dict(zip(latest[self.key], latest["_first"], strict=True))
        return [(str(key), int(first[key]), int(self.counts[key])) for key in sorted(first)]

    def summary(self, latest_by: str | None) -> RollupSummary:
        """How many good rows became how many accounts (ids left out counted in neither)."""
        if self.counts is None:
            return RollupSummary(self.how, 0, 0, latest_by)
        kept = self.counts[~self.counts.index.isin(list(self.left_out))]
        return RollupSummary(self.how, int(kept.sum()), len(kept), latest_by)


def _latest_per_id(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Each id's latest row: by date (a blank date counts as earliest), then by row number."""
    first = rows.groupby(key, sort=False)["_row"].transform("min")
    if "_first" in rows:
        first = np.minimum(first, rows.groupby(key, sort=False)["_first"].transform("min"))
    ordered = rows.assign(_first=first, _has_date=rows["_date"].notna()).sort_values(
        ["_has_date", "_date", "_row"], kind="stable", na_position="first"
    )
    return ordered.drop_duplicates(key, keep="last").drop(columns="_has_date")
