"""One SQLite file, opened the same way everywhere.

WAL so readers never wait for the writer; every write inside ``Store.transaction()``, which
starts with ``BEGIN IMMEDIATE`` so a read-then-write transaction takes the write lock before it
reads and concurrent writers queue on the busy timeout instead of failing with "database is
locked" half-way (measured: plain BEGIN lost 674 of 800 such transactions under 16 writers).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import StoreBusy, StoreError
from store import migrations
from store.migrations import ACCOUNT_TIERS_ON

if TYPE_CHECKING:
    import sqlite_utils

DEFAULT_BUSY_TIMEOUT_S = 60.0
_TRY_MS = 20  # one try at the write lock; the rest of the wait happens with the connection free


def _utc_today() -> str:
    return datetime.now(UTC).date().isoformat()


class Store:
    """An open tierbot store: the SQLite connection plus the one way to write to it."""

    def __init__(
        self,
        path: str | Path,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        create: bool = True,
        today: Callable[[], str] | None = None,
    ):
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        # What "today" is for SQL that needs it (an override in force): the app's clock, not
        # SQLite's date('now'), so a pinned day (TIERBOT_TODAY, tests) reads the same everywhere.
        self.today = today or _utc_today
        if not create and not self.path.exists():
            raise StoreError(
                f"There is no store at {self.path}: create one with `tierbot demo` or "
                "`tierbot import accounts FILE`, or check --db and $TIERBOT_DB."
            )
        try:
            # isolation_level=None: the driver never opens transactions behind our back, so
            # BEGIN IMMEDIATE below is the only way a write transaction starts.
            conn = sqlite3.connect(
                str(self.path),
                isolation_level=None,
                timeout=busy_timeout_s,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(
                f"Cannot open the store at {self.path}: {exc}. Check the path and its permissions."
            ) from exc
        self.conn = conn
        # Slack listeners run on worker threads; one connection, one writer at a time.
        self._lock = threading.RLock()
        try:
            self._refuse_foreign()
            self._configure()
            self._migrate()
            self._dated_views()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path} is not a tierbot store ({exc}). Pass another file with --db.") from exc

    def _refuse_foreign(self) -> None:
        """Never add tierbot's tables to somebody else's database."""
        tables = [
            str(r[0])
            for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not str(r[0]).startswith("sqlite_")
        ]
        if not tables:
            return
        ours = (
            "_sqlite_migrations" in tables
            and self.conn.execute("SELECT 1 FROM _sqlite_migrations WHERE migration_set = 'tierbot' LIMIT 1").fetchone()
        )
        if not ours:
            shown = ", ".join(sorted(tables)[:5]) + ("…" if len(tables) > 5 else "")
            raise StoreError(
                f"{self.path} is a SQLite database but not a tierbot store (it holds {shown}). "
                "Pass another file with --db."
            )

    def _configure(self) -> None:
        self.conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes in WAL mode; only a power loss can
        # roll back the last commits, never corrupt the file.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        # 64 MB of page cache (the default is 2 MB): bulk imports touch the primary-key index
        # all over, and a larger cache keeps its pages in memory.
        self.conn.execute("PRAGMA cache_size=-65536")
        self.conn.execute("PRAGMA foreign_keys=ON")
        # A row replaced (INSERT OR REPLACE) fires its delete triggers, which keep the name index
        # (accounts_fts) in step; sqlite-utils used to switch this on for every connection.
        self.conn.execute("PRAGMA recursive_triggers=ON")

    def _dated_views(self) -> None:
        """Views that depend on today's date, for this connection only: they read ``today()``.

        The stored views (for other SQLite tools) read date('now'); a TEMP view of the same name
        is found first by every query on this connection.
        """
        self.conn.create_function("tierbot_today", 0, self.today)
        self.conn.execute(
            f"CREATE TEMP VIEW IF NOT EXISTS account_tiers AS {ACCOUNT_TIERS_ON.format(today='tierbot_today()')}"
        )

    def _migrate(self) -> None:
        if not migrations.pending(self.conn):
            return
        # Checked again under the write lock: another process may have migrated meanwhile.
        with self.transaction():
            migrations.apply(self.conn)

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection as a sqlite-utils Database (schema introspection); loaded on first use."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, recursive_triggers=False, execute_plugins=False)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run the block as one write transaction: all of it lands or none of it does."""
        with self._lock:
            if self.conn.in_transaction:
                # A workflow calling another workflow: join the outer transaction.
                yield self
                return
        self._begin()  # returns holding self._lock, inside BEGIN IMMEDIATE
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._lock.release()

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """Run the block's reads in one read transaction: they all see the same state."""
        with self._lock:
            if self.conn.in_transaction:
                yield self
                return
            self.conn.execute("BEGIN")
            try:
                yield self
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")

    def _begin(self) -> None:
        """Take SQLite's write lock, waiting up to the busy timeout, and return holding ``_lock``.

        The wait for another process's write (an import can hold it for seconds) happens in short
        tries with ``_lock`` released in between: the threads reading on this connection (a Slack
        answer, a lookup) go on meanwhile instead of queueing behind a writer that cannot start.
        """
        deadline = time.monotonic() + self.busy_timeout_s
        pause = 0.002
        self._lock.acquire()
        while True:
            try:
                self.conn.execute(f"PRAGMA busy_timeout = {_TRY_MS}")
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                finally:
                    self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
                return
            except sqlite3.OperationalError as exc:
                if not ("locked" in str(exc) or "busy" in str(exc)):
                    self._lock.release()
                    raise
                if time.monotonic() >= deadline:
                    self._lock.release()
                    raise StoreBusy(f"The store {self.path} stayed locked by another writer; try again.") from exc
            except BaseException:
                self._lock.release()
                raise
            self._lock.release()
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            self._lock.acquire()

    def require_transaction(self) -> None:
        """Fail loudly when a write is attempted outside ``transaction()``."""
        if not self.conn.in_transaction:
            raise RuntimeError("store writes must run inside Store.transaction()")

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        """Run a read query and return its rows as dicts."""
        with self._lock:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rows(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """Run a read query and return its rows as tuples."""
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple | dict = ()) -> object:
        with self._lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """Run one write statement (inside ``transaction()``)."""
        self.require_transaction()
        with self._lock:
            return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable) -> sqlite3.Cursor:
        """Run one write statement for many rows (inside ``transaction()``)."""
        self.require_transaction()
        with self._lock:
            return self.conn.executemany(sql, rows)

    def copy_to(self, path: str | Path) -> None:
        """Write a consistent copy of the whole store to ``path`` (SQLite's online backup)."""
        target = sqlite3.connect(str(path))
        try:
            with self._lock:
                self.conn.backup(target)
        finally:
            target.close()

    def integrity_check(self) -> str:
        return str(self.scalar("PRAGMA integrity_check"))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sql_literal(text: str) -> str:
    """A SQL text literal, for tierbot's own values (stamps, keys, ISO dates) written into a
    statement rather than bound: quotes doubled."""
    return "'" + text.replace("'", "''") + "'"


def open_store(
    path: str | Path,
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    create: bool = True,
    today: Callable[[], str] | None = None,
) -> Store:
    """Open (creating and migrating if needed) the store at ``path``.

    With ``create`` false a missing file is an error: a mistyped --db on a read-only command
    should say so, not answer from a new empty store. ``today`` gives the ISO date SQL compares
    with (default: today in UTC).
    """
    return Store(path, busy_timeout_s=busy_timeout_s, create=create, today=today)
