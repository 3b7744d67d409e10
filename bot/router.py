"""The command router every conversational surface shares.

The terminal chat uses it now; the Slack app will route its messages through the same table, so
`find acme` in the chat and in Slack run the same workflow and give the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import UnknownName
from engine.matching import likely_typo
from store import Store
from workflows.books import BookCache
from workflows.clock import Clock
from workflows.drafting import NoteWriter
from workflows.lookup import NameIndex


@dataclass
class Session:
    """Who is asking, and the collaborators their commands run with."""

    store: Store
    clock: Clock
    actor: str
    names: NameIndex = field(default_factory=NameIndex)
    books: BookCache = field(default_factory=BookCache)
    writer: NoteWriter = field(default_factory=NoteWriter)  # drafts customer notes (templates by default)


@dataclass(frozen=True)
class Command:
    """One thing people can type."""

    name: str  # the words that start it: "find", "import status"
    usage: str
    summary: str
    example: str
    run: Callable[[Session, str], Any]
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class Router:
    """Find the command a line of text starts with; anything else is an account lookup."""

    def __init__(self, commands: Sequence[Command], fallback: str | None = None):
        self.commands = list(commands)
        self.fallback = fallback
        self._by_words = {s: c for c in self.commands for s in c.spellings}

    def route(self, text: str) -> tuple[Command, str]:
        """The command for ``text`` and the rest of the text as its argument."""
        words = text.strip().split()
        if not words:
            raise UnknownName("Type a command; `help` lists them.")
        lowered = [w.lower() for w in words]
        # Longest spelling first, so "import status" wins over a shorter "import".
        for size in range(min(3, len(words)), 0, -1):
            command = self._by_words.get(" ".join(lowered[:size]))
            if command is not None:
                return command, " ".join(words[size:])
        first = lowered[0]
        near = likely_typo(first, [s for s in self._by_words if " " not in s])
        if near is not None and len(words) == 1:
            raise UnknownName(
                f"There is no command `{first}`; did you mean `{near}`? Type `help` for the list.",
                first,
                near,
            )
        if self.fallback is not None:
            return self._by_words[self.fallback], text.strip()
        raise UnknownName(f"There is no command `{first}`. Type `help` for the list.", first)

    def dispatch(self, session: Session, text: str) -> Any:
        """Run the command ``text`` names and return its answer (a value object)."""
        command, argument = self.route(text)
        return command.run(session, argument)
