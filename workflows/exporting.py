"""Export accounts for the CRM: the flat file with a Tier column, safe to open in a spreadsheet.

The book is streamed: a chunk of accounts at a time is read (Arrow, rowid order), written back in
the CRM's forms, given its tiers, neutralised column by column and appended to the file, so
memory stays flat in the size of the book and no cell passes through a Python loop unless it
needs one (a cell kept as the CRM wrote it, a formula to neutralise in an XLSX number column).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Full, Queue
from typing import TYPE_CHECKING, Any, TypeVar

from engine.arrow_text import large_text, text_bytes, text_scalar
from engine.csv_safety import neutralise_array, neutralise_cell
from engine.errors import InputError
from engine.fields import ACCOUNT_FIELDS, header_key
from engine.forms import CellWriter, People
from engine.matching import unknown_name
from engine.people import build_roster
from store import Store, columnar, exports, imports, records
from store import csms as csm_queries
from workflows.outputs import check_output, write_chunks_atomically

if TYPE_CHECKING:
    import pyarrow as pa

TIER_HEADER = "Tier"
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
CHUNK_ROWS = 16_384  # rows per chunk: enough for Arrow and numpy to pay, few enough to keep memory low
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
    chunk_rows: int = CHUNK_ROWS,
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
    latest = imports.latest(store, "accounts")
    # The extra attributes become columns of their own only where the layout lists them all.
    extras = _extra_keys(store, chunk_rows) if latest is None or all_columns else []
    layout = _layout(latest, extras, all_columns)
    if columns:
        layout = _choose(columns, layout)
    total = records.count(store, "accounts")
    if suffix == ".xlsx" and total > XLSX_MAX_ROWS:
        raise InputError(f"{total:,} accounts do not fit in one Excel sheet: export to .csv instead.")
    roster = build_roster(csm_queries.people(store))
    people = People(roster.resolve, {csm_id: (name, email) for csm_id, name, email in csm_queries.people(store)})
    book = _Book(
        store,
        layout,
        forms=latest.options.get("forms", {}) if latest is not None else {},
        monthly=bool(latest is not None and latest.options.get("mrr")),
        people=people,
        normalised=normalised,
        numbers_as_numbers=suffix == ".xlsx",
    )
    headers = [str(neutralise_cell(str(header))) for _, header in layout]
    with contextlib.closing(book.chunks(chunk_rows)) as chunks:
        rows = write_chunks_atomically(headers, chunks, path, store_path=store.path, force=force)
    return ExportReport(path=path, rows=rows, columns=tuple(headers), tiered=book.tiered)


class _Book:
    """The export's cells, a chunk of accounts at a time, in the layout's columns."""

    def __init__(
        self,
        store: Store,
        layout: list[tuple[str, str]],
        *,
        forms: dict[str, Any],
        monthly: bool,
        people: People,
        normalised: bool,
        numbers_as_numbers: bool,
    ):
        self.store, self.layout, self.monthly, self.normalised = store, layout, monthly, normalised
        self.writer = CellWriter(
            ACCOUNT_FIELDS, forms, people, normalised=normalised, numbers_as_numbers=numbers_as_numbers
        )
        wanted = {column for column, _ in layout}
        # Only the fields the file shows are read (the id always: it lines the tiers up).
        self.fields = [name for name in _FIELDS if name in wanted or name == "crm_id"]
        self.extras = [column for column in dict.fromkeys(wanted) if column not in _FIELDS and column != "tier"]
        self.tiered = 0

    def chunks(self, size: int) -> Generator[list[pa.Array | list[Any]], None, None]:
        """The layout's columns, a chunk of accounts at a time (close it to stop the readers)."""
        # The next chunk is read (SQLite and Arrow's driver, in C) while this one is worked on.
        reader = _in_background(self._read(size))
        try:
            for batch, tiers in reader:
                yield self._cells(batch, tiers)
        finally:
            reader.close()

    def _cells(self, batch: pa.RecordBatch, tier: pa.Array) -> list[pa.Array | list[Any]]:
        import pyarrow as pa
        import pyarrow.compute as pc

        values = {name: batch.column(name) for name in self.fields}
        if self.monthly and "arr" in values:
            values["arr"] = pc.divide(values["arr"], 12.0)  # the file had a monthly column: it goes back monthly
        written = None if self.normalised else batch.column("written")
        cells: dict[str, pa.Array | list[Any]] = dict(self.writer.cells(pa.RecordBatch.from_pydict(values), written))
        self.tiered += len(tier) - tier.null_count
        cells["tier"] = tier
        extra = _extra_cells(batch.column("extra"), self.extras) if self.extras else {}
        blank = pa.nulls(batch.num_rows, pa.large_string())
        return [_neutralise(cells[c] if c in cells else extra.get(c, blank)) for c, _ in self.layout]

    def _read(self, size: int) -> Iterator[tuple[pa.RecordBatch, pa.Array]]:
        """Each chunk of accounts and its accounts' tiers.

        Runs in the reader's thread, which alone uses the store's connection during the export
        (for the tiers looked up by id, and the exact reader's snapshot if Arrow's driver fails).
        """
        read = [*self.fields, *(["written"] if not self.normalised else []), *(["extra"] if self.extras else [])]
        # The tiers are read by a thread of their own too: neither read waits for the other.
        stream = _in_background(exports.tiers_in_book_order(self.store, size))
        try:
            tiers = _Tiers(self.store, stream)
            for batch in columnar.batches(self.store, "accounts", read, size=size):
                yield batch, tiers.of(batch.column("crm_id"))
        finally:
            stream.close()


def _neutralise(cells: pa.Array | list[Any]) -> pa.Array | list[Any]:
    if isinstance(cells, list):  # an XLSX number column: numbers stay numbers
        return [neutralise_cell(cell) for cell in cells]
    return neutralise_array(cells)


class _Tiers:
    """Each chunk's tiers: from the stream in the book's order while it lines up, else by id.

    The stream (``exports.tiers_in_book_order``) is cut into as many rows as each chunk of
    accounts has and checked against the chunk's ids. If the book changed between the two reads,
    an account has two overrides in force or the driver failed, that chunk and the rest are
    looked up by id through the store's own connection (its ``account_tiers`` view) instead.
    """

    def __init__(self, store: Store, stream: Iterator[pa.RecordBatch]):
        self.store = store
        self.stream: Iterator[pa.RecordBatch] | None = stream
        self.pending: list[pa.RecordBatch] = []

    def of(self, crm_ids: pa.Array) -> pa.Array:
        import pyarrow as pa

        ids = large_text(crm_ids)
        streamed = self._take(len(ids))
        if streamed is not None and streamed.column(0).equals(ids):
            return streamed.column(1)
        self.stream, self.pending = None, []
        wanted = ids.to_pylist()
        found = exports.tiers_of(self.store, wanted)
        return pa.array([found.get(crm_id) for crm_id in wanted], type=pa.large_string())

    def _take(self, rows: int) -> pa.RecordBatch | None:
        """The stream's next ``rows`` rows (fewer where it ends; None once it has strayed or failed)."""
        import pyarrow as pa

        if self.stream is None:
            return None
        try:
            have = sum(b.num_rows for b in self.pending)
            while have < rows and (batch := next(self.stream, None)) is not None:
                self.pending.append(batch)
                have += batch.num_rows
        except Exception:  # the driver failed mid-way: the lookup by id is exact, only slower
            return None
        if len(self.pending) == 1 and have == rows:  # the usual case: the two streams' batches match
            return self.pending.pop()
        schema = pa.schema([("crm_id", pa.large_string()), ("tier", pa.large_string())])
        table = pa.Table.from_batches(self.pending, schema=schema).combine_chunks()
        self.pending = table.slice(rows).combine_chunks().to_batches()
        taken = table.slice(0, rows).to_batches()
        return taken[0] if taken else None


T = TypeVar("T")


def _in_background(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """The items, produced by a thread up to ``depth`` ahead of the consumer.

    Reading the book is C (SQLite, Arrow's driver) and so is most of the work on a chunk (Arrow,
    numpy), both without Python's lock: on two cores the read costs little wall time. Memory
    holds ``depth`` chunks more. An error in the thread is raised in the consumer; a consumer
    that stops early stops the thread, which closes the reader.
    """
    queue: Queue[tuple[Any, BaseException | None]] = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: Any, error: BaseException | None = None) -> bool:
        while not stop.is_set():
            try:
                queue.put((item, error), timeout=0.05)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    break
            else:
                put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(None, exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="export-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


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


def _extra_keys(store: Store, size: int) -> list[str]:
    """The extra attributes' names, in the order the accounts first have them (one pass over the
    JSON column only)."""
    keys: dict[str, None] = {}
    for batch in columnar.batches(store, "accounts", ["extra"], size=size):
        keys.update(dict.fromkeys(_json_keys(batch.column(0))))
    return list(keys)


def _json_lines(extra: pa.Array) -> pa.BufferReader:
    """The JSON objects of a column, one per line (a blank as ``{}``), as a JSON-lines file."""
    import pyarrow as pa
    import pyarrow.compute as pc

    objects = pc.fill_null(large_text(extra), text_scalar("{}"))
    return pa.BufferReader(text_bytes(pc.binary_join_element_wise(objects, text_scalar("\n"), text_scalar(""))))


def _json_keys(extra: pa.Array) -> list[str]:
    import pyarrow as pa
    import pyarrow.json as pj

    if extra.null_count == len(extra):
        return []
    try:
        return list(pj.read_json(_json_lines(extra), read_options=_json_options(extra)).column_names)
    except pa.ArrowInvalid:  # values of mixed types under one name: read them the exact way
        keys: dict[str, None] = {}
        for text in extra.drop_null().to_pylist():
            keys.update(dict.fromkeys(json.loads(text)))
        return list(keys)


def _extra_cells(extra: pa.Array, keys: list[str]) -> dict[str, pa.Array]:
    """The extra attributes named ``keys`` as columns of text (null where an account has none)."""
    import pyarrow as pa
    import pyarrow.json as pj

    schema = pa.schema([(key, pa.large_string()) for key in keys])
    try:
        table = pj.read_json(
            _json_lines(extra),
            read_options=_json_options(extra),
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
        )
    except pa.ArrowInvalid:  # a value that is not text (the file never writes one): the exact way below
        table = None
    if table is not None and table.num_rows == len(extra):
        return {key: table.column(key).combine_chunks() for key in keys}
    parsed = [json.loads(text) if text is not None else {} for text in extra.to_pylist()]
    return {key: pa.array([_cell_text(row.get(key)) for row in parsed], type=pa.large_string()) for key in keys}


def _json_options(extra: pa.Array) -> Any:
    import pyarrow.compute as pc
    import pyarrow.json as pj

    # One block for the whole chunk: a block boundary never cuts a row, and names keep their order.
    size = int(pc.sum(pc.binary_length(extra)).as_py() or 0) + 4 * len(extra) + 1024
    return pj.ReadOptions(use_threads=False, block_size=size)


def _cell_text(value: Any) -> str | None:
    return value if isinstance(value, str) or value is None else json.dumps(value, ensure_ascii=False)
