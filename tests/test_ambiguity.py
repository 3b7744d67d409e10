"""Two customers with one name are never resolved silently: find, tier, tier set/clear/history,
handoff propose and plans say it is ambiguous and list every match, on the command line (text and
--json), in the chat and in Slack; the CRM id always picks one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat import answer
from bot.commands import build_router
from bot.router import Session
from store import Store
from workflows.clock import FixedClock
from workflows.importing import import_table
from workflows.lookup import AmbiguousAccount, find_account, one_account

from .slack_support import CSM, Workspace, text_of, workspace
from .test_cli import tierbot

HOPPE = (
    "Account ID,Account Name,ARR,Account Owner,Region\n"
    "HOP-1,Hoppe LLC,120000,Jordan Blake,NA\n"
    "HOP-2,Hoppe LLC,80000,Riley Nguyen,NA\n"
    "HOP-3,Hoppe Logistics,50000,Riley Nguyen,NA\n"
)
TWINS = {"HOP-1", "HOP-2"}
SAM = "UDEMO0007"  # Sam Patel


def add_hoppes(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "hoppe.csv"
    path.write_text(HOPPE)
    import_table(store, path, "accounts", actor="t", clock=clock, errors_file=tmp_path / "e.csv")


@pytest.fixture
def hoppes(demo_store: Store, clock: FixedClock, tmp_path: Path) -> Store:
    add_hoppes(demo_store, clock, tmp_path)
    return demo_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"
    assert tierbot("--db", str(path), "demo").exit_code == 0
    csv = tmp_path / "hoppe.csv"
    csv.write_text(HOPPE)
    assert tierbot("--db", str(path), "import", "accounts", str(csv)).exit_code == 0
    return str(path)


def test_equal_names_are_ambiguous_and_every_one_is_listed(hoppes: Store) -> None:
    for query in ("Hoppe LLC", "hoppe llc", "Hoppe, LLC", "hoppe"):
        result = find_account(hoppes, query)
        assert result.ambiguous, query
        assert {m.crm_id for m in result.matches} >= TWINS, query
    with pytest.raises(AmbiguousAccount) as refused:
        one_account(hoppes, "Hoppe LLC", None)
    message = str(refused.value)
    assert message.startswith("Several accounts match `Hoppe LLC`: ")
    assert "Hoppe LLC (HOP-1, $120k ARR, Jordan Blake)" in message
    assert "Hoppe LLC (HOP-2, $80,000 ARR, Riley Nguyen)" in message
    assert "CRM id" in message
    assert one_account(hoppes, "HOP-2", None).crm_id == "HOP-2"  # the CRM id always picks one
    assert not find_account(hoppes, "hop-1").ambiguous
    assert one_account(hoppes, "Hoppe Logistics", None).crm_id == "HOP-3"  # a unique name still resolves


def test_many_accounts_with_one_name_are_all_listed(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "same.csv"
    path.write_text("Account ID,Account Name,ARR\n" + "".join(f"S-{i},Same Name Inc,{1000 * i}\n" for i in range(1, 9)))
    import_table(store, path, "accounts", actor="t", clock=clock, errors_file=tmp_path / "e.csv")
    result = find_account(store, "Same Name Inc")
    assert result.ambiguous and {m.crm_id for m in result.matches} == {f"S-{i}" for i in range(1, 9)}


def test_an_exact_name_next_to_a_longer_one_is_not_ambiguous(demo_store: Store) -> None:
    result = find_account(demo_store, "Acme Corp")
    assert not result.ambiguous and [m.crm_id for m in result.matches] == ["ACC-0000001"]


def test_find_and_tier_on_the_command_line_say_ambiguous_in_text_and_json(db: str) -> None:
    found = json.loads(tierbot("--db", db, "accounts", "find", "Hoppe", "LLC", "--json").stdout)
    assert found["ambiguous"] is True
    listed = {m["crm_id"]: m for m in found["matches"]}
    assert set(listed) >= TWINS
    assert listed["HOP-2"]["name"] == "Hoppe LLC" and listed["HOP-2"]["arr"] == 80000
    assert listed["HOP-2"]["owner"] == "riley-nguyen" and listed["HOP-2"]["owner_name"] == "Riley Nguyen"
    text = tierbot("--db", db, "accounts", "find", "Hoppe", "LLC").stdout
    assert text.startswith("Several accounts match `Hoppe LLC`:") and "HOP-1" in text and "HOP-2" in text
    for args in (
        ("tier", "Hoppe", "LLC"),
        ("tier", "explain", "Hoppe LLC"),
        ("tier", "history", "Hoppe LLC"),
        ("tier", "set", "Hoppe LLC", "Enterprise", "--reason", "exec sponsor"),
        ("tier", "clear", "Hoppe LLC"),
        ("handoff", "propose", "Hoppe LLC", "--to", "sam-patel", "--reason", "rebalance"),
    ):
        result = tierbot("--db", db, *args)
        assert result.exit_code == 1, args
        assert "Several accounts match `Hoppe LLC`" in result.stderr and "HOP-1" in result.stderr, args
        assert "HOP-2" in result.stderr, args
        data = json.loads(tierbot("--db", db, *args, "--json").stdout)
        assert data["kind"] == "AmbiguousAccount" and data["ambiguous"] is True, args
        assert {m["crm_id"] for m in data["matches"]} >= TWINS, args
        assert {"crm_id", "name", "arr", "owner", "owner_name"} <= set(data["matches"][0]), args
    # Nothing was written: no override, no handoff.
    assert "No handoffs" in tierbot("--db", db, "handoff", "list").stdout
    assert json.loads(tierbot("--db", db, "tier", "HOP-2", "--json").stdout)["crm_id"] == "HOP-2"


def test_a_plan_row_naming_an_ambiguous_account_is_a_problem_of_its_row(db: str, tmp_path: Path) -> None:
    plan = tmp_path / "moves.csv"
    plan.write_text("account,to,reason\nHoppe LLC,sam-patel,rebalance\n")
    result = tierbot("--db", db, "handoff", "plan", str(plan), "--start", "2026-11-30")
    assert result.exit_code == 1
    assert "Several accounts match `Hoppe LLC`" in result.stderr and "HOP-2" in result.stderr


def test_the_chat_says_ambiguous_and_lists_both(hoppes: Store, clock: FixedClock) -> None:
    session = Session(store=hoppes, clock=clock, actor="chat:t")
    router = build_router()
    for line in ("find hoppe llc", "tier hoppe llc", "tier history hoppe llc", "handoff hoppe llc to sam because x"):
        said = answer(router, session, line)
        assert "Several accounts match `hoppe llc`" in said, line
        assert "HOP-1" in said and "HOP-2" in said and "Riley Nguyen" in said, line
    assert "Hoppe LLC (HOP-2) — Mid-Market" in answer(router, session, "tier HOP-2")


@pytest.fixture
def slack_hoppes(hoppes: Store, clock: FixedClock) -> Iterator[Workspace]:
    with workspace(hoppes, clock) as ws:
        yield ws


def test_slack_tier_and_handoff_list_both(slack_hoppes: Workspace) -> None:
    slack = slack_hoppes
    slack.command("/tier", "Hoppe LLC")
    reply = slack.last_reply()
    select = reply["blocks"][0]["accessory"]
    assert select["action_id"] == "tier_pick" and {o["value"] for o in select["options"]} >= TWINS
    text = text_of(reply)
    assert "Several accounts match" in text and "HOP-1" in text and "HOP-2" in text
    said = slack.next_reply(lambda: slack.command("/handoff", f"Hoppe LLC to <@{SAM}|sam> because rebalance", user=CSM))
    shown = text_of(said)
    assert "Several accounts match" in shown and "HOP-1" in shown and "HOP-2" in shown
    assert slack.registry.deps.store.scalar("SELECT COUNT(*) FROM handoffs") == 0
