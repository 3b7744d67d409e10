"""`gaps` names only what a blank blocks among the features tierbot has."""

from __future__ import annotations

import json
from pathlib import Path

from store import Store
from workflows.clock import FixedClock
from workflows.gaps import data_gaps
from workflows.importing import import_table

from .test_cli import tierbot

# Features tierbot does not have: a gap must never claim to block them.
ABSENT = ("forecast", "cohort", "economics", "cost-to-serve", "territor", "balancing")


def test_every_gap_blocks_something_that_exists(demo_store: Store) -> None:
    report = data_gaps(demo_store)
    for gap in report.gaps:
        assert gap.blocks, gap
        for feature in gap.blocks:
            assert not any(word in feature.lower() for word in ABSENT), (gap.field, feature)
    blocks = {(g.table, g.field): g.blocks for g in report.gaps}
    assert "renewal guardrails on handoffs" in blocks[("accounts", "renewal_date")]
    assert "red-health guardrail on handoffs" in blocks[("accounts", "health")]
    assert "the region guardrail on handoffs" in blocks[("accounts", "region")]
    assert "the region guardrail on handoffs" in blocks[("csms", "region")]
    assert "handoff approvals" in blocks[("csms", "manager")]


def test_fields_no_feature_uses_are_not_gaps(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Email,Role\nJordan Blake,jordan@example.com,csm\nSam Patel,sam@example.com,csm\n")
    import_table(store, roster, "csms", actor="t", clock=clock, errors_file=tmp_path / "e.csv")
    fields = {g.field for g in data_gaps(store).gaps if g.table == "csms"}
    # Nothing reads a CSM's annual cost or roster capacity yet, and no specialties means any industry.
    assert not fields & {"annual_cost", "capacity_hours", "specialties"}
    assert {"slack_user_id", "manager", "region"} <= fields


def test_the_command_line_and_the_field_list_agree(tmp_path: Path) -> None:
    db = str(tmp_path / "g.db")
    assert tierbot("--db", db, "demo").exit_code == 0
    text = tierbot("--db", db, "gaps").stdout
    rows = tierbot("--db", db, "gaps", "--csv").stdout.lower()
    listed = json.dumps(json.loads(tierbot("fields", "--json").stdout)).lower()
    for word in ABSENT:
        assert word not in text.lower() and word not in rows and word not in listed, word
