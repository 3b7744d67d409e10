"""Unit tests of the cell parsers: every spelling CRM exports use, and what they refuse."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.fields import ACCOUNT_FIELDS, CSM_FIELDS, header_key, region_of
from engine.normalize import (
    date_evidence,
    date_pattern,
    later_duplicates,
    name_keys,
    parse_category,
    parse_country,
    parse_date,
    parse_email,
    parse_flag,
    parse_health,
    parse_number,
    parse_slack_user,
    slug,
    spreadsheet_errors,
    trim,
)


def cells(*values: object) -> pd.Series:
    return trim(pd.Series(list(values), dtype=object))


def numbers(*values: object, decimal_comma: bool = False) -> list[float | None]:
    parsed = parse_number(cells(*values), "arr", decimal_comma)
    return [None if math.isnan(v) else v for v in parsed.values]


def problems_of(parsed) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    return {i.problem: [int(p) for p in i.mask[i.mask].index] for i in parsed.issues}


def test_trim_turns_blank_tokens_into_missing_but_keeps_na_region() -> None:
    values = cells(" a ", "N/A", "#N/A", "", None, "null", "-", "NA", "\u00a0x\u00a0").tolist()
    assert [v if isinstance(v, str) else None for v in values] == [
        "a",
        None,
        None,
        None,
        None,
        None,
        None,
        "NA",
        "x",
    ]


def test_header_key_ignores_case_spacing_punctuation_camel_case_and_salesforce_suffix() -> None:
    assert header_key(" Annual Recurring Revenue ") == "annual recurring revenue"
    assert header_key("ARR (USD)") == "arr usd"
    assert header_key("BillingCountry") == "billing country"
    assert header_key("Renewal_Date__c") == "renewal date"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", 1200.0),
        ("$1,100.04 ", 1100.04),
        ("$ 310,000", 310000.0),
        ("USD 1,000", 1000.0),
        ("€8,500", 8500.0),
        ("(1,200)", -1200.0),
        ("-250", -250.0),
        ("12k", 12000.0),
        ("1.5M", 1500000.0),
        ("65%", 65.0),
        ("1 234", 1234.0),
        ("1e3", 1000.0),
    ],
)
def test_numbers_read_as_people_write_them(text: str, expected: float) -> None:
    assert numbers(text) == [expected]


def test_decimal_comma_swaps_the_separators() -> None:
    assert numbers("1.234,56", "98.000,00", "12,5", "7", decimal_comma=True) == [1234.56, 98000.0, 12.5, 7.0]


def test_numbers_that_cannot_be_read_say_why() -> None:
    parsed = parse_number(cells("$1,2O0", "1.234,56", "51-200", "", "inf", "12"), "arr")
    assert problems_of(parsed) == {
        "not a number": [0, 4],
        "looks like a number with a decimal comma": [1],
        "a range, not a number": [2],
    }
    assert parsed.values.iloc[5] == 12.0
    assert math.isnan(parsed.values.iloc[3])


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_any_formatted_amount_reads_back(amount) -> None:  # type: ignore[no-untyped-def]
    for text in (f"{amount}", f"${amount:,}", f"{amount:,} USD", f"({amount:,})"):
        expected = -float(amount) if text.startswith("(") else float(amount)
        assert numbers(text) == [pytest.approx(expected)]


def test_flags() -> None:
    parsed = parse_flag(cells("TRUE", "yes", "x", "1", "FALSE", "No", "0", "", "maybe", "Active", "inactive"))
    assert parsed.values.tolist() == [1, 1, 1, 1, 0, 0, 0, None, None, 1, 0]
    assert problems_of(parsed) == {"not TRUE or FALSE": [8]}


def test_dates_in_iso_salesforce_and_named_forms() -> None:
    parsed = parse_date(
        cells(
            "2027-01-31",
            "2027-02-01T00:00:00.000+0000",
            "2027-04-15T00:00:00Z",
            "2027/06/01",
            "3 Mar 2027",
            "March 4, 2027",
            "2027-01-31 00:00:00",
        )
    )
    assert parsed.values.tolist() == [
        "2027-01-31",
        "2027-02-01",
        "2027-04-15",
        "2027-06-01",
        "2027-03-03",
        "2027-03-04",
        "2027-01-31",
    ]
    assert parsed.issues == []


def test_slash_dates_follow_the_order_given() -> None:
    assert parse_date(cells("03/04/2027", "5.6.27"), order="DMY").values.tolist() == [
        "2027-04-03",
        "2027-06-05",
    ]
    assert parse_date(cells("03/04/2027"), order="MDY").values.tolist() == ["2027-03-04"]
    assert parse_date(cells("25/03/2027", "12/31/2026")).values.tolist() == ["2027-03-25", "2026-12-31"]


def test_undecided_slash_dates_are_reported_not_guessed() -> None:
    parsed = parse_date(cells("03/04/2027", "2027-02-30", "soon"))
    assert parsed.values.tolist() == [None, None, None]
    assert problems_of(parsed) == {"not a date": [1, 2], "could be day/month or month/day": [0]}


def test_explicit_date_pattern() -> None:
    assert parse_date(cells("31.01.2027"), pattern="%d.%m.%Y").values.tolist() == ["2027-01-31"]
    assert date_pattern("dmy") == ("DMY", None)
    assert date_pattern("%d.%m.%Y") == (None, "%d.%m.%Y")
    with pytest.raises(ValueError):
        date_pattern("day first")


def test_date_evidence_finds_proof_of_order() -> None:
    assert date_evidence(cells("25/03/2027", "01/02/2027")).day_first == "25/03/2027"
    assert date_evidence(cells("03/25/2027")).month_first == "03/25/2027"
    evidence = date_evidence(cells("03/04/2027", "2027-01-01"))
    assert evidence.ambiguous == "03/04/2027"
    assert evidence.day_first is None and evidence.month_first is None


def test_categories_normalise_case_and_suggest_typos() -> None:
    industry = ACCOUNT_FIELDS.field("industry")
    parsed = parse_category(
        cells("technology", "Healthcare ", "technolgy", "Space Mining"), industry.label, industry.vocabulary
    )
    assert parsed.values.tolist() == ["Technology", "Healthcare", None, "Space Mining"]
    assert problems_of(parsed) == {"not a known industry; did you mean `Technology`?": [2]}


def test_frequent_spellings_in_the_file_are_known_values() -> None:
    values = ["Enterprise Plus"] * 6 + ["Enterprse Plus"]
    parsed = parse_category(cells(*values), "Plan")
    assert problems_of(parsed) == {"not a known plan; did you mean `Enterprise Plus`?": [6]}


def test_new_values_warn_only_when_the_store_has_a_vocabulary() -> None:
    assert parse_category(cells("Gold"), "Plan").issues == []
    parsed = parse_category(cells("Gold"), "Plan", known=["Silver", "Bronze"])
    assert [(i.problem, i.severity) for i in parsed.issues] == [("a new plan", "warning")]


def test_regions_are_kept_as_written_and_short_values_are_not_typos() -> None:
    region = ACCOUNT_FIELDS.field("region")
    parsed = parse_category(
        cells("North America", "emea", "ANZ", "NA", "AMER"),
        region.label,
        region.vocabulary,
        keep_as_written=True,
        recognised=lambda value: region_of(value) is not None or value == "AMER",
    )
    # Issue 9: a region is stored as the file writes it; rules read "North America" as NA.
    assert parsed.values.tolist() == ["North America", "emea", "ANZ", "NA", "AMER"]
    assert parsed.issues == []


def test_closed_categories_refuse_anything_else() -> None:
    role = CSM_FIELDS.field("role")
    parsed = parse_category(
        cells("CS Manager", "VP Customer Success", "Wizard"),
        role.label,
        role.vocabulary,
        role.value_aliases,
        closed=True,
    )
    assert parsed.values.tolist() == ["manager", "leader", None]
    assert problems_of(parsed) == {"not a role": [2]}


def test_countries_from_names_codes_and_nicknames() -> None:
    parsed = parse_country(cells("USA", "uk", "Deutschland", "DE", "Korea, Republic of", "Germny", "Atlantis"))
    assert parsed.values.tolist() == [
        "United States",
        "United Kingdom",
        None,
        "Germany",
        "South Korea",
        None,
        None,
    ]
    assert problems_of(parsed) == {
        "not a country": [2, 6],
        "not a country; did you mean `Germany`?": [5],
    }


def test_health_colours_and_scores() -> None:
    health = ACCOUNT_FIELDS.field("health")
    parsed = parse_health(cells("Green", "amber", "At Risk", "82", "35%", "purple", "150"), health.value_aliases)
    assert parsed.values.tolist() == ["green", "yellow", "yellow", "green", "red", None, None]
    assert parsed.extra["health_score"].tolist() == [None, None, None, 82.0, 35.0, None, None]
    assert problems_of(parsed) == {"not a health value": [5, 6]}


def test_emails_and_slack_ids() -> None:
    email = parse_email(cells("Jane.Doe@Example.com", "jane@example"))
    assert email.values.iloc[0] == "jane.doe@example.com"
    assert problems_of(email) == {"not an email address": [1]}
    slack = parse_slack_user(cells("U024BE7LH", "<@U01MARC002>", "w0123abcd", "lee"))
    assert slack.values.tolist()[:3] == ["U024BE7LH", "U01MARC002", "W0123ABCD"]
    assert problems_of(slack) == {"not a Slack member id": [3]}


def test_spreadsheet_error_values() -> None:
    assert spreadsheet_errors(cells("#VALUE!", "#ref!", "#1 Clinic", "x")).tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_name_keys_ignore_case_punctuation_and_legal_suffixes() -> None:
    keys = name_keys(pd.Series(["ACME Corp.", "Acme, Inc", "The Acme Co Inc", "Total Wine & More", None]))
    assert keys.tolist()[:4] == ["acme", "acme", "acme", "total wine more"]
    assert later_duplicates(keys).tolist() == [False, True, True, False, False]


def test_slug() -> None:
    assert slug("Café Médical, Lyon") == "cafe-medical-lyon"
