"""Requests Slack did not sign, signed too long ago, replayed or retried: refused or handled once."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time

import pytest

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


def refusals(slack: Workspace, count: int) -> list[dict]:
    """The audit log's refusals, once ``count`` have been written (they are written after the answer)."""
    store = slack.registry.deps.store

    def found() -> list[dict]:
        return store.query("SELECT actor, after FROM audit_log WHERE action = 'slack.refused' ORDER BY id")

    slack.wait_until(lambda: len(found()) >= count)
    return [{"actor": r["actor"]} | json.loads(r["after"]) for r in found()]


@pytest.mark.parametrize(
    ("timestamp", "signature", "reason"),
    [
        ("yesterday", None, "malformed X-Slack-Request-Timestamp"),
        ("1e10", None, "malformed X-Slack-Request-Timestamp"),
        ("99999999999999999999", None, "malformed X-Slack-Request-Timestamp"),
        (None, "v0=not-hex", "malformed X-Slack-Signature"),
        (None, "v0=" + "é" * 64, "malformed X-Slack-Signature"),
        (None, "sha256=" + "0" * 64, "malformed X-Slack-Signature"),
        ("", None, "unsigned (no X-Slack-Signature or X-Slack-Request-Timestamp)"),
    ],
)
def test_malformed_signature_headers_get_401_not_500_and_are_audited(
    slack: Workspace, timestamp: str | None, signature: str | None, reason: str
) -> None:
    request = slack.command_request("/tier", "acme corp")
    headers = signed_headers(slack.secret, request)
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    raw = "\r\n".join(f"{k}: {v}" for k, v in headers.items()).encode("utf-8")
    answer = post_raw(slack, raw, request.body.encode())
    assert answer.startswith(b"HTTP/1.1 401"), answer[:80]
    assert refusals(slack, 1) == [
        {
            "actor": "slack:unverified",
            "reason": reason,
            "path": "/slack/events",
            "remote": "127.0.0.1",
            "bytes": len(request.body),
        }
    ]


def test_a_bad_signature_a_stale_timestamp_and_a_replay_are_each_audited(slack: Workspace) -> None:
    request = slack.command_request("/tier", "acme corp", user=CSM)
    assert slack.post(request, headers=signed_headers("not-the-secret", request)).status == 401
    stale = signed_headers(slack.secret, request, timestamp=int(time.time()) - 6 * 60)
    assert slack.post(request, headers=stale).status == 401
    headers = signed_headers(slack.secret, request)
    assert slack.post(request, headers=headers).status == 200
    assert slack.post(request, headers=headers).status == 401
    assert [(r["actor"], r["reason"]) for r in refusals(slack, 3)] == [
        ("slack:unverified", "signature does not match"),
        ("slack:unverified", "timestamp outside the five-minute window"),
        (f"slack:{CSM}", "replayed request (signature seen before)"),
    ]


def post_raw(slack: Workspace, headers: bytes, body: bytes, *, length: int | None = None) -> bytes:
    """Send a request as bytes (headers Python's client would refuse to send, a lying
    Content-Length) and return what came back within a few seconds."""
    host, port = slack.server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        head = b"POST /slack/events HTTP/1.1\r\nHost: tierbot\r\nConnection: close\r\n" + headers
        head += f"\r\nContent-Length: {len(body) if length is None else length}\r\n\r\n".encode()
        with contextlib.suppress(OSError):  # the server may hang up before taking it all: that is the point
            conn.sendall(head + body)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and length is not None:
                    break
        except OSError:
            pass
    return answer


def test_an_oversized_body_is_refused_before_it_is_read_and_never_logged(
    slack: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forged = b"command=%2Ftier&text=FORGED-MARKER" + b"x" * 200_000
    headers = (
        b"Content-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=0"
    )
    started = time.monotonic()
    answer = post_raw(slack, headers, forged, length=100_000_000)  # claims 100 MB, sends 200 KB
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert time.monotonic() - started < 2
    [refusal] = refusals(slack, 1)
    assert refusal["reason"] == "body too large" and refusal["bytes"] == 100_000_000
    just_over = slack.command_request("/tier", "acme corp " + "y" * 1_000_000)
    signed = "\r\n".join(f"{k}: {v}" for k, v in signed_headers(slack.secret, just_over).items()).encode()
    # Sent raw: the server answers 413 and hangs up before taking the whole body (a client that
    # insists on sending it all would see a broken pipe instead of the answer).
    assert post_raw(slack, signed, just_over.body.encode()).startswith(b"HTTP/1.1 413")
    assert "FORGED-MARKER" not in caplog.text and "yyyyyyyyyy" not in caplog.text


def test_a_forged_body_is_never_logged(slack: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request = slack.command_request("/tier", "FORGED-MARKER acme corp")
    assert slack.post(request, headers=signed_headers("not-the-secret", request)).status == 401
    refusals(slack, 1)
    assert "FORGED-MARKER" not in caplog.text
