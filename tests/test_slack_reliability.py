"""Slack's rules under load and failure: concurrent requests all acked, Web API retries, roles via
user groups, and the trigger id used at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from slack_sdk import WebClient

from bot.slack.deps import GroupDirectory
from bot.slack.fake_api import FakeSlack
from store import Store
from workflows.clock import FixedClock
from workflows.roles import grant_role

from .slack_support import CSM, STRANGER, Workspace, holding_write_lock, text_of, workspace


def test_forty_concurrent_tier_commands_are_all_acked_and_answered(slack: Workspace) -> None:
    names = [r[0] for r in slack.registry.deps.store.rows("SELECT name FROM accounts LIMIT 40")]
    requests = [slack.command_request("/tier", name, user=CSM) for name in names]
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(slack.post, requests))
    assert [a.status for a in answers] == [200] * 40  # how fast: bench/bench_slack.py measures it
    replies = slack.fake.wait_for("response_url", 40, timeout=60)
    assert all(r.status == 200 for r in replies)


def test_a_server_error_from_slack_is_retried(slack: Workspace) -> None:
    slack.fake.fail_next("views.publish", 503)
    slack.open_home(CSM)
    calls = slack.fake.wait_for("views.publish", 2)
    assert [c.status for c in calls] == [503, 200]


def test_a_rate_limit_is_waited_out(slack: Workspace) -> None:
    slack.fake.fail_next("conversations.open", 429, retry_after=1)
    slack.command("/segment", user=CSM)
    opened = slack.fake.wait_for("conversations.open", 2)
    assert [c.status for c in opened] == [429, 200]
    assert opened[1].at - opened[0].at >= 0.9  # it waited for Retry-After
    slack.fake.wait_for("files.completeUploadExternal")


@pytest.fixture
def grouped(demo_store: Store, clock: FixedClock) -> Iterator[Workspace]:
    with workspace(demo_store, clock, usergroups={"S0LEADS": [STRANGER, "U0OTHER"]}) as ws:
        yield ws


def test_a_role_granted_to_a_user_group_applies_to_its_members(grouped: Workspace) -> None:
    deps = grouped.registry.deps
    refused = grouped.command("/tier", "acme corp", user=STRANGER).json()
    assert "does not know you yet" in text_of(refused)
    grant_role(deps.store, "<!subteam^S0LEADS|@cs-leads>", "csm", actor="test", clock=deps.clock)
    assert grouped.command("/tier", "acme corp", user=STRANGER).body == ""
    assert "Acme Corp" in text_of(grouped.last_reply())
    lists = grouped.fake.calls_to("usergroups.users.list")
    assert [c.body["usergroup"] for c in lists] == ["S0LEADS"]
    # Membership is remembered: the next request does not ask Slack again.
    grouped.command("/tier", "acme health", user=STRANGER)
    grouped.replies(2)
    assert len(grouped.fake.calls_to("usergroups.users.list")) == 1


def test_when_slack_refuses_an_expired_trigger_the_person_is_told_to_try_again(
    demo_store: Store, clock: FixedClock
) -> None:
    with workspace(demo_store, clock, trigger_ttl_s=0.0) as ws:  # every trigger has expired on arrival
        answer = ws.command("/workload", user=CSM)
        assert answer.status == 200 and answer.body == ""  # acked first, then the form is tried
        assert "window for opening the form" in text_of(ws.last_reply())
        assert ws.fake.calls_to("views.open")[0].response["error"] == "expired_trigger_id"


def test_a_rate_limited_modal_is_not_retried_past_the_triggers_life(slack: Workspace) -> None:
    slack.fake.fail_next("views.open", 429, retry_after=3)
    answer = slack.command("/workload", user=CSM)
    assert answer.status == 200
    assert "Slack asked tierbot to slow down" in text_of(slack.last_reply())
    assert len(slack.fake.calls_to("views.open")) == 1  # a retry would come too late for the trigger


def test_group_membership_is_refreshed_in_the_background_while_the_last_answer_serves(store: Store) -> None:
    grant_role(store, "S0LEADS", "leader", actor="test", clock=FixedClock(datetime(2026, 1, 1)))
    moment = [0.0]
    groups = GroupDirectory(ttl_s=60, now=lambda: moment[0])
    with FakeSlack(usergroups={"S0LEADS": ["U1"]}) as fake:
        client = WebClient(token="xoxb-t", base_url=fake.api_url)
        assert groups.groups_of(store, client, "U1") == ["S0LEADS"]
        fake.usergroups["S0LEADS"] = ["U2"]  # membership changes in Slack
        moment[0] = 30.0
        assert groups.groups_of(store, client, "U1") == ["S0LEADS"]  # still fresh: no call
        assert len(fake.calls_to("usergroups.users.list")) == 1
        moment[0] = 61.0
        assert groups.groups_of(store, client, "U1") == ["S0LEADS"]  # stale: served, refreshed behind
        fake.wait_for("usergroups.users.list", 2)
        deadline = time.monotonic() + 5
        while groups.groups_of(store, client, "U2") != ["S0LEADS"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert groups.groups_of(store, client, "U2") == ["S0LEADS"]
        assert groups.groups_of(store, client, "U1") == []


def test_acks_do_not_wait_while_the_store_is_busy_writing(slack: Workspace) -> None:
    import threading

    from store import open_store

    store = slack.registry.deps.store

    def hold_the_write_lock(other_process: bool, held: threading.Event, release: threading.Event) -> None:
        # A long write: `tiers apply` on this bot (same connection), or an import in another process.
        target = open_store(store.path) if other_process else store
        with target.transaction():
            target.execute("UPDATE meta SET value = value WHERE key = 'accounts_version'")
            held.set()
            release.wait(15)
        if other_process:
            target.close()

    for other_process in (False, True):
        held, release = threading.Event(), threading.Event()
        writer = threading.Thread(target=hold_the_write_lock, args=(other_process, held, release))
        writer.start()
        assert held.wait(5)
        try:
            answer = slack.command("/tier", "acme corp", user=CSM)
            # The ack came back while the write was still open: nothing before it waited for the store.
            assert answer.status == 200 and writer.is_alive() and not release.is_set()
        finally:
            release.set()
            writer.join()
    assert len(slack.fake.wait_for("response_url", 2, timeout=15)) == 2  # the answers followed


def test_answers_do_not_wait_behind_another_process_holding_the_write_lock(slack: Workspace) -> None:
    store = slack.registry.deps.store
    with holding_write_lock(store.path, 30):
        # Every request writes a little bookkeeping, and a denial writes its audit entry: all of it
        # waits for the lock, none of it may hold up an answer.
        for _ in range(6):
            slack.command("/tier", "acme health", user=STRANGER)
            slack.command("/tier", "acme health", user=CSM)
        started = time.monotonic()
        answer = slack.command("/tier", "acme corp", user=CSM)
        assert answer.status == 200
        assert "Acme Corp" in text_of(slack.last_reply())
        assert time.monotonic() - started < 3.0


def test_a_long_rate_limit_on_one_method_does_not_hold_other_answers(slack: Workspace) -> None:
    slack.fake.fail_next("chat.postMessage", 429, retry_after=30, times=100)
    for _ in range(6):  # picked in App Home: each answer goes by DM, through chat.postMessage
        slack.click("tier_pick", "ACC-0000002", user=CSM, home=True)
    slack.fake.wait_for("chat.postMessage", 4)
    started = time.monotonic()
    slack.command("/tier", "acme corp", user=CSM)  # answered through its response URL
    assert "Acme Corp" in text_of(slack.last_reply())
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("status", [429, 502, 503])
def test_a_reply_through_the_response_url_is_retried_on_rate_limits_and_server_errors(
    slack: Workspace, status: int
) -> None:
    slack.fake.fail_next("response_url", status, retry_after=1)
    slack.command("/tier", "acme corp", user=CSM)
    assert "Acme Corp" in text_of(slack.last_reply())
    assert [c.status for c in slack.fake.calls_to("response_url")] == [status, 200]


def test_an_answer_slack_no_longer_takes_through_the_response_url_comes_by_dm(slack: Workspace) -> None:
    slack.fake.fail_next("response_url", 503, times=5)
    slack.command("/tier", "acme corp", user=CSM)
    dm = slack.fake.wait_for("chat.postMessage")[0].body
    assert dm["channel"] == CSM and "Acme Corp" in text_of(dm)
