"""The Block Kit builders stay inside Slack's limits however large the data: long lists page or
say what they left out, long texts are cut, and every message and view passes the same checks
the fake Slack applies."""

from __future__ import annotations

import pytest

from bot.slack.blocks.common import MESSAGE_BLOCKS, message, section, sections
from bot.slack.blocks.home import home_view
from bot.slack.blocks.segment import segment_message, simulation_message
from bot.slack.blocks.tier import history_message, pick_account, tier_card
from bot.slack.blocks.workload import round_summary_message, workload_modal
from bot.slack.fake_api import check_blocks, check_view
from engine.proposals import TierRow
from engine.simulation import Mover, Simulation
from engine.workload import Estimate
from store.tiers import HistoryEntry
from workflows.handoffs import Handoff
from workflows.home import Book, BookRow, Home, WorkloadStatus
from workflows.lookup import AccountMatch, FindResult
from workflows.roles import Person
from workflows.rules import activate_rule_set, parse_yaml, store_rule_set
from workflows.tiers import AccountHistory, TierSummary, explain_tier
from workflows.workload import PersonLoad, RoundStatus, RoundSummary, Target, WorkloadForm

LONG = "x" * 5000


def ok_message(blocks: list[dict]) -> None:
    assert check_blocks(blocks, surface="message") == []
    assert len(blocks) <= MESSAGE_BLOCKS


def test_long_text_is_split_into_sections_within_3000_characters() -> None:
    blocks = message("t", sections([f"line {i} " + "y" * 200 for i in range(100)])).blocks
    ok_message(blocks)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    single = message(LONG, [section(LONG)])
    ok_message(single.blocks)
    assert single.blocks[0]["text"]["text"].endswith("…")


def test_a_message_of_too_many_blocks_is_cut_and_says_so() -> None:
    built = message("many", [section(f"block {i}") for i in range(80)])
    ok_message(built.blocks)
    assert "31 more blocks not shown" in built.blocks[-1]["elements"][0]["text"]


def test_a_tier_card_for_a_huge_rule_stays_within_limits(demo_store, clock) -> None:  # type: ignore[no-untyped-def]
    conditions = ", ".join(f"{{arr: {{'>=': {i * 1000}}}}}" for i in range(1, 60))
    industries = ", ".join(f"industry-{i}" for i in range(150))
    text = f"""
name: huge
tiers: [Big, Rest]
rules:
  - tier: Big
    label: {"a very long label " * 5}
    when: {{all: [{{industry: {{in: [{industries}]}}}}, {{any: [{conditions}]}}]}}
  - tier: Rest
    default: true
"""
    rule_set, warnings = parse_yaml(text, "test")
    store_rule_set(demo_store, rule_set, [str(w) for w in warnings], source="test", actor="t", clock=clock)
    activate_rule_set(demo_store, "huge", actor="t", clock=clock)
    card = tier_card(explain_tier(demo_store, "ACC-0000001", clock=clock))
    ok_message(card.blocks)


def match(i: int) -> AccountMatch:
    return AccountMatch(f"ACC-{i:07d}", f"Account number {i} " + "with a long name " * 6, 1000.0 * i, 90.0)


def test_a_pick_list_keeps_to_100_options_of_75_characters() -> None:
    result = FindResult("acme", match(0), tuple(match(i) for i in range(1, 150)))
    ok_message(pick_account(result).blocks)


def test_history_pages_fifteen_entries_at_a_time() -> None:
    entries = tuple(
        HistoryEntry("ACC-1", "A", "B", "rs", "r" * 300, "override", "2026-01-01T00:00:00Z", "slack:U1")
        for _ in range(60)
    )
    history = AccountHistory(match(1), entries)
    first = history_message(history, 0)
    ok_message(first.blocks)
    assert "Older" in str(first.blocks[-1]) and "Newer" not in str(first.blocks[-1])
    ok_message(history_message(history, 3).blocks)
    middle = history_message(history, 1)  # Newer and Older side by side: two action_ids in one block
    ok_message(middle.blocks)
    assert [e["action_id"] for e in middle.blocks[-1]["elements"]] == ["tier_history:newer", "tier_history:older"]


def row(i: int) -> TierRow:
    return TierRow(f"Tier {i} " + "long " * 5, i, 0.01, 1e6, 0.01, 1.0, 2.0, 1.5)


def test_segment_and_simulation_with_many_tiers_and_movers() -> None:
    table = tuple(row(i) for i in range(40))
    summary = TierSummary("rs", "2026-01-01", "2026-11-22", 40, 4e7, table, 3, False, "slack:U1", "t")
    ok_message(segment_message(summary, chart_note="note").blocks)
    tiers = tuple(r.tier for r in table)
    sim = Simulation(
        before="a",
        after="b",
        tiers=tiers,
        accounts={(s, t): 5 for s in tiers for t in tiers},
        arr={(s, t): 1e5 for s in tiers for t in tiers},
        movers=tuple(Mover(f"C{i}", "n" * 200, 1.0, "a", "b", "r" * 200) for i in range(50)),
        moved=1000,
        moved_arr=1e7,
        totals_before=table,
        totals_after=table,
    )
    ok_message(simulation_message(sim, fingerprint="0123456789ab").blocks)


def test_a_round_summary_for_three_hundred_csms_names_everyone_and_keeps_tables_whole() -> None:
    people = tuple(PersonLoad(f"Customer Success Manager {i:03d}", 30.0, 35.0, 40.0, 100) for i in range(300))
    missing = tuple(Target(f"m{i}", f"Missing Person {i:03d}", None) for i in range(200))
    status = RoundStatus(1, "2026-Q4", "slack:U1", "2026-11-01", tuple(p.name for p in people), missing)
    activities = ("onboarding", "qbrs", "escalations", "renewals", "internal", "other")
    summary = RoundSummary(status, dict.fromkeys(activities, 10.0), people, "slack:U1")
    blocks = round_summary_message(summary).blocks
    ok_message(blocks)
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "section" and b.get("text")]
    shown = "\n".join(texts)
    assert all(p.name in shown for p in people)
    assert all(t.name in shown for t in missing)
    assert all(t.count("```") % 2 == 0 for t in texts)  # every table section is a whole fenced block


def test_the_workload_form_fits_a_modal() -> None:
    form = WorkloadForm(
        "c",
        "A name " * 20,
        "2026-Q4",
        1,
        Estimate(
            dict.fromkeys(("onboarding", "qbrs", "escalations", "renewals", "internal", "other"), 2.5), 30.0, "n" * 500
        ),
    )
    assert check_view(workload_modal(form), surface="modal") == []


@pytest.mark.parametrize("approvals", [0, 3, 40])
def test_app_home_stays_within_100_blocks(approvals: int) -> None:
    handoffs = tuple(
        Handoff(
            i,
            f"ACC-{i}",
            "An account " * 10,
            1e5,
            "a",
            "A",
            "b",
            "B",
            "why " * 100,
            "2026-12-01",
            "proposed",
            "slack:U1",
            "t",
        )
        for i in range(approvals)
    )
    book = Book(
        by_tier=tuple((f"Tier {i}", 10, 1e5) for i in range(12)),
        accounts=1200,
        arr=1e7,
        page=3,
        pages=120,
        rows=tuple(BookRow(f"C{i}", "n" * 300, 1.0, "T", "2027-01-01") for i in range(10)),
        renewals=tuple(BookRow(f"R{i}", "n" * 300, 1.0, "T", "2027-01-01") for i in range(8)),
    )
    table = tuple(row(i) for i in range(12))
    home = Home(
        person=Person("U1", frozenset({"leader", "manager", "csm"}), "c", "Name", None),
        book=book,
        workload=WorkloadStatus("2026-Q4", True, 30.0, 35.0, True, 1),
        approvals=handoffs,
        tiers=TierSummary("rs", "2026-01-01", "2026-11-22", 40, 4e7, table, 3, True),
        drafts=(),
    )
    view = home_view(home)
    assert check_view(view, surface="home") == []
    assert len(view["blocks"]) <= 100
    if approvals > 10:
        assert "…and 30 more" in str(view)
