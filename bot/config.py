"""Settings from the environment, read in one place. Secrets never come from anywhere else."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from engine.errors import InputError
from workflows.clock import Clock, DayClock, SystemClock

DEFAULT_DB = "tierbot.db"
DEFAULT_PORT = 3000


@dataclass(frozen=True)
class SlackSettings:
    """How to reach Slack. Tokens and secrets are read from the environment only."""

    bot_token: str | None = None  # SLACK_BOT_TOKEN: single workspace
    signing_secret: str | None = None  # SLACK_SIGNING_SECRET: verifies every HTTP request
    app_token: str | None = None  # SLACK_APP_TOKEN (xapp-…): Socket Mode
    client_id: str | None = None  # SLACK_CLIENT_ID + SLACK_CLIENT_SECRET: multi-workspace OAuth
    client_secret: str | None = None
    api_url: str | None = None  # SLACK_API_URL: GovSlack, or a local fake in tests

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def started(self) -> bool:
        """Some Slack setting is present: the person means to run the bot."""
        return any((self.bot_token, self.signing_secret, self.app_token, self.client_id, self.client_secret))

    @property
    def configured(self) -> bool:
        """Enough is set to start the Slack bot (else `make run` starts the chat)."""
        return bool(self.bot_token or self.oauth) and bool(self.signing_secret or self.socket_mode)

    def __repr__(self) -> str:  # never print secrets, even in a debugger or a log line
        shown = {k: ("set" if v else None) for k, v in self.__dict__.items() if k != "api_url"}
        return f"SlackSettings({shown}, api_url={self.api_url!r})"


# The variable each provider's LangChain package takes its key from. Providers not listed (ollama,
# a local server) need none, or say so themselves when the model is set up.
LLM_KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "azure_openai": "AZURE_OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google_genai": "GOOGLE_API_KEY",
    "mistralai": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "fireworks": "FIREWORKS_API_KEY",
    "together": "TOGETHER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
    "perplexity": "PPLX_API_KEY",
    "cohere": "COHERE_API_KEY",
}


@dataclass(frozen=True)
class NoteSettings:
    """How customer notes are drafted: TIERBOT_LLM (provider:model) or, unset, the templates."""

    llm: str | None = None  # TIERBOT_LLM: openai:gpt-4o-mini, anthropic:…, ollama:llama3.1
    base_url: str | None = None  # TIERBOT_LLM_BASE_URL: an OpenAI-compatible local server
    timeout_s: float = 30.0  # TIERBOT_LLM_TIMEOUT
    max_tokens: int = 600  # TIERBOT_LLM_MAX_TOKENS
    allowed_domains: frozenset[str] = frozenset()  # TIERBOT_NOTE_DOMAINS: links/addresses notes may hold
    key_variable: str | None = None  # where TIERBOT_LLM's provider keeps its key: OPENAI_API_KEY, …
    api_key: str | None = field(default=None, repr=False)  # that variable's value; never printed


@dataclass(frozen=True)
class Settings:
    """What tierbot reads from the environment."""

    db: Path
    debug: bool = False
    today: date | None = None  # TIERBOT_TODAY: the date the app takes as today (reproducible demos, tests)
    slack: SlackSettings = SlackSettings()
    notes: NoteSettings = NoteSettings()


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise InputError(f"{name} is `{text}`: it must be a positive number (default {default:g}).")
    return value


def load_settings(db_option: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """``--db`` wins, then ``TIERBOT_DB``, then ``tierbot.db`` in the working directory."""
    env = os.environ if environ is None else environ
    db = db_option or env.get("TIERBOT_DB") or DEFAULT_DB

    def read(name: str) -> str | None:
        return env.get(name, "").strip() or None

    slack = SlackSettings(
        bot_token=read("SLACK_BOT_TOKEN"),
        signing_secret=read("SLACK_SIGNING_SECRET"),
        app_token=read("SLACK_APP_TOKEN"),
        client_id=read("SLACK_CLIENT_ID"),
        client_secret=read("SLACK_CLIENT_SECRET"),
        api_url=read("SLACK_API_URL"),
    )
    llm = read("TIERBOT_LLM")
    key_variable = LLM_KEY_VARIABLES.get((llm or "").partition(":")[0].strip().lower())
    notes = NoteSettings(
        llm=llm,
        base_url=read("TIERBOT_LLM_BASE_URL"),
        timeout_s=_number(env, "TIERBOT_LLM_TIMEOUT", 30.0),
        max_tokens=int(_number(env, "TIERBOT_LLM_MAX_TOKENS", 600)),
        allowed_domains=frozenset(
            d.strip().lower() for d in env.get("TIERBOT_NOTE_DOMAINS", "").split(",") if d.strip()
        ),
        key_variable=key_variable,
        api_key=read(key_variable) if key_variable else None,
    )
    return Settings(
        db=Path(db).expanduser(),
        debug=env.get("TIERBOT_DEBUG", "") not in ("", "0"),
        today=_today(env),
        slack=slack,
        notes=notes,
    )


def _today(env: Mapping[str, str]) -> date | None:
    text = env.get("TIERBOT_TODAY", "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"TIERBOT_TODAY is `{text}`: write a date as YYYY-MM-DD (e.g. 2027-01-15), or unset it."
        ) from None


def app_clock(environ: Mapping[str, str] | None = None) -> Clock:
    """The one clock every surface hands to the workflows: the real time, or `TIERBOT_TODAY`'s day."""
    day = _today(os.environ if environ is None else environ)
    return SystemClock() if day is None else DayClock(day)


def local_actor(surface: str) -> str:
    """Who is acting on this machine, for the audit log: ``cli:alice``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{surface}:{user}"
