"""What every renderer shares: the two dispatchers (text for people, JSON for scripts) and the
small helpers. The renderers themselves live in one module per domain (``bot.render``)."""

from __future__ import annotations

import dataclasses
import json
from functools import singledispatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflows.lookup import FindResult

if TYPE_CHECKING:
    from engine.validation import Problem


@singledispatch
def render(value: Any) -> str:
    """Render a workflow's answer as text for a person."""
    return str(value)


@singledispatch
def json_view(value: Any) -> Any:
    """The shape a value takes in --json output (dataclasses as objects by default)."""
    return plain_data(value)


def to_json(value: Any) -> str:
    """Render a workflow's answer as JSON for scripts."""
    return json.dumps(json_view(value), indent=2, ensure_ascii=False, default=str)


def plain_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, FindResult):
            out["ambiguous"] = value.ambiguous
            out["matches"] = plain_data(value.matches)
        return out
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def bullet(lines: list[str]) -> str:
    return "\n".join(f"  • {line}" for line in lines)


def problems_text(problems: list[Problem], total: int, errors_file: Path | None) -> str:
    """The first problems of an import, and where the rest are."""
    parts = [bullet([str(p) for p in problems])] if problems else []
    if errors_file is not None:
        more = f"All {total:,} problems are" if total > len(problems) else "They are also"
        parts.append(f"{more} listed in {errors_file}.")
    return "\n".join(parts)
