"""Slack's rules under load and failure: concurrent requests all acked, Web API retries, roles via
user groups, and the trigger id used at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from store import Store
from workflows.clock import FixedClock
from workflows.roles import grant_role

from .slack_support import CSM, STRANGER, Workspace, text_of, workspace


def test_forty_concurrent_tier_commands_are_all_acked_and_answered(slack: Workspace) -> None:
    names = [r[0] for r in slack.registry.deps.store.rows("SELECT name FROM accounts LIMIT 40")]
    requests = [slack.command_request("/tier", name, user=CSM) for name in names]
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(slack.post, requests))
    assert [a.status for a in answers] == [200] * 40
    assert max(a.elapsed_s for a in answers) < 3.0
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
    deps.groups.ttl_s = 0  # membership is cached for minutes; the test does not wait
    assert grouped.command("/tier", "acme corp", user=STRANGER).body == ""
    assert "Acme Corp" in text_of(grouped.last_reply())
    lists = grouped.fake.calls_to("usergroups.users.list")
    assert lists and lists[-1].body["usergroup"] == "S0LEADS"


def test_when_slack_refuses_an_expired_trigger_the_person_is_told_to_try_again(
    demo_store: Store, clock: FixedClock
) -> None:
    with workspace(demo_store, clock, trigger_ttl_s=0.0) as ws:  # every trigger has expired on arrival
        answer = ws.command("/workload", user=CSM)
        assert answer.status == 200
        assert "window for opening the form" in text_of(answer.json())
        assert ws.fake.calls_to("views.open")[0].response["error"] == "expired_trigger_id"
