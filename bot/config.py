"""Settings from the environment, read in one place. Secrets never come from anywhere else."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "tierbot.db"


@dataclass(frozen=True)
class Settings:
    """What tierbot reads from the environment."""

    db: Path
    debug: bool = False


def load_settings(db_option: str | None = None, environ: dict[str, str] | None = None) -> Settings:
    """``--db`` wins, then ``TIERBOT_DB``, then ``tierbot.db`` in the working directory."""
    env = os.environ if environ is None else environ
    db = db_option or env.get("TIERBOT_DB") or DEFAULT_DB
    return Settings(db=Path(db).expanduser(), debug=env.get("TIERBOT_DEBUG", "") not in ("", "0"))


def local_actor(surface: str) -> str:
    """Who is acting on this machine, for the audit log: ``cli:alice``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{surface}:{user}"
