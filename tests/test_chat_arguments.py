"""Chat commands honour what follows them: `tiers as of DATE` and `rules show NAME` answer for
that date and that rule set, and words a command does not take are refused, not ignored."""

from __future__ import annotations

import pytest

from bot.chat import answer
from bot.commands import build_router
from bot.router import Session
from store import Store
from workflows.clock import FixedClock


def ask(store: Store, clock: FixedClock, line: str) -> str:
    return answer(build_router(), Session(store=store, clock=clock, actor="chat:test"), line)


def test_tiers_as_of_a_date_uses_the_rule_set_in_effect_then(demo_store: Store, clock: FixedClock) -> None:
    now = ask(demo_store, clock, "tiers")
    assert now.startswith("fy27-tiers (in effect since 2026-10-01), as of 2026-11-22:")
    then = ask(demo_store, clock, "tiers as of 2026-06-30")
    assert then.startswith("fy26-tiers (in effect since "), then
    assert "as of 2026-06-30:" in then.splitlines()[0]
    assert ask(demo_store, clock, "segments as of 2026-10-15").startswith(
        "fy27-tiers (in effect since 2026-10-01), as of 2026-10-15:"
    )
    assert ask(demo_store, clock, "tiers 2026-06-30").startswith("fy26-tiers")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("tiers as of 2026-02-30", "there is no such day"),
        ("tiers as of last week", "write the date as YYYY-MM-DD"),
        ("tiers for emea", "`tiers` or `tiers as of 2026-06-30`"),
        ("tiers as of 2020-01-01", "No rule set was in effect on 2020-01-01"),
    ],
)
def test_tiers_refuses_what_it_cannot_honour(demo_store: Store, clock: FixedClock, line: str, message: str) -> None:
    assert message in ask(demo_store, clock, line)


def test_rules_show_names_the_rule_set(demo_store: Store, clock: FixedClock) -> None:
    shown = ask(demo_store, clock, "rules show fy26-tiers")
    assert shown.startswith("fy26-tiers (archived;"), shown
    active = ask(demo_store, clock, "rules show")
    assert active.startswith("fy27-tiers (active;"), active
    assert "did you mean `fy26-tiers`" in ask(demo_store, clock, "rules show fy26-tier")
    listing = ask(demo_store, clock, "rules")
    assert "fy26-tiers" in listing and "fy27-tiers" in listing
    assert ask(demo_store, clock, "rules list") == listing
    assert "`rules`, `rules show NAME`" in ask(demo_store, clock, "rules frobnicate")
