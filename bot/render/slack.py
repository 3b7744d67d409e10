"""What `tierbot slack replay` shows: the app's answer and every call it made to Slack."""

from __future__ import annotations

import json

from bot.render.core import render
from bot.slack.replay import Replay


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
