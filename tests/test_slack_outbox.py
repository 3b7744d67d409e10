"""The outbox: what follows a decision is recorded with it and delivered once, also when the bot
dies after the ack (a real `tierbot serve`, killed and started again), and an acked request is
never lost."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.slack.fake_api import Call, FakeSlack
from bot.slack.outbox import Deliverer
from bot.slack.signing import SlackRequest, interaction, signed_headers, slash_command
from store import Store, open_store
from workflows.clock import FixedClock
from workflows.drafting import NoteWriter
from workflows.outbox import Effect, claim_effects, record_effects, release_dead_claims

from .slack_support import (
    CSM,
    CSM_EMEA,
    LEADER,
    MANAGER_NA,
    SECRET,
    TEAM,
    Workspace,
    buttons_of,
    command_fields,
    holding_write_lock,
    movable_account,
    text_of,
    view_submission,
)
from .test_cli import ROOT, tierbot
from .test_slack_handoff import approved_with_note
from .test_slack_workload import HOURS, values

CHANNEL = "C0MANAGERS"
SAM = "UDEMO0007"


# ---------------------------------------------------------------------------------- the queue


def test_an_effect_recorded_twice_is_one_effect_delivered_once(store: Store, clock: FixedClock) -> None:
    effect = Effect("handoff:1:approved:dm:U1", "handoff.dm", {"handoff": 1, "user": "U1"})
    assert len(record_effects(store, [effect], actor="t", clock=clock)) == 1
    assert record_effects(store, [effect, effect], actor="t", clock=clock) == []  # a retry, a double click
    first = claim_effects(store, limit=5, claimer="host:1")
    assert [e.key for e in first] == [effect.key] and first[0].attempts == 1
    assert claim_effects(store, limit=5, claimer="host:2") == []  # claimed: nobody else delivers it


def test_a_claim_of_a_process_that_is_gone_is_taken_back_at_once(store: Store, clock: FixedClock) -> None:
    import socket

    record_effects(store, [Effect("k", "handoff.dm", {})], actor="t", clock=clock)
    host = socket.gethostname()
    assert claim_effects(store, limit=1, claimer=f"{host}:999999") != []
    assert release_dead_claims(store, alive=lambda pid: pid != 999999) == 1
    assert [e.key for e in claim_effects(store, limit=1, claimer=f"{host}:{os.getpid()}")] == ["k"]
    assert release_dead_claims(store, alive=lambda pid: True) == 0  # a live process keeps its claim


# ---------------------------------------------------------------------------------- acked is recorded


def test_an_acked_handoff_is_carried_out_by_the_next_bot_when_the_first_died_after_the_ack(slack: Workspace) -> None:
    deps = slack.registry.deps
    store = deps.store
    assert deps.deliverer is not None
    deps.deliverer.stop(drain_s=0)  # this bot dies the moment it has acked: nothing after the ack runs
    crm_id = movable_account(store)
    answer = slack.command("/handoff", f"{crm_id} to <@{SAM}> because Jordan is over capacity", user=CSM)
    assert answer.status == 200
    assert store.scalar("SELECT kind FROM outbox WHERE state = 'pending'") == "slack.handoff_propose"
    assert store.scalar("SELECT COUNT(*) FROM handoffs") == 0
    # The next bot (a restart) finds the request and carries it out.
    client = slack.registry.bolt.client
    again = Deliverer(store, deps.clock, lambda team: client, NoteWriter(), deps=deps).start()
    try:
        said = text_of(slack.last_reply())
        assert "Handoff #1" in said and f"asked <@{MANAGER_NA}> by DM" in said
        assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "proposed"
    finally:
        again.stop()


def test_a_busy_store_makes_the_ack_say_so_within_three_seconds_and_records_nothing(slack: Workspace) -> None:
    store = slack.registry.deps.store
    crm_id = movable_account(store)
    with holding_write_lock(store.path, 20):  # an import in another process
        started = time.monotonic()
        answer = slack.command("/handoff", f"{crm_id} to <@{SAM}> because capacity", user=CSM)
        elapsed = time.monotonic() - started
        lookup = slack.command("/tier", "acme corp", user=CSM)  # reads are not held up at all
    assert answer.status == 200 and elapsed < 3.0, elapsed
    assert "store is busy" in text_of(answer.json()) and "nothing was done" in text_of(answer.json())
    assert lookup.status == 200 and lookup.elapsed_s < 1.0
    assert store.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'slack.handoff_propose'") == 0
    assert "Acme Corp" in text_of(slack.last_reply())


# ---------------------------------------------------------------------------------- killed after the ack


@dataclass
class Bot:
    """A real `tierbot serve` in another process."""

    process: subprocess.Popen[str]
    port: int
    log: list[str] = field(default_factory=list)

    def post(self, request: SlackRequest) -> int:
        return self.send(request)[0]

    def send(self, request: SlackRequest) -> tuple[int, str]:
        """The HTTP status and body of the bot's answer (the ack)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("POST", "/slack/events", body=request.body, headers=signed_headers(SECRET, request))
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def serving(db: str, fake: FakeSlack) -> Iterator[Bot]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {"SLACK_BOT_TOKEN": "xoxb-kill", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", db, "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    log: list[str] = []
    port: list[int] = []
    ready = threading.Event()

    def read() -> None:  # keep reading, or a full pipe would stop the bot mid-test
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            if found := re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line):
                port.append(int(found.group(1)))
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(60), "".join(log)
        yield Bot(process, port[0], log)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        reader.join(timeout=5)
        process.stderr.close()


def outbox(db: str) -> list[dict[str, Any]]:
    with open_store(db) as store:
        return store.query("SELECT key, kind, state, attempts, error FROM outbox ORDER BY id")


def wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def settled(rows: list[dict[str, Any]]) -> bool:
    """Nothing being sent right now, and every effect not done has been tried at least once."""
    return bool(rows) and all(r["state"] == "done" or (r["state"] == "pending" and r["attempts"] >= 1) for r in rows)


def delivered(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls if c.status == 200 and c.response.get("ok", True) and c.method != "auth.test"]


def fingerprint(call: Call) -> str:
    """What makes a delivery the same delivery: where it went and what it said."""
    body = {k: v for k, v in call.body.items() if k in ("channel", "ts", "thread_ts", "text", "user_id")}
    return f"{call.method} {call.url} {json.dumps(body, sort_keys=True)}"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "kill.db")
    assert tierbot("--db", path, "demo").exit_code == 0
    assert tierbot("--db", path, "handoff", "settings", "--channel", CHANNEL).exit_code == 0
    return path


def propose_and_approve(bot: Bot, fake: FakeSlack, db: str, *, channel_ts: str | None) -> None:
    with open_store(db) as store:
        crm_id = movable_account(store)
    fields = command_fields(fake, "/handoff", f"{crm_id} to <@{SAM}> because capacity", user=CSM, channel="C0CSMS")
    assert bot.post(slash_command(fields)) == 200
    wait_for(lambda: any(r["kind"] == "handoff.request" for r in outbox(db)), "the request to be recorded")
    if channel_ts == "posted":
        wait_for(
            lambda: any(c.method == "chat.postMessage" and c.body.get("channel") == CHANNEL for c in delivered(fake)),
            "the request's post",
        )
        channel_ts = next(c.response["ts"] for c in delivered(fake) if c.body.get("channel") == CHANNEL)
    click = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "tierbot-fake"},
        "user": {"id": MANAGER_NA, "username": "marcus", "team_id": TEAM},
        "api_app_id": "A0TIERBOT",
        "trigger_id": fake.new_trigger_id(),
        "actions": [{"action_id": "handoff_approve", "block_id": "b", "type": "button", "value": "1"}],
        "container": {"type": "message", "message_ts": channel_ts or "1.0", "channel_id": CHANNEL},
        "channel": {"id": CHANNEL},
        "response_url": fake.response_url(),
    }
    assert bot.post(interaction(click)) == 200
    wait_for(lambda: any(r["kind"] == "handoff.note" for r in outbox(db)), "the decision to be recorded")


def test_a_bot_killed_before_it_could_tell_anyone_tells_everyone_once_after_a_restart(db: str) -> None:
    with FakeSlack() as fake:
        for method in ("chat.postMessage", "chat.update"):  # Slack slows it down: nothing gets out
            fake.fail_next(method, 429, retry_after=2, times=10_000)
        with serving(db, fake) as first:
            propose_and_approve(first, fake, db, channel_ts=None)
            wait_for(lambda: settled(outbox(db)), "every effect tried once")
            waiting = [r for r in outbox(db) if r["state"] != "done"]
            assert {r["kind"] for r in waiting} >= {"handoff.request", "handoff.note", "handoff.dm"}
            first.kill()  # after the ack, before anyone was told
        fake.clear_failures()
        fake.clear()
        with serving(db, fake):
            wait_for(lambda: all(r["state"] == "done" for r in outbox(db)), "the outbox to empty")
        calls = delivered(fake)
    prints = [fingerprint(c) for c in calls]
    assert len(prints) == len(set(prints)), "something was delivered twice:\n" + "\n".join(sorted(prints))
    posts = [c.body for c in calls if c.method == "chat.postMessage"]
    channel = [p for p in posts if p["channel"] == CHANNEL]
    assert len(channel) == 1 and "Approved by" in text_of(channel[0])  # posted late, so posted decided
    assert sum(p["channel"] == SAM and "note_approve" in json.dumps(p) for p in posts) == 1  # the note, once
    assert {p["channel"] for p in posts if "Approved by" in text_of(p)} >= {CSM, SAM}  # both CSMs told, once each
    replies = [text_of(c.body) for c in calls if c.method == "response_url"]
    assert sum("Handoff #1: posted in" in r for r in replies) == 1  # the requester hears where it went
    with open_store(db) as store:
        assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "approved"
        assert store.scalar("SELECT COUNT(*) FROM handoff_drafts") == 1  # drafted once, reused after the restart


def test_a_bot_killed_half_way_delivers_the_rest_after_a_restart_and_nothing_twice(db: str) -> None:
    with FakeSlack() as fake:
        fake.fail_next("chat.update", 429, retry_after=2, times=10_000)  # only the channel message waits
        with serving(db, fake) as first:
            propose_and_approve(first, fake, db, channel_ts="posted")
            wait_for(
                lambda: (
                    settled(outbox(db))
                    and any(r["kind"] == "handoff.thread" and r["state"] == "done" for r in outbox(db))
                ),
                "all but the update delivered",
            )
            assert [r["kind"] for r in outbox(db) if r["state"] != "done"] == ["handoff.update"]
            before = delivered(fake)
            first.kill()
        fake.clear_failures()
        fake.clear()
        with serving(db, fake):
            wait_for(lambda: all(r["state"] == "done" for r in outbox(db)), "the outbox to empty")
        after = delivered(fake)
    assert [c.method for c in after if c.method != "views.publish"] == ["chat.update"]  # the one left, once
    assert "Approved by" in text_of(after[-1].body if after[-1].method == "chat.update" else after[0].body)
    assert sum(c.method == "chat.postMessage" for c in before) == 5  # the request, the note, 2 DMs, the thread
    assert sum(c.method == "response_url" for c in before) == 1  # the requester's confirmation


# ---------------------------------------------------------------------------------- customer notes


def unfinished(store: Store) -> list[str]:
    return [str(r[0]) for r in store.rows("SELECT kind FROM outbox WHERE state IN ('pending', 'sending') ORDER BY id")]


def the_bot_dies_after_its_acks(slack: Workspace) -> Deliverer:
    """Let what is under way finish, then stop delivering (a bot that dies the moment it has
    acked); returns the next bot's deliverer, not started."""
    deps = slack.registry.deps
    slack.wait_until(lambda: unfinished(deps.store) == [], timeout=10)
    assert deps.deliverer is not None
    deps.deliverer.stop(drain_s=0)
    client = slack.registry.bolt.client
    return Deliverer(deps.store, deps.clock, lambda team: client, NoteWriter(), deps=deps)


def note_dm(slack: Workspace, post: dict[str, Any]) -> dict[str, Any]:
    """The new CSM's DM with the note, as it stands in Slack now."""
    message = slack.fake.message(post["channel"], post["ts"])
    assert message is not None
    return message


def homes_of(slack: Workspace, user: str) -> list[dict[str, Any]]:
    return [c.body["view"] for c in slack.fake.calls_to("views.publish") if c.body.get("user_id") == user]


def test_an_acked_note_click_is_carried_out_by_the_next_bot_when_the_first_died_after_the_ack(
    slack: Workspace,
) -> None:
    post = approved_with_note(slack)
    store = slack.registry.deps.store
    next_bot = the_bot_dies_after_its_acks(slack)
    homes = len(homes_of(slack, SAM))
    answer = slack.click("note_approve", "1", user=SAM, channel=post["channel"], message_ts=post["ts"])
    assert answer.status == 200
    # Acked and recorded; nothing of it carried out yet.
    assert unfinished(store) == ["slack.note_decide"]
    assert store.scalar("SELECT state FROM handoff_drafts WHERE id = 1") == "draft"
    next_bot.start()
    try:
        slack.wait_until(lambda: "Approved by <@UDEMO0007>" in text_of(note_dm(slack, post)), timeout=10)
        slack.wait_until(lambda: len(homes_of(slack, SAM)) > homes)
    finally:
        next_bot.stop()
    assert set(buttons_of(note_dm(slack, post))) == {"note_sent"}
    assert store.scalar("SELECT state FROM handoff_drafts WHERE id = 1") == "approved"
    assert "approved: send it, then mark it sent" in text_of(homes_of(slack, SAM)[-1])
    updates = [
        c
        for c in slack.fake.calls_to("chat.update")
        if (c.body["channel"], c.body["ts"]) == (post["channel"], post["ts"])
    ]
    assert len(updates) == 1  # shown once
    assert unfinished(store) == []


def edit_values(subject: str, body: str) -> dict[str, Any]:
    return {
        "subject": {"value": {"type": "plain_text_input", "value": subject}},
        "body": {"value": {"type": "plain_text_input", "value": body}},
    }


def test_an_acked_note_edit_is_saved_by_the_next_bot_and_shown_in_the_same_dm(slack: Workspace) -> None:
    post = approved_with_note(slack)
    store = slack.registry.deps.store
    edit = lambda: slack.click("note_edit", "1", user=SAM, channel=post["channel"], message_ts=post["ts"])  # noqa: E731
    form = slack.calls_after(edit, "views.open")[0].response["view"]
    next_bot = the_bot_dies_after_its_acks(slack)
    good = "Hi! From 6 December 2026, Sam Patel will be your Customer Success Manager."
    answer = slack.submit(form, edit_values("Meet Sam Patel", good), user=SAM)
    assert answer.status == 200 and answer.json().get("response_action") == "clear"
    assert unfinished(store) == ["slack.note_decide"]
    assert store.scalar("SELECT COUNT(*) FROM handoff_drafts") == 1
    next_bot.start()
    try:
        slack.wait_until(lambda: "Edited by a person" in text_of(note_dm(slack, post)), timeout=10)
        assert "note_approve" in buttons_of(note_dm(slack, post)) and good in text_of(note_dm(slack, post))
        rows = store.query("SELECT state, channel, ts FROM handoff_drafts ORDER BY id")
        assert [r["state"] for r in rows] == ["discarded", "draft"]
        assert (rows[1]["channel"], rows[1]["ts"]) == (post["channel"], post["ts"])  # the edit took over the DM
        # Approving the edit (its button in the same DM) shows it approved there.
        slack.click("note_approve", "2", user=SAM, channel=post["channel"], message_ts=post["ts"])
        slack.wait_until(lambda: "Approved by <@UDEMO0007>" in text_of(note_dm(slack, post)), timeout=10)
    finally:
        next_bot.stop()


def test_a_busy_store_makes_a_note_click_say_so_within_three_seconds_and_records_nothing(slack: Workspace) -> None:
    post = approved_with_note(slack)
    store = slack.registry.deps.store
    slack.wait_until(lambda: unfinished(store) == [], timeout=10)
    with holding_write_lock(store.path, 20):
        started = time.monotonic()
        answer = slack.click("note_approve", "1", user=SAM, channel=post["channel"], message_ts=post["ts"])
        said = text_of(slack.last_reply())
        elapsed = time.monotonic() - started
    assert answer.status == 200 and elapsed < 3.0, elapsed
    assert "store is busy" in said and "nothing was done" in said
    assert store.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'slack.note_decide'") == 0
    assert store.scalar("SELECT state FROM handoff_drafts WHERE id = 1") == "draft"


def test_a_note_decided_on_the_command_line_shows_in_the_new_csms_dm(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    assert tierbot("--db", db, "demo").exit_code == 0
    with FakeSlack() as fake:
        env = {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake.api_url}

        def run(*args: str) -> None:
            result = tierbot("--db", db, *args, env=env)
            assert result.exit_code == 0, result.stderr

        run("handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "r", "--as", "jordan-blake")
        run("handoff", "approve", "1", "--as", "marcus-chen")  # the note goes to Sam's DM
        dm = next(c.response for c in fake.calls_to("chat.postMessage") if "note_approve" in json.dumps(c.body))
        run("draft", "1", "--approve", "--as", "sam-patel")
        approved = fake.message(dm["channel"], dm["ts"])
        assert approved is not None and "Approved by Sam Patel (via cli:" in text_of(approved)
        assert set(buttons_of(approved)) == {"note_sent"}  # no Approve left to click
        run("draft", "1", "--sent", "--as", "sam-patel")
        sent = fake.message(dm["channel"], dm["ts"])
        assert sent is not None and buttons_of(sent) == {} and "marked sent" in text_of(sent)
        assert len(fake.calls_to("chat.update")) == 2


# ---------------------------------------------------------------------------------- workload


def workload_form(slack: Workspace, user: str = CSM) -> dict[str, Any]:
    return slack.calls_after(lambda: slack.command("/workload", user=user), "views.open")[0].response["view"]


def test_a_workload_estimate_is_saved_before_the_ack_says_so(slack: Workspace) -> None:
    deps = slack.registry.deps
    store = deps.store
    form = workload_form(slack)
    # Every work thread busy with slow answers: nothing after the ack could run now.
    release = threading.Event()
    for _ in range(8):
        deps.work.submit(release.wait, 20)
    try:
        answer = slack.submit(form, values(HOURS), user=CSM)
        assert "Saved your estimate for *2026-Q4*" in text_of(answer.json()["view"])
        # Saved by the time the person reads "Saved", and what follows it recorded with it.
        assert store.scalar("SELECT escalations FROM workload_submissions WHERE csm_id = 'jordan-blake'") == 3.5
        keys = [str(r[0]) for r in store.rows("SELECT key FROM outbox WHERE kind = 'home.publish'")]
        assert "workload:jordan-blake:2026-Q4:1:home" in keys
    finally:
        release.set()
    home = slack.fake.wait_until(lambda calls: any(c.method == "views.publish" for c in calls))
    shown = [c.body["view"] for c in home if c.method == "views.publish" and c.body["user_id"] == CSM][-1]
    assert "*Your workload, 2026-Q4:* 32.5 h a week of work" in text_of(shown)


def test_a_busy_store_keeps_the_workload_form_open_saying_nothing_was_saved(slack: Workspace) -> None:
    store = slack.registry.deps.store
    form = workload_form(slack)
    with holding_write_lock(store.path, 20):
        answer = slack.submit(form, values(HOURS), user=CSM)
    assert answer.status == 200 and answer.elapsed_s < 3.0, answer.elapsed_s
    said = answer.json()
    assert said["response_action"] == "errors"  # the form stays open, with what was typed
    assert "store is busy" in said["errors"]["onboarding"] and "nothing was done" in said["errors"]["onboarding"]
    assert store.scalar("SELECT COUNT(*) FROM workload_submissions") == 0


def test_a_workload_round_acked_is_started_reminded_and_closed_by_the_next_bot(slack: Workspace) -> None:
    store = slack.registry.deps.store
    slack.fake.unreachable.add(CSM_EMEA)  # Lena's account was deactivated: no DM reaches her
    next_bot = the_bot_dies_after_its_acks(slack)
    assert slack.command("/workload", "start", user=LEADER).status == 200
    assert unfinished(store) == ["slack.workload_start"]
    assert store.scalar("SELECT COUNT(*) FROM workload_rounds") == 0
    next_bot.start()
    try:
        started = text_of(slack.last_reply())
        assert "asked 11 CSM(s) by DM" in started and "Could not DM: Lena Fischer" in started
        dms = [c for c in slack.fake.calls_to("chat.postMessage") if c.response.get("ok")]
        assert len(dms) == 11 and len({c.body["channel"] for c in dms}) == 11  # one each
        asked = store.query("SELECT csm_id, channel FROM workload_requests ORDER BY csm_id")
        assert len(asked) == 12 and [r["csm_id"] for r in asked if r["channel"] is None] == ["lena-fischer"]
        slack.command("/workload", "remind", user=LEADER)
        reminded = text_of(slack.last_reply())
        assert "Reminded 11 CSM(s)" in reminded and "Could not DM: Lena Fischer" in reminded
        slack.command("/workload", "close", user=LEADER)
        summary = slack.last_reply()
        assert summary["response_type"] == "in_channel" and "0 of 12 CSMs answered" in text_of(summary)
        slack.command("/workload", "close", user=LEADER)  # closed already: said, nothing else happens
        assert "No workload round is open" in text_of(slack.last_reply())
    finally:
        next_bot.stop()
    assert store.scalar("SELECT closed_by FROM workload_rounds") == f"slack:{LEADER}"
    assert store.scalar("SELECT SUM(reminders) FROM workload_requests") == 11


def test_an_acked_activation_is_carried_out_once_by_the_next_bot_even_half_done(slack: Workspace) -> None:
    from workflows.rules import propose

    deps = slack.registry.deps
    store = deps.store
    draft = propose(store, actor="test", clock=deps.clock, books=deps.books, by="arr-share", bands=[15, 40]).name
    slack.command("/segment", f"simulate {draft}")
    value = buttons_of(slack.last_reply())["rules_activate"]
    first_bot = the_bot_dies_after_its_acks(slack)
    activations = store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'rules.activate'")
    for _ in range(2):  # a double click: one request
        assert slack.click("rules_activate", value, message_ts="1700000005.000100").status == 200
    assert unfinished(store) == ["slack.rules_activate"]
    assert store.scalar("SELECT name FROM rule_sets WHERE state = 'active'") == "fy27-tiers"
    # The next bot activates it and dies before the book is tiered again.
    intent = str(store.scalar("SELECT key FROM outbox WHERE kind = 'slack.rules_activate'"))
    assert [o.state for o in first_bot.deliver_now([intent], patience_s=0)] == ["done"]
    assert store.scalar("SELECT name FROM rule_sets WHERE state = 'active'") == draft
    assert unfinished(store) == ["rules.apply"]
    runs = store.scalar("SELECT COUNT(*) FROM tier_runs")
    third_bot = Deliverer(store, deps.clock, lambda team: slack.registry.bolt.client, NoteWriter(), deps=deps).start()
    try:
        slack.wait_until(lambda: unfinished(store) == [], timeout=30)
    finally:
        third_bot.stop()
    announced = [c.body for c in slack.fake.calls_to("response_url") if c.body.get("response_type") == "in_channel"]
    assert len(announced) == 1 and f"<@{LEADER}> activated *{draft}*" in text_of(announced[0])
    assert store.scalar("SELECT COUNT(*) FROM tier_runs") == runs + 1
    assert store.scalar("SELECT rule_set FROM tier_runs ORDER BY id DESC LIMIT 1") == draft
    activated = store.query("SELECT actor FROM audit_log WHERE action = 'rules.activate' ORDER BY id")
    assert len(activated) == activations + 1 and activated[-1]["actor"] == f"slack:{LEADER}"


# ---------------------------------------------------------------------------------- killed after the ack, again


def settle(db: str) -> None:
    wait_for(lambda: all(r["state"] == "done" for r in outbox(db)), "everything before to be delivered")


def test_a_note_approval_killed_after_the_ack_is_shown_once_after_a_restart(db: str) -> None:
    with FakeSlack() as fake:
        with serving(db, fake) as first:
            propose_and_approve(first, fake, db, channel_ts="posted")
            settle(db)
            dm = next(
                c.response
                for c in delivered(fake)
                if c.body.get("channel") == SAM and "note_approve" in json.dumps(c.body)
            )
            for method in ("chat.update", "views.publish"):  # Slack slows it down: nothing gets out
                fake.fail_next(method, 429, retry_after=2, times=10_000)
            fake.clear()
            click = {
                "type": "block_actions",
                "team": {"id": TEAM, "domain": "tierbot-fake"},
                "user": {"id": SAM, "username": "sam", "team_id": TEAM},
                "api_app_id": "A0TIERBOT",
                "trigger_id": fake.new_trigger_id(),
                "actions": [{"action_id": "note_approve", "block_id": "b", "type": "button", "value": "1"}],
                "container": {"type": "message", "message_ts": dm["ts"], "channel_id": dm["channel"]},
                "channel": {"id": dm["channel"]},
                "response_url": fake.response_url(),
            }
            assert first.post(interaction(click)) == 200
            wait_for(lambda: any(r["kind"] == "note.show" for r in outbox(db)), "the approval to be recorded")
            wait_for(lambda: settled(outbox(db)), "every effect tried once")
            assert {r["kind"] for r in outbox(db) if r["state"] != "done"} == {"note.show", "home.publish"}
            first.kill()  # after the ack and the decision, before the new CSM saw it
        fake.clear_failures()
        fake.clear()
        with serving(db, fake):
            wait_for(lambda: all(r["state"] == "done" for r in outbox(db)), "the outbox to empty")
        calls = delivered(fake)
        shown = fake.message(dm["channel"], dm["ts"])
    assert sorted(c.method for c in calls) == ["chat.update", "views.publish"], [c.method for c in calls]  # once each
    assert next(c for c in calls if c.method == "views.publish").body["user_id"] == SAM
    assert (
        shown is not None and "Approved by <@UDEMO0007>" in text_of(shown) and set(buttons_of(shown)) == {"note_sent"}
    )
    with open_store(db) as store:
        assert store.scalar("SELECT state FROM handoff_drafts WHERE id = 1") == "approved"
        assert store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'note.approve'") == 1


def test_a_workload_estimate_acked_before_a_kill_is_kept_and_followed_once_after_a_restart(db: str) -> None:
    with FakeSlack() as fake:
        with serving(db, fake) as first:
            assert first.post(slash_command(command_fields(fake, "/workload", "start", user=LEADER))) == 200
            wait_for(
                lambda: len([c for c in delivered(fake) if c.method == "chat.postMessage"]) >= 12, "the round's DMs"
            )
            wait_for(lambda: any(c.method == "response_url" for c in delivered(fake)), "the round's start said")
            asked = next(
                c.response for c in delivered(fake) if c.method == "chat.postMessage" and c.body["channel"] == CSM
            )
            assert first.post(slash_command(command_fields(fake, "/workload", user=CSM))) == 200
            wait_for(lambda: any(c.method == "views.open" for c in delivered(fake)), "the form")
            form = next(c.response["view"] for c in delivered(fake) if c.method == "views.open")
            for method in ("chat.update", "views.publish"):  # Slack slows it down: nothing gets out
                fake.fail_next(method, 429, retry_after=2, times=10_000)
            fake.clear()
            status, body = first.send(view_submission(fake, form, values(HOURS), user=CSM))
            assert status == 200 and "Saved your estimate" in text_of(json.loads(body)["view"])
            first.kill()  # the moment the person read "Saved"
        with open_store(db) as store:  # saved, and what follows it recorded with it
            assert store.scalar("SELECT escalations FROM workload_submissions WHERE csm_id = 'jordan-blake'") == 3.5
        assert {r["kind"] for r in outbox(db) if r["state"] != "done"} == {"home.publish", "workload.answered"}
        fake.clear_failures()
        fake.clear()
        with serving(db, fake):
            wait_for(lambda: all(r["state"] == "done" for r in outbox(db)), "the outbox to empty")
        calls = delivered(fake)
        dm = fake.message(asked["channel"], asked["ts"])
    assert sorted(c.method for c in calls) == ["chat.update", "views.publish"], [c.method for c in calls]
    assert dm is not None and "estimate is in" in text_of(dm)
    published = next(c for c in calls if c.method == "views.publish")
    assert published.body["user_id"] == CSM and "32.5 h a week of work" in text_of(published.body["view"])


def test_a_workload_round_killed_after_the_ack_asks_everyone_once_after_a_restart(db: str) -> None:
    with FakeSlack() as fake:
        fake.fail_next("chat.postMessage", 429, retry_after=2, times=10_000)  # Slack slows it down: no DM gets out
        with serving(db, fake) as first:
            assert first.post(slash_command(command_fields(fake, "/workload", "start", user=LEADER))) == 200
            wait_for(lambda: any(r["kind"] == "workload.ask" for r in outbox(db)), "the round to be recorded")
            wait_for(lambda: settled(outbox(db)), "every DM tried once")
            first.kill()
        with open_store(db) as store:
            assert store.scalar("SELECT COUNT(*) FROM workload_requests WHERE channel IS NULL") == 12
        fake.clear_failures()
        fake.clear()
        with serving(db, fake):
            wait_for(lambda: all(r["state"] == "done" for r in outbox(db)), "the outbox to empty")
        calls = delivered(fake)
    dms = [c.body["channel"] for c in calls if c.method == "chat.postMessage"]
    assert len(dms) == 12 and len(set(dms)) == 12  # each CSM asked once
    replies = [text_of(c.body) for c in calls if c.method == "response_url"]
    assert len(replies) == 1 and "asked 12 CSM(s) by DM" in replies[0]
    with open_store(db) as store:
        assert store.scalar("SELECT COUNT(*) FROM workload_rounds") == 1
        assert store.scalar("SELECT COUNT(*) FROM workload_requests WHERE channel IS NULL") == 0
