"""Unit tests of the column forms an export writes values back in (engine/forms.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.fields import ACCOUNT_FIELDS
from engine.forms import NumberForm, _number_form, _number_misses, learn_forms, merge_forms
from engine.normalize import parse_number, trim

FORMS = [
    NumberForm(),
    NumberForm(min_decimals=1),
    NumberForm(grouping=True, decimals=2),
    NumberForm(prefix="$", grouping=True, decimals=0),
    NumberForm(decimals=2, decimal_comma=True, grouping=True),
    NumberForm(grouping=True),
]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.pattern())
@given(cents=st.integers(min_value=0, max_value=10**12))
def test_a_form_reads_back_every_cell_it_writes(form: NumberForm, cents: int) -> None:
    value = cents / 100 if form.decimals != 0 else float(cents // 100)
    text = form.render(value)
    parsed = parse_number(trim(pd.Series([text])), "arr", decimal_comma=form.decimal_comma).values
    assert parsed.iloc[0] == pytest.approx(value, rel=0, abs=1e-9)
    assert not _number_misses(pd.Series([text]), parsed, form).any(), text
    assert form.render(float(parsed.iloc[0])) == text


@pytest.mark.parametrize(
    ("cells", "form"),
    [
        (["1225507", "96000.5", "42500"], NumberForm()),
        (["1240000.0", "18400.37"], NumberForm(min_decimals=1)),
        (["1,240,000.00", "42,500.50"], NumberForm(grouping=True, decimals=2)),
        (["$1,100", "$310,000"], NumberForm(prefix="$", grouping=True)),
    ],
)
def test_the_form_of_a_column_is_the_one_that_writes_most_of_it(cells: list[str], form: NumberForm) -> None:
    assert _number_form(cells, decimal_comma=False) == form


def test_cells_written_otherwise_are_kept_with_the_value_read() -> None:
    written = {"arr": pd.Series(["1,000.00", "$ 2,000", "None"]), "country": pd.Series(["USA", "US", "USA"])}
    values = pd.DataFrame({"arr": [1000.0, 2000.0, None], "country": ["United States"] * 3})
    forms, cells = learn_forms(ACCOUNT_FIELDS, written, values)
    assert forms["country"] == {"spellings": {"United States": "USA"}}
    assert forms["arr"]["number"]["decimals"] == 2
    assert cells.tolist() == [
        None,
        '{"arr": ["$ 2,000", 2000.0], "country": ["US", "United States"]}',
        '{"arr": ["None", null]}',
    ]


def test_later_files_add_spellings_and_their_formats_win() -> None:
    before = {"country": {"spellings": {"United States": "USA"}}, "arr": {"number": {"decimals": 2}}}
    after = {"country": {"spellings": {"Germany": "DE"}}, "arr": {"number": {"decimals": 0}}}
    assert merge_forms(before, after) == {
        "country": {"spellings": {"United States": "USA", "Germany": "DE"}},
        "arr": {"number": {"decimals": 0}},
    }
