"""`tierbot chat`: a terminal conversation over the same commands Slack will answer."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.commands import build_router
from bot.render import render
from bot.router import Router, Session
from engine.errors import TierbotError
from prompts import render_template
from store import records
from workflows.lookup import AmbiguousAccount

QUIT = {"quit", "exit", "bye", ":q"}


def _readline_input(prompt: str) -> str:
    return input(prompt)


def _enable_history(path: Path) -> Callable[[], None]:
    """Arrow-key history across sessions when the terminal supports it; returns a saver."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input still works
        return lambda: None
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)

    return save


def run_chat(
    session: Session,
    *,
    read: Callable[[str], str] = _readline_input,
    out: TextIO = sys.stdout,
    router: Router | None = None,
    history_file: Path | None = None,
) -> None:
    """Answer commands until the person types `quit` or closes the input.

    Arrow-key history is kept in ``~/.tierbot_history`` when the input is a terminal.
    """
    router = router or build_router()
    save_history: Callable[[], None] = lambda: None  # noqa: E731
    if sys.stdin.isatty():
        save_history = _enable_history(history_file or Path.home() / ".tierbot_history")
    said: list[str] = []
    print(
        render_template(
            "chat_welcome.txt.j2",
            store=str(session.store.path),
            accounts=records.count(session.store, "accounts"),
            csms=records.count(session.store, "csms"),
        ),
        file=out,
    )
    try:
        while True:
            try:
                line = read("tierbot> ").strip()
            except (EOFError, KeyboardInterrupt):
                print(file=out)
                break
            if not line:
                continue
            if line.lower() in QUIT:
                break
            if line.lower() == "history":
                print("\n".join(f"{i:>3}  {s}" for i, s in enumerate(said, 1)) or "Nothing yet.", file=out)
                continue
            said.append(line)
            print(answer(router, session, line), file=out)
    finally:
        save_history()
    print("Bye.", file=out)


def answer(router: Router, session: Session, line: str) -> str:
    """The text reply to one line; errors become their one-sentence message."""
    try:
        return render(router.dispatch(session, line))
    except AmbiguousAccount as several:
        return render(several.result)  # the matches one per line, as `find` lists them
    except TierbotError as exc:
        return str(exc)
