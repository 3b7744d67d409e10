"""The one error hierarchy of tierbot.

Every error a person can cause or meet derives from ``TierbotError`` and its message is one
sentence that names the thing and the fix. Each surface (command line, chat, Slack) turns these
into its own words in one place and never shows a traceback for them.

    TierbotError
    ├── InputError              something a person gave us is wrong; the message says how to fix it
    │   ├── FileRefused         a whole file cannot be read as the table we need
    │   ├── InvalidRows         rows have errors; carries the problems; nothing was written
    │   ├── UnknownName         an unknown field, column or command; suggests the nearest valid one
    │   ├── InvalidFields       a form's fields have problems; carries the message for each field
    │   └── AccountNotFound     no account matches what was asked
    ├── NotAllowed              the person lacks the role for what they asked; says who has it
    ├── CannotWrite             a file tierbot was asked to write could not be written
    └── StoreError              the SQLite store cannot do what was asked
        ├── StoreNotEmpty       a command that needs an empty store found data
        └── StoreBusy           another writer held the store for longer than the busy timeout
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class TierbotError(Exception):
    """Base of every error tierbot reports to a person."""

    def details(self) -> dict[str, Any]:
        """What a script needs besides the message (``--json`` adds it to the error)."""
        return {}


class InputError(TierbotError):
    """Something a person gave us is wrong; the message says how to fix it."""


class FileRefused(InputError):
    """A whole file cannot be imported (pivot export, no id column, unreadable, ambiguous dates)."""


class InvalidRows(InputError):
    """Rows of an import have errors; nothing was written.

    ``problems`` holds every problem found (errors and warnings) so a surface can print the first
    few and write the rest to a file.
    """

    def __init__(self, message: str, problems: Sequence[Any] = (), report: Any = None):
        super().__init__(message)
        self.problems = list(problems)
        self.report = report


class UnknownName(InputError):
    """A name (field, column, command, value) that tierbot does not know."""

    def __init__(self, message: str, name: str = "", suggestion: str | None = None):
        super().__init__(message)
        self.name = name
        self.suggestion = suggestion


class InvalidFields(InputError):
    """A form (a Slack modal) has problems; ``errors`` maps each field to its message, so the
    form can show every one beside its field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Please fix: " + " ".join(errors.values()))
        self.errors = dict(errors)


class AccountNotFound(InputError):
    """No account matches the text a person typed."""

    def __init__(self, query: str, suggestions: Sequence[str] = ()):
        hint = (
            f" Did you mean {', '.join(f'`{s}`' for s in suggestions)}?"
            if suggestions
            else " Try part of the name or the CRM id."
        )
        super().__init__(f"No account matches `{query}`.{hint}")
        self.query = query
        self.suggestions = list(suggestions)


class NotAllowed(TierbotError):
    """The person asking lacks the role an action needs.

    ``action`` is what they tried ("activate a rule set"), ``roles`` the roles that may,
    ``holders`` who holds them and ``granters`` who can give a role (Slack user or user group
    ids), so a surface can say who may and whom to ask.
    """

    def __init__(
        self,
        message: str,
        action: str = "",
        roles: Sequence[str] = (),
        holders: Sequence[str] = (),
        granters: Sequence[str] = (),
    ):
        super().__init__(message)
        self.action = action
        self.roles = tuple(roles)
        self.holders = tuple(holders)
        self.granters = tuple(granters)


class CannotWrite(TierbotError):
    """A file tierbot was asked to write (an export, an errors file) could not be written."""


class StoreError(TierbotError):
    """The SQLite store cannot do what was asked."""


class StoreNotEmpty(StoreError):
    """A command that needs an empty store found data in it."""


class StoreBusy(StoreError):
    """Another writer kept the store locked for longer than the busy timeout."""
