"""`tierbot serve`, `start`, `roles` and `slack replay` as an admin runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.slack.fake_api import FakeSlack
from bot.slack.signing import signed_headers, slash_command

from .slack_support import LEADER, SECRET, text_of
from .test_cli import ROOT, tierbot


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "slack.db")
    assert tierbot("--db", path, "demo").exit_code == 0
    return path


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return env | extra


def test_serve_runs_the_app_over_http_until_stopped(db: str) -> None:
    import http.client

    with FakeSlack() as fake:
        env = clean_env(SLACK_BOT_TOKEN="xoxb-cli", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--db", db, "serve", "--port", "0"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = ""
            deadline = time.monotonic() + 60
            while "listening on" not in line and time.monotonic() < deadline:
                line = process.stderr.readline()
            found = re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", line)
            assert found, line
            request = slash_command(
                {
                    "command": "/tier",
                    "text": "acme corp",
                    "user_id": LEADER,
                    "team_id": "T0TIERBOT",
                    "channel_id": "C1",
                    "response_url": fake.response_url(),
                    "trigger_id": fake.new_trigger_id(),
                }
            )
            connection = http.client.HTTPConnection("127.0.0.1", int(found.group(1)), timeout=10)
            try:
                connection.request("POST", "/slack/events", body=request.body, headers=signed_headers(SECRET, request))
                assert connection.getresponse().status == 200
            finally:
                connection.close()
            assert "Acme Corp" in text_of(fake.wait_for("response_url", timeout=30)[0].body)
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stderr.close()
    # The secrets never reach the log.
    assert "xoxb-cli" not in line and SECRET not in line


def test_serve_refuses_incomplete_settings_and_names_what_to_set(db: str) -> None:
    result = tierbot("--db", db, "serve", env=clean_env(SLACK_BOT_TOKEN="xoxb-only"))
    assert result.exit_code == 1 and "SLACK_SIGNING_SECRET" in result.stderr
    result = tierbot("--db", db, "serve", env=clean_env())
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN" in result.stderr
    result = tierbot("--db", db, "serve", env=clean_env(SLACK_BOT_TOKEN="xoxp-user", SLACK_SIGNING_SECRET="s"))
    assert result.exit_code == 1 and "starting with xoxb-" in result.stderr


def test_start_opens_the_chat_without_slack_settings(db: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db", db, "start"],
        input="quit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "starting the terminal chat" in result.stderr and "tierbot chat" in result.stdout


def test_roles_grant_list_and_revoke(db: str) -> None:
    granted = tierbot("--db", db, "roles", "grant", "<@U0NEWLEAD>", "leaders")
    assert granted.exit_code == 0 and "Granted leader to user U0NEWLEAD." in granted.stdout
    again = tierbot("--db", db, "roles", "grant", "U0NEWLEAD", "leader")
    assert "already had leader" in again.stdout
    group = tierbot("--db", db, "roles", "grant", "<!subteam^S0MANAGERS|@cs-managers>", "manager")
    assert "S0MANAGERS" in group.stdout
    by_name = tierbot("--db", db, "roles", "grant", "casey park", "leader")
    assert "Granted leader to Casey Park (UDEMO0017). The roster also makes them a admin." in by_name.stdout
    listing = json.loads(tierbot("--db", db, "roles", "list", "--json").stdout)
    held = {(h["slack_id"], h["role"], h["source"]) for h in listing["holders"]}
    assert ("U0NEWLEAD", "leader", "granted") in held and ("UDEMO0001", "leader", "roster") in held
    assert ("S0MANAGERS", "manager", "granted") in held
    table = tierbot("--db", db, "roles", "list").stdout
    assert "Dana Whitfield" in table and "granted by cli:" in table
    assert "Revoked leader" in tierbot("--db", db, "roles", "revoke", "U0NEWLEAD", "leader").stdout
    refused = tierbot("--db", db, "roles", "revoke", "UDEMO0001", "leader")
    assert refused.exit_code == 1 and "in the roster, not by a grant" in refused.stderr
    unknown = tierbot("--db", db, "roles", "grant", "U0X", "boss")
    assert unknown.exit_code == 1 and "not a role" in unknown.stderr
    nobody = tierbot("--db", db, "roles", "grant", "dana whitfeld", "leader")
    assert nobody.exit_code == 1 and "did you mean" in nobody.stderr


def test_replay_prints_what_the_app_would_send_and_changes_nothing(db: str, tmp_path: Path) -> None:
    payload = tmp_path / "share.json"
    payload.write_text(
        json.dumps(
            {
                "type": "block_actions",
                "user": {"id": LEADER},
                "team": {"id": "T0TIERBOT"},
                "channel": {"id": "C0CS"},
                "container": {"type": "message", "message_ts": "1.2", "is_ephemeral": True},
                "response_url": "https://hooks.slack.com/actions/T/1/secret",
                "trigger_id": "1.2.3",
                "actions": [{"action_id": "tier_share", "value": "ACC-0000001", "type": "button"}],
            }
        )
    )
    result = tierbot("--db", db, "slack", "replay", str(payload))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Replayed block_actions tier_share: the app answered HTTP 200")
    assert '"response_type": "in_channel"' in result.stdout and "Shared by <@UDEMO0001>" in result.stdout
    as_json = json.loads(tierbot("--db", db, "slack", "replay", str(payload), "--json").stdout)
    assert [c["method"] for c in as_json["calls"]] == ["response_url", "response_url"]
    # Replays run on a copy: the real store has no trace of them.
    audit = tierbot("--db", db, "audit", "--json").stdout
    assert "tier_share" not in audit


def test_replay_takes_a_raw_form_body_and_explains_a_bad_file(db: str, tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(slash_command({"command": "/tier", "text": "", "user_id": LEADER, "response_url": "x"}).body)
    shown = tierbot("--db", db, "slack", "replay", str(raw))
    assert (
        "Replayed slash command /tier: the app answered HTTP 200" in shown.stdout and "/tier <account>" in shown.stdout
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    refused = tierbot("--db", db, "slack", "replay", str(bad))
    assert refused.exit_code == 1 and "not a Slack payload" in refused.stderr
    missing = tierbot("--db", db, "slack", "replay", str(tmp_path / "none.json"))
    assert missing.exit_code == 1 and "Cannot read" in missing.stderr


def test_replay_names_the_fields_a_payload_lacks(db: str, tmp_path: Path) -> None:
    view = tmp_path / "view.json"
    view.write_text(json.dumps({"type": "view_submission", "user": {"id": LEADER}, "view": {"callback_id": "x"}}))
    refused = tierbot("--db", db, "slack", "replay", str(view))
    assert refused.exit_code == 1 and "lacks `view.type`" in refused.stderr
    anonymous = tmp_path / "anon.json"
    anonymous.write_text(json.dumps({"command": "/tier", "text": "acme"}))
    assert "lacks `user_id`" in tierbot("--db", db, "slack", "replay", str(anonymous)).stderr


def test_replay_exits_non_zero_when_the_app_refuses(db: str, tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"command": "/nosuch", "text": "", "user_id": LEADER, "response_url": "x"}))
    result = tierbot("--db", db, "slack", "replay", str(unknown))
    assert result.exit_code == 1 and "the app answered HTTP 404" in result.stdout


def test_start_with_half_the_slack_settings_names_the_missing_one(db: str) -> None:
    result = tierbot("--db", db, "start", env=clean_env(SLACK_BOT_TOKEN="xoxb-half"))
    assert result.exit_code == 1 and "SLACK_SIGNING_SECRET" in result.stderr


def test_a_revoked_token_or_slack_out_of_reach_at_start_up_is_said_and_tried_again() -> None:
    from bot.config import SlackSettings
    from bot.slack.app import wait_for_slack

    said: list[str] = []
    with FakeSlack() as fake:
        fake.revoked.add("xoxb-revoked")
        settings = SlackSettings(bot_token="xoxb-revoked", signing_secret=SECRET, api_url=fake.api_url)
        pauses: list[float] = []

        def pause(seconds: float) -> None:
            pauses.append(seconds)
            if len(pauses) == 3:
                fake.revoked.clear()  # an admin reinstalled the app

        found = wait_for_slack(settings, say=said.append, sleep=pause)
    assert found["user_id"] == fake.bot_user_id
    assert pauses == [1.0, 2.0, 4.0]
    assert said[0] == (
        "Slack refused the bot token (token_revoked): check SLACK_BOT_TOKEN (your app's OAuth & Permissions page, "
        "Bot User OAuth Token; reinstall the app if the token was revoked). Trying again in 1 s (Ctrl-C stops)."
    )

    class Stop(Exception):
        pass

    def give_up(seconds: float) -> None:
        raise Stop

    down = SlackSettings(bot_token="xoxb-ok", signing_secret=SECRET, api_url="http://127.0.0.1:9/api/")
    with pytest.raises(Stop):
        wait_for_slack(down, say=said.append, sleep=give_up)
    assert said[-1].startswith("Cannot reach Slack at http://127.0.0.1:9/api/ (")
    assert "check SLACK_API_URL and the network. Trying again in 1 s" in said[-1]


def test_serve_with_a_revoked_token_says_so_without_a_traceback_and_starts_once_it_works(db: str) -> None:
    with FakeSlack() as fake:
        fake.revoked.add("xoxb-cli")
        env = clean_env(SLACK_BOT_TOKEN="xoxb-cli", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--db", db, "serve", "--port", "0"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []
        try:
            assert process.stderr is not None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any("listening on" in line for line in lines):
                lines.append(process.stderr.readline())
                if sum("token_revoked" in line for line in lines) == 2:
                    fake.revoked.clear()
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()
    log = "".join(lines)
    assert "Slack refused the bot token (token_revoked)" in log and "Trying again in 2 s" in log
    assert "Connected to Slack as tierbot" in log and "listening on" in log
    assert "Traceback" not in log and "xoxb-cli" not in log
