"""Handoff records from the command line: propose, decide (and the exception path), move along,
complete; guardrails and who may do what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import open_store

from .test_cli import tierbot


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "handoffs.db")
    assert tierbot("--db", path, "demo").exit_code == 0
    return path


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = tierbot("--db", db, "handoff", *args)
    return result.exit_code, result.stdout, result.stderr


def propose(db: str, account: str = "acme health", to: str = "sam.patel@example.com", *extra: str) -> dict:
    code, out, err = run(db, "propose", account, "--to", to, "--reason", "rebalance NA books", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_propose_prints_the_record_with_its_id_and_guardrails(db: str) -> None:
    record = propose(db)
    assert record["id"] == 1 and record["state"] == "proposed"
    assert record["account_name"] == "Acme Health Partners" and record["to_name"] == "Sam Patel"
    assert record["from_name"] == "Morgan Diaz"
    assert {g["name"] for g in record["guardrails"]} >= {"renewal", "moves", "capacity", "region"}
    # Sam has filed no workload estimate: his room is unknown, never shown as passed.
    assert {g["name"]: g["state"] for g in record["guardrails"]}["capacity"] == "unknown"
    assert all(g["state"] == "passed" for g in record["guardrails"] if g["name"] != "capacity")
    _code, out, _ = run(db, "list")
    assert "Acme Health Partners" in out and "Morgan Diaz → Sam Patel" in out


def test_problems_with_a_proposal_are_named(db: str) -> None:
    code, _, err = run(db, "propose", "acme health", "--to", "sam patl", "--reason", "x")
    assert code == 1 and "did you mean `Sam Patel`?" in err
    code, _, err = run(db, "propose", "acme health", "--to", "morgan-diaz", "--reason", "x")
    assert code == 1 and "Morgan Diaz already owns Acme Health Partners" in err
    code, _, err = run(db, "propose", "acme health", "--to", "sam-patel", "--reason", "x", "--effective", "2020-01-01")
    assert code == 1 and "2020-01-01 has passed" in err
    code, _, err = run(db, "propose", "no such account at all zz", "--to", "sam-patel", "--reason", "x")
    assert code == 1 and "No account matches" in err
    propose(db)
    code, _, err = run(db, "propose", "acme health", "--to", "avery-collins", "--reason", "x")
    assert code == 1 and "Handoff #1 of this account (to Sam Patel) is already waiting" in err


def test_only_a_manager_of_either_csm_or_a_leader_decides(db: str) -> None:
    propose(db)
    code, _, err = run(db, "approve", "1", "--as", "ingrid-larsen")  # manages EMEA, not Morgan or Sam
    assert code == 1 and "Only the managers of Morgan Diaz and Sam Patel, or a leader" in err
    code, _, err = run(db, "approve", "1", "--as", "jordan-blake")
    assert code == 1 and "Only the managers" in err
    code, out, _ = run(db, "approve", "1", "--as", "marcus-chen", "--note", "fine")
    assert code == 0 and "Approved by Marcus Chen" in out
    code, _, err = run(db, "reject", "1", "--as", "dana-whitfield")  # a second decision changes nothing
    assert code == 1 and "already approved by Marcus Chen" in err
    audit = tierbot("--db", db, "audit", "--entity", "handoff:1", "--json").stdout
    assert '"handoff.approve"' in audit and '"handoff.propose"' in audit


def test_a_move_failing_a_guardrail_needs_a_leaders_exception(db: str) -> None:
    record = propose(db, "ACC-0000001")  # Acme Corp is strategic
    assert [g["name"] for g in record["guardrails"] if g["state"] == "failed"] == ["strategic"]
    code, out, _ = run(db, "show", "1")
    assert "a leader can approve it as an exception" in out
    code, _, err = run(db, "approve", "1", "--as", "marcus-chen")
    assert code == 1 and "Only a leader can approve it, as an exception" in err
    code, _, err = run(db, "approve", "1", "--as", "dana-whitfield")
    assert code == 1 and "give the exception's reason" in err
    code, out, _ = run(db, "approve", "1", "--as", "dana-whitfield", "--exception", "the customer asked for Sam")
    assert code == 0 and "Approved as an exception by Dana Whitfield" in out and "the customer asked for Sam" in out


def test_a_handoff_moves_along_and_completing_it_changes_the_owner(db: str) -> None:
    propose(db)
    run(db, "approve", "1", "--as", "marcus-chen")
    for state, person in (
        ("scheduled", "marcus-chen"),
        ("customer notified", "marcus-chen"),
        ("introduced", "sam-patel"),
    ):
        code, out, err = run(db, "advance", "1", state, "--as", person)
        assert code == 0, err
        assert f"Handoff #1 ({state})" in out
    code, _, err = run(db, "advance", "1", "completed", "--as", "jordan-blake")  # not their move
    assert code == 1 and "a leader or the new CSM may mark handoff #1 completed" in err
    code, out, _ = run(db, "advance", "1", "completed", "--as", "sam-patel", "--note", "first QBR booked")
    assert code == 0 and "Handoff #1 (completed)" in out
    found = json.loads(tierbot("--db", db, "accounts", "find", "ACC-0000002", "--json").stdout)
    assert found["best"]["owner"] == "sam-patel"
    audit = tierbot("--db", db, "audit", "--entity", "account:ACC-0000002", "--json").stdout
    assert '"account.owner"' in audit
    code, out, _ = run(db, "show", "1")
    history = out.split("History:")[1]
    assert [line.split()[1] for line in history.strip().splitlines()] == [
        "proposed",
        "approved",
        "scheduled",
        "customer",
        "introduced",
        "completed",
    ]


def test_illegal_steps_are_refused_with_what_is_possible(db: str) -> None:
    propose(db)
    code, _, err = run(db, "advance", "1", "scheduled", "--as", "marcus-chen")
    assert (
        code == 1
        and "Handoff #1 is proposed: it cannot become scheduled. From proposed it can go to approved or rejected or cancelled."
        in err
    )
    run(db, "reject", "1", "--as", "marcus-chen", "--note", "renewal first")
    code, _, err = run(db, "cancel", "1", "--as", "marcus-chen")
    assert code == 1 and "Rejected is final" in err


def test_the_requester_may_cancel_their_own_proposal_and_others_may_not(db: str) -> None:
    code, out, _ = run(
        db, "propose", "acme health", "--to", "sam-patel", "--reason", "x", "--as", "jordan-blake", "--json"
    )
    assert code == 0
    code, _, err = run(db, "cancel", "1", "--as", "avery-collins")
    assert code == 1 and "may mark handoff #1 cancelled" in err
    code, out, _ = run(db, "cancel", "1", "--as", "jordan-blake", "--note", "customer renewed early")
    assert code == 0 and "Handoff #1 (cancelled)" in out


def test_guardrail_settings_change_what_is_checked(db: str) -> None:
    code, out, _ = run(db, "settings", "--renewal-days", "400", "--allow-strategic", "--json")
    settings = json.loads(out)
    assert settings["guardrails"]["renewal_days"] == 400 and settings["guardrails"]["keep_strategic"] is False
    record = propose(db, "ACC-0000001")
    failed = {g["name"] for g in record["guardrails"] if g["state"] == "failed"}
    assert failed == {"renewal"}  # strategic is allowed now; every renewal is within 400 days
    code, _, err = run(db, "settings", "--max-moves", "-1")
    assert code == 1 and "cannot be negative" in err
    code, _, err = run(db, "settings", "--channel", "#cs-managers")
    assert code == 1 and "not a Slack channel id" in err
    code, out, _ = run(db, "settings", "--channel", "C0MANAGERS")
    assert "Managers' channel: C0MANAGERS" in out


def test_moves_per_quarter_count_committed_moves_of_either_csm(db: str) -> None:
    run(db, "settings", "--max-moves", "1", "--no-specialty", "--no-region")
    propose(db, "acme health")
    run(db, "approve", "1", "--as", "marcus-chen")
    second = propose(db, "ACC-0000003", "sam-patel")  # Sam takes a second account this quarter
    moves = [g for g in second["guardrails"] if g["name"] == "moves" and "Sam Patel" in g["message"]]
    assert moves and not moves[0]["passed"] and "Sam Patel has 1 other move(s)" in moves[0]["message"]


def test_with_a_bot_token_the_command_line_keeps_slack_in_step(db: str) -> None:
    from bot.slack.fake_api import FakeSlack

    assert run(db, "settings", "--channel", "C0MANAGERS")[0] == 0
    with FakeSlack() as fake:
        env = {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake.api_url}
        proposed = tierbot(
            "--db", db, "handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "r", "--json", env=env
        )
        assert proposed.exit_code == 0, proposed.stderr
        record = json.loads(proposed.stdout)
        post = fake.calls_to("chat.postMessage")[0]
        assert post.body["channel"] == "C0MANAGERS" and record["ts"] == post.response["ts"]
        assert "Sent handoff #1 for a decision in channel C0MANAGERS." in proposed.stderr
        decided = tierbot("--db", db, "handoff", "approve", "1", "--as", "marcus-chen", env=env)
        assert decided.exit_code == 0, decided.stderr
        update = fake.calls_to("chat.update")[0].body
        assert (
            update["ts"] == record["ts"]
            and "Approved by" in json.dumps(update)
            and "handoff_approve" not in json.dumps(update)
        )
        assert any(c.body.get("thread_ts") == record["ts"] for c in fake.calls_to("chat.postMessage"))


def test_when_slack_cannot_be_reached_the_proposal_stands_and_can_be_posted_later(db: str) -> None:
    from bot.slack.fake_api import FakeSlack

    down = {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    proposed = tierbot("--db", db, "handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "r", env=down)
    assert proposed.exit_code == 0, proposed.stderr
    assert "Recorded handoff #1; tierbot could not send the request for a decision yet" in proposed.stderr
    assert "it waits in the outbox, and `tierbot serve` delivers it" in proposed.stderr
    with FakeSlack() as fake:
        env = {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake.api_url}
        posted = tierbot("--db", db, "handoff", "post", "1", env=env)  # sends the waiting request, not a second
        assert posted.exit_code == 0 and "Sent handoff #1 for a decision by DM to UDEMO0002." in posted.stderr
        assert [c.body["channel"] for c in fake.calls_to("chat.postMessage")] == ["UDEMO0002"]  # Marcus
        store = open_store(db)
        assert store.scalar("SELECT COUNT(*) FROM outbox WHERE state != 'done'") == 0
        store.close()
        decided = tierbot("--db", db, "handoff", "approve", "1", "--as", "marcus-chen", env=env)
        assert decided.exit_code == 0, decided.stderr
        sent = [c.body for c in fake.calls_to("chat.postMessage")][1:]
        assert any("note_approve" in json.dumps(b) and b["channel"] == "UDEMO0007" for b in sent)  # Sam's note
        assert {b["channel"] for b in sent} >= {"UDEMO0007", "UDEMO0010"}  # Sam, and Morgan (the old CSM)
        again = tierbot("--db", db, "handoff", "post", "1", env=env)
        assert again.exit_code == 1 and "only a proposed handoff waits for a decision" in again.stderr


def test_a_first_name_one_person_has_names_the_csm(db: str) -> None:
    record = propose(db, "acme health", "sam")
    assert record["to_name"] == "Sam Patel"
    code, _, err = run(db, "propose", "acme dental", "--to", "samm", "--reason", "r")
    assert code == 1 and "`samm` is not someone in the CSM roster" in err
