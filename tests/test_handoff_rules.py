"""The handoff state machine (every legal and illegal transition) and each guardrail."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import InputError
from engine.handoffs import (
    NEXT,
    STATES,
    CsmFacts,
    GuardrailSettings,
    IllegalTransition,
    MoveFacts,
    check_guardrails,
    check_transition,
    failures,
)

LEGAL = {(a, b) for a, nexts in NEXT.items() for b in nexts}
ALL_PAIRS = [(a, b) for a in STATES for b in STATES]


def test_the_machine_is_the_documented_one() -> None:
    assert {
        ("proposed", "approved"),
        ("proposed", "rejected"),
        ("proposed", "cancelled"),
        ("approved", "scheduled"),
        ("approved", "cancelled"),
        ("scheduled", "customer notified"),
        ("scheduled", "cancelled"),
        ("customer notified", "introduced"),
        ("customer notified", "cancelled"),
        ("introduced", "completed"),
    } == LEGAL


@pytest.mark.parametrize(("current", "wanted"), sorted(LEGAL))
def test_every_legal_transition_is_allowed(current: str, wanted: str) -> None:
    check_transition(7, current, wanted)


@pytest.mark.parametrize(("current", "wanted"), sorted(set(ALL_PAIRS) - LEGAL))
def test_every_illegal_transition_is_refused_saying_what_is_possible(current: str, wanted: str) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(7, current, wanted)
    message = str(refused.value)
    assert f"Handoff #7 is {current}: it cannot become {wanted}." in message
    if NEXT[current]:
        assert all(n in message for n in NEXT[current])
    else:
        assert "is final" in message


def test_an_unknown_state_is_named() -> None:
    with pytest.raises(InputError, match="`done` is not a handoff state"):
        check_transition(1, "proposed", "done")


SAM = CsmFacts("sam", "Sam Patel", "NA", ("Healthcare",), accounts=80, work_hours=30, capacity_hours=40)
JORDAN = CsmFacts("jordan", "Jordan Blake", "NA", ("Healthcare",), accounts=140)


def move(**changes: object) -> MoveFacts:
    base = {
        "account_name": "Acme",
        "renewal_date": date(2027, 6, 1),
        "strategic": False,
        "health": "green",
        "region": "NA",
        "industry": "Healthcare",
        "effective": date(2026, 12, 1),
        "to_csm": SAM,
        "from_csm": JORDAN,
        "moves_this_quarter": {},
    }
    return MoveFacts(**(base | changes))  # type: ignore[arg-type]


def failed(facts: MoveFacts, settings: GuardrailSettings | None = None) -> dict[str, str]:
    return {r.name: r.message for r in failures(check_guardrails(facts, settings or GuardrailSettings()))}


def test_a_clean_move_passes_every_guardrail_and_says_why() -> None:
    results = check_guardrails(move(), GuardrailSettings())
    assert failures(results) == ()
    assert {r.name for r in results} == {"renewal", "strategic", "health", "moves", "capacity", "region", "specialty"}
    assert any("renews 2027-06-01, 182 days after the move" in r.message for r in results)


def test_no_move_close_to_renewal() -> None:
    assert "renews 2027-01-15, 45 days after the move" in failed(move(renewal_date=date(2027, 1, 15)))["renewal"]
    assert "renewal" not in failed(move(renewal_date=date(2027, 1, 31)))  # 61 days: fine
    assert "renewal" not in failed(move(renewal_date=date(2027, 1, 15)), GuardrailSettings(renewal_days=30))
    assert "renewal" not in failed(move(renewal_date=date(2026, 11, 1)))  # renewed already


def test_strategic_and_red_accounts_keep_their_csm_unless_switched_off() -> None:
    assert "strategic" in failed(move(strategic=True))
    assert "health" in failed(move(health="Red"))
    assert (
        failed(move(strategic=True, health="red"), GuardrailSettings(keep_strategic=False, keep_red_health=False)) == {}
    )


def test_at_most_so_many_moves_per_csm_per_quarter() -> None:
    messages = failed(move(moves_this_quarter={"sam": 10}))
    assert messages["moves"] == "Sam Patel has 10 other move(s) in 2026-Q4 (limit 10)."
    assert "moves" not in failed(move(moves_this_quarter={"sam": 10}), GuardrailSettings(max_moves_per_quarter=0))


def test_the_new_csm_needs_room() -> None:
    busy = CsmFacts("sam", "Sam Patel", "NA", ("Healthcare",), accounts=80, work_hours=42, capacity_hours=40)
    assert "no room for another account" in failed(move(to_csm=busy))["capacity"]
    assert "the limit is 80" in failed(move(), GuardrailSettings(max_accounts=80))["capacity"]
    unknown = CsmFacts("sam", "Sam Patel", "NA", ("Healthcare",))
    assert "capacity" not in failed(move(to_csm=unknown))


def test_the_new_csm_covers_the_region_and_industry() -> None:
    assert failed(move(region="EMEA"))["region"] == "The account is in EMEA; Sam Patel covers NA."
    assert "specialises in Healthcare" in failed(move(industry="Retail"))["specialty"]
    generalist = CsmFacts("sam", "Sam Patel", "NA", ())
    assert "specialty" not in failed(move(industry="Retail", to_csm=generalist))
    assert (
        failed(move(region="EMEA", industry="Retail"), GuardrailSettings(match_region=False, match_specialty=False))
        == {}
    )


def test_settings_from_storage_ignore_unknown_keys() -> None:
    loaded = GuardrailSettings.from_mapping({"renewal_days": 30, "retired_option": True})
    assert loaded.renewal_days == 30 and loaded.keep_strategic is True
