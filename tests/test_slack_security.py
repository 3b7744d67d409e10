"""Requests Slack did not sign, signed too long ago, replayed or retried: refused or handled once."""

from __future__ import annotations

import time

from bot.slack.signing import signature, signed_headers

from .slack_support import CSM, LEADER, Workspace, text_of


def test_the_signature_is_computed_as_slacks_documentation_shows() -> None:
    # The example from Slack's "Verifying requests from Slack" page.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
        "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
        "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert (
        signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body)
        == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_a_request_with_a_wrong_signature_is_refused_before_any_listener(slack: Workspace) -> None:
    request = slack.command_request("/tier", "acme corp")
    headers = signed_headers("not-the-secret", request)
    answer = slack.post(request, headers=headers)
    assert answer.status == 401
    time.sleep(0.2)
    assert slack.fake.calls_to("response_url") == []


def test_a_tampered_body_is_refused(slack: Workspace) -> None:
    request = slack.command_request("/tier", "acme corp", user=CSM)
    headers = signed_headers(slack.secret, request)
    forged = type(request)(request.body.replace(CSM, LEADER), request.content_type)
    assert slack.post(forged, headers=headers).status == 401


def test_a_request_older_than_five_minutes_is_refused(slack: Workspace) -> None:
    request = slack.command_request("/tier", "acme corp")
    stale = signed_headers(slack.secret, request, timestamp=int(time.time()) - 6 * 60)
    assert slack.post(request, headers=stale).status == 401
    recent = slack.command_request("/tier", "acme corp")
    a_minute_old = signed_headers(slack.secret, recent, timestamp=int(time.time()) - 60)
    assert slack.post(recent, headers=a_minute_old).status == 200


def test_a_request_without_signature_headers_is_refused(slack: Workspace) -> None:
    request = slack.command_request("/tier", "acme corp")
    assert slack.post(request, headers={"Content-Type": request.content_type}).status == 401


def test_a_replayed_request_is_refused_and_has_no_second_effect(slack: Workspace) -> None:
    request = slack.command_request("/tier", "acme corp")
    headers = signed_headers(slack.secret, request)
    assert slack.post(request, headers=headers).status == 200
    slack.replies(1)
    again = slack.post(request, headers=headers)
    assert again.status == 401 and "replay" in again.body
    time.sleep(0.3)
    assert len(slack.fake.calls_to("response_url")) == 1


def test_a_retried_event_is_acknowledged_and_handled_once(slack: Workspace) -> None:
    first = slack.open_home(CSM, event_id="Ev0HOME0001")
    assert first.status == 200
    slack.fake.wait_for("views.publish", 1)
    # Slack retries an event it thinks was missed: same event id, new delivery, X-Slack-Retry-Num.
    retry = slack.event_request(
        {"type": "app_home_opened", "user": CSM, "channel": "D1", "tab": "home"}, event_id="Ev0HOME0001"
    )
    headers = signed_headers(slack.secret, retry) | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert slack.post(retry, headers=headers).status == 200
    time.sleep(0.3)
    assert len(slack.fake.calls_to("views.publish")) == 1


def test_url_verification_answers_the_challenge(slack: Workspace) -> None:
    from bot.slack.signing import event

    answer = slack.post(event({"type": "url_verification", "token": "t", "challenge": "c0ffee"}))
    assert answer.status == 200 and "c0ffee" in answer.body


def test_unknown_paths_are_not_found_and_health_is_ok(slack: Workspace) -> None:
    status, _, body = slack.get("/healthz")
    assert status == 200 and body.strip() == "ok"
    assert slack.get("/admin")[0] == 404


def test_a_csm_cannot_activate_a_rule_set_even_with_a_forged_button(slack: Workspace) -> None:
    answer = slack.click("rules_activate", "fy26-tiers", user=CSM)
    assert answer.status == 200
    denial = slack.last_reply()
    assert "Only leaders may activate a rule set" in text_of(denial)
    assert f"<@{LEADER}>" in text_of(denial)
    store = slack.registry.deps.store
    assert store.scalar("SELECT name FROM rule_sets WHERE state = 'active'") == "fy27-tiers"
    slack.wait_until(lambda: bool(store.query("SELECT 1 FROM audit_log WHERE action = 'slack.denied'")))
    denied = store.query("SELECT after FROM audit_log WHERE action = 'slack.denied'")
    assert "activate a rule set" in denied[-1]["after"]
