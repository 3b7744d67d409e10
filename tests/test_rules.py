"""Unit tests of the rule language: parsing, every operator and combinator, every message."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml

from engine.rules import (
    AllOf,
    AnyOf,
    Comparison,
    Not,
    RuleSetInvalid,
    describe,
    describe_vocabulary,
    parse_rule_set,
    to_document,
)

FORMAT_EXAMPLE = """
name: fy27-tiers
description: ARR bands with strategic override
tiers: [Strategic, Enterprise, Mid-Market, SMB]     # order = rank, highest first
rules:                                               # first match wins
  - tier: Strategic
    label: designated strategic
    when: {strategic: true}
  - tier: Enterprise
    when: {arr: {">=": 150000}}
  - tier: Mid-Market
    when: {all: [{arr: {">=": 25000}}, {region: {in: [NA, EMEA]}}]}
  - tier: SMB
    default: true
"""


def rules_with(when: Any, tiers: tuple[str, ...] = ("A", "B")) -> dict[str, Any]:
    return {"name": "t", "tiers": list(tiers), "rules": [{"tier": "A", "when": when}, {"tier": "B", "default": True}]}


def condition(when: Any) -> Any:
    rule_set, _ = parse_rule_set(rules_with(when))
    return rule_set.rules[0].when


def errors(document: Any) -> list[str]:
    with pytest.raises(RuleSetInvalid) as refused:
        parse_rule_set(document, "t.yml")
    return [str(p) for p in refused.value.problems if p.severity == "error"]


def test_the_exchange_format_parses() -> None:
    rule_set, warnings = parse_rule_set(yaml.safe_load(FORMAT_EXAMPLE))
    assert rule_set.name == "fy27-tiers"
    assert rule_set.tiers == ("Strategic", "Enterprise", "Mid-Market", "SMB")
    assert [r.tier for r in rule_set.rules] == ["Strategic", "Enterprise", "Mid-Market", "SMB"]
    assert rule_set.rules[0].when == Comparison("strategic", "=", True)
    assert rule_set.rules[2].when == AllOf(
        (Comparison("arr", ">=", 25000.0), Comparison("region", "in", ("NA", "EMEA")))
    )
    assert rule_set.rules[3].default
    assert warnings == []
    assert rule_set.fields_used() == {"strategic", "arr", "region"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"arr": {"=": 10}}, Comparison("arr", "=", 10.0)),
        ({"arr": 10}, Comparison("arr", "=", 10.0)),
        ({"arr": {"!=": 10}}, Comparison("arr", "!=", 10.0)),
        ({"arr": {"<": "25k"}}, Comparison("arr", "<", 25000.0)),
        ({"arr": {"<=": "$1,500"}}, Comparison("arr", "<=", 1500.0)),
        ({"arr": {">": 1.5}}, Comparison("arr", ">", 1.5)),
        ({"arr": {">=": "1m"}}, Comparison("arr", ">=", 1_000_000.0)),
        ({"arr": {"≥": 5}}, Comparison("arr", ">=", 5.0)),
        ({"arr": {"=>": 5}}, Comparison("arr", ">=", 5.0)),
        ({"arr": {"in": [1, 2]}}, Comparison("arr", "in", (1.0, 2.0))),
        ({"arr": {"not_in": [1, 2]}}, Comparison("arr", "not_in", (1.0, 2.0))),
        ({"arr": {"between": [1, 2]}}, Comparison("arr", "between", (1.0, 2.0))),
        ({"arr": {"empty": True}}, Comparison("arr", "empty", True)),
        ({"region": "NA"}, Comparison("region", "=", "NA")),
        ({"region": ["NA", "EMEA"]}, Comparison("region", "in", ("NA", "EMEA"))),
        ({"region": {"not in": ["NA"]}}, Comparison("region", "not_in", ("NA",))),
        ({"region": {"empty": False}}, Comparison("region", "empty", False)),
        ({"strategic": {"!=": False}}, Comparison("strategic", "!=", False)),
        ({"renewal_date": {"<": date(2027, 1, 1)}}, Comparison("renewal_date", "<", "2027-01-01")),
        (
            {"renewal_date": {"between": ["2027-01-01", "2027-03-31"]}},
            Comparison("renewal_date", "between", ("2027-01-01", "2027-03-31")),
        ),
        ({"days_to_renewal": {"<=": 60}}, Comparison("days_to_renewal", "<=", 60.0)),
        ({"arr_share_rank": {"<=": 0.15}}, Comparison("arr_share_rank", "<=", 0.15)),
        ({"account_share_rank": {"<=": 0.1}}, Comparison("account_share_rank", "<=", 0.1)),
        ({"arr_percentile": {">=": 90}}, Comparison("arr_percentile", ">=", 90.0)),
        ({"expected_arr": {">=": 150000}}, Comparison("expected_arr", ">=", 150000.0)),
    ],
)
def test_every_operator_and_field_kind(when: Any, expected: Comparison) -> None:
    assert condition(when) == expected


def test_combinators_and_implicit_all() -> None:
    assert condition({"any": [{"arr": {">": 1}}, {"region": "NA"}]}) == AnyOf(
        (Comparison("arr", ">", 1.0), Comparison("region", "=", "NA"))
    )
    assert condition({"not": {"region": "NA"}}) == Not(Comparison("region", "=", "NA"))
    assert condition({"arr": {">=": 1, "<": 5}}) == AllOf((Comparison("arr", ">=", 1.0), Comparison("arr", "<", 5.0)))
    assert condition({"arr": {">": 1}, "region": "NA"}) == AllOf(
        (Comparison("arr", ">", 1.0), Comparison("region", "=", "NA"))
    )
    nested = condition({"all": [{"any": [{"plan": "Growth"}, {"not": {"strategic": True}}]}, {"arr": {">": 0}}]})
    assert describe(nested) == "all of (any of (plan = Growth; not (strategic is true)); arr > 0)"


def test_errors_name_the_thing_and_the_nearest_valid_one() -> None:
    document = {
        "name": "bad",
        "tier": ["A"],
        "tiers": ["A", "B"],
        "rules": [
            {"tier": "C", "when": {"arrr": {">=": 5}}},
            {"tier": "A", "when": {"region": {">=": 5}, "arr": {">==": 3}}},
            {"tier": "B", "when": {"country": {"in": [False, "SE"]}}},
            {"tier": "B", "default": True, "when": {"arr": 1}},
            {"tier": "A", "when": {"renewal_date": {"between": ["2027-03-01", "2027-01-01"]}}},
            {"tier": "A", "when": {"arr": {"between": [1]}}},
            {"tier": "A", "when": {"arr": "lots"}},
            {"tier": "A", "when": {"strategic": "yes"}},
            {"tier": "A", "when": {"renewal_date": "next year"}},
            {"tier": "A", "when": {"region": {"in": []}}},
            {"tier": "A", "when": {"arr": {"empty": "no"}}},
            {"tier": "A"},
            {"tier": "A", "when": []},
            {"tier": "A", "when": {"all": "arr"}},
            {"tier": "A", "wen": {"arr": 1}},
        ],
    }
    assert errors(document) == [
        "unknown key `tier`; did you mean `tiers`?",
        "rule 1 (C): unknown tier `C` (use one of: A, B)",
        "rule 1 (C) › when: unknown field `arrr`; did you mean `arr`?",
        "rule 2 (A) › when › region: `>=` does not apply to the text field `region`; use one of: =, !=, in, not_in, empty",
        "rule 2 (A) › when › arr: unknown operator `>==`; did you mean `>=`?",
        "rule 3 (B) › when › country: `country` compares with text, but YAML read this value as false (it does so with unquoted yes, no, on, off): put the value in quotes",
        "rule 4 (B): a default rule has no `when`: it takes every account the rules above left",
        "rule 5 (A) › when › renewal_date: `between` needs the low value first: [2027-01-01, 2027-03-01]",
        "rule 6 (A) › when › arr: `between` takes two values: [low, high]",
        "rule 7 (A) › when › arr: `arr` compares with numbers; `lots` is not one",
        "rule 8 (A) › when › strategic: `strategic` is true or false, not `yes`",
        "rule 9 (A) › when › renewal_date: `renewal_date` compares with dates written YYYY-MM-DD; `next year` is not one",
        "rule 10 (A) › when › region: `in` takes a non-empty list, e.g. [NA, EMEA]",
        "rule 11 (A) › when › arr: `empty` takes true or false",
        "rule 12 (A): give the rule a `when` condition, or `default: true`",
        'rule 13 (A) › when: a condition is a mapping such as {arr: {">=": 150000}} or {all: [...]}',
        "rule 14 (A) › when › all: `all` takes a non-empty list of conditions",
        "rule 15 (A): unknown key `wen`; did you mean `when`?",
        "rule 15 (A): give the rule a `when` condition, or `default: true`",
    ]


def test_the_set_itself_is_checked() -> None:
    assert errors({"name": "has space", "tiers": ["A", "A"], "rules": []}) == [
        "name: give the rule set a name of letters, digits, dots, dashes or underscores (fy27-tiers)",
        "tiers: each tier once; repeated: A",
        "rules: give at least one rule",
    ]
    assert errors("just text") == ["a rule set is a mapping with name, tiers and rules"]


def test_unreachable_rules_unused_tiers_and_no_default_are_warnings() -> None:
    document = {
        "name": "w",
        "tiers": ["Big", "Bigger", "Mid", "Small", "Unused"],
        "rules": [
            {"tier": "Big", "when": {"arr": {">=": 100000}}},
            {"tier": "Bigger", "when": {"arr": {">=": 150000}}},
            {"tier": "Mid", "when": {"all": [{"arr": {">=": 100000}}, {"region": "NA"}]}},
            {"tier": "Mid", "when": {"region": {"in": ["NA", "EMEA"]}}},
            {"tier": "Small", "when": {"region": "emea"}},
            {"tier": "Small", "when": {"arr": {"between": [200, 300]}}},
        ],
    }
    _, warnings = parse_rule_set(document)
    assert [str(w) for w in warnings] == [
        "rule 2 (Bigger): can never match: rule 1 (Big) already takes every account it would",
        "rule 3 (Mid): can never match: rule 1 (Big) already takes every account it would",
        "rule 5 (Small): can never match: rule 4 (Mid) already takes every account it would",
        "tiers: no rule gives the tier `Unused`",
        "rules: no default rule: accounts that match no rule stay untiered (they are counted and listed)",
    ]
    after_default = {
        "name": "d",
        "tiers": ["A"],
        "rules": [{"tier": "A", "default": True}, {"tier": "A", "when": {"arr": 1}}],
    }
    assert "can never match: rule 1 is the default" in str(parse_rule_set(after_default)[1][0])


def test_ranges_that_only_overlap_are_reachable() -> None:
    document = {
        "name": "ok",
        "tiers": ["A", "B", "C"],
        "rules": [
            {"tier": "A", "when": {"arr": {"between": [100, 200]}}},
            {"tier": "B", "when": {"arr": {">=": 150}}},
            {"tier": "C", "when": {"arr": {">": 100, "<=": 200}}},
            {"tier": "C", "default": True},
        ],
    }
    warnings = [str(w) for w in parse_rule_set(document)[1]]
    assert warnings == ["rule 3 (C): can never match: rule 1 (A) already takes every account it would"]


def test_round_trip_through_the_exchange_format() -> None:
    rule_set, _ = parse_rule_set(yaml.safe_load(FORMAT_EXAMPLE))
    again, _ = parse_rule_set(to_document(rule_set))
    assert again == rule_set
    assert to_document(rule_set)["rules"][1] == {"tier": "Enterprise", "when": {"arr": {">=": 150000}}}


def test_the_vocabulary_is_exportable() -> None:
    vocabulary = {f["name"]: f for f in describe_vocabulary()}
    assert vocabulary["arr_share_rank"]["derived"] and vocabulary["arr_share_rank"]["kind"] == "number"
    assert vocabulary["region"]["operators"] == ["=", "!=", "in", "not_in", "empty"]
    assert "between" in vocabulary["renewal_date"]["operators"]
