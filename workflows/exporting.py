"""Export accounts for the CRM: the flat file with a Tier column, safe to open in a spreadsheet."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.csv_safety import neutralise_frame
from engine.errors import InputError
from engine.fields import ACCOUNT_FIELDS, header_key
from engine.forms import People, write_back
from engine.matching import unknown_name
from engine.people import build_roster
from store import Store, imports, records
from store import csms as csm_queries
from workflows.outputs import check_output, write_table_atomically

TIER_HEADER = "Tier"
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
_FIELDS = [f.name for f in ACCOUNT_FIELDS.fields]


@dataclass(frozen=True)
class ExportReport:
    """What was written where."""

    path: Path
    rows: int
    columns: tuple[str, ...]
    tiered: int  # rows with a tier filled in


def export_accounts(
    store: Store,
    path: Path,
    columns: Sequence[str] | None = None,
    all_columns: bool = False,
    normalised: bool = False,
    force: bool = False,
) -> ExportReport:
    """Write every account, with its tier, to ``path`` (.csv or .xlsx).

    After an import the file goes back the way it came: the CRM's columns, in its order, under
    its headers (columns blank on every row too), with the Tier column filled (or added), and
    every value tierbot did not change written as the file wrote it (``1,240,000.00``,
    ``5/21/2027``, ``Korea``, the owner's name); a changed value is written in its column's
    form. ``normalised`` writes tierbot's forms instead (1240000, 2027-05-21, South Korea, the
    roster id). ``all_columns`` adds every field tierbot holds; ``columns`` picks some (field
    names or the CRM's headers; ``tier`` is the Tier column).
    """
    check_output(path, store_path=store.path, force=force)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"Cannot export to `{path.name}`: name the file .csv or .xlsx.")
    frame = records.load(store, "accounts", [*_FIELDS, "extra", "written"])
    extras = _extra_columns(frame.pop("extra"))
    written = frame.pop("written")
    latest = imports.latest(store, "accounts")
    forms = latest.options.get("forms", {}) if latest is not None else {}
    if latest is not None and latest.options.get("mrr"):
        frame["arr"] = frame["arr"] / 12  # the file had a monthly column: it goes back monthly
    roster = build_roster(csm_queries.people(store))
    people = People(roster.resolve, {csm_id: (name, email) for csm_id, name, email in csm_queries.people(store)})
    cells = write_back(
        ACCOUNT_FIELDS,
        frame,
        forms,
        written,
        people,
        normalised=normalised,
        numbers_as_numbers=suffix == ".xlsx",
    )
    tiers = records.current_tiers(store)
    cells["tier"] = frame["crm_id"].map(tiers) if tiers is not None else None
    layout = _layout(latest, list(extras.columns), all_columns)
    if columns:
        layout = _choose(columns, layout)
    if suffix == ".xlsx" and len(frame) > XLSX_MAX_ROWS:
        raise InputError(f"{len(frame):,} accounts do not fit in one Excel sheet: export to .csv instead.")
    source = cells.join(extras)
    blank = pd.Series(None, index=source.index, dtype=object)
    # A column blank on every row of the CRM file has no values stored, and goes back blank.
    out = pd.DataFrame({header: source.get(column, blank) for column, header in layout}, index=source.index)
    safe = neutralise_frame(out)
    write_table_atomically(safe, path, store_path=store.path, force=force)
    tiered = int(cells["tier"].notna().sum())
    return ExportReport(path=path, rows=len(safe), columns=tuple(map(str, safe.columns)), tiered=tiered)


def _layout(latest: imports.ImportRecord | None, extras: list[str], all_columns: bool) -> list[tuple[str, str]]:
    """(source column, header) pairs: the CRM file's own columns where one was imported."""
    header_of = dict(latest.mapping) if latest else {}
    layout: list[tuple[str, str]] = []
    if latest is not None:
        field_of = {header: name for name, header in latest.mapping.items()}
        for header in latest.options.get("headers") or list(latest.mapping.values()):
            if header in field_of:
                layout.append((field_of[header], header))
            elif header_key(header) == header_key(TIER_HEADER):
                layout.append(("tier", header))  # the CRM's own Tier column gets the tiers
            else:
                layout.append((header, header))
        if "crm_id" not in latest.mapping:
            layout.insert(0, ("crm_id", "crm_id"))  # ids tierbot derived: needed to import back
    if latest is None or all_columns:
        used = {column for column, _ in layout}
        layout += [(name, header_of.get(name, name)) for name in _FIELDS if name not in used]
        layout += [(extra, extra) for extra in extras if extra not in used]
    if "tier" not in {column for column, _ in layout}:
        layout.append(("tier", TIER_HEADER))
    return layout


def _choose(wanted: Sequence[str], layout: list[tuple[str, str]]) -> list[tuple[str, str]]:
    by_name = {column: (column, header) for column, header in layout} | {
        header_key(header): (column, header) for column, header in layout
    }
    chosen = []
    for name in wanted:
        match = by_name.get(name) or by_name.get(header_key(name))
        if match is None:
            options = list(dict.fromkeys([c for c, _ in layout] + [h for _, h in layout]))
            raise unknown_name(f"`--columns {name}` is not a column of the export", name, options, "Columns")
        chosen.append(match)
    return chosen


def _extra_columns(extra: pd.Series) -> pd.DataFrame:
    """The JSON of extra attributes spread back into one column per attribute."""
    present = extra.dropna()
    if present.empty:
        return pd.DataFrame(index=extra.index)
    parsed = pd.DataFrame([json.loads(x) for x in present], index=present.index)
    return parsed.reindex(extra.index)
