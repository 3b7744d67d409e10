"""Export accounts for the CRM: the flat file with a Tier column, safe to open in a spreadsheet."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.csv_safety import neutralise_frame
from engine.errors import CannotWrite, InputError
from engine.fields import ACCOUNT_FIELDS
from engine.matching import unknown_name
from store import Store, imports, records

TIER_HEADER = "Tier"
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
_INTERNAL = ("extra", "updated_at")


@dataclass(frozen=True)
class ExportReport:
    """What was written where."""

    path: Path
    rows: int
    columns: tuple[str, ...]
    tiered: int  # rows with a tier filled in


def export_accounts(store: Store, path: Path, columns: Sequence[str] | None = None) -> ExportReport:
    """Write every account, with its tier, to ``path`` (.csv or .xlsx).

    Headers are the CRM's own (from the latest import) so the file uploads back as it came;
    ``columns`` limits the export to some fields (``tier`` names the Tier column).
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"Cannot export to `{path.name}`: name the file .csv or .xlsx.")
    frame = records.load(store, "accounts")
    frame = _with_extra_columns(frame)
    tiers = records.current_tiers(store)
    frame[TIER_HEADER] = frame["crm_id"].map(tiers) if tiers is not None else None
    frame["strategic"] = frame["strategic"].map({1: "TRUE", 0: "FALSE"})
    frame = frame.drop(columns=[c for c in _INTERNAL if c in frame])
    if columns:
        frame = frame[_choose(columns, list(frame.columns))]
    if suffix == ".xlsx" and len(frame) > XLSX_MAX_ROWS:
        raise InputError(f"{len(frame):,} accounts do not fit in one Excel sheet: export to .csv instead.")
    headers = imports.last_mapping(store, "accounts")
    frame = frame.rename(columns={name: headers.get(name, name) for name in frame.columns})
    safe = neutralise_frame(_whole_numbers(frame))
    _write_atomically(safe, path)
    tiered = int(frame[TIER_HEADER].notna().sum()) if TIER_HEADER in frame else 0
    return ExportReport(path=path, rows=len(safe), columns=tuple(map(str, safe.columns)), tiered=tiered)


def _choose(wanted: Sequence[str], available: list[str]) -> list[str]:
    chosen = []
    for name in wanted:
        match = TIER_HEADER if name.lower() == "tier" else name
        if match not in available:
            raise unknown_name(f"`--columns {name}` is not an account column", name, available, "Columns")
        chosen.append(match)
    return chosen


def _with_extra_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Spread the JSON of extra attributes back into one column per attribute."""
    extras = frame["extra"].dropna()
    if extras.empty:
        return frame
    parsed = pd.DataFrame([json.loads(x) for x in extras], index=extras.index)
    known = {f.name for f in ACCOUNT_FIELDS.fields}
    parsed = parsed[[c for c in parsed.columns if c not in known]]
    return frame.join(parsed)


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Write 1200.0 as 1200 in columns that hold only whole numbers (that fit in 64 bits)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_float_dtype(series.dtype):
            present = series.dropna()
            if (present % 1 == 0).all() and (present.abs() < 2**53).all():
                out[column] = series.astype("Int64")
    return out


def _write_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write to a temporary file beside ``path`` and rename it: never a half-written export."""
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        # Created like any other file (the umask applies), so the export is readable as usual.
        temporary.open("x").close()
    except OSError as exc:
        raise CannotWrite(
            f"Cannot write {path}: {exc.strerror}. Check that the folder exists and is writable."
        ) from None
    try:
        if path.suffix.lower() == ".xlsx":
            frame.to_excel(temporary, index=False, engine="openpyxl")
        else:
            frame.to_csv(temporary, index=False)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CannotWrite(f"Cannot write {path}: {exc.strerror}. The previous file, if any, is unchanged.") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
