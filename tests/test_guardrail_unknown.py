"""A guardrail tierbot could not check (no workload estimate, no region, no renewal date) is
unknown: never shown as passed, never skipped, counted, and recorded with the decision. Unknown
does not block an approval (a failure does): the decider sees it plainly wherever they decide."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.handoffs import (
    CsmFacts,
    GuardrailResult,
    GuardrailSettings,
    MoveFacts,
    check_guardrails,
    failures,
    unknowns,
)
from store import Store
from workflows.clock import FixedClock
from workflows.handoffs import set_handoff_channel

from .slack_support import CSM, Workspace, text_of
from .test_cli import tierbot

SAM = CsmFacts("sam", "Sam Patel", "NA", ("Healthcare",), accounts=80, work_hours=30, capacity_hours=40)
JORDAN = CsmFacts("jordan", "Jordan Blake", "NA")


def facts(**changes: object) -> MoveFacts:
    base: dict[str, object] = {
        "account_name": "Acme",
        "renewal_date": date(2027, 9, 1),
        "strategic": False,
        "health": "green",
        "region": "NA",
        "industry": "Healthcare",
        "effective": date(2026, 12, 7),
        "to_csm": SAM,
        "from_csm": JORDAN,
    }
    base.update(changes)
    return MoveFacts(**base)  # type: ignore[arg-type]


def states(move: MoveFacts, settings: GuardrailSettings | None = None) -> dict[str, str]:
    return {r.name: r.state for r in check_guardrails(move, settings or GuardrailSettings()) if r.name != "moves"}


def test_every_guardrail_is_listed_with_a_state_when_all_data_is_there() -> None:
    assert states(facts()) == {
        "renewal": "passed",
        "strategic": "passed",
        "health": "passed",
        "capacity": "passed",
        "region": "passed",
        "specialty": "passed",
    }


@pytest.mark.parametrize(
    ("changes", "name", "said"),
    [
        ({"to_csm": CsmFacts("sam", "Sam Patel", "NA", ("Healthcare",))}, "capacity", "no workload estimate"),
        ({"region": None}, "region", "The account has no region on record"),
        (
            {"to_csm": CsmFacts("sam", "Sam Patel", None, ("Healthcare",), 1, 30, 40)},
            "region",
            "Sam Patel has no region",
        ),
        ({"renewal_date": None}, "renewal", "No renewal date on record"),
        ({"health": None}, "health", "no health on record"),
        ({"industry": None}, "specialty", "The account has no industry on record"),
    ],
)
def test_a_check_without_data_is_unknown_not_passed(changes: dict[str, object], name: str, said: str) -> None:
    results = {r.name: r for r in check_guardrails(facts(**changes), GuardrailSettings())}
    result = results[name]
    assert (result.state, result.passed) == ("unknown", None)
    assert said in result.message and "not checked" in result.message
    assert result not in failures(tuple(results.values())) and result in unknowns(tuple(results.values()))


def test_a_csm_without_specialties_takes_any_industry_which_is_a_pass() -> None:
    anyone = CsmFacts("sam", "Sam Patel", "NA", (), 1, 30, 40)
    result = next(r for r in check_guardrails(facts(to_csm=anyone), GuardrailSettings()) if r.name == "specialty")
    assert result.state == "passed" and "any industry" in result.message


def test_results_stored_before_states_existed_read_as_they_were() -> None:
    assert GuardrailResult("region", True, "ok").state == "passed"
    assert GuardrailResult("region", False, "no").state == "failed"
    assert GuardrailResult("region", None, "?").state == "unknown"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "g.db")
    assert tierbot("--db", path, "demo").exit_code == 0
    return path


def test_the_command_line_shows_unknown_counts_it_and_records_it_with_the_approval(db: str) -> None:
    proposed = tierbot("--db", db, "handoff", "propose", "acme health", "--to", "sam-patel", "--reason", "x", "--json")
    record = json.loads(proposed.stdout)
    capacity = next(g for g in record["guardrails"] if g["name"] == "capacity")
    assert capacity["state"] == "unknown" and capacity["passed"] is None
    assert "Sam Patel has no workload estimate on record" in capacity["message"]
    text = tierbot("--db", db, "handoff", "show", "1").stdout
    assert "? capacity: Sam Patel has no workload estimate on record" in text
    assert "✓ capacity" not in text
    assert "Guardrails: 7 passed, 1 not checked (no data):" in text
    assert "1 guardrail(s) could not be checked" in text
    listing = tierbot("--db", db, "handoff", "list").stdout
    assert "? capacity" in listing
    # Unknown does not block: Morgan's and Sam's manager approves, and the record says what was unchecked.
    approved = tierbot("--db", db, "handoff", "approve", "1", "--as", "marcus-chen")
    assert approved.exit_code == 0, approved.stderr
    assert "? capacity" in approved.stdout
    trail = json.loads(tierbot("--db", db, "audit", "--entity", "handoff:1", "--json").stdout)
    approval = next(e for e in trail["entries"] if e["action"] == "handoff.approve")
    assert approval["after"]["guardrails_unknown"] == ["capacity"]
    assert approval["after"]["guardrails_failed"] == []


def test_the_chat_shows_unknown(demo_store: Store, clock: FixedClock) -> None:
    from bot.chat import answer
    from bot.commands import build_router
    from bot.router import Session

    said = answer(
        build_router(),
        Session(store=demo_store, clock=clock, actor="chat:t"),
        "handoff acme health to sam patel because rebalancing",
    )
    assert "? capacity: Sam Patel has no workload estimate on record" in said


def test_a_plan_keeps_unknown_moves_planned_and_says_unknown_in_the_worksheet(db: str, tmp_path: Path) -> None:
    moves = tmp_path / "moves.csv"
    moves.write_text("account,to,reason\nacme health,sam-patel,rebalance\n")
    sheet = tmp_path / "plan.csv"
    result = tierbot("--db", db, "handoff", "plan", str(moves), "--start", "2026-11-30", "--worksheet", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert "[planned]" in result.stdout
    assert "UNKNOWN: Sam Patel has no workload estimate on record" in sheet.read_text()


def test_slack_shows_unknown_with_a_question_mark(slack: Workspace) -> None:
    deps = slack.registry.deps
    set_handoff_channel(deps.store, "C0MANAGERS", actor="cli:test", clock=deps.clock)
    slack.next_reply(lambda: slack.command("/handoff", "ACC-0000002 to <@UDEMO0007|sam> because rebalance", user=CSM))
    posted = [c for c in slack.fake.wait_for("chat.postMessage") if c.body.get("channel") == "C0MANAGERS"]
    text = text_of(posted[0].response["message"])
    assert ":grey_question: Sam Patel has no workload estimate on record" in text
    assert ":white_check_mark: Sam Patel has no workload estimate" not in text
    assert "1 guardrail(s) could not be checked" in text
    assert "handoff_approve" in json.dumps(posted[0].body)  # unknown does not need an exception
