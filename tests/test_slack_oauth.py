"""Multi-workspace installs: /slack/install, /slack/oauth_redirect, installations in the store."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.config import SlackSettings
from bot.slack.app import BOT_SCOPES, build_app
from bot.slack.fake_api import FakeSlack
from bot.slack.server import HttpServer
from store import Store
from workflows.clock import FixedClock

from .slack_support import CSM, LEADER, SECRET, Workspace, movable_account, text_of


@pytest.fixture
def installable(demo_store: Store, clock: FixedClock) -> Iterator[Workspace]:
    with FakeSlack() as fake:
        settings = SlackSettings(
            client_id="1111.2222", client_secret="oauth-secret", signing_secret=SECRET, api_url=fake.api_url
        )
        registry = build_app(settings, demo_store, clock)
        try:
            with HttpServer.serving(registry, port=0) as server:
                yield Workspace(fake, server, registry)
        finally:
            registry.deps.close()  # what is due is delivered before the fake Slack goes away


def install(ws: Workspace, team: str) -> int:
    status, headers, page = ws.get("/slack/install")
    assert status == 200
    links = [html.unescape(link) for link in re.findall(r'href="([^"]+)"', page)]
    add_to_slack = next(link for link in links if "/oauth/v2/authorize?" in link)
    assert add_to_slack.startswith(ws.fake.url + "oauth/v2/authorize?")  # next to SLACK_API_URL (GovSlack)
    query = parse_qs(urlsplit(add_to_slack).query)
    assert query["client_id"] == ["1111.2222"] and query["scope"] == [",".join(BOT_SCOPES)]
    state = query["state"][0]
    cookie = headers["Set-Cookie"].split(";")[0]
    code = ws.fake.new_oauth_code(team, LEADER)
    status, _, _ = ws.get(f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie})
    return status


def test_installing_stores_the_workspace_and_its_requests_are_answered(installable: Workspace) -> None:
    assert install(installable, "T0SECOND") == 200
    store = installable.registry.deps.store
    kinds = {r["kind"]: r["team_id"] for r in store.query("SELECT kind, team_id FROM slack_installations")}
    assert kinds == {"installation": "T0SECOND", "bot": "T0SECOND"}
    request = installable.command_request("/tier", "acme corp")
    request = type(request)(request.body.replace("T0TIERBOT", "T0SECOND"), request.content_type)
    assert installable.post(request).status == 200
    assert "Acme Corp" in text_of(installable.last_reply())


def test_a_workspace_that_did_not_install_the_app_is_not_served(installable: Workspace) -> None:
    answer = installable.command("/tier", "acme corp")  # team T0TIERBOT never installed it
    assert answer.status == 200
    assert "not installed in this workspace" in installable.last_reply()["text"]


def test_a_forged_or_reused_state_is_refused(installable: Workspace) -> None:
    code = installable.fake.new_oauth_code("T0THIRD")
    status, _, _ = installable.get(f"/slack/oauth_redirect?code={code}&state=made-up", headers={"Cookie": "x=y"})
    assert status >= 400
    assert installable.registry.deps.store.scalar("SELECT COUNT(*) FROM slack_installations") == 0


def test_what_follows_a_request_is_delivered_with_its_workspaces_token(installable: Workspace) -> None:
    assert install(installable, "T0SECOND") == 200
    crm_id = movable_account(installable.registry.deps.store)
    request = installable.command_request("/handoff", f"{crm_id} to <@UDEMO0007> because capacity", user=CSM)
    request = type(request)(request.body.replace("T0TIERBOT", "T0SECOND"), request.content_type)
    assert installable.post(request).status == 200
    said = text_of(installable.last_reply())
    assert "Handoff #1: asked <@UDEMO0002> by DM" in said  # delivered from the outbox, as T0SECOND's bot
    [dm] = [c for c in installable.fake.calls_to("chat.postMessage") if c.body["channel"] == "UDEMO0002"]
    assert dm.response["ok"]
    store = installable.registry.deps.store
    teams = {json.loads(r[0]).get("team") for r in store.rows("SELECT payload FROM outbox")}
    assert teams == {"T0SECOND"}
