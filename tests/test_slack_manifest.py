"""manifest.yml matches Slack's schema and the app: every command has a listener and back."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.slack.app import BOT_SCOPES, EVENTS_PATH

from .slack_support import Workspace

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_the_manifest_validates_against_slacks_published_schema() -> None:
    schema = json.loads((ROOT / "tests" / "slack" / "manifest.schema.1.0.0.json").read_text())
    jsonschema.validate(MANIFEST, schema)


def test_every_manifest_command_has_a_listener_and_every_listener_is_in_the_manifest(slack: Workspace) -> None:
    in_manifest = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert in_manifest == set(slack.registry.commands)


@pytest.mark.parametrize("entry", MANIFEST["features"]["slash_commands"], ids=lambda c: c["command"])
def test_each_command_has_help_text_a_usage_hint_and_our_endpoint(entry: dict) -> None:
    assert entry["description"] and len(entry["description"]) <= 100
    assert entry["usage_hint"]
    assert entry["url"].endswith(EVENTS_PATH)


@pytest.mark.parametrize("entry", MANIFEST["features"]["slash_commands"], ids=lambda c: c["command"])
def test_each_manifest_command_is_answered_by_the_running_app(slack: Workspace, entry: dict) -> None:
    answer = slack.command(entry["command"], "help")
    assert answer.status == 200, answer.body  # 404 would mean no listener took it


def test_events_and_interactivity_match_what_the_app_listens_to(slack: Workspace) -> None:
    settings = MANIFEST["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == slack.registry.events
    assert settings["interactivity"]["is_enabled"] is bool(slack.registry.actions or slack.registry.views)
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is ("app_home_opened" in slack.registry.events)
    for url in (settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]):
        assert url.endswith(EVENTS_PATH)


def test_the_manifest_asks_for_exactly_the_scopes_the_app_requests_at_install() -> None:
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


def test_every_button_and_form_the_blocks_use_has_a_listener(slack: Workspace) -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "bot" / "slack" / "blocks").glob("*.py"))
    for action_id in slack.registry.actions:
        assert f'"{action_id}' in source, f"no block uses the action {action_id}"
    import re

    used = set(re.findall(r'button\([^,]+, f?"([a-z_]+)', source))
    assert used <= set(slack.registry.actions), used - set(slack.registry.actions)


def test_the_readme_roles_table_says_exactly_what_the_code_lets_each_role_do() -> None:
    from engine.fields import ROLES
    from engine.permissions import PERMISSIONS

    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Roles", 1)[1].split("\n\n", 2)[1]
    rows = {cells[1].strip(): cells[2] for line in table.splitlines() if len(cells := line.split("|")) > 3}
    assert set(ROLES) <= set(rows)
    for role in ROLES:
        for permission in PERMISSIONS:
            said = permission.action in rows[role]
            assert said is (role in permission.roles), f"README's {role} row and `{permission.action}` disagree"
