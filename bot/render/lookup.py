"""An account looked up by name or id, as text: the best match and the close ones."""

from __future__ import annotations

from bot.render.core import bullet, render
from engine.formatting import money
from workflows.lookup import AccountMatch, FindResult


def _match_line(match: AccountMatch) -> str:
    owner = match.owner_name or match.owner or "no owner"
    renewal = f", renews {match.renewal_date}" if match.renewal_date else ""
    return f"{match.name} ({match.crm_id}) — {money(match.arr)} ARR, {owner}{renewal}"


@render.register
def _(result: FindResult) -> str:
    lines = []
    if result.corrections:
        fixed = ", ".join(f"{typed} → {used}" for typed, used in result.corrections)
        lines.append(f"(read {fixed})")
    if result.ambiguous:
        lines.append(f"Several accounts match `{result.query}`:")
        lines.append(bullet([_match_line(m) for m in result.matches]))
        lines.append("Type more of the name or the CRM id to pick one.")
        return "\n".join(lines)
    lines.append(_match_line(result.best))
    if result.alternatives:
        lines.append("Also close:")
        lines.append(bullet([_match_line(m) for m in result.alternatives]))
    return "\n".join(lines)
