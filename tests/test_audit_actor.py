"""A command-line action is recorded as the command line — the operating-system user — acting
`--as` someone (`cli:alice as marcus-chen`), never as that person's Slack click: in the audit log,
in handoff events, on plan lines and notes, and in refusals."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .test_cli import tierbot

ALICE = {"USER": "alice", "LOGNAME": "alice", "USERNAME": "alice", "LNAME": "alice"}
BOB = {"USER": "bob", "LOGNAME": "bob", "USERNAME": "bob", "LNAME": "bob"}


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "a.db")
    assert tierbot("--db", path, "demo").exit_code == 0
    return path


def run(db: str, *args: str, env: dict[str, str] = ALICE) -> str:
    result = tierbot("--db", db, *args, env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def rows(db: str, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_every_command_with_as_is_audited_as_the_command_line_acting_as_someone(db: str, tmp_path: Path) -> None:
    # A handoff from proposal to a sent customer note, every step on the command line.
    run(db, "handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "rebalance", "--as", "jordan-blake")
    run(db, "handoff", "approve", "1", "--as", "marcus-chen", "--note", "fine")
    run(db, "handoff", "advance", "1", "scheduled", "--as", "marcus-chen")
    run(db, "draft", "1", "--approve", "--as", "sam-patel")
    run(db, "draft", "1", "--sent", "--as", "sam-patel")
    # Another proposed and rejected, another cancelled, one with no --as at all.
    run(db, "handoff", "propose", "ACC-0000003", "--to", "sam-patel", "--reason", "x", "--as", "jordan-blake")
    run(db, "handoff", "reject", "2", "--as", "marcus-chen")
    run(db, "handoff", "propose", "Initech", "--to", "lena-fischer", "--reason", "x")
    run(db, "handoff", "cancel", "3", "--as", "dana-whitfield")
    # A plan, approved and rejected line by line.
    moves = tmp_path / "moves.csv"
    moves.write_text("account,to,reason\nACC-0000014,sam-patel,a\nACC-0000037,sam-patel,b\n")
    run(db, "handoff", "plan", str(moves), "--start", "2026-11-30")
    run(db, "handoff", "plan-approve", "1", "--line", "2", "--as", "marcus-chen")
    run(db, "handoff", "plan-reject", "1", "--line", "3", "--as", "marcus-chen")

    audited = rows(
        db,
        "SELECT actor, action FROM audit_log WHERE action LIKE 'handoff.%' OR action LIKE 'note.%' "
        "OR action LIKE 'plan.%'",
    )
    assert audited and not [a for a in audited if a[0].startswith("slack:")], audited
    by_action: dict[str, set[str]] = {}
    for actor, action in audited:
        by_action.setdefault(action, set()).add(actor)
    # A plan line approved becomes a handoff proposed and approved by its decider.
    assert by_action["handoff.propose"] == {"cli:alice as jordan-blake", "cli:alice", "cli:alice as marcus-chen"}
    assert by_action["handoff.approve"] == {"cli:alice as marcus-chen"}
    assert by_action["handoff.reject"] == {"cli:alice as marcus-chen"}
    assert by_action["handoff.scheduled"] == {"cli:alice as marcus-chen"}
    assert by_action["handoff.cancelled"] == {"cli:alice as dana-whitfield"}
    assert by_action["note.approve"] == {"cli:alice as sam-patel"}
    assert by_action["note.sent"] == {"cli:alice as sam-patel"}
    assert by_action["plan.approve_line"] == {"cli:alice as marcus-chen"}
    assert by_action["plan.reject_line"] == {"cli:alice as marcus-chen"}

    events = {actor for (actor,) in rows(db, "SELECT actor FROM handoff_events")}
    assert not [a for a in events if a.startswith("slack:")], events
    assert {"cli:alice as jordan-blake", "cli:alice as marcus-chen", "cli:alice as sam-patel"} <= events
    assert rows(db, "SELECT requested_by FROM handoffs WHERE id = 1") == [("cli:alice as jordan-blake",)]
    decided = {d for (d,) in rows(db, "SELECT decided_by FROM handoff_plan_lines WHERE decided_by IS NOT NULL")}
    assert decided == {"cli:alice as marcus-chen"}
    notes = rows(db, "SELECT decided_by, sent_by FROM handoff_drafts WHERE state = 'sent'")
    assert notes == [("cli:alice as sam-patel", "cli:alice as sam-patel")]

    shown = run(db, "handoff", "show", "1")
    assert "proposed by Jordan Blake (via cli:alice)" in shown
    assert "Approved by Marcus Chen (via cli:alice)" in shown
    trail = json.loads(run(db, "audit", "--entity", "handoff:1", "--json"))
    assert {e["actor"] for e in trail["entries"]} >= {"cli:alice as jordan-blake", "cli:alice as marcus-chen"}


def test_the_requester_is_the_person_not_the_terminal(db: str) -> None:
    run(db, "handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "x", "--as", "jordan-blake")
    # Jordan cancels their own request from another login: still the requester.
    out = run(db, "handoff", "cancel", "1", "--as", "jordan-blake", env=BOB)
    assert "Handoff #1 (cancelled)" in out
    assert rows(db, "SELECT actor FROM handoff_events WHERE state = 'cancelled'") == [("cli:bob as jordan-blake",)]


def test_a_refusal_on_the_command_line_is_audited_as_the_command_line(db: str) -> None:
    run(db, "handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "x")
    refused = tierbot("--db", db, "handoff", "approve", "1", "--as", "jordan-blake", env=ALICE)
    assert refused.exit_code == 1
    denials = rows(db, "SELECT actor, action, after FROM audit_log WHERE action LIKE '%.denied'")
    assert len(denials) == 1
    actor, action, after = denials[0]
    assert (actor, action) == ("cli:alice as jordan-blake", "cli.denied")
    assert json.loads(after)["action"] == "decide handoff #1"


def test_every_refusal_on_the_command_line_is_audited_as_the_command_line_and_says_who_may(
    db: str, tmp_path: Path
) -> None:
    run(db, "handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "x", "--as", "jordan-blake")
    run(db, "handoff", "propose", "ACC-0000037", "--to", "sam-patel", "--reason", "y", "--as", "jordan-blake")
    run(db, "handoff", "approve", "2", "--as", "marcus-chen")
    moves = tmp_path / "moves.csv"
    moves.write_text("account,to,reason\nACC-0000014,sam-patel,a\n")
    run(db, "handoff", "plan", str(moves), "--start", "2026-11-30")
    refusals = [  # (command, the action refused, what the message says)
        (("handoff", "approve", "1", "--as", "jordan-blake"), "decide handoff #1", "or a leader, may decide"),
        (
            ("handoff", "cancel", "1", "--as", "lena-fischer"),
            "mark handoff #1 cancelled",
            "Only the managers of Morgan Diaz and Sam Patel, a leader or whoever requested it may mark handoff #1 "
            "cancelled.",
        ),
        (
            ("handoff", "advance", "2", "scheduled", "--as", "lena-fischer"),
            "mark handoff #2 scheduled",
            "and Sam Patel or a leader may mark handoff #2 scheduled.",
        ),
        (("draft", "2", "--approve", "--as", "lena-fischer"), "approve the customer note of handoff #2", "Only Sam"),
        (("handoff", "plan-approve", "1", "--as", "jordan-blake"), "decide lines of plan #1", "or a leader"),
    ]
    for command, action, said in refusals:
        refused = tierbot("--db", db, *command, env=ALICE)
        assert refused.exit_code == 1 and said in refused.stderr, (command, refused.stderr)
        actor, audited, after = rows(db, "SELECT actor, action, after FROM audit_log ORDER BY id DESC LIMIT 1")[0]
        who = command[command.index("--as") + 1]
        assert (actor, audited, json.loads(after)["action"]) == (f"cli:alice as {who}", "cli.denied", action)
    assert rows(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'slack.denied' OR actor LIKE 'slack:%'") == [(0,)]


def test_the_requester_acting_through_the_command_line_still_hears_the_decision_in_slack(db: str) -> None:
    from bot.slack.fake_api import FakeSlack

    with FakeSlack() as fake:
        env = {**ALICE, "SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake.api_url}
        run(
            db,
            "handoff",
            "propose",
            "acme health",
            "--to",
            "sam-patel",
            "--reason",
            "r",
            "--as",
            "jordan-blake",
            env=env,
        )
        run(db, "handoff", "approve", "1", "--as", "marcus-chen", env=env)
        dms = {c.body.get("channel") for c in fake.calls_to("chat.postMessage")}
        assert "UDEMO0005" in dms  # Jordan Blake asked for it: told of the decision
