"""`/handoff` and the managers' channel: approval in a thread, the exception path, thread comments."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.slack.outbound import send_checkins
from bot.slack.signing import signed_headers
from store import Store
from workflows.clock import FixedClock
from workflows.handoffs import (
    advance_handoff,
    handoff_detail,
    person_named,
    set_handoff_channel,
    update_guardrail_settings,
)
from workflows.plans import create_plan, decide_plan

from .slack_support import (
    CSM,
    CSM_EMEA,
    LEADER,
    MANAGER_EMEA,
    MANAGER_NA,
    Workspace,
    buttons_of,
    movable_account,
    text_of,
)

CHANNEL = "C0MANAGERS"
SAM = "UDEMO0007"  # Sam Patel, NA CSM under Marcus


@pytest.fixture
def managers_channel(slack: Workspace) -> str:
    deps = slack.registry.deps
    set_handoff_channel(deps.store, CHANNEL, actor="cli:test", clock=deps.clock)
    return CHANNEL


def store_of(slack: Workspace) -> Store:
    return slack.registry.deps.store


def name_of(store: Store, crm_id: str) -> str:
    return str(store.scalar("SELECT name FROM accounts WHERE crm_id = ?", (crm_id,)))


def propose(
    slack: Workspace, account: str, *, to: str = f"<@{SAM}|sam>", reason: str = "Jordan is over capacity"
) -> Any:
    slack.next_reply(lambda: slack.command("/handoff", f"{account} to {to} because {reason}", user=CSM))
    return slack.fake.wait_for("chat.postMessage")[-1]  # the confirmation came after the request was sent


def channel_post(slack: Workspace) -> dict[str, Any]:
    posted = [c for c in slack.fake.calls_to("chat.postMessage") if c.body.get("channel") == CHANNEL]
    assert posted, "nothing was posted in the managers' channel"
    return posted[0].response


def click_in_channel(slack: Workspace, action: str, handoff_id: int, user: str, ts: str) -> None:
    slack.click(action, str(handoff_id), user=user, channel=CHANNEL, message_ts=ts)


def test_handoff_without_an_account_and_csm_says_how(slack: Workspace) -> None:
    answer = slack.command("/handoff", "", user=CSM)
    assert "/handoff <account> to @csm [reason]" in answer.body
    assert store_of(slack).scalar("SELECT COUNT(*) FROM handoffs") == 0


def test_a_proposal_posts_the_facts_guardrails_and_buttons_in_the_managers_channel(
    slack: Workspace, managers_channel: str
) -> None:
    crm_id = movable_account(store_of(slack))
    propose(slack, crm_id)
    post = channel_post(slack)
    text = text_of(post["message"])
    for expected in ("Handoff #1", name_of(store_of(slack), crm_id), "Jordan Blake → Sam Patel", "Renewal", "Health"):
        assert expected in text
    assert "Jordan is over capacity" in text and ":white_check_mark:" in text
    assert set(buttons_of(post["message"])) == {"handoff_approve", "handoff_reject"}
    confirmation = slack.last_reply()
    handoff = handoff_detail(store_of(slack), 1).handoff
    assert (handoff.channel, handoff.ts) == (CHANNEL, post["ts"])
    assert "Handoff #1" in text_of(confirmation) and f"<#{CHANNEL}>" in text_of(confirmation)


def test_an_allowed_manager_approves_in_the_thread_and_everyone_is_told(
    slack: Workspace, managers_channel: str
) -> None:
    store = store_of(slack)
    propose(slack, movable_account(store))
    ts = channel_post(slack)["ts"]
    slack.fake.clear()
    click_in_channel(slack, "handoff_approve", 1, MANAGER_NA, ts)
    update = slack.fake.wait_for("chat.update")[0].body
    assert (update["channel"], update["ts"]) == (CHANNEL, ts)
    assert "Approved by <@UDEMO0002> at" in text_of(update)
    assert buttons_of(update) == {}
    assert slack.fake.message(CHANNEL, ts) is not None and "actions" not in json.dumps(slack.fake.message(CHANNEL, ts))
    posts = slack.fake.wait_for("chat.postMessage", 4)  # the note to Sam, two DMs, the thread reply
    thread = [p.body for p in posts if p.body.get("thread_ts") == ts]
    assert len(thread) == 1 and "Approved by" in thread[0]["text"]
    assert f"Approved by <@{MANAGER_NA}> at" in text_of({"blocks": thread[0]["blocks"]})  # a live mention
    dms = {p.body["channel"] for p in posts if p.body["channel"] != CHANNEL}
    assert dms == {CSM, SAM}  # the requester is the old CSM; both CSMs hear it
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "approved"
    assert store.scalar("SELECT actor FROM audit_log WHERE action = 'handoff.approve'") == "slack:UDEMO0002"


@pytest.mark.parametrize("who", [CSM, MANAGER_EMEA, CSM_EMEA])
def test_a_disallowed_person_cannot_decide_and_the_message_keeps_its_buttons(
    slack: Workspace, managers_channel: str, who: str
) -> None:
    store = store_of(slack)
    propose(slack, movable_account(store))
    ts = channel_post(slack)["ts"]
    refusal = text_of(slack.next_reply(lambda: click_in_channel(slack, "handoff_approve", 1, who, ts)))
    assert ":no_entry:" in refusal and ("managers" in refusal or "Only managers" in refusal)
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "proposed"
    assert slack.fake.calls_to("chat.update") == []
    assert set(buttons_of(slack.fake.message(CHANNEL, ts) or {})) == {"handoff_approve", "handoff_reject"}


def test_a_double_click_and_a_retried_request_change_nothing(slack: Workspace, managers_channel: str) -> None:
    store = store_of(slack)
    propose(slack, movable_account(store))
    ts = channel_post(slack)["ts"]
    click = slack.click_request("handoff_approve", "1", user=MANAGER_NA, channel=CHANNEL, message_ts=ts)
    headers = signed_headers(slack.secret, click)
    assert slack.post(click, headers=headers).status == 200
    slack.fake.wait_for("chat.update")
    assert slack.post(click, headers=headers).status == 401  # the same request again: a replay, refused
    late = slack.next_reply(lambda: click_in_channel(slack, "handoff_approve", 1, MANAGER_NA, ts))  # double click
    assert "already approved" in text_of(late)
    late = slack.next_reply(lambda: click_in_channel(slack, "handoff_reject", 1, LEADER, ts))  # a second decider
    assert "already approved" in text_of(late)
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "approved"
    assert [r["state"] for r in store.query("SELECT state FROM handoff_events ORDER BY id")] == ["proposed", "approved"]
    assert len(slack.fake.calls_to("chat.update")) == 1


def test_a_move_failing_a_guardrail_needs_a_leaders_exception(slack: Workspace, managers_channel: str) -> None:
    store = store_of(slack)
    propose(slack, "ACC-0000001", reason="rebalancing NA")  # Acme Corp is strategic
    post = channel_post(slack)
    assert set(buttons_of(post["message"])) == {"handoff_exception", "handoff_reject"}
    assert ":x:" in text_of(post["message"]) and "only a leader can approve it" in text_of(post["message"])

    refusal = slack.next_reply(lambda: click_in_channel(slack, "handoff_exception", 1, MANAGER_NA, post["ts"]))
    assert "only a leader can approve it" in text_of(refusal)  # a manager: no form
    assert slack.fake.calls_to("views.open") == []
    slack.wait_until(lambda: "as an exception" in str(denials(slack)))  # and the refusal is on the record
    assert denials(slack)[-1] == (f"slack:{MANAGER_NA}", "approve handoff #1 as an exception")
    stale = slack.next_reply(lambda: click_in_channel(slack, "handoff_approve", 1, MANAGER_NA, post["ts"]))
    assert "fails a guardrail" in text_of(stale)

    exception = slack.calls_after(
        lambda: click_in_channel(slack, "handoff_exception", 1, LEADER, post["ts"]), "views.open"
    )
    form = exception[0].response["view"]
    blank = slack.submit(form, {"exception": {"value": {"type": "plain_text_input", "value": "  "}}}, user=LEADER)
    assert "exception" in blank.json()["errors"]
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "proposed"
    why = "Acme asked for Sam by name"
    slack.submit(form, {"exception": {"value": {"type": "plain_text_input", "value": why}}}, user=LEADER)
    update = slack.fake.wait_for("chat.update")[0].body
    assert f"as an exception: “{why}”" in text_of(update) and buttons_of(update) == {}
    row = store.query("SELECT state, exception_note, exception_by FROM handoffs WHERE id = 1")[0]
    assert row == {"state": "approved", "exception_note": why, "exception_by": f"slack:{LEADER}"}


def test_replies_in_the_thread_are_kept_as_comments(slack: Workspace, managers_channel: str) -> None:
    store = store_of(slack)
    propose(slack, movable_account(store))
    ts = channel_post(slack)["ts"]

    def reply(event: dict[str, Any]) -> None:
        assert slack.post(slack.event_request({"type": "message", "channel": CHANNEL} | event)).status == 200

    reply({"user": MANAGER_NA, "text": "Does Sam have room?", "ts": "1800000000.000001", "thread_ts": ts})
    reply({"user": CSM, "text": "Yes, 30 accounts", "ts": "1800000000.000002", "thread_ts": ts})
    reply({"user": MANAGER_NA, "text": "Not in a thread", "ts": "1800000000.000003"})
    reply({"bot_id": "BTIERBOT", "user": "UTIERBOT", "text": "bot", "ts": "1800000000.000004", "thread_ts": ts})
    reply({"user": MANAGER_NA, "text": "elsewhere", "ts": "1800000000.000005", "thread_ts": "1.0"})
    edited = {"user": CSM, "text": "Yes, 31 accounts", "ts": "1800000000.000002", "thread_ts": ts}
    reply({"subtype": "message_changed", "message": edited, "ts": "1800000000.000006"})

    def comments() -> list[tuple[str, str]]:
        return [(c["who"], c["text"]) for c in handoff_detail(store, 1).comments]

    slack.wait_until(
        lambda: comments() == [("Marcus Chen", "Does Sam have room?"), ("Jordan Blake", "Yes, 31 accounts")]
    )


def test_without_a_channel_or_when_slack_refuses_it_the_deciders_get_dms(slack: Workspace) -> None:
    store = store_of(slack)
    deps = slack.registry.deps
    set_handoff_channel(store, "C0NOTIN", actor="cli:test", clock=deps.clock)
    slack.fake.outside.add("C0NOTIN")
    post = propose(slack, movable_account(store))
    assert post.body["channel"] == MANAGER_NA and set(buttons_of(post.body)) == {"handoff_approve", "handoff_reject"}
    said = text_of(slack.last_reply())
    assert f"asked <@{MANAGER_NA}> by DM" in said
    assert "tierbot is not in that channel" in said and "/invite @tierbot" in said
    assert handoff_detail(store, 1).handoff.channel is None


def test_the_requester_hears_only_what_was_delivered(slack: Workspace) -> None:
    store = store_of(slack)
    slack.fake.unreachable.add(MANAGER_NA)  # the one decider's DM cannot be delivered (deactivated)
    slack.command("/handoff", f"{movable_account(store)} to <@{SAM}|sam> because capacity", user=CSM)
    said = text_of(slack.last_reply())
    assert "Asked" not in said and "asked" not in said, said
    assert "Handoff #1" in said and "could not reach anyone in Slack" in said and "`tierbot handoff post 1`" in said
    assert f"Slack refused the DM to <@{MANAGER_NA}>" in said
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "proposed"  # it waits in App Home


def test_handoff_naming_no_reason_opens_the_form_with_the_csm_picked(slack: Workspace) -> None:
    crm_id = movable_account(store_of(slack))
    opened = slack.calls_after(lambda: slack.command("/handoff", f"{crm_id} to <@{SAM}|sam>", user=CSM), "views.open")
    form = opened[0].response["view"]
    select = next(b for b in form["blocks"] if b.get("block_id") == "to_csm")["element"]
    assert select["initial_option"]["value"] == "sam-patel"


def test_handoff_to_someone_outside_the_roster_says_so(slack: Workspace) -> None:
    answer = slack.next_reply(lambda: slack.command("/handoff", "acme corp to <@UNOBODY99|x> because why", user=CSM))
    assert "is not in the CSM roster" in text_of(answer)
    assert store_of(slack).scalar("SELECT COUNT(*) FROM handoffs") == 0


def approved_with_note(slack: Workspace) -> dict[str, Any]:
    """Approve a proposal; the new CSM's DM with the customer note."""
    propose(slack, movable_account(store_of(slack)))
    slack.click("handoff_approve", "1", user=MANAGER_NA)
    slack.wait_until(
        lambda: any(
            c.body.get("channel") == SAM and "note_approve" in json.dumps(c.body)
            for c in slack.fake.calls_to("chat.postMessage")
        )
    )
    return next(
        c.response
        for c in slack.fake.calls_to("chat.postMessage")
        if c.body.get("channel") == SAM and "note_approve" in json.dumps(c.body)
    )


def test_the_new_csm_gets_the_customer_note_and_approves_it(slack: Workspace) -> None:
    post = approved_with_note(slack)
    text = text_of(post["message"])
    assert "Customer note:" in text and "Sam Patel" in text and "Drafted from the template" in text
    assert set(buttons_of(post["message"])) == {"note_approve", "note_edit", "note_discard"}
    store = store_of(slack)
    refusal = slack.next_reply(lambda: slack.click("note_approve", "1", user=CSM_EMEA))
    assert ":no_entry:" in text_of(refusal)
    assert store.scalar("SELECT state FROM handoff_drafts WHERE id = 1") == "draft"

    approve = lambda: slack.click("note_approve", "1", user=SAM, channel=post["channel"], message_ts=post["ts"])  # noqa: E731
    update = slack.calls_after(approve, "chat.update")[0].body
    assert (update["channel"], update["ts"]) == (post["channel"], post["ts"])
    assert "Approved by <@UDEMO0007>" in text_of(update) and set(buttons_of(update)) == {"note_sent"}
    slack.click("note_sent", "1", user=SAM, channel=post["channel"], message_ts=post["ts"])
    sent = slack.fake.wait_for("chat.update", 2)[-1].body
    assert "marked sent by <@UDEMO0007>" in text_of(sent) and buttons_of(sent) == {}
    assert store.query("SELECT state, decided_by, sent_by FROM handoff_drafts WHERE id = 1")[0] == {
        "state": "sent",
        "decided_by": f"slack:{SAM}",
        "sent_by": f"slack:{SAM}",
    }


def denials(slack: Workspace) -> list[tuple[str, str]]:
    rows = store_of(slack).query("SELECT actor, after FROM audit_log WHERE action = 'slack.denied' ORDER BY id")
    return [(r["actor"], json.loads(r["after"])["action"]) for r in rows]


def test_someone_refused_the_note_form_is_on_the_record(slack: Workspace) -> None:
    approved_with_note(slack)
    refusal = slack.next_reply(lambda: slack.click("note_edit", "1", user=CSM_EMEA))
    assert ":no_entry:" in text_of(refusal) and slack.fake.calls_to("views.open") == []
    slack.wait_until(lambda: bool(denials(slack)))
    assert denials(slack) == [(f"slack:{CSM_EMEA}", "edit the customer note of handoff #1")]


def test_editing_the_note_checks_it_and_updates_the_message(slack: Workspace) -> None:
    post = approved_with_note(slack)
    edit = lambda: slack.click("note_edit", "1", user=SAM, channel=post["channel"], message_ts=post["ts"])  # noqa: E731
    form = slack.calls_after(edit, "views.open")[0].response["view"]

    def values(subject: str, body: str) -> dict[str, Any]:
        return {
            "subject": {"value": {"type": "plain_text_input", "value": subject}},
            "body": {"value": {"type": "plain_text_input", "value": body}},
        }

    bad = slack.submit(
        form,
        values(
            "Hello", "Hi! Sam Patel starts 7 December 2026. Also say hi to Globex Corporation at https://evil.example"
        ),
        user=SAM,
    ).json()
    assert bad["response_action"] == "errors" and "Globex Corporation" in bad["errors"]["body"]
    assert "evil.example" in bad["errors"]["body"]
    good = "Hi! From 6 December 2026, Sam Patel will be your Customer Success Manager."
    submitted: list[Any] = []
    updates = slack.calls_after(
        lambda: submitted.append(slack.submit(form, values("Meet Sam Patel", good), user=SAM)), "chat.update"
    )
    saved = submitted[0]
    assert saved.status == 200 and json.loads(saved.body or "{}").get("response_action") == "clear", saved.body
    update = updates[0].body
    assert (update["channel"], update["ts"]) == (post["channel"], post["ts"])
    assert "Edited by a person" in text_of(update) and "note_approve" in buttons_of(update)
    store = store_of(slack)
    assert [r["state"] for r in store.query("SELECT state FROM handoff_drafts ORDER BY id")] == ["discarded", "draft"]


def make_plan(slack: Workspace, tmp_path: Path, count: int = 3) -> int:
    store = store_of(slack)
    accounts = [
        r[0]
        for r in store.rows(
            "SELECT crm_id FROM accounts WHERE owner = 'jordan-blake' AND strategic = 0 AND health = 'green' "
            "AND industry = 'Healthcare' AND region = 'NA' AND renewal_date > '2027-09-01' ORDER BY crm_id LIMIT ?",
            (count,),
        )
    ]
    path = tmp_path / "moves.csv"
    path.write_text("account,to,reason\n" + "".join(f"{a},sam-patel,capacity\n" for a in accounts))
    deps = slack.registry.deps
    return create_plan(store, path, actor="cli:test", clock=deps.clock).id


def test_a_plan_is_posted_and_approved_line_by_line_then_whole(slack: Workspace, tmp_path: Path) -> None:
    plan_id = make_plan(slack, tmp_path)
    refused = slack.command("/handoff", f"plan {plan_id}", user=CSM)  # refused in the ack itself
    assert ":no_entry:" in text_of(refused.json())
    slack.command("/handoff", f"plan {plan_id}", user=MANAGER_NA, channel=CHANNEL)
    post = slack.fake.wait_for("chat.postMessage")[-1]
    assert post.body["channel"] == CHANNEL and "Transition plan #1: 3 moves in 1 batches" in text_of(post.body)
    ts = post.response["ts"]
    menus = [b["accessory"]["action_id"] for b in post.body["blocks"] if b.get("accessory")]
    assert menus == ["plan_line:2", "plan_line:3", "plan_line:4"] and "plan_approve" in buttons_of(post.body)

    def pick(value: str, user: str) -> dict[str, Any]:
        line = value.rsplit(":", 1)[1]
        return slack.next_reply(
            lambda: slack.click(f"plan_line:{line}", value, user=user, channel=CHANNEL, message_ts=ts, selected=True)
        )

    assert ":no_entry:" in text_of(pick("approve:1:2", CSM_EMEA))
    assert "Approved row(s) 2 of plan #1." in text_of(pick("approve:1:2", MANAGER_NA))
    assert "Rejected row(s) 3 of plan #1." in text_of(pick("reject:1:3", MANAGER_NA))
    update = slack.fake.wait_for("chat.update", 2)[-1].body
    assert "approved (handoff #1)" in text_of(update) and ":x: rejected" in text_of(update)
    everything = slack.next_reply(lambda: slack.click("plan_approve", "1", user=LEADER, channel=CHANNEL, message_ts=ts))
    assert "Approved row(s) 4 of plan #1." in text_of(everything)
    store = store_of(slack)
    assert [r[0] for r in store.rows("SELECT state FROM handoffs ORDER BY id")] == ["approved", "approved"]
    slack.wait_until(  # each new CSM gets the customer note of each approved move
        lambda: len([c for c in slack.fake.calls_to("chat.postMessage") if "note_approve" in json.dumps(c.body)]) == 2
    )
    final = slack.fake.wait_for("chat.update", 3)[-1].body
    assert "plan_approve" not in buttons_of(final) and "0 to decide" in text_of(final)


def test_announce_posts_one_digest_in_the_channel(slack: Workspace, tmp_path: Path) -> None:
    plan_id = make_plan(slack, tmp_path)
    deps = slack.registry.deps
    decide_plan(deps.store, plan_id, approve=True, person=person_named(deps.store, "dana-whitfield"), clock=deps.clock)
    refused = slack.command("/handoff", "announce", user=CSM)
    assert ":no_entry:" in text_of(refused.json())
    said = slack.next_reply(lambda: slack.command("/handoff", "announce", user=LEADER, channel="C0TEAM"))
    assert "Posted 3 approved handoff(s) in <#C0TEAM>." in text_of(said)
    digests = [c for c in slack.fake.calls_to("chat.postMessage") if c.body["channel"] == "C0TEAM"]
    assert len(digests) == 1 and text_of(digests[0].body).count("→ Sam Patel") == 3
    again = slack.next_reply(lambda: slack.command("/handoff", "announce", user=LEADER, channel="C0TEAM"))
    assert "Nothing to post" in text_of(again)


def test_check_ins_go_to_the_new_csm_once(slack: Workspace, tmp_path: Path) -> None:
    plan_id = make_plan(slack, tmp_path, count=1)
    deps = slack.registry.deps
    dana = person_named(deps.store, "dana-whitfield")
    decide_plan(deps.store, plan_id, approve=True, person=dana, clock=deps.clock)
    later = FixedClock(deps.clock.now() + timedelta(days=60))
    assert send_checkins(slack.registry.bolt.client, deps.store, actor="tierbot", clock=later).reminders == ()
    for state in ("scheduled", "customer notified", "introduced", "completed"):  # the move happened
        advance_handoff(deps.store, 1, state, person=dana, clock=deps.clock)
    sent = send_checkins(slack.registry.bolt.client, deps.store, actor="tierbot", clock=later)
    assert len(sent.reminders) == 1
    dm = slack.fake.wait_for("chat.postMessage")[-1].body
    assert dm["channel"] == SAM and "It has been 30 days since" in text_of(dm)
    assert send_checkins(slack.registry.bolt.client, deps.store, actor="tierbot", clock=later).reminders == ()


def test_a_double_click_on_approve_all_makes_one_handoff_per_move(slack: Workspace, tmp_path: Path) -> None:
    plan_id = make_plan(slack, tmp_path)
    slack.command("/handoff", f"plan {plan_id}", user=MANAGER_NA, channel=CHANNEL)
    ts = slack.fake.wait_for("chat.postMessage")[-1].response["ts"]
    for _ in range(2):
        slack.click("plan_approve", str(plan_id), user=LEADER, channel=CHANNEL, message_ts=ts)
    replies = [text_of(r.body) for r in slack.replies(3)]  # the plan posted, then the two clicks
    assert any("Approved row(s) 2, 3, 4" in r for r in replies), replies
    store = store_of(slack)
    assert store.scalar("SELECT COUNT(*) FROM handoffs") == 3
    assert store.scalar("SELECT COUNT(DISTINCT crm_id) FROM handoffs") == 3


def test_a_leader_is_offered_the_exception_when_a_guardrail_fails_at_approval(
    slack: Workspace, managers_channel: str
) -> None:
    store = store_of(slack)
    crm_id = movable_account(store)
    propose(slack, crm_id)
    ts = channel_post(slack)["ts"]
    with store.transaction():  # the account became strategic after the proposal
        store.execute("UPDATE accounts SET strategic = 1 WHERE crm_id = ?", (crm_id,))
    offer = slack.next_reply(lambda: click_in_channel(slack, "handoff_approve", 1, LEADER, ts))
    assert "fails a guardrail" in text_of(offer) and buttons_of(offer) == {"handoff_exception": "1"}
    assert store.scalar("SELECT state FROM handoffs WHERE id = 1") == "proposed"


def test_an_announcement_slack_refuses_says_to_invite_the_bot_and_is_not_recorded_as_announced(
    slack: Workspace, tmp_path: Path
) -> None:
    plan_id = make_plan(slack, tmp_path)
    deps = slack.registry.deps
    decide_plan(deps.store, plan_id, approve=True, person=person_named(deps.store, "dana-whitfield"), clock=deps.clock)
    slack.fake.outside.add("C0TEAM")  # the bot was never invited there
    said = text_of(slack.next_reply(lambda: slack.command("/handoff", "announce", user=LEADER, channel="C0TEAM")))
    assert "Posted 0 of 3 approved handoff(s)" in said and "/invite @tierbot" in said, said
    store = deps.store
    assert store.scalar("SELECT COUNT(*) FROM handoffs WHERE announced_at IS NULL") == 3
    assert store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'handoff.announce'") == 0
    slack.fake.outside.discard("C0TEAM")  # invited
    said = text_of(slack.next_reply(lambda: slack.command("/handoff", "announce", user=LEADER, channel="C0TEAM")))
    assert "Posted 3 approved handoff(s) in <#C0TEAM>." in said
    assert store.scalar("SELECT COUNT(*) FROM handoffs WHERE announced_at IS NULL") == 0
    [entry] = store.query("SELECT after FROM audit_log WHERE action = 'handoff.announce'")
    assert json.loads(entry["after"])["channel"] == "C0TEAM"


def test_a_digest_slack_cannot_take_now_is_posted_when_it_can(slack: Workspace, tmp_path: Path) -> None:
    plan_id = make_plan(slack, tmp_path)
    deps = slack.registry.deps
    decide_plan(deps.store, plan_id, approve=True, person=person_named(deps.store, "dana-whitfield"), clock=deps.clock)
    slack.fake.fail_next("chat.postMessage", status=500, times=3)  # the client's own retries, then the outbox's
    said = text_of(slack.next_reply(lambda: slack.command("/handoff", "announce", user=LEADER, channel="C0TEAM")))
    assert "Posted 3 approved handoff(s) in <#C0TEAM>." in said
    posts = [c for c in slack.fake.calls_to("chat.postMessage") if c.body["channel"] == "C0TEAM"]
    assert [c.status for c in posts] == [500, 500, 500, 200]


def test_the_new_csms_home_lists_their_customer_notes_and_acts_on_them(slack: Workspace) -> None:
    post = approved_with_note(slack)

    def homes_of_sam() -> list[dict[str, Any]]:
        return [c.body["view"] for c in slack.fake.calls_to("views.publish") if c.body.get("user_id") == SAM]

    slack.open_home(SAM)
    slack.wait_until(lambda: bool(homes_of_sam()))
    before = len(homes_of_sam())
    view = homes_of_sam()[-1]
    assert "*Customer notes* (1)" in text_of(view) and "to approve" in text_of(view)
    assert {"note_approve", "note_edit", "note_discard"} <= set(buttons_of(view))
    update = slack.calls_after(lambda: slack.click("note_approve", "1", user=SAM, home=True), "chat.update")[0].body
    # the DM shows the approval too
    assert (update["channel"], update["ts"]) == (post["channel"], post["ts"]) and "note_sent" in buttons_of(update)
    slack.wait_until(lambda: len(homes_of_sam()) > before)
    view = homes_of_sam()[-1]
    assert "approved: send it, then mark it sent" in text_of(view) and "note_sent" in buttons_of(view)


def test_a_lost_channel_message_does_not_stop_the_rest_of_the_decision(slack: Workspace, managers_channel: str) -> None:
    store = store_of(slack)
    propose(slack, movable_account(store))
    ts = channel_post(slack)["ts"]
    slack.registry.bolt.client.chat_delete(channel=CHANNEL, ts=ts)  # someone deleted the request
    slack.click("handoff_approve", "1", user=MANAGER_NA, home=True)  # from Home: the answer comes by DM

    def told() -> str:
        return " ".join(
            text_of(c.body) for c in slack.fake.calls_to("chat.postMessage") if c.body["channel"] == MANAGER_NA
        )

    slack.wait_until(lambda: "but tierbot could not update the request in its channel" in told())
    assert "Handoff #1 is approved" in told() and "message_not_found" in told()

    def dms() -> set[str]:
        return {c.body["channel"] for c in slack.fake.calls_to("chat.postMessage") if c.body["channel"] != CHANNEL}

    # Each effect is delivered on its own: the note and the DMs may come after the failure is told.
    slack.wait_until(lambda: store.scalar("SELECT COUNT(*) FROM handoff_drafts") == 1)  # the note still went to Sam
    slack.wait_until(lambda: {CSM, SAM} <= dms())


def test_a_plan_line_someone_may_no_longer_decide_is_skipped_and_the_rest_go_on(
    slack: Workspace, tmp_path: Path
) -> None:
    store = store_of(slack)
    accounts = [
        r[0]
        for r in store.rows(
            "SELECT crm_id FROM accounts WHERE owner = 'jordan-blake' AND strategic = 0 AND health = 'green' "
            "AND industry = 'Healthcare' AND region = 'NA' AND renewal_date > '2027-09-01' ORDER BY crm_id LIMIT 2"
        )
    ]
    path = tmp_path / "moves.csv"
    path.write_text(f"account,to,reason\n{accounts[0]},lena-fischer,capacity\n{accounts[1]},avery-collins,capacity\n")
    deps = slack.registry.deps
    update_guardrail_settings(store, {"match_region": False, "match_specialty": False}, actor="t", clock=deps.clock)
    plan_id = create_plan(store, path, actor="cli:test", clock=slack.registry.deps.clock).id
    with store.transaction():  # meanwhile the first account went to an EMEA CSM of Ingrid's team
        store.execute("UPDATE accounts SET owner = 'tom-hughes' WHERE crm_id = ?", (accounts[0],))
    marcus = person_named(store, "marcus-chen")
    decision = decide_plan(store, plan_id, approve=True, person=marcus, clock=slack.registry.deps.clock)
    assert decision.approved == (3,)
    assert decision.skipped[0][0] == 2 and "may decide handoff" in decision.skipped[0][1]
