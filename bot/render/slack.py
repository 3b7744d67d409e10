"""The Slack side of the command line: what `tierbot slack replay` shows (the app's answer and
every call it made to Slack) and what `tierbot slack outbox` lists."""

from __future__ import annotations

import json

from tabulate import tabulate

from bot.render.core import render
from bot.slack.replay import Replay
from workflows.outbox import OutboxList


@render.register
def _(result: Replay) -> str:
    lines = [
        f"Replayed {result.kind}: the app answered HTTP {result.status}" + (f" {result.body}" if result.body else "")
    ]
    if not result.calls:
        lines.append("It sent nothing to Slack.")
    for number, call in enumerate(result.calls, start=1):
        shown = json.dumps(call.body, indent=2, ensure_ascii=False)
        refused = "" if call.status == 200 and call.response.get("ok", True) else f"  → refused: {call.response}"
        lines.append(f"{number}. {call.method}{refused}\n{shown}")
    return "\n".join(lines)


@render.register
def _(listing: OutboxList) -> str:
    if not listing.entries:
        return "Nothing waits in the outbox: everything tierbot owed Slack was delivered."
    rows = [(e.id, e.kind, e.state, e.attempts, e.created_at, e.key, clip(e.error or "", 80)) for e in listing.entries]
    return tabulate(rows, headers=("id", "what", "state", "tries", "recorded", "key", "last error"))


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
