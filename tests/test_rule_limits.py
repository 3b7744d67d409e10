"""Rule files that try to exhaust tierbot: anchors in every spelling, alias bombs, huge sets and
huge text. Each is refused quickly, with the field and the limit named, and nothing is stored."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from engine.errors import InputError
from engine.rules import (
    MAX_COMPARISONS,
    MAX_LIST_VALUES,
    MAX_RULES,
    MAX_TIERS,
    TEXT_LIMITS,
    RuleSetInvalid,
    parse_rule_set,
)
from store import Store
from workflows.clock import FixedClock
from workflows.rules import list_rule_sets, load_rule_set, parse_yaml

# 14 lines: nine levels of nine aliases each would be 9**9 (387 million) comparisons to walk.
_LEVEL = "  - {{tier: A, when: {{any: &a-{n} [{items}]}}}}"


def billion_laughs() -> str:
    lines = ["name: laughs", "tiers: [A, B]", "rules:"]
    lines.append(_LEVEL.format(n=1, items=", ".join(f"{{arr: {i}}}" for i in range(9))))
    for n in range(2, 10):
        lines.append(_LEVEL.format(n=n, items=", ".join([f"{{any: *a-{n - 1}}}"] * 9)))
    lines += ["  - tier: B", "    default: true"]
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fourteen_line_alias_bomb_is_refused_in_well_under_a_second(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    text = billion_laughs()
    assert len(text.splitlines()) == 14 and "&a-1" in text
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"uses YAML anchors or aliases \(the anchor `&a-1` on line 4\)"):
        load_rule_set(store, write(tmp_path, text), actor="t", clock=clock)
    assert time.perf_counter() - started < 0.5
    assert list_rule_sets(store).rule_sets == ()


@pytest.mark.parametrize(
    ("snippet", "shown"),
    [
        ("when: &a-1 {arr: 1}", "&a-1"),
        ("when: &a.b {arr: 1}", "&a.b"),
        ("when: &ä {arr: 1}", "&ä"),
        ("when: &1 {arr: 1}", "&1"),
        ("when: {arr: &x 1}", "&x"),
        ("when: {any: [&x {arr: 1}]}", "&x"),
        ("when: !!map &x {arr: 1}", "&x"),
        ("when: {arr: *a-1}", "*a-1"),
        ("when:\n      &blk\n      arr: 1", "&blk"),
    ],
)
def test_every_anchor_and_alias_spelling_is_refused(snippet: str, shown: str) -> None:
    text = f"name: t\ntiers: [A, B]\nrules:\n  - tier: A\n    {snippet}\n  - tier: B\n    default: true\n"
    with pytest.raises(InputError, match=f"the (anchor|alias) `{re.escape(shown)}` on line"):
        parse_yaml(text, "t.yml")


@pytest.mark.parametrize(
    "text",
    [
        "name: t\ntiers: [A, B]\nrules:\n  - tier: A\n    label: 'R&D * Q&A & co'\n    when: {industry: 'R & D'}\n"
        "  - tier: B\n    default: true\n",
        'name: t\ntiers: [A, B]\nrules:\n  - tier: A\n    label: "*stars* &amp"\n    when: {arr: 1}\n'
        "  - tier: B\n    default: true\n",
        "name: t\ntiers: [A, B]\nrules:\n  - tier: A  # &not-an-anchor *nor-an-alias\n    when: {arr: 1}\n"
        "  - tier: B\n    default: true\n",
    ],
)
def test_ampersands_and_stars_in_text_and_comments_are_fine(text: str) -> None:
    rule_set, _ = parse_yaml(text, "t.yml")
    assert rule_set.tiers == ("A", "B")


def _shared_bomb(levels: int = 9) -> dict[str, Any]:
    """The alias bomb as YAML would have built it: each level shares the one below nine times."""
    level: list[Any] = [{"arr": i} for i in range(9)]
    for _ in range(levels - 1):
        level = [{"any": level}] * 9
    return {"name": "laughs", "tiers": ["A", "B"], "rules": [{"tier": "A", "when": {"any": level}}]}


def test_the_comparison_cap_stops_the_walk_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(RuleSetInvalid, match=f"more than {MAX_COMPARISONS:,} comparisons"):
        parse_rule_set(_shared_bomb(), "t.yml")
    assert time.perf_counter() - started < 0.5


def test_the_number_of_rules_is_bounded() -> None:
    rules = [{"tier": "A", "when": {"arr": {">=": i}}} for i in range(MAX_RULES + 1)]
    started = time.perf_counter()
    too_many = f"{len(rules) * 1000:,} rules; a rule set may have at most {MAX_RULES:,}"
    with pytest.raises(RuleSetInvalid, match=too_many):
        parse_rule_set({"name": "t", "tiers": ["A"], "rules": rules * 1000}, "t.yml")
    assert time.perf_counter() - started < 0.5
    parse_rule_set({"name": "t", "tiers": ["A"], "rules": rules[:MAX_RULES]}, "t.yml")  # the limit itself is fine


def test_tiers_and_list_values_are_bounded() -> None:
    tiers = [f"T{i}" for i in range(MAX_TIERS + 1)]
    with pytest.raises(RuleSetInvalid, match=f"tiers: {MAX_TIERS + 1} tiers; a rule set may have at most {MAX_TIERS}"):
        parse_rule_set({"name": "t", "tiers": tiers, "rules": [{"tier": "T0", "default": True}]}, "t.yml")
    values = [f"v{i}" for i in range(MAX_LIST_VALUES + 1)]
    with pytest.raises(RuleSetInvalid, match=f"{MAX_LIST_VALUES + 1:,} values; a list may have at most"):
        parse_rule_set(
            {"name": "t", "tiers": ["A"], "rules": [{"tier": "A", "when": {"region": {"in": values}}}]}, "t.yml"
        )


@pytest.mark.parametrize(
    ("document", "field", "limit"),
    [
        ({"name": "n" * 200, "tiers": ["A"], "rules": [{"tier": "A", "default": True}]}, "name", "name"),
        (
            {"name": "t", "description": "d" * 5000, "tiers": ["A"], "rules": [{"tier": "A", "default": True}]},
            "description",
            "description",
        ),
        ({"name": "t", "tiers": ["A" * 500], "rules": [{"tier": "A" * 500, "default": True}]}, "tiers", "tier"),
        (
            {"name": "t", "tiers": ["A"], "rules": [{"tier": "A", "label": "L" * 5000, "default": True}]},
            "rule 1 (A) › label",
            "label",
        ),
        (
            {"name": "t", "tiers": ["A"], "rules": [{"tier": "A", "when": {"crm_id": "x" * 5000}}]},
            "rule 1 (A) › when › crm_id",
            "value",
        ),
        (
            {"name": "t", "tiers": ["A"], "rules": [{"tier": "A", "when": {"region": {"in": ["NA", "y" * 5000]}}}]},
            "rule 1 (A) › when › region",
            "value",
        ),
    ],
)
def test_every_text_field_is_bounded_and_the_error_names_it(document: dict[str, Any], field: str, limit: str) -> None:
    with pytest.raises(RuleSetInvalid) as refused:
        parse_rule_set(document, "t.yml")
    text = str(refused.value)
    assert f"• {field}: " in text and f"may have at most {TEXT_LIMITS[limit]:,} characters" in text, text


def test_a_huge_file_is_refused_before_it_is_read_as_yaml(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\ntiers: [A]\nrules:\n" + "  - {tier: A, when: {arr: 1}}\n" * 200_000)
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"rules\.yml is .* MB; a rule file may be at most 1 MB"):
        load_rule_set(store, path, actor="t", clock=clock)
    assert time.perf_counter() - started < 0.5
