"""Answers the chat gives in its own words (a sentence, the list of commands): defined apart
from the chat's commands so that rendering them, or any other answer of their domain, does not
load every workflow the chat can call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.router import Command


@dataclass(frozen=True)
class Note:
    """A plain sentence in answer."""

    text: str


@dataclass(frozen=True)
class HelpText:
    """The list of commands, for `help`."""

    commands: tuple[Command, ...]
