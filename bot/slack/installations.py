"""Slack's installation and OAuth-state stores, kept in tierbot's SQLite store.

Bolt's OAuth flow saves each workspace's install here and, for every request, finds the bot
token of the workspace it came from. The tokens are secrets: they live only in the store file,
never in logs or in exported data.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from store import Store, installations

log = logging.getLogger("tierbot.slack")
STATE_TTL_S = 600  # a person has ten minutes to finish the install once they click "Add to Slack"


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A record as JSON can hold it: datetimes as epoch seconds."""
    out = {}
    for key, value in record.items():
        if isinstance(value, datetime):
            value = int(value.timestamp()) if key.endswith("expires_at") else value.timestamp()
        out[key] = value
    return out


class StoreInstallations(InstallationStore):
    """Installations and bots of one Slack app (``client_id``), newest wins."""

    def __init__(self, store: Store, client_id: str):
        self.store = store
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        return log

    def _ids(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None) -> dict:
        # An org-wide install answers for every workspace of the org: it is stored without a team.
        return {
            "client_id": self.client_id,
            "enterprise_id": enterprise_id or None,
            "team_id": None if is_enterprise_install else team_id or None,
        }

    def save(self, installation: Installation) -> None:
        ids = self._ids(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        with self.store.transaction():
            installations.save(
                self.store,
                "installation",
                **ids,
                user_id=installation.user_id,
                installed_at=installation.installed_at,
                data=_plain(installation.to_dict_for_copying()),
            )
            if installation.bot_token:
                self._save_bot(installation.to_bot())

    def save_bot(self, bot: Bot) -> None:
        with self.store.transaction():
            self._save_bot(bot)

    def _save_bot(self, bot: Bot) -> None:
        installations.save(
            self.store,
            "bot",
            **self._ids(bot.enterprise_id, bot.team_id, bot.is_enterprise_install),
            user_id=None,
            installed_at=bot.installed_at,
            data=_plain(bot.to_dict_for_copying()),
        )

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        data = installations.latest(self.store, "bot", **self._ids(enterprise_id, team_id, is_enterprise_install))
        return Bot(**data) if data else None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        ids = self._ids(enterprise_id, team_id, is_enterprise_install)
        data = installations.latest(self.store, "installation", **ids, user_id=user_id)
        if data is None:
            return None
        found = Installation(**data)
        if user_id is not None:
            # A user's own install may predate the workspace's latest bot: use the newest bot token.
            latest = installations.latest(self.store, "installation", **ids)
            if latest and latest.get("bot_token"):
                for key in ("bot_token", "bot_id", "bot_user_id", "bot_scopes", "bot_refresh_token"):
                    setattr(found, key, latest.get(key))
        return found

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self.store.transaction():
            installations.delete(self.store, "bot", **self._ids(enterprise_id, team_id, False))

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        with self.store.transaction():
            installations.delete(
                self.store, "installation", **self._ids(enterprise_id, team_id, False), user_id=user_id
            )


class StoreOAuthStates(OAuthStateStore):
    """OAuth ``state`` values: issued by the install page, each accepted once, for ten minutes."""

    def __init__(self, store: Store, ttl_s: int = STATE_TTL_S):
        self.store = store
        self.ttl_s = ttl_s

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        with self.store.transaction():
            installations.add_state(self.store, state, time.time() + self.ttl_s)
        return state

    def consume(self, state: str) -> bool:
        with self.store.transaction():
            return installations.consume_state(self.store, state, time.time())
