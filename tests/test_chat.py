"""The terminal chat: the same commands and answers as the command line, in a conversation."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.chat import run_chat
from bot.commands import build_router
from bot.router import Session
from store import Store
from workflows.clock import FixedClock

ROOT = Path(__file__).resolve().parent.parent


def scripted(lines: list[str]) -> Callable[[str], str]:
    queue = list(lines)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read


def converse(store: Store, clock: FixedClock, *lines: str) -> str:
    out = io.StringIO()
    run_chat(Session(store=store, clock=clock, actor="chat:test"), read=scripted(list(lines)), out=out)
    return out.getvalue()


def test_a_first_conversation(demo_store: Store, clock: FixedClock) -> None:
    text = converse(demo_store, clock, "help", "find acmee corp", "acme", "gaps", "import status", "quit")
    assert "tierbot chat" in text and "1,000 accounts, 17 CSMs" in text
    assert "find <account or CRM id>" in text and "`history` lists what you typed" in text
    assert "Acme Corp (ACC-0000001) — $1.2M ARR, Jordan Blake" in text
    assert "Several accounts match `acme`" in text
    assert "Potential ARR" in text
    assert "No imports yet. (The data came from `tierbot demo`.)" in text
    assert text.rstrip().endswith("Bye.")


def test_mistakes_get_one_clear_sentence(demo_store: Store, clock: FixedClock) -> None:
    text = converse(demo_store, clock, "gapz", "find", "zzqx")
    assert "There is no command `gapz`; did you mean `gaps`?" in text
    assert "Say which account: `find acme`" in text
    assert "No account matches `zzqx`" in text
    assert "Traceback" not in text


def test_tiering_in_the_chat(demo_store: Store, clock: FixedClock) -> None:
    text = converse(
        demo_store,
        clock,
        "tier acmee corp",
        "tiers",
        "rules",
        "propose tiers by arr share 15 40",
        "simulate proposed-arr-share-15-40",
        "tier history initech",
    )
    assert "Acme Corp (ACC-0000001) — Strategic" in text
    assert "fy27-tiers (in effect since 2026-10-01)" in text
    assert "Proposed proposed-arr-share-15-40" in text
    assert "What-if: proposed-arr-share-15-40 instead of fy27-tiers." in text
    assert "Tier history of Initech" in text
    assert "Say how to band the accounts" in converse(demo_store, clock, "propose tiers please")


def test_history_lists_what_was_typed(demo_store: Store, clock: FixedClock) -> None:
    text = converse(demo_store, clock, "gaps", "find acme", "history", "exit")
    assert "  1  gaps\n  2  find acme" in text


def test_chat_and_command_line_give_the_same_answer(demo_store: Store, clock: FixedClock) -> None:
    from bot.render import render
    from workflows.lookup import find_account

    chat = build_router().dispatch(Session(store=demo_store, clock=clock, actor="t"), "find globx")
    assert render(chat) == render(find_account(demo_store, "globx"))


@pytest.mark.slow
def test_the_real_command_reaches_the_prompt_and_leaves(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), "chat"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert missing.returncode == 1 and f"There is no store at {db}" in missing.stderr
    subprocess.run([sys.executable, "-m", "bot", "--db", str(db), "demo"], check=True, cwd=ROOT, timeout=300)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), "chat"],
        input="help\nfind acme\nquit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "tierbot> " in result.stdout and "Bye." in result.stdout


def test_handoffs_from_the_chat(demo_store: Store, clock: FixedClock) -> None:
    text = converse(
        demo_store,
        clock,
        "handoff acme health to sam patel because rebalancing NA",
        "handoffs",
        "handoff acme health to sam patel",
        "quit",
    )
    assert "Handoff #1 (proposed): Acme Health Partners" in text and "Morgan Diaz → Sam Patel" in text
    assert "proposed by chat:test" in text
    assert "1    proposed  Acme Health Partners" in text
    assert "Say which account, to whom and why" in text


def test_the_customer_note_of_an_approved_handoff_from_the_chat(demo_store: Store, clock: FixedClock) -> None:
    from workflows.handoffs import decide_handoff, person_named

    converse(demo_store, clock, "handoff acme health to sam patel because rebalancing NA", "quit")
    decide_handoff(demo_store, 1, approve=True, person=person_named(demo_store, "marcus-chen"), clock=clock)
    text = converse(demo_store, clock, "draft 1", "note #1", "draft x", "quit")
    assert text.count("Customer note #1 for handoff #1 (Acme Health Partners): waiting for approval.") == 2
    assert "Subject: Introducing Sam Patel" in text and "It passes the checks" in text
    assert "Say which handoff: `draft 12`" in text
