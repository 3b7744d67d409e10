"""Plain-text answers for the terminal (command line and chat), one renderer per value object.

The renderers live in one module per domain (``lookup``, ``workspace``, ``tiers``, ``rules``,
``handoffs``, ``slack``)
and each loads with the first answer of its domain: explaining one account's tier does not load
what renders imports, what-ifs or transition plans (nor the libraries those need).
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from bot.render import core
from bot.render.core import bullet, json_view, problems_text

__all__ = ["bullet", "json_view", "problems_text", "render", "to_json"]

# Where a value object is defined → the module that renders it.
_DOMAIN_OF = {
    "bot.answers": "workspace",
    "engine.gaps": "workspace",
    "workflows.audit": "workspace",
    "workflows.demo": "workspace",
    "workflows.exporting": "workspace",
    "workflows.importing": "workspace",
    "workflows.lookup": "lookup",
    "workflows.roles": "workspace",
    "workflows.status": "workspace",
    "workflows.tiers": "tiers",
    "engine.formula": "rules",
    "engine.rule_diff": "rules",
    "engine.simulation": "rules",
    "workflows.rules": "rules",
    "bot.slack.results": "handoffs",
    "workflows.drafting": "handoffs",
    "workflows.handoffs": "handoffs",
    "workflows.plans": "handoffs",
    "bot.slack.replay": "slack",
    "workflows.outbox": "slack",
}
DOMAINS = ("lookup", "workspace", "tiers", "rules", "handoffs", "slack")


def _load_renderer_of(value: Any) -> None:
    """Import the module that renders ``value`` (every renderer, for a value no module claims)."""
    for cls in type(value).__mro__:
        domain = _DOMAIN_OF.get(cls.__module__)
        if domain:
            importlib.import_module(f"bot.render.{domain}")
            return
    if dataclasses.is_dataclass(value):
        for domain in DOMAINS:
            importlib.import_module(f"bot.render.{domain}")


def render(value: Any) -> str:
    """Render a workflow's answer as text for a person."""
    _load_renderer_of(value)
    return core.render(value)


def to_json(value: Any) -> str:
    """Render a workflow's answer as JSON for scripts."""
    _load_renderer_of(value)
    return core.to_json(value)
