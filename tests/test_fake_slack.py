"""The fake Slack Web API, driven by the real slack_sdk clients the app uses."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from bot.slack.fake_api import Call, FakeSlack, check_blocks, check_view

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(usergroups={"S0CSMS": ["U1", "U2"]}, trigger_ttl_s=0.2) as running:
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return block | ({"block_id": block_id} if block_id else {})


def modal(title: str = "Tier review", blocks: list | None = None) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks or [section("hi")]}


def error_of(raised: pytest.ExceptionInfo[SlackApiError]) -> dict:
    return dict(raised.value.response.data)  # type: ignore[arg-type]


# --- auth and messages -------------------------------------------------------------------------------------------


def test_auth_test_names_the_bot(fake: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0TIERBOT", "UTIERBOT", "BTIERBOT")
    assert fake.url.startswith("http://127.0.0.1:") and fake.api_url == fake.url + "api/"


def test_tokens_are_checked_like_slack(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=fake.api_url).auth_test()
    assert raised.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as raised:
        WebClient(token="bogus", base_url=fake.api_url).auth_test()
    assert raised.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as raised:
        WebClient(token="xoxb-test", base_url=fake.api_url).api_call("chat.teleport")
    assert raised.value.response["error"] == "unknown_method"


def test_post_then_update_then_delete_a_message(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hello", blocks=[section("*hello*")])
    second = client.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1" and first["message"]["text"] == "hello"
    assert first["ts"] < second["ts"]
    updated = client.chat_update(channel="C1", ts=first["ts"], text="edited")
    assert updated["ts"] == first["ts"] and updated["message"]["text"] == "edited"
    client.chat_delete(channel="C1", ts=first["ts"])
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C1", ts=first["ts"], text="gone")
    assert raised.value.response["error"] == "message_not_found"
    posted = fake.calls_to("chat.postMessage")[0]
    assert posted.status == 200 and posted.body["blocks"] == [section("*hello*")] and "token" not in posted.body
    assert [c.method for c in fake.calls] == ["chat.postMessage"] * 2 + ["chat.update", "chat.delete", "chat.update"]


def test_messages_need_a_channel_and_content(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", json={"channel": "C1"})
    assert raised.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", json={"text": "where?"})
    assert raised.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert raised.value.response["error"] == "msg_too_long"


def test_posting_to_a_user_lands_in_their_dm(client: WebClient) -> None:
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm.startswith("D") and client.chat_postMessage(channel="U1", text="hi")["channel"] == dm
    assert (
        client.conversations_open(users="U2,U1")["channel"]["id"]
        == client.conversations_open(users="U1,U2")["channel"]["id"]
    )


def test_ephemeral_messages(fake: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert answer["message_ts"]
    assert fake.calls_to("chat.postEphemeral")[0].body["user"] == "U1"
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C1", ts=answer["message_ts"], text="edit")
    assert raised.value.response["error"] == "message_not_found"


def test_form_encoded_json_strings_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps([section("form")])})
    assert fake.calls_to("chat.postMessage")[0].body["blocks"] == [section("form")]


# --- Block Kit limits --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section(f"{i}") for i in range(51)], "must be less than 51 items [json-pointer:/blocks]"),
        ([section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
        (
            [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}]}],
            "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        ([section("a", "same"), section("b", "same")], "duplicate block_id 'same' [json-pointer:/blocks/1/block_id]"),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
            "must be plain_text [json-pointer:/blocks/0/text/type]",
        ),
        ([{"type": "carousel"}], "must be a known block type [json-pointer:/blocks/0/type]"),
    ],
    ids=["51 blocks", "3001-char section", "76-char button", "duplicate block_id", "mrkdwn header", "unknown type"],
)
def test_messages_breaking_block_kit_limits_are_rejected(client: WebClient, blocks: list, expected: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="t", blocks=blocks)
    assert error_of(raised) == {"ok": False, "error": "invalid_blocks", "errors": [expected]}


def button(action_id: str, text: str = "b") -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}


def test_two_buttons_with_one_action_id_in_a_block_are_refused_like_slack(fake: FakeSlack, client: WebClient) -> None:
    paging = {"type": "actions", "elements": [button("page", "Previous"), button("page", "Next")]}
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="t", blocks=[paging])
    assert error_of(raised)["errors"] == ["duplicate action_id 'page' [json-pointer:/blocks/0/elements/1/action_id]"]
    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [paging]})
    assert raised.value.response["response_metadata"]["messages"] == [
        "[ERROR] duplicate action_id 'page' [json-pointer:/view/blocks/0/elements/1/action_id]"
    ]
    # The same action_id in two blocks is fine (each row of a list has its own Approve button).
    rows = [{"type": "actions", "elements": [button("approve")]}, {"type": "actions", "elements": [button("approve")]}]
    assert client.chat_postMessage(channel="C1", text="t", blocks=rows)["ok"]
    assert check_view({"type": "home", "blocks": [section("a", "x"), section("b", "x")]}, surface="home") == [
        "duplicate block_id 'x' [json-pointer:/view/blocks/1/block_id]"
    ]


def test_check_blocks_covers_fields_contexts_selects_and_inputs() -> None:
    fields = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": "f"}] * 10 + [{"type": "mrkdwn", "text": "y" * 2001}],
    }
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}
    option = {"text": {"type": "plain_text", "text": "o"}, "value": "o"}
    select = {
        "type": "actions",
        "elements": [{"type": "static_select", "action_id": "a" * 256, "options": [option] * 101}],
    }
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    label = {"type": "plain_text", "text": "Name"}
    field_input = {"type": "input", "label": label, "element": {"type": "plain_text_input"}}
    assert check_blocks([fields, context, select, header, field_input], surface="message") == [
        "must be less than 11 items [json-pointer:/blocks/0/fields]",
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/10/text]",
        "must be less than 11 items [json-pointer:/blocks/1/elements]",
        "must be less than 256 characters [json-pointer:/blocks/2/elements/0/action_id]",
        "must be less than 101 items [json-pointer:/blocks/2/elements/0/options]",
        "must be less than 151 characters [json-pointer:/blocks/3/text/text]",
        "input blocks are only allowed in modals and Home tabs [json-pointer:/blocks/4/type]",
    ]
    assert check_blocks([field_input, section("fine", "b" * 255)], surface="modal") == []
    with pytest.raises(ValueError, match="surface"):
        check_blocks([], surface="email")


def test_modal_and_home_limits_are_rejected_as_invalid_arguments(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id=fake.new_trigger_id(), view=modal(title="t" * 25))
    assert error_of(raised) == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]},
    }
    home = {"type": "home", "blocks": [section(f"{i}") for i in range(101)]}
    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U1", view=home)
    assert raised.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 101 items [json-pointer:/view/blocks]"
    ]
    assert fake.home_of("U1") is None


def test_check_view_knows_modal_fields() -> None:
    view = modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "L"}, "element": {"type": "x"}}])
    view |= {"close": {"type": "plain_text", "text": "c" * 25}, "private_metadata": "m" * 3001}
    assert check_view(view, surface="modal") == [
        "must be less than 25 characters [json-pointer:/view/close/text]",
        "must provide submit when the view has input blocks [json-pointer:/view/submit]",
        "must be less than 3001 characters [json-pointer:/view/private_metadata]",
    ]
    assert check_view(modal(), surface="home") == ["must be home [json-pointer:/view/type]"]
    assert check_view(None, surface="modal") == ["must provide an object [json-pointer:/view]"]


# --- views and triggers ------------------------------------------------------------------------------------------


def test_a_trigger_opens_one_view(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id()
    view = client.views_open(trigger_id=trigger, view=modal())["view"]
    assert view["id"].startswith("V") and view["hash"] and fake.views[view["id"]]["title"]["text"] == "Tier review"
    with pytest.raises(SlackApiError) as raised:
        client.views_push(trigger_id=trigger, view=modal())
    assert raised.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id="123.456.never-issued", view=modal())
    assert raised.value.response["error"] == "invalid_trigger_id"


def test_a_trigger_expires(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id()
    time.sleep(0.25)  # the fixture's trigger_ttl_s is 0.2
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id=trigger, view=modal())
    assert raised.value.response["error"] == "expired_trigger_id"


def test_a_rejected_view_does_not_spend_the_trigger(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id()
    with pytest.raises(SlackApiError):
        client.views_open(trigger_id=trigger, view=modal(title="t" * 25))
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_views_update_checks_the_hash(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=modal() | {"external_id": "review-1"})["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Step 2"))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as raised:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Step 3"))
    assert raised.value.response["error"] == "hash_conflict"
    by_external_id = client.views_update(external_id="review-1", view=modal("Step 3"))["view"]
    assert by_external_id["id"] == opened["id"] and fake.views[opened["id"]]["title"]["text"] == "Step 3"
    with pytest.raises(SlackApiError) as raised:
        client.views_update(view_id="VNOPE", view=modal())
    assert raised.value.response["error"] == "not_found"


def test_home_tabs_are_published_per_user(fake: FakeSlack, client: WebClient) -> None:
    first = client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("v1")]})["view"]
    second = client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("v2")]})["view"]
    assert first["id"] == second["id"]
    assert fake.home_of("U1")["blocks"] == [section("v2")]  # type: ignore[index]
    assert fake.home_of("U2") is None


# --- people, groups, files ---------------------------------------------------------------------------------------


def test_users_and_usergroups(client: WebClient) -> None:
    user = client.users_info(user="U1")["user"]
    assert user["id"] == "U1" and user["profile"]["display_name"] and user["tz"] and user["is_bot"] is False
    assert client.usergroups_users_list(usergroup="S0CSMS")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as raised:
        client.usergroups_users_list(usergroup="S0NOPE")
    assert raised.value.response["error"] == "no_such_subteam"


def test_files_upload_v2_round_trip(fake: FakeSlack, client: WebClient) -> None:
    answer = client.files_upload_v2(
        channel="C1", content=PNG, filename="tiers.png", title="Tiers", initial_comment="Here you go", thread_ts="1.2"
    )
    file_id = answer["file"]["id"]
    assert fake.files[file_id] | {"content": b""} == {
        "filename": "tiers.png",
        "length": len(PNG),
        "content": b"",
        "title": "Tiers",
        "channel_id": "C1",
        "initial_comment": "Here you go",
        "thread_ts": "1.2",
        "uploaded": True,
        "completed": True,
    }
    assert fake.files[file_id]["content"] == PNG
    assert fake.calls_to("upload")[0].body == {"file_id": file_id, "length": len(PNG)}
    assert [c.method for c in fake.calls] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_multipart_uploads_and_completing_unuploaded_files(fake: FakeSlack, client: WebClient) -> None:
    announced = client.files_getUploadURLExternal(filename="a.csv", length=3)
    with pytest.raises(SlackApiError) as raised:
        client.files_completeUploadExternal(files=[{"id": announced["file_id"]}])
    assert raised.value.response["error"] == "file_not_found"
    form = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\na,b\r\n--XX--\r\n"
    )
    request = urllib.request.Request(
        announced["upload_url"], data=form, headers={"Content-Type": "multipart/form-data; boundary=XX"}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    assert fake.files[announced["file_id"]]["content"] == b"a,b"
    assert client.files_completeUploadExternal(files=[{"id": announced["file_id"]}])["files"][0]["title"] == "a.csv"


# --- failures and retries ----------------------------------------------------------------------------------------


def test_rate_limits_are_retried_after_retry_after(fake: FakeSlack) -> None:
    client = WebClient(
        token="xoxb-test", base_url=fake.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    fake.fail_next("chat.postMessage", retry_after=0)
    assert client.chat_postMessage(channel="C1", text="eventually")["ok"]
    calls = fake.calls_to("chat.postMessage")
    assert [(c.status, c.response.get("error")) for c in calls] == [(429, "ratelimited"), (200, None)]


def test_rate_limit_without_retries_surfaces_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429 and raised.value.response.headers["Retry-After"] == "7"


def test_server_errors_are_retried(fake: FakeSlack) -> None:
    retry = ServerErrorRetryHandler(max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.01))
    client = WebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[retry])
    fake.fail_next("views.publish", 503, times=2)
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("ok")]})["ok"]
    assert [c.status for c in fake.calls_to("views.publish")] == [503, 503, 200]
    assert fake.calls_to("views.publish")[0].response == {"ok": False, "error": "internal_error"}
    with pytest.raises(ValueError, match="429 or 5xx"):
        fake.fail_next("views.publish", 404)


# --- response URLs -----------------------------------------------------------------------------------------------


def test_a_response_url_takes_five_posts(fake: FakeSlack) -> None:
    url = fake.response_url()
    assert url != fake.response_url() and url.startswith(fake.url + "response/")
    webhook = WebhookClient(url)
    assert [webhook.send(text=f"post {n}", response_type="ephemeral").status_code for n in range(6)] == [200] * 5 + [
        404
    ]
    calls = fake.calls_to("response_url")
    assert calls[0].url == url.removeprefix(fake.url.rstrip("/")) and calls[0].body["text"] == "post 0"
    assert calls[-1].response == {"ok": False, "error": "used_url"}
    assert WebhookClient(fake.url + "response/999999").send(text="?").status_code == 404


def test_a_response_url_rejects_bad_blocks_with_400(fake: FakeSlack) -> None:
    answer = WebhookClient(fake.response_url()).send(text="t", blocks=[section("x" * 3001)], replace_original=True)
    assert answer.status_code == 400 and json.loads(answer.body)["error"] == "invalid_blocks"


def test_response_url_failures_can_be_injected(fake: FakeSlack) -> None:
    fake.fail_next("response_url", 500)
    webhook = WebhookClient(fake.response_url())
    assert [webhook.send(text="x").status_code for _ in range(2)] == [500, 200]


# --- recording ---------------------------------------------------------------------------------------------------


def test_wait_for_lists_what_arrived_on_timeout(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError) as raised:
        fake.wait_for("chat.postMessage", timeout=0.05)
    assert str(raised.value) == (
        "expected 1 call(s) to chat.postMessage within 0.05s; 1 call(s) so far:\n  auth.test -> 200 ok"
    )
    fake.clear()
    assert fake.calls == []


def test_wait_for_returns_once_calls_arrive(fake: FakeSlack, client: WebClient) -> None:
    threading.Timer(0.05, client.chat_postMessage, kwargs={"channel": "C1", "text": "later"}).start()
    [call] = fake.wait_for("chat.postMessage", timeout=2)
    assert isinstance(call, Call) and call.body["text"] == "later" and call.at <= time.monotonic()


def test_concurrent_posts_are_all_recorded(fake: FakeSlack, client: WebClient) -> None:
    start = threading.Barrier(50)
    answers: list[str] = []

    def post(n: int) -> None:
        start.wait()
        answers.append(client.chat_postMessage(channel="C1", text=f"m{n}")["ts"])

    threads = [threading.Thread(target=post, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    calls = fake.wait_for("chat.postMessage", 50)
    assert len(answers) == len(set(answers)) == 50
    assert sorted(c.body["text"] for c in calls) == sorted(f"m{n}" for n in range(50))


def test_revoked_tokens_unreachable_users_and_channels_without_the_bot_are_refused(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.outside.add("C0NOTIN")
    fake.unreachable.add("U0GONE")
    for channel, error in (("C0NOTIN", "not_in_channel"), ("U0GONE", "user_not_found")):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel=channel, text="hi")
        assert error_of(raised)["error"] == error
    fake.revoked.add("xoxb-test")
    with pytest.raises(SlackApiError) as raised:
        client.auth_test()
    assert error_of(raised)["error"] == "token_revoked"
