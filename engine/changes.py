"""Compare an incoming table with what the store holds: new rows, changed rows, and exactly what
changed in each (for the audit log), so that importing the same file twice changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class RowChanges:
    """What writing ``incoming`` would do."""

    new: pd.DataFrame
    changed: pd.DataFrame
    before: list[dict[str, Any]] = field(default_factory=list)  # per changed row, changed fields only
    after: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0


def plain(value: Any) -> Any:
    """A JSON-friendly Python value: numpy scalars unwrapped, NaN as None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality where two blanks are equal and 12 equals 12.0."""
    a_obj = a.astype(object)
    b_obj = b.astype(object)
    a_na = a_obj.isna().to_numpy()
    b_na = b_obj.isna().to_numpy()
    equal = np.asarray(a_obj.to_numpy() == b_obj.to_numpy(), dtype=bool)
    return (a_na & b_na) | (~a_na & ~b_na & equal)


def compare_rows(existing: pd.DataFrame, incoming: pd.DataFrame, key: str, columns: Sequence[str]) -> RowChanges:
    """Split ``incoming`` into new rows and rows whose ``columns`` differ from ``existing``.

    ``existing`` must hold ``key`` and ``columns``; columns of the incoming file that the file
    did not have are not passed in ``columns``, so their stored values are left alone.
    """
    if existing.empty:
        return RowChanges(new=incoming, changed=incoming.iloc[0:0])
    stored = existing.set_index(key)
    # As Python objects: pandas' isin on Arrow-backed text walks the values in Python (2 s a million).
    known = incoming[key].astype(object).isin(stored.index).to_numpy()
    new = incoming[~known]
    overlap = incoming[known]
    if overlap.empty:
        return RowChanges(new=new, changed=overlap)
    current = stored.loc[overlap[key].to_numpy()]
    differs: dict[str, np.ndarray] = {}
    for column in columns:
        if column == key:
            continue
        differs[column] = ~_same(current[column], overlap[column])
    any_diff = np.zeros(len(overlap), dtype=bool)
    for mask in differs.values():
        any_diff |= mask
    changed = overlap[any_diff]
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    positions = np.flatnonzero(any_diff)
    for position in positions:
        b: dict[str, Any] = {}
        a: dict[str, Any] = {}
        for column, mask in differs.items():
            if mask[position]:
                b[column] = plain(current[column].iloc[position])
                a[column] = plain(overlap[column].iloc[position])
        before.append(b)
        after.append(a)
    return RowChanges(
        new=new,
        changed=changed,
        before=before,
        after=after,
        unchanged=int(len(overlap) - len(changed)),
    )
