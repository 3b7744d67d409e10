"""The commands of the conversational surfaces, each a thin call into one workflow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.router import Command, Router, Session
from engine.errors import InputError
from workflows.gaps import data_gaps
from workflows.lookup import find_account
from workflows.status import workspace_status


@dataclass(frozen=True)
class HelpText:
    """The list of commands, for `help`."""

    commands: tuple[Command, ...]


def _find(session: Session, argument: str) -> Any:
    if not argument:
        raise InputError("Say which account: `find acme` or `find ACC-0000001`.")
    return find_account(session.store, argument, session.names)


def _gaps(session: Session, argument: str) -> Any:
    return data_gaps(session.store)


def _status(session: Session, argument: str) -> Any:
    return workspace_status(session.store)


def build_router() -> Router:
    """The router with every command that exists so far."""
    commands: list[Command] = [
        Command(
            "find",
            "find <account or CRM id>",
            "Look an account up by name, part of it, a misspelling or its CRM id.",
            "find acme",
            _find,
            ("account", "lookup"),
        ),
        Command(
            "import status",
            "import status",
            "What the store holds and the latest imports.",
            "import status",
            _status,
            ("status", "imports"),
        ),
        Command(
            "gaps",
            "gaps",
            "Which fields are blank on how many accounts, and what that blocks.",
            "gaps",
            _gaps,
            ("data gaps",),
        ),
    ]
    help_command = Command(
        "help", "help", "This list.", "help", lambda s, a: HelpText(tuple(commands)), ("?", "commands")
    )
    commands.append(help_command)
    return Router(commands, fallback="find")
