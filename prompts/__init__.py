"""jinja2 templates: the language model's prompts and the deterministic messages.

One strict loader renders them all: undefined variables are errors (``StrictUndefined``) and
templates run in a sandbox. Text from people or the CRM only ever enters as a variable, never
as template source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

TEMPLATES = Path(__file__).parent

_environment = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_template(name: str, **context: Any) -> str:
    """Render ``prompts/<name>`` with ``context``; a missing variable raises."""
    return _environment.get_template(name).render(**context).rstrip() + "\n"


def template_names() -> list[str]:
    """Every template file under ``prompts/``."""
    return sorted(p.name for p in TEMPLATES.glob("*.j2"))
