"""/tier end to end: signed requests to the real app on loopback, replies recorded by the fake Slack."""

from __future__ import annotations

from .slack_support import CSM, LEADER, STRANGER, Workspace, buttons_of, parsed_text_of, text_of


def test_tier_acks_at_once_and_answers_privately_with_the_card(slack: Workspace) -> None:
    answer = slack.command("/tier", "acme corp")
    assert answer.status == 200 and answer.body == ""  # acked empty; the card follows on the response URL
    reply = slack.last_reply()
    assert reply["response_type"] == "ephemeral"
    text = text_of(reply)
    assert "Acme Corp — Strategic" in text
    for shown in ("*ARR*\n$1.2M", "*Owner*\nJordan Blake", "*Renewal*", "*Previous tier*", "designated strategic"):
        assert shown in text, shown
    assert "fy27-tiers" in text
    assert set(buttons_of(reply)) == {"tier_share", "tier_history", "handoff_request"}
    assert buttons_of(reply)["tier_share"] == "ACC-0000001"


def test_tier_explains_the_conditions_with_the_values_read(slack: Workspace) -> None:
    slack.command("/tier", "ACC-0000002")
    text = text_of(slack.last_reply())
    assert "Acme Health Partners" in text
    assert "✓" in text and "read" in text  # each condition with the value it read
    assert "Earlier rules that did not match" in text


def test_several_close_matches_offer_a_select_and_picking_one_replaces_it(slack: Workspace) -> None:
    slack.command("/tier", "acme")
    reply = slack.last_reply()
    select = reply["blocks"][0]["accessory"]
    assert select["type"] == "static_select" and select["action_id"] == "tier_pick"
    assert {o["value"] for o in select["options"]} >= {"ACC-0000001", "ACC-0000002", "ACC-0000003"}
    slack.click("tier_pick", "ACC-0000003", selected=True)
    picked = slack.last_reply()
    assert picked["replace_original"] is True
    assert "Acme Dental Group" in text_of(picked)


def test_no_match_says_so_and_suggests_close_names(slack: Workspace) -> None:
    slack.command("/tier", "acme helth partnrs ltd zzz")
    reply = slack.last_reply()
    assert "No account matches" in text_of(reply)


def test_tier_without_an_account_shows_the_usage_in_the_ack(slack: Workspace) -> None:
    answer = slack.command("/tier", "")
    assert answer.status == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert "/tier <account>" in text_of(body)
    assert slack.fake.calls_to("response_url") == []


def test_share_in_channel_posts_once_even_when_double_clicked(slack: Workspace) -> None:
    slack.command("/tier", "acme corp")
    slack.replies(1)
    slack.click("tier_share", "ACC-0000001", message_ts="1700000001.000200")
    slack.click("tier_share", "ACC-0000001", message_ts="1700000001.000200")
    replies = slack.replies(3)
    public = [r.body for r in slack.fake.calls_to("response_url") if r.body.get("response_type") == "in_channel"]
    assert len(public) == 1
    assert f"Shared by <@{LEADER}>" in text_of(public[0])
    assert buttons_of(public[0]) == {}  # the channel copy has no buttons
    private = replies[-1].body
    assert private["replace_original"] is True and "tier_share" not in buttons_of(private)


def test_show_history_lists_the_changes(slack: Workspace) -> None:
    slack.command("/tier", "acme corp")
    slack.replies(1)
    slack.click("tier_history", "ACC-0000001")
    history = slack.last_reply()
    assert "Tier history of Acme Corp" in text_of(history)


def test_account_names_from_the_crm_are_shown_literally(slack: Workspace) -> None:
    store = slack.registry.deps.store
    with store.transaction():
        store.execute("UPDATE accounts SET name = '<!channel> Evil <https://x.test|Co>' WHERE crm_id = 'ACC-0000004'")
    slack.command("/tier", "ACC-0000004", user=CSM)
    parsed = parsed_text_of(slack.last_reply())
    assert "<!channel>" not in parsed and "<https://x.test" not in parsed
    assert "&lt;!channel&gt; Evil" in parsed


def test_links_channels_and_bare_mentions_in_crm_data_stay_plain_text(slack: Workspace) -> None:
    store = slack.registry.deps.store
    with store.transaction():
        store.execute(
            "UPDATE accounts SET name = '@channel Acme https://evil.example/login #general' WHERE crm_id = 'ACC-0000004'"
        )
        store.execute("UPDATE csms SET name = '@here Jordan <!everyone>' WHERE id = 'jordan-blake'")
    slack.command("/tier", "ACC-0000004", user=CSM)
    reply = slack.last_reply()
    mrkdwn = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                mrkdwn.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(reply["blocks"])
    assert mrkdwn and all(m.get("verbatim") is True for m in mrkdwn)  # Slack links nothing by itself
    assert "<!everyone>" not in parsed_text_of(reply)


def test_someone_without_a_role_is_refused_with_who_may(slack: Workspace) -> None:
    answer = slack.command("/tier", "acme corp", user=STRANGER)
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert "tierbot does not know you yet" in text_of(body)
    assert f"Who may: <@{LEADER}>" in text_of(body)  # the most senior first
    assert "To be given a role, ask <@UDEMO0017>" in text_of(body)  # the admin
    assert slack.fake.calls_to("response_url") == []

    def denials() -> list[dict]:  # written just after the ack, off the request's path
        return slack.registry.deps.store.query("SELECT * FROM audit_log WHERE action = 'slack.denied'")

    slack.wait_until(lambda: bool(denials()))
    assert STRANGER in denials()[-1]["actor"]
