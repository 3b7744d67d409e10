"""Files tierbot writes for people: never over the store in use or any SQLite database, never half.

Every command that writes a file (an export, a worksheet, the movers of a what-if, an import's
errors file, a rule set, an email) goes through ``check_output`` before it does anything and
writes through ``write_table_atomically`` or ``write_bytes_atomically``: a mistyped path such as
``rules export fy27 tierbot.db`` once replaced the store with a YAML file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import CannotWrite

if TYPE_CHECKING:
    import pandas as pd

SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite keeps a database's recent writes beside it; overwriting these corrupts the store too.
_STORE_COMPANIONS = ("", "-wal", "-shm", "-journal")
FORCE_HELP = "Write even over a SQLite database (never needed for an ordinary file)."


def is_sqlite_database(path: Path) -> bool:
    """Whether ``path`` is an existing file that starts like a SQLite database."""
    try:
        with path.open("rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _same_file(a: Path, b: Path) -> bool:
    """The same file (a hard or symbolic link too), or the same path where one does not exist yet."""
    with contextlib.suppress(OSError):  # unreadable: compare the paths instead
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def check_output(path: Path, *, store_path: Path | None = None, force: bool = False) -> None:
    """Refuse to write ``path`` when it is the store in use (or its journal) or a SQLite database.

    ``force`` is the person saying they mean it.
    """
    if force:
        return
    if store_path is not None and str(store_path) != ":memory:":
        for suffix in _STORE_COMPANIONS:
            companion = Path(str(store_path) + suffix)
            if _same_file(path, companion):
                raise CannotWrite(
                    f"{path} is the tierbot store in use{' (its journal)' if suffix else ''}: writing there would "
                    "destroy it. Give another file name (or pass --force if you really mean to overwrite it)."
                )
    if is_sqlite_database(path):
        raise CannotWrite(
            f"{path} is a SQLite database: writing there would destroy it. Give another file name "
            "(or pass --force if you really mean to overwrite it)."
        )


def _write_atomically(path: Path, write: Callable[[Path], object], *, store_path: Path | None, force: bool) -> None:
    """Write to a temporary file beside ``path`` and rename it: never a half-written file."""
    check_output(path, store_path=store_path, force=force)
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        # Created like any other file (the umask applies), so the output is readable as usual.
        temporary.open("x").close()
    except OSError as exc:
        raise CannotWrite(
            f"Cannot write {path}: {exc.strerror}. Check that the folder exists and is writable."
        ) from None
    try:
        write(temporary)
        # A symlink is replaced, not followed: the file it pointed at stays as it was.
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CannotWrite(f"Cannot write {path}: {exc.strerror}. The previous file, if any, is unchanged.") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_table_atomically(
    frame: pd.DataFrame, path: Path, *, store_path: Path | None = None, force: bool = False
) -> None:
    """Write a table as CSV or XLSX (by the extension), whole or not at all."""

    def write(temporary: Path) -> None:
        if path.suffix.lower() == ".xlsx":
            frame.to_excel(temporary, index=False, engine="openpyxl")
        else:
            frame.to_csv(temporary, index=False)

    _write_atomically(path, write, store_path=store_path, force=force)


def write_bytes_atomically(data: bytes, path: Path, *, store_path: Path | None = None, force: bool = False) -> None:
    """Write ``data`` to ``path``, whole or not at all."""
    _write_atomically(path, lambda temporary: temporary.write_bytes(data), store_path=store_path, force=force)
