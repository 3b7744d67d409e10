"""Transition plans: batching (engine), the plan file and its problems, the worksheet, approval
as a whole or line by line, check-ins and the announcement digest (command line, fake Slack)."""

from __future__ import annotations

import csv
import itertools
import json
import re
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.fake_api import FakeSlack
from engine.handoffs import CsmFacts, GuardrailSettings, MoveFacts, check_guardrails, failures
from engine.plans import HELD, PLANNED, PlanMove, plan_moves
from store import open_store

from .test_cli import tierbot

MONDAY = date(2026, 11, 30)
OFF = GuardrailSettings(
    renewal_days=0, keep_strategic=False, keep_red_health=False, max_moves_per_quarter=0, check_capacity=False
)


def csm(csm_id: str, accounts: int = 10) -> CsmFacts:
    return CsmFacts(id=csm_id, name=csm_id.title(), region="NA", accounts=accounts)


def move(line: int, to: str = "sam", frm: str = "jordan", **facts: object) -> PlanMove:
    base = {
        "account_name": f"Account {line}",
        "renewal_date": None,
        "strategic": False,
        "health": "green",
        "region": "NA",
        "industry": None,
        "effective": MONDAY,
        "to_csm": csm(to),
        "from_csm": csm(frm) if frm else None,
    }
    earliest = facts.pop("earliest", None)
    return PlanMove(line, f"ACC-{line}", "capacity", MoveFacts(**(base | facts)), earliest)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- batching


def test_moves_fill_weeks_up_to_the_weekly_limit_per_csm() -> None:
    plan = plan_moves([move(n) for n in range(2, 7)], OFF, start=MONDAY, weekly_limit=2)
    assert [p.batch for p in plan] == [1, 1, 2, 2, 3]
    assert [p.effective for p in plan] == [
        MONDAY,
        MONDAY,
        MONDAY + timedelta(7),
        MONDAY + timedelta(7),
        MONDAY + timedelta(14),
    ]
    assert plan[2].note.startswith("1 week(s) after the start: a CSM had 2 move(s) already")
    assert all(p.check_in == p.effective + timedelta(days=30) for p in plan)


def test_the_limit_counts_giving_and_taking_and_other_csms_move_freely() -> None:
    moves = [move(2, to="sam"), move(3, to="avery"), move(4, to="riley", frm="morgan"), move(5, to="sam", frm="lena")]
    plan = plan_moves(moves, OFF, start=MONDAY, weekly_limit=2)
    # Jordan gives twice in week 1; Morgan and Lena are free; Sam's second move is Lena's, in week 1 too.
    assert [p.batch for p in plan] == [1, 1, 1, 1]
    plan = plan_moves(moves, OFF, start=MONDAY, weekly_limit=1)
    assert [p.batch for p in plan] == [1, 2, 1, 2]


def test_a_start_that_is_not_a_monday_begins_the_next_week_and_earliest_is_kept() -> None:
    plan = plan_moves([move(2), move(3, earliest=date(2026, 12, 20))], OFF, start=date(2026, 11, 25), weekly_limit=5)
    assert plan[0].effective == MONDAY
    assert plan[1].effective == date(2026, 12, 21) and "not before 2026-12-20" in plan[1].note
    assert [p.batch for p in plan] == [1, 2]


def test_the_renewal_window_pushes_a_move_past_the_renewal() -> None:
    settings_ = GuardrailSettings(max_moves_per_quarter=0, check_capacity=False)
    plan = plan_moves([move(2, renewal_date=date(2026, 12, 16))], settings_, start=MONDAY, weekly_limit=5)
    assert plan[0].status == PLANNED and plan[0].effective == date(2026, 12, 21)  # the Monday after the renewal
    assert "renewal window" in plan[0].note


def test_moves_the_calendar_cannot_fix_are_held_for_an_exception() -> None:
    settings_ = GuardrailSettings(max_moves_per_quarter=0, check_capacity=False)
    plan = plan_moves(
        [move(2, strategic=True), move(3, health="red"), move(4)], settings_, start=MONDAY, weekly_limit=5
    )
    assert [p.status for p in plan] == [HELD, HELD, PLANNED]
    assert plan[0].note.startswith("Needs a leader's exception: Account 2 is strategic")
    assert plan[0].batch is None and plan[0].effective is None and plan[2].batch == 1


def test_moves_per_quarter_count_the_plans_own_moves_and_those_already_committed() -> None:
    settings_ = GuardrailSettings(renewal_days=0, max_moves_per_quarter=2, check_capacity=False)
    moves = [move(n, to=f"csm{n}") for n in range(2, 6)]  # all from Jordan
    plan = plan_moves(moves, settings_, start=MONDAY, weekly_limit=5, moves_by_quarter={("jordan", "2026-Q4"): 1})
    # One Q4 move is committed already: one more fits in Q4, the rest wait for 2027-Q1 (two of them).
    assert [p.effective for p in plan[:3]] == [MONDAY, date(2027, 1, 4), date(2027, 1, 4)]
    assert plan[3].effective == date(2027, 4, 5)  # Q1 is full too: the first week of Q2
    short = plan_moves(
        moves, settings_, start=MONDAY, weekly_limit=5, horizon_weeks=10, moves_by_quarter={("jordan", "2026-Q4"): 1}
    )
    assert short[3].status == HELD and short[3].note.startswith("No week in the next 10 fits:")
    assert "Jordan has 2 other move(s) in 2027-Q1 (limit 2)" in short[3].note


def test_a_full_book_holds_the_move_and_the_plan_counts_accounts_it_adds() -> None:
    settings_ = GuardrailSettings(renewal_days=0, max_moves_per_quarter=0, check_capacity=False, max_accounts=11)
    plan = plan_moves([move(2), move(3)], settings_, start=MONDAY, weekly_limit=5)
    assert [p.status for p in plan] == [PLANNED, HELD]
    assert "Sam owns 11 accounts; the limit is 11" in plan[1].note


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.sampled_from("abcde"), st.integers(0, 120), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 3),
)
def test_every_planned_move_passes_its_guardrails_and_no_csm_exceeds_the_limit(
    specs: list[tuple[str, str, int, bool]], limit: int
) -> None:
    settings_ = GuardrailSettings(renewal_days=45, max_moves_per_quarter=6, check_capacity=False)
    moves = [
        move(n, to=to, frm=frm if frm != to else "", renewal_date=MONDAY + timedelta(days=renew), strategic=strategic)
        for n, (to, frm, renew, strategic) in enumerate(specs, start=2)
    ]
    plan = plan_moves(moves, settings_, start=MONDAY, weekly_limit=limit)
    per_week: dict[tuple[str, date], int] = {}
    for m, p in zip(moves, plan, strict=True):
        if p.status == HELD:
            assert p.note and p.batch is None
            continue
        assert p.effective is not None and p.effective.weekday() == 0
        facts = m.facts
        for c in (facts.from_csm, facts.to_csm):
            if c is not None:
                per_week[(c.id, p.effective)] = per_week.get((c.id, p.effective), 0) + 1
        assert not failures(
            tuple(
                r
                for r in check_guardrails(MoveFacts(**{**facts.__dict__, "effective": p.effective}), settings_)
                if r.name != "moves"
            )
        )
    assert all(n <= limit for n in per_week.values())
    batches = [p.batch for p in plan if p.batch]
    assert sorted(set(batches)) == list(range(1, len(set(batches)) + 1))  # numbered 1, 2, … in date order


# ---------------------------------------------------------------------------------- the command line


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "plans.db")
    assert tierbot("--db", path, "demo").exit_code == 0
    return path


def movable(db: str, count: int) -> list[str]:
    with open_store(db) as store:
        return [
            r[0]
            for r in store.rows(
                "SELECT crm_id FROM accounts WHERE owner = 'jordan-blake' AND strategic = 0 AND health = 'green' "
                "AND industry = 'Healthcare' AND region = 'NA' AND renewal_date > '2027-09-01' ORDER BY crm_id LIMIT ?",
                (count,),
            )
        ]


def write_moves(path: Path, rows: list[list[str]], header: tuple[str, ...] = ("Account", "New CSM", "Reason")) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def plan(db: str, path: Path, *extra: str) -> dict:
    result = tierbot("--db", db, "handoff", "plan", str(path), "--start", "2026-11-30", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_plan_file_becomes_dated_batches_with_a_worksheet(db: str, tmp_path: Path) -> None:
    accounts = movable(db, 4)
    rows = [
        [a, "Sam Patel", '=HYPERLINK("http://evil.example")' if i == 0 else "capacity"] for i, a in enumerate(accounts)
    ]
    rows.append(["Acme Corp", "sam-patel", "rebalancing"])  # strategic: held
    made = plan(
        db, write_moves(tmp_path / "moves.csv", rows), "--weekly-limit", "2", "--worksheet", str(tmp_path / "w.xlsx")
    )
    assert [line["batch"] for line in made["lines"]] == [1, 1, 2, 2, None]
    assert [line["status"] for line in made["lines"]] == ["planned"] * 4 + ["held"]
    assert made["lines"][2]["effective_date"] == "2026-12-07" and made["lines"][2]["check_in_date"] == "2027-01-06"
    sheet = openpyxl.load_workbook(tmp_path / "w.xlsx").active
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["Batch", "Effective date", "Account", "CRM id", "From CSM", "New owner", "Reason", "Status"]
    assert sheet.cell(2, 7).value == '\'=HYPERLINK("http://evil.example")'  # never a live formula
    assert sheet.cell(2, 7).data_type == "s"
    shown = tierbot("--db", db, "handoff", "plans", "1", "--worksheet", str(tmp_path / "w.csv"))
    assert (
        "Batch 2 — effective 2026-12-07" in shown.stdout
        and "Held (need a handoff with a leader's exception)" in shown.stdout
    )
    with (tmp_path / "w.csv").open() as f:
        assert next(csv.reader(f))[0] == "Batch"


def test_problems_in_the_plan_file_are_named_by_row_and_column_and_nothing_is_kept(db: str, tmp_path: Path) -> None:
    accounts = movable(db, 2)
    rows = [
        [accounts[0], "Sam Patle", "capacity", ""],
        ["No Such Account Whatsoever", "sam-patel", "capacity", ""],
        [accounts[1], "sam-patel", "", "next week"],
        [accounts[1], "sam-patel", "capacity", ""],
    ]
    path = write_moves(tmp_path / "bad.csv", rows, ("account", "to", "reason", "earliest"))
    result = tierbot("--db", db, "handoff", "plan", str(path))
    assert result.exit_code == 1
    err = result.stderr
    assert "nothing was planned" in err
    assert "Row 2, column `to`: `Sam Patle` is not someone in the CSM roster; did you mean `Sam Patel`?" in err
    assert "Row 3, column `account`:" in err
    assert "Row 4, column `reason`: blank" in err and "Row 4, column `earliest`: `next week` is not a date" in err
    assert f"Row 5, column `account`: {accounts[1]} is also on row 4" in err
    with open_store(db) as store:
        assert store.scalar("SELECT COUNT(*) FROM handoff_plans") == 0
        assert store.scalar("SELECT COUNT(*) FROM handoff_plan_lines") == 0
    missing = tierbot("--db", db, "handoff", "plan", str(write_moves(tmp_path / "m.csv", [["x"]], ("Customer",))))
    assert missing.exit_code == 1 and "has no `to` column" in missing.stderr


def test_plans_are_approved_line_by_line_or_whole_by_who_may(db: str, tmp_path: Path) -> None:
    accounts = movable(db, 3)
    plan(db, write_moves(tmp_path / "moves.csv", [[a, "sam-patel", "capacity"] for a in accounts]))
    refused = tierbot("--db", db, "handoff", "plan-approve", "1", "--as", "lena-fischer")
    assert refused.exit_code == 1 and "Only the managers of the CSMs in these moves, or a leader" in refused.stderr
    one = tierbot("--db", db, "handoff", "plan-approve", "1", "--line", "3", "--as", "marcus-chen", "--json")
    decision = json.loads(one.stdout)
    assert decision["approved"] == [3] and decision["skipped"] == []
    rejected = tierbot("--db", db, "handoff", "plan-reject", "1", "--line", "4", "--as", "marcus-chen")
    assert "Rejected row(s) 4 of plan #1." in rejected.stdout
    rest = tierbot("--db", db, "handoff", "plan-approve", "1", "--as", "dana-whitfield")
    assert "Approved row(s) 2 of plan #1." in rest.stdout
    again = tierbot("--db", db, "handoff", "plan-approve", "1", "--line", "3", "--as", "dana-whitfield")
    assert "Row 3: it is approved." in again.stdout
    with open_store(db) as store:
        handoffs = store.query("SELECT crm_id, state, effective_date FROM handoffs ORDER BY id")
        assert [(h["crm_id"], h["state"]) for h in handoffs] == [(accounts[1], "approved"), (accounts[0], "approved")]
        assert store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'plan.approve_line'") == 2


def test_check_ins_come_thirty_days_after_the_move_and_each_batch_is_reported_once(db: str, tmp_path: Path) -> None:
    from workflows.clock import FixedClock
    from workflows.handoffs import advance_handoff, person_named
    from workflows.plans import claim_checkin, due_checkins

    accounts = movable(db, 2)
    plan(db, write_moves(tmp_path / "moves.csv", [[a, "sam-patel", "capacity"] for a in accounts]))
    assert tierbot("--db", db, "handoff", "plan-approve", "1", "--as", "dana-whitfield").exit_code == 0
    with open_store(db) as store:
        from datetime import UTC, datetime

        early = FixedClock(datetime(2026, 12, 29, 9, tzinfo=UTC))
        assert due_checkins(store, early).reminders == ()
        due = FixedClock(datetime(2026, 12, 30, 9, tzinfo=UTC))
        found = due_checkins(store, due)
        assert found.reminders == () and found.reports == ()  # approved, never completed: no check-in yet
        dana = person_named(store, "dana-whitfield")
        for handoff_id in (1, 2):
            for state in ("scheduled", "customer notified", "introduced", "completed"):
                advance_handoff(store, handoff_id, state, person=dana, clock=due)
        found = due_checkins(store, due)
        assert len(found.reminders) == 2 and [(b.batch, b.completed, b.lines) for b in found.reports] == [(1, 2, 2)]
        keys = [(r.key, "reminder") for r in found.reminders] + [(b.key, "batch report") for b in found.reports]
        assert sum(claim_checkin(store, key, kind, actor="test", clock=due) for key, kind in keys) == 3
        assert due_checkins(store, due).reminders == () and due_checkins(store, due).reports == ()


def test_checkins_and_the_digest_are_posted_to_slack_once(db: str, tmp_path: Path) -> None:
    accounts = movable(db, 3)
    plan(db, write_moves(tmp_path / "moves.csv", [[a, "sam-patel", "capacity"] for a in accounts]))
    assert tierbot("--db", db, "handoff", "plan-approve", "1", "--as", "dana-whitfield").exit_code == 0
    shown = tierbot("--db", db, "handoff", "announce")
    assert "3 approved handoff(s) to announce" in shown.stdout
    with FakeSlack() as fake:
        env = {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake.api_url}
        posted = tierbot("--db", db, "handoff", "announce", "--post", "--channel", "C0TEAM", env=env)
        assert posted.exit_code == 0, posted.stderr
        assert "Posted 3 approved handoff(s) in 1 message(s) to C0TEAM." in posted.stdout
        digest = fake.calls_to("chat.postMessage")
        assert len(digest) == 1 and all(a in json.dumps(digest[0].body) for a in ("Sam Patel", "from 2026-11-30"))
        again = tierbot("--db", db, "handoff", "announce", "--post", "--channel", "C0TEAM", env=env)
        assert "Nothing posted" in again.stdout and len(fake.calls_to("chat.postMessage")) == 1
        without = tierbot("--db", db, "handoff", "announce", "--post", "--channel", "C0TEAM")
        assert without.exit_code == 1 and "SLACK_BOT_TOKEN" in without.stderr


def test_a_long_digest_is_split_and_paced(db: str) -> None:
    with open_store(db) as store, store.transaction():
        for n, crm_id in enumerate(r[0] for r in store.rows("SELECT crm_id FROM accounts LIMIT 85")):
            at = f"2026-11-22T10:{n // 60:02d}:{n % 60:02d}Z"
            store.execute(
                "INSERT INTO handoffs(crm_id, from_csm, to_csm, reason, effective_date, state, requested_by, "
                "requested_at, updated_at) VALUES (?, 'jordan-blake', 'sam-patel', 'r', '2027-01-04', 'approved', "
                "'cli:t', ?, ?)",
                (crm_id, at, at),
            )
    with FakeSlack() as fake:
        env = {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake.api_url}
        posted = tierbot("--db", db, "handoff", "announce", "--post", "--channel", "C0TEAM", env=env)
        assert posted.exit_code == 0, posted.stderr
        assert "Posted 85 approved handoff(s) in 3 message(s) to C0TEAM." in posted.stdout
        posts = fake.calls_to("chat.postMessage")
        assert [json.dumps(p.body, ensure_ascii=False).count("→") for p in posts] == [40, 40, 5]
        assert "part 1 of 3" in posts[0].body["text"]
        assert all(later.at - earlier.at >= 1.0 for earlier, later in itertools.pairwise(posts))  # paced
    with open_store(db) as store:
        assert store.scalar("SELECT COUNT(*) FROM handoffs WHERE announced_at IS NULL") == 0
        announced = [
            json.loads(r[0]) for r in store.rows("SELECT after FROM audit_log WHERE action = 'handoff.announce'")
        ]
        assert sorted(len(a["handoffs"]) for a in announced) == [5, 40, 40]  # each message, once Slack took it


# ---------------------------------------------------------------------------------- found in review


def demo_plan(db: str, tmp_path: Path, count: int, *extra: str) -> dict:
    return plan(
        db, write_moves(tmp_path / "moves.csv", [[a, "sam-patel", "capacity"] for a in movable(db, count)]), *extra
    )


def test_two_approvals_of_a_plan_at_once_make_one_handoff_per_move(db: str, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from workflows.clock import SystemClock
    from workflows.handoffs import person_named
    from workflows.plans import decide_plan

    demo_plan(db, tmp_path, 6, "--weekly-limit", "6")
    with open_store(db) as store:
        dana = person_named(store, "dana-whitfield")
        with ThreadPoolExecutor(2) as pool:
            both = list(
                pool.map(lambda _: decide_plan(store, 1, approve=True, person=dana, clock=SystemClock()), (1, 2))
            )
        assert sorted(len(d.approved) for d in both) in ([0, 6], [1, 5], [2, 4], [3, 3])  # every line exactly once
        assert sum(len(d.approved) for d in both) == 6
        assert store.scalar("SELECT COUNT(*) FROM handoffs") == 6
        assert store.scalar("SELECT COUNT(DISTINCT crm_id) FROM handoffs") == 6


def test_the_weekly_limit_counts_moves_already_decided_and_other_plans(db: str, tmp_path: Path) -> None:
    accounts = movable(db, 4)
    plan(
        db, write_moves(tmp_path / "a.csv", [[a, "sam-patel", "capacity"] for a in accounts[:2]]), "--weekly-limit", "2"
    )
    assert tierbot("--db", db, "handoff", "plan-approve", "1", "--line", "2", "--as", "dana-whitfield").exit_code == 0
    second = plan(
        db, write_moves(tmp_path / "b.csv", [[a, "sam-patel", "capacity"] for a in accounts[2:]]), "--weekly-limit", "2"
    )
    # Week 1 already has Sam's approved move and plan 1's undecided one: plan 2 starts a week later.
    assert [line["effective_date"] for line in second["lines"]] == ["2026-12-07", "2026-12-07"]


def test_a_plan_line_whose_week_has_passed_moves_to_the_next_monday(db: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from workflows.clock import FixedClock
    from workflows.handoffs import person_named
    from workflows.plans import decide_plan

    demo_plan(db, tmp_path, 1)
    with open_store(db) as store:
        later = FixedClock(datetime(2026, 12, 9, 9, tzinfo=UTC))  # a Wednesday after the plan's first week
        decision = decide_plan(store, 1, approve=True, person=person_named(store, "dana-whitfield"), clock=later)
        assert decision.approved == (2,)
        line = decision.plan.lines[0]
        assert (line.effective_date, line.check_in_date) == ("2026-12-14", "2027-01-13")
        assert store.scalar("SELECT effective_date FROM handoffs WHERE id = 1") == "2026-12-14"


def test_a_long_plan_keeps_approve_all_and_the_held_moves_within_50_blocks(db: str, tmp_path: Path) -> None:
    from bot.slack.blocks.plans import plan_message
    from bot.slack.fake_api import check_blocks
    from workflows.plans import get_plan

    with open_store(db) as store:
        accounts = [r[0] for r in store.rows("SELECT crm_id FROM accounts WHERE owner = 'jordan-blake' LIMIT 80")]
    made = plan(
        db, write_moves(tmp_path / "long.csv", [[a, "sam-patel", "capacity"] for a in accounts]), "--weekly-limit", "1"
    )
    assert len(made["lines"]) == 80
    with open_store(db) as store:
        shown = plan_message(get_plan(store, 1))
    assert len(shown.blocks) <= 50 and check_blocks(shown.blocks, surface="message") == []
    text = json.dumps(shown.blocks)
    assert "plan_approve" in text and "Held: these need a handoff" in text and "more blocks not shown" not in text


def test_a_plan_whose_post_fails_is_kept_whole_shown_and_can_be_posted_again(db: str, tmp_path: Path) -> None:
    moves = write_moves(tmp_path / "moves.csv", [[a, "sam-patel", "capacity"] for a in movable(db, 2)])
    refused = tierbot("--db", db, "handoff", "plan", str(moves), "--post", "--channel", "C0PLANS")
    assert refused.exit_code == 1 and "SLACK_BOT_TOKEN" in refused.stderr
    assert "No transition plans yet" in tierbot("--db", db, "handoff", "plans").stdout  # checked before saving
    with FakeSlack() as fake:
        fake.outside.add("C0PLANS")  # tierbot was never invited there
        env = {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake.api_url}
        made = tierbot("--db", db, "handoff", "plan", str(moves), "--post", "--channel", "C0PLANS", env=env)
        assert made.exit_code == 1
        assert "Transition plan #1 from moves.csv: 2 move(s)" in made.stdout  # shown whole
        assert "Saved plan #1 (below), but could not post it (tierbot is not in that channel" in made.stderr
        assert "/invite @tierbot" in made.stderr and "`tierbot handoff plans 1 --post --channel" in made.stderr
        listed = tierbot("--db", db, "handoff", "plans").stdout
        assert "posted in" in listed and re.search(r"moves\.csv .* no\s*$", listed, re.M), listed
        shown = tierbot("--db", db, "handoff", "plans", "1").stdout
        assert "Not posted in Slack: `tierbot handoff plans 1 --post" in shown
        owed = tierbot("--db", db, "slack", "outbox").stdout
        assert re.search(r"plan\.post\s+failed\s+1 .*plan:1:post .*not_in_channel", owed), owed
        fake.outside.discard("C0PLANS")  # someone invited tierbot
        retried = tierbot("--db", db, "slack", "outbox", "--retry", env=env)
        assert "Tried 1 effect(s) again: 1 delivered." in retried.stderr, retried.stderr
        assert "Nothing waits in the outbox" in retried.stdout
        assert "Posted for approval in Slack channel C0PLANS." in tierbot("--db", db, "handoff", "plans", "1").stdout
        posted = tierbot("--db", db, "handoff", "plans", "1", "--post", "--channel", "C0OK", env=env)
        assert posted.exit_code == 0, posted.stderr
        assert "Posted plan #1 in channel C0OK for approval." in posted.stderr
        assert "Posted for approval in Slack channel C0OK." in posted.stdout
        assert [c.body["channel"] for c in fake.calls_to("chat.postMessage") if c.response.get("ok")] == [
            "C0PLANS",
            "C0OK",
        ]
    assert "C0OK" in tierbot("--db", db, "handoff", "plans").stdout
