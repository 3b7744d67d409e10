"""App Home per person, and handoff requests decided by managers from DMs and Home."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workflows.roles import grant_role

from .slack_support import (
    CSM,
    CSM_EMEA,
    LEADER,
    MANAGER_EMEA,
    MANAGER_NA,
    STRANGER,
    Workspace,
    buttons_of,
    movable_account,
    text_of,
)


def home_of(slack: Workspace, user: str, count: int = 1) -> dict[str, Any]:
    slack.open_home(user)
    return slack.fake.wait_for("views.publish", count)[-1].body["view"]


def test_a_csm_sees_their_book_renewals_and_workload(slack: Workspace) -> None:
    view = home_of(slack, CSM)
    text = text_of(view)
    assert "*Jordan Blake* · roles: csm" in text
    assert "*Your book* · 142 accounts" in text
    assert "Acme Corp · Strategic · $1.2M" in text
    assert "Renewing in the next 90 days" in text
    assert "not estimated yet" in text
    assert buttons_of(view)["workload_open"] == ""
    assert len(view["blocks"]) <= 100


def test_the_book_pages_ten_accounts_at_a_time(slack: Workspace) -> None:
    first = home_of(slack, CSM)
    assert buttons_of(first) == {"workload_open": "", "home_page:next": "1"}
    slack.click("home_page:next", "1", user=CSM, home=True)
    published = slack.fake.wait_for("views.publish", 2)[-1]
    assert published.response["ok"], published.response  # Slack takes it: one action_id per button of a block
    view = published.body["view"]
    assert "(page 2 of 15)" in text_of(view)
    assert "Acme Corp · Strategic" not in text_of(view)
    assert {"home_page:previous": "0", "home_page:next": "2"}.items() <= buttons_of(view).items()


def test_a_leader_sees_the_tier_table_and_no_empty_book(slack: Workspace) -> None:
    text = text_of(home_of(slack, LEADER))
    assert "Tiers under fy27-tiers" in text and "Enterprise is" in text
    assert "Your book" not in text


def test_someone_unknown_is_told_how_to_get_a_role(slack: Workspace) -> None:
    text = text_of(home_of(slack, STRANGER))
    assert "does not know you yet" in text and "tierbot roles grant" in text


def request_handoff(
    slack: Workspace,
    account: str | None = None,
    *,
    user: str = CSM,
    to: str = "sam-patel",
    reason: str = "Jordan's book is over capacity",
    effective: str = "2026-12-15",
) -> dict[str, Any]:
    crm_id = account or movable_account(slack.registry.deps.store)
    view = slack.calls_after(lambda: slack.click("handoff_request", crm_id, user=user), "views.open")[0].response[
        "view"
    ]
    values = {
        "to_csm": {"value": {"type": "static_select", "selected_option": {"value": to} if to else None}},
        "effective": {"value": {"type": "datepicker", "selected_date": effective}},
        "reason": {"value": {"type": "plain_text_input", "value": reason}},
    }
    return slack.submit(view, values, user=user).json()


def test_request_handoff_opens_a_form_and_sends_the_request_to_the_owners_manager(slack: Workspace) -> None:
    answer = request_handoff(slack)
    name = slack.registry.deps.store.scalar(
        "SELECT name FROM accounts WHERE crm_id = ?", (movable_account(slack.registry.deps.store),)
    )
    assert answer["response_action"] == "update"
    said = text_of(answer["view"])  # the request is recorded; where it went comes once it went
    assert f"Recorded your request to move *{name}* to Sam Patel" in said and f"<@{MANAGER_NA}>" in said
    dm = slack.fake.wait_for("chat.postMessage")[0].body
    assert dm["channel"] == MANAGER_NA
    assert name in text_of(dm) and "Jordan Blake → Sam Patel" in text_of(dm)
    assert set(buttons_of(dm)) == {"handoff_approve", "handoff_reject"}
    told = slack.fake.wait_for("chat.postMessage", 2)[1].body  # then the requester hears where it went
    assert told["channel"] == CSM and f"asked <@{MANAGER_NA}> by DM" in text_of(told)
    assert "Waiting for your decision" in text_of(home_of(slack, MANAGER_NA))
    assert "Waiting for your decision" not in text_of(home_of(slack, MANAGER_EMEA, 2))


def test_form_problems_are_shown_beside_their_fields(slack: Workspace) -> None:
    answer = request_handoff(slack, to="jordan-blake", reason="  ", effective="2020-01-01")
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"to_csm", "reason", "effective"}
    assert "already owns" in answer["errors"]["to_csm"]
    assert slack.registry.deps.store.scalar("SELECT COUNT(*) FROM handoffs") == 0


def test_the_manager_approves_once_and_everyone_hears(slack: Workspace) -> None:
    request_handoff(slack)
    slack.fake.clear()
    slack.click("handoff_approve", "1", user=MANAGER_NA, message_ts="1700000009.000100")
    decided = slack.last_reply()
    assert decided["replace_original"] is True and "Approved by" in text_of(decided)
    assert buttons_of(decided) == {}
    told = {c.body["channel"] for c in slack.fake.wait_for("chat.postMessage", 2)}
    assert CSM in told  # the requester (and old owner); Sam Patel too
    slack.click("handoff_reject", "1", user=MANAGER_NA, message_ts="1700000009.000100")  # a late second click
    late = slack.last_reply()
    assert "already approved" in text_of(late)
    store = slack.registry.deps.store
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "approved"
    assert [r["state"] for r in store.query("SELECT state FROM handoff_events ORDER BY id")] == ["proposed", "approved"]


def test_a_manager_of_another_team_is_refused_at_click_time(slack: Workspace) -> None:
    request_handoff(slack)
    slack.click("handoff_approve", "1", user=MANAGER_EMEA)
    denial = text_of(slack.last_reply())
    assert "Only the managers of Jordan Blake and Sam Patel, or a leader" in denial
    assert f"<@{MANAGER_NA}>" in denial
    store = slack.registry.deps.store
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "proposed"
    assert store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'slack.denied'") == 1


def test_a_csm_cannot_approve_even_their_own_request(slack: Workspace) -> None:
    request_handoff(slack)
    slack.click("handoff_approve", "1", user=CSM)
    assert "Only managers and leaders may approve or reject a handoff" in text_of(slack.last_reply())


def test_a_leader_decides_from_app_home(slack: Workspace) -> None:
    request_handoff(slack, "ACC-0000002", user=CSM_EMEA, to="tom-hughes")  # Morgan Diaz's account
    view = home_of(slack, LEADER)
    assert "handoff_reject" in buttons_of(view)
    slack.click("handoff_reject", "1", user=LEADER, home=True)
    refreshed = slack.fake.wait_for("views.publish", 2)[-1].body["view"]
    assert "Waiting for your decision" not in text_of(refreshed)
    assert slack.registry.deps.store.scalar("SELECT state FROM handoffs WHERE id = 1") == "rejected"


def test_a_manager_by_grant_alone_decides_no_handoff(slack: Workspace) -> None:
    # ACC-0000032 has no owner: the old CSM has no manager. A granted manager manages nobody.
    deps = slack.registry.deps
    with deps.store.transaction():
        deps.store.execute("UPDATE accounts SET owner = NULL WHERE crm_id = 'ACC-0000032'")
    grant_role(deps.store, "UOUTSIDER1", "manager", actor="test", clock=deps.clock)
    request_handoff(slack, "ACC-0000032", to="lena-fischer")
    assert "Waiting for your decision" not in text_of(home_of(slack, "UOUTSIDER1"))
    slack.click("handoff_approve", "1", user="UOUTSIDER1")
    assert "Only the managers of" in text_of(slack.last_reply())
    assert deps.store.scalar("SELECT state FROM handoffs WHERE id = 1") == "proposed"
    assert slack.fake.calls_to("chat.postMessage")[0].body["channel"] == MANAGER_EMEA  # Lena's manager decides


def test_requests_for_one_account_at_once_record_one(slack: Workspace) -> None:
    views = []
    for user in (CSM, CSM_EMEA, "UDEMO0006", "UDEMO0007"):
        slack.click("handoff_request", "ACC-0000001", user=user)
        views.append((user, slack.fake.wait_for("views.open", len(views) + 1)[-1].response["view"]))
    values = {
        "to_csm": {"value": {"type": "static_select", "selected_option": {"value": "sam-patel"}}},
        "effective": {"value": {"type": "datepicker", "selected_date": "2026-12-15"}},
        "reason": {"value": {"type": "plain_text_input", "value": "rebalance"}},
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda uv: slack.submit(uv[1], values, user=uv[0]), views))
    assert all(a.status == 200 for a in answers)
    # A request that arrives after the first was recorded is refused in the form; one that raced
    # it past the form's check is refused when recorded, by DM. Either way: one handoff, three told.
    in_form = [a for a in answers if "already waiting" in str(a.json().get("errors", {}))]

    def refused_by_dm(calls: list[Any]) -> list[Any]:
        return [c for c in calls if c.method == "chat.postMessage" and "already waiting" in text_of(c.body)]

    # The refusals are DM'd after the acks: wait for the ones this run owes, not for any DM.
    refusals = refused_by_dm(slack.fake.wait_until(lambda calls: len(refused_by_dm(calls)) >= 3 - len(in_form)))
    assert slack.registry.deps.store.scalar("SELECT COUNT(*) FROM handoffs") == 1
    assert len(in_form) + len(refusals) == 3
