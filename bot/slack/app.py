"""The Slack app: Bolt, configured from the settings, with every feature's listeners registered.

Single workspace (bot token) or multi-workspace (OAuth install, installations in the store);
the Web API base URL from ``SLACK_API_URL``; Web API calls retried on rate limits and server
errors; a listener pool large enough that acks never queue behind slow work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import SlackSettings
from bot.slack import intents  # noqa: F401  (registers the handlers of recorded Slack requests)
from bot.slack.deps import SlackDeps
from bot.slack.installations import StoreInstallations, StoreOAuthStates
from bot.slack.listeners import handoff, home, notes, plans, segment, tier, workload
from bot.slack.middleware import at_most_once, identify_person
from bot.slack.outbox import Deliverer
from bot.slack.registry import Registry
from bot.slack.retries import ANSWER_PATIENCE_S, retry_handlers
from engine.errors import InputError
from store import Store
from workflows.clock import Clock
from workflows.drafting import NoteWriter

SLACK_API = "https://slack.com/api/"
# What the app asks for at install; manifest.yml lists the same (a test keeps them equal).
# channels:history and groups:history: the replies in a handoff's thread are kept as its comments.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "files:write",
    "usergroups:read",
    "channels:history",
    "groups:history",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"
LISTENER_THREADS = 32

log = logging.getLogger("tierbot.slack")


class SlackNotConfigured(InputError):
    """Slack settings are missing or contradict each other."""


def web_client(
    settings: SlackSettings, token: str | None = None, *, patience_s: float = ANSWER_PATIENCE_S
) -> WebClient:
    """A Web API client for ``SLACK_API_URL`` that retries server errors and waits out short rate limits."""
    return WebClient(
        token=token,
        base_url=settings.api_url or SLACK_API,
        timeout=10,
        retry_handlers=retry_handlers(patience_s),
    )


def delivery_clients(settings: SlackSettings, store: Store) -> Callable[[str | None], WebClient]:
    """The Web API client to deliver the outbox with, per workspace: the bot token's, or the
    token a workspace's install left in the store. It never sleeps on a rate limit: the outbox
    tries again after Slack's Retry-After instead."""
    if settings.bot_token:
        client = web_client(settings, settings.bot_token, patience_s=0)
        return lambda team: client
    installations = StoreInstallations(store, str(settings.client_id))

    def for_team(team: str | None) -> WebClient:
        bot = installations.find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise SlackNotConfigured(f"tierbot is not installed in workspace {team}: install it from /slack/install.")
        return web_client(settings, bot.bot_token, patience_s=0)

    return for_team


STARTUP_PAUSE_S = 1.0
STARTUP_MAX_PAUSE_S = 60.0


def wait_for_slack(
    settings: SlackSettings,
    *,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Check the bot token with Slack (auth.test) before serving: a revoked or mistyped token,
    or a Slack that cannot be reached, is said in a sentence and tried again, waiting longer each
    time (up to a minute), until it works or someone stops the bot. Returns Slack's answer."""
    client = WebClient(token=settings.bot_token, base_url=settings.api_url or SLACK_API, timeout=10)
    pause = STARTUP_PAUSE_S
    while True:
        try:
            return dict(client.auth_test().data)  # type: ignore[arg-type]
        except SlackApiError as refused:
            error = refused.response.get("error")
            problem = (
                f"Slack refused the bot token ({error}): check SLACK_BOT_TOKEN (your app's OAuth & Permissions "
                "page, Bot User OAuth Token; reinstall the app if the token was revoked)"
            )
        except (OSError, TimeoutError) as failure:
            reason = getattr(failure, "reason", None) or failure
            problem = f"Cannot reach Slack at {client.base_url} ({reason}): check SLACK_API_URL and the network"
        say(f"{problem}. Trying again in {pause:.0f} s (Ctrl-C stops).")
        sleep(pause)
        pause = min(pause * 2, STARTUP_MAX_PAUSE_S)


def authorization_url(settings: SlackSettings) -> str:
    """Where "Add to Slack" sends people: next to the Web API (slack.com, or slack-gov.com for GovSlack)."""
    base = (settings.api_url or SLACK_API).rstrip("/")
    return base.removesuffix("/api") + "/oauth/v2/authorize"


def check_settings(settings: SlackSettings) -> None:
    """Refuse to start with settings that cannot work, naming the variable to set."""
    if not (settings.bot_token or settings.oauth):
        raise SlackNotConfigured(
            "Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (installs to many "
            "workspaces) to start the Slack bot."
        )
    if not settings.signing_secret and not settings.socket_mode:
        raise SlackNotConfigured(
            "Set SLACK_SIGNING_SECRET (Basic Information → App Credentials in your app's settings): every "
            "request is checked against it. For Socket Mode set SLACK_APP_TOKEN instead."
        )
    if settings.socket_mode and not str(settings.app_token).startswith("xapp-"):
        raise SlackNotConfigured("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode).")
    if settings.bot_token and not settings.bot_token.startswith("xoxb-"):
        raise SlackNotConfigured("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")


def build_app(
    settings: SlackSettings,
    store: Store,
    clock: Clock,
    *,
    verify_token: bool = True,
    executor: ThreadPoolExecutor | None = None,
    writer: NoteWriter | None = None,
) -> Registry:
    """The Bolt app with every listener registered; ``.bolt`` is the ``slack_bolt.App``."""
    check_settings(settings)
    client = web_client(settings, settings.bot_token if not settings.oauth else None)
    oauth_flow = None
    if settings.oauth:
        oauth_flow = OAuthFlow(
            client=client,
            settings=OAuthSettings(
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                scopes=list(BOT_SCOPES),
                installation_store=StoreInstallations(store, str(settings.client_id)),
                state_store=StoreOAuthStates(store),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
                authorization_url=authorization_url(settings),
            ),
        )
    bolt = App(
        client=client,
        signing_secret=settings.signing_secret or "",
        oauth_flow=oauth_flow,
        token_verification_enabled=verify_token,
        listener_executor=executor or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="slack"),
        user_facing_authorize_error_message=(
            "tierbot is not installed in this workspace (or its installation was removed): ask a Slack admin to "
            "install it from tierbot's /slack/install page."
        ),
        logger=log,
    )
    deps = SlackDeps(store=store, clock=clock, settings=settings, writer=writer or NoteWriter())
    deps.deliverer = Deliverer(store, clock, delivery_clients(settings, store), deps.writer, deps=deps).start()
    bolt.use(at_most_once(deps))
    bolt.use(identify_person(deps))
    registry = Registry(bolt, deps)
    for feature in (tier, segment, workload, home, handoff, notes, plans):
        feature.register(registry)
    return registry
