"""/segment: the tier table and chart; /segment simulate and Activate."""

from __future__ import annotations

import json

from workflows.rules import export_rule_set, parse_yaml, propose, store_rule_set

from .slack_support import ADMIN, CSM, LEADER, MANAGER_NA, Workspace, buttons_of, text_of


def test_segment_answers_with_the_tier_table_then_sends_the_chart_to_the_dm(slack: Workspace) -> None:
    answer = slack.command("/segment")
    assert answer.status == 200 and answer.body == ""
    first = slack.last_reply()
    text = text_of(first)
    assert "Tiers under fy27-tiers" in text
    for column in ("Accounts", "% accounts", "ARR", "% ARR", "Average ARR"):
        assert column in text
    for tier in ("Strategic", "Enterprise", "Mid-Market", "SMB"):
        assert tier in text
    assert "active since" in text and "activated by" in text
    upload = slack.fake.wait_for("files.completeUploadExternal")[0]
    channel = slack.fake.calls_to("conversations.open")[0]
    assert channel.body["users"] == LEADER
    assert upload.body["channel_id"].startswith("D")
    stored = next(iter(slack.fake.files.values()))
    assert stored["content"].startswith(b"\x89PNG") and stored["length"] > 10_000
    updated = slack.last_reply(2)
    assert updated["replace_original"] is True and "chart is in your DM" in text_of(updated)


def test_segment_share_posts_the_table_and_the_chart_in_the_channel(slack: Workspace) -> None:
    slack.command("/segment", user=CSM)
    slack.replies(2)
    slack.click("segment_share", "x", user=CSM, channel="C0TEAM", message_ts="1700000002.000100")
    public = [c.body for c in slack.fake.wait_for("response_url", 3) if c.body.get("response_type") == "in_channel"]
    assert len(public) == 1 and f"Shared by <@{CSM}>" in text_of(public[0])
    uploads = slack.fake.wait_for("files.completeUploadExternal", 2)
    assert uploads[-1].body["channel_id"] == "C0TEAM"


def test_sharing_in_a_channel_without_the_bot_says_to_invite_it(slack: Workspace) -> None:
    slack.fake.outside.add("C0TEAM")
    slack.command("/segment", user=CSM)
    slack.replies(2)
    slack.click("segment_share", "x", user=CSM, channel="C0TEAM", message_ts="1700000002.000100")
    said = text_of(slack.last_reply(2))  # shared, then the card says what became of the chart
    assert "the chart could not go with it: tierbot is not in that channel" in said
    assert "invite it with `/invite @tierbot` there" in said


def test_leaders_see_what_if_buttons_for_drafts_and_csms_do_not(slack: Workspace) -> None:
    deps = slack.registry.deps
    propose(deps.store, actor="test", clock=deps.clock, books=deps.books, by="arr-share", bands=[15, 40])
    slack.command("/segment", user=LEADER)
    assert any(k.startswith("segment_simulate") for k in buttons_of(slack.last_reply()))
    slack.fake.clear()
    slack.command("/segment", user=CSM)
    assert not any(k.startswith("segment_simulate") for k in buttons_of(slack.last_reply()))


def test_simulate_shows_the_movers_and_leaders_can_activate(slack: Workspace) -> None:
    deps = slack.registry.deps
    draft = propose(deps.store, actor="test", clock=deps.clock, books=deps.books, by="arr-share", bands=[15, 40]).name
    slack.command("/segment", f"simulate {draft}")
    what_if = slack.last_reply()
    text = text_of(what_if)
    assert f"What-if: {draft}" in text and "would change tier" in text and "Largest movers" in text
    activate = what_if["blocks"][-1]["elements"][0]
    assert activate["action_id"] == "rules_activate" and json.loads(activate["value"])["rule_set"] == draft
    assert activate["confirm"]["confirm"]["text"] == "Activate"

    slack.click("rules_activate", activate["value"], message_ts="1700000003.000100")
    slack.click("rules_activate", activate["value"], message_ts="1700000003.000100")  # double click
    replies = slack.fake.wait_for("response_url", 3)
    announcement = [r.body for r in replies if r.body.get("response_type") == "in_channel"]
    assert len(announcement) == 1
    assert f"<@{LEADER}> activated *{draft}*" in text_of(announcement[0])
    assert deps.store.scalar("SELECT name FROM rule_sets WHERE state = 'active'") == draft
    assert deps.store.scalar("SELECT rule_set FROM tier_runs ORDER BY id DESC LIMIT 1") == draft
    activations = deps.store.query("SELECT actor FROM audit_log WHERE action = 'rules.activate'")
    assert activations[-1]["actor"] == f"slack:{LEADER}"


def test_activate_refuses_a_draft_that_changed_since_its_what_if(slack: Workspace) -> None:
    deps = slack.registry.deps
    draft = propose(deps.store, actor="test", clock=deps.clock, books=deps.books, by="arr-share", bands=[15, 40]).name
    slack.command("/segment", f"simulate {draft}")
    value = buttons_of(slack.last_reply())["rules_activate"]
    # Someone reloads the draft with different rules after the what-if was shown.
    text = export_rule_set(deps.store, draft).replace("tier: Enterprise", "tier: SMB", 1)
    store_rule_set(deps.store, parse_yaml(text, "t")[0], [], source="test", actor="test", clock=deps.clock)
    slack.click("rules_activate", value, message_ts="1700000004.000100")
    assert "changed since that what-if was run" in text_of(slack.last_reply())
    assert deps.store.scalar("SELECT name FROM rule_sets WHERE state = 'active'") == "fy27-tiers"


def test_managers_may_simulate_but_get_no_activate_button(slack: Workspace) -> None:
    deps = slack.registry.deps
    draft = propose(deps.store, actor="test", clock=deps.clock, books=deps.books, by="arr-share", bands=[15, 40]).name
    slack.command("/segment", f"simulate {draft}", user=MANAGER_NA)
    reply = slack.last_reply()
    assert "rules_activate" not in buttons_of(reply)
    assert "A leader can activate" in text_of(reply)


def test_csms_may_not_simulate(slack: Workspace) -> None:
    denial = text_of(slack.command("/segment", "simulate fy26-tiers", user=CSM).json())
    assert "Only leaders, managers and admins may run a what-if" in denial


def test_simulate_without_a_name_lists_the_drafts_and_an_unknown_name_is_explained(slack: Workspace) -> None:
    slack.command("/segment", "simulate", user=ADMIN)
    assert "no draft rule set" in text_of(slack.last_reply()).lower()
    slack.command("/segment", "simulate fy99-tiers", user=ADMIN)
    assert "fy99-tiers" in text_of(slack.last_reply())


def test_an_unknown_subcommand_gets_the_usage(slack: Workspace) -> None:
    answer = slack.command("/segment", "explode")
    assert "/segment simulate <draft>" in text_of(answer.json())
