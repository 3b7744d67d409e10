"""The command line, driven as a person or a script would: exit codes, messages, JSON, --db."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from bot.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def tierbot(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    assert tierbot("--db", path, "demo").exit_code == 0
    return path


def test_demo_then_find_then_gaps(db: str) -> None:
    found = tierbot("accounts", "find", "acmee", "corp", "--db", db)
    assert found.exit_code == 0
    assert "Acme Corp (ACC-0000001)" in found.stdout
    as_json = json.loads(tierbot("--db", db, "accounts", "find", "ACC-0000002", "--json").stdout)
    assert as_json["best"]["name"] == "Acme Health Partners" and as_json["matched_by"] == "crm id"
    gaps = tierbot("gaps", "--db", db)
    assert "1,000 accounts, 17 CSMs" in gaps.stdout and "Potential ARR" in gaps.stdout
    rows = tierbot("gaps", "--csv", "--db", db).stdout.splitlines()
    assert rows[0] == "table,field,missing,total,share,blocks"


def test_db_comes_from_the_environment_when_not_given(tmp_path: Path) -> None:
    path = str(tmp_path / "env.db")
    assert tierbot("demo", env={"TIERBOT_DB": path}).exit_code == 0
    status = tierbot("import", "status", env={"TIERBOT_DB": path})
    assert f"Store {path}: 1,000 accounts" in status.stdout


def test_a_refused_import_exits_non_zero_with_row_level_messages(db: str, fixtures: Path, tmp_path: Path) -> None:
    errors = tmp_path / "errors.csv"
    result = tierbot(
        "import", "accounts", str(fixtures / "account_errors.csv"), "--errors-file", str(errors), "--db", db
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Reading account_errors.csv…")
    assert "Error: `account_errors.csv` has 10 error(s) on 10 row(s), so nothing was imported." in result.stderr
    assert "  • Column `ARR` has `$1,2O0` on row 2: not a number." in result.stderr
    assert (
        f"All 11 problems are listed in {errors}." in result.stderr
        or f"They are also listed in {errors}." in result.stderr
    )
    assert errors.exists()


def test_import_json_for_scripts_on_success_and_failure(db: str, fixtures: Path, tmp_path: Path) -> None:
    ok = tierbot("import", "accounts", str(fixtures / "salesforce_accounts.csv"), "--json", "--db", db)
    report = json.loads(ok.stdout)
    assert (report["created"], report["written"]) == (5, True)
    bad = tierbot(
        "import",
        "accounts",
        str(fixtures / "account_errors.csv"),
        "--json",
        "--errors-file",
        str(tmp_path / "e.csv"),
        "--db",
        db,
    )
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["errors"] == 10


def test_bad_options_get_a_clear_message(db: str, fixtures: Path) -> None:
    result = tierbot("import", "accounts", str(fixtures / "salesforce_accounts.csv"), "--map", "arrr=ARR", "--db", db)
    assert result.exit_code == 1
    assert "names no account field; did you mean `arr`?" in result.stderr
    result = tierbot("import", "accounts", str(fixtures / "salesforce_accounts.csv"), "--map", "arr", "--db", db)
    assert result.exit_code == 2 and 'is not FIELD="Header"' in result.stderr
    result = tierbot("demo", "--db", db)
    assert result.exit_code == 1 and "Pass --replace" in result.stderr
    result = tierbot("accounts", "find", "zzqx", "--db", db)
    assert result.exit_code == 1 and "No account matches `zzqx`" in result.stderr


def test_export_for_the_crm_with_crm_headers(db: str, fixtures: Path, tmp_path: Path) -> None:
    tierbot("import", "accounts", str(fixtures / "salesforce_accounts.csv"), "--db", db)
    out = tmp_path / "tiers.csv"
    result = tierbot("export", "accounts", str(out), "--columns", "crm_id,name,tier", "--db", db)
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "Account ID,Account Name,Tier"
    assert "0015g00000AcmeAAA,Acme Corp," in lines
    assert len(lines) == 1 + 1005


def test_audit_and_fields_commands(db: str, fixtures: Path) -> None:
    tierbot("import", "accounts", str(fixtures / "salesforce_accounts.csv"), "--db", db)
    tierbot("import", "accounts", str(fixtures / "salesforce_accounts_v2.csv"), "--db", db)
    log = tierbot("audit", "--entity", "account:0015g00000AcmeAAA", "--db", db).stdout
    assert "import.accounts.update" in log and "{'arr': 1240000.0} → {'arr': 1300000.0}" in log
    vocabulary = json.loads(tierbot("fields", "--json").stdout)
    assert any(f["name"] == "arr" and "arr usd" in f["header_spellings"] for f in vocabulary)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found += _commands(command, full + " ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name: str, command: click.Command) -> None:
    result = tierbot(*name.split(), "-h")
    assert result.exit_code == 0
    assert "Example" in result.stdout, f"`tierbot {name} -h` shows no example"
    assert f"tierbot {name}" in (ROOT / "README.md").read_text(), f"README does not document `tierbot {name}`"


def test_the_console_script_never_shows_a_traceback(tmp_path: Path) -> None:
    not_a_store = tmp_path / "x.db"
    not_a_store.write_text("plain text, not SQLite " * 100)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(not_a_store), "gaps"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "is not a tierbot store" in result.stderr


def test_tier_explains_on_the_command_line_and_in_json(db: str) -> None:
    text = tierbot("tier", "acmee", "corp", "--db", db).stdout
    assert text.startswith("Acme Corp (ACC-0000001) — Strategic\n")
    assert "Rule 1 “designated strategic” of fy27-tiers (in effect since" in text
    assert "✓ strategic is true — read true" in text
    data = json.loads(tierbot("tier", "Initech", "--json", "--db", db).stdout)
    assert {"crm_id", "name", "tier", "rule", "conditions"} <= set(data)
    assert data["tier"] == "Mid-Market" and data["rule"]["position"] == 4
    assert data["conditions"] == [{"field": "arr", "op": ">=", "value": 25000.0, "read": 96000.0, "held": True}]
    assert [r["position"] for r in data["earlier_rules"]] == [1, 2, 3]
    ambiguous = tierbot("tier", "acme", "--db", db)
    assert ambiguous.exit_code == 1 and "Several accounts match `acme`" in ambiguous.stderr
    assert json.loads(tierbot("tier", "acme", "--json", "--db", db).stdout)["kind"] == "AmbiguousAccount"


def test_override_and_history_on_the_command_line(db: str) -> None:
    # --until must not be past: today is the day conftest pins (TIERBOT_TODAY, 2026-11-22), not the
    # calendar's, so this date never ages into a refusal.
    result = tierbot(
        "tier", "set", "Initech", "Enterprise", "--reason", "exec sponsor", "--until", "2027-03-31", "--db", db
    )
    assert result.exit_code == 0, result.stderr
    assert "Initech is now Enterprise (was Mid-Market) until 2027-03-31: “exec sponsor”." in result.stdout
    assert "(override)" in tierbot("tier", "Initech", "--db", db).stdout
    assert "override" in tierbot("tier", "history", "Initech", "--db", db).stdout
    bad = tierbot("tier", "set", "Initech", "Enterprise", "--reason", "x", "--until", "31/03/2027", "--db", db)
    assert bad.exit_code == 1 and "write the date as YYYY-MM-DD" in bad.stderr
    assert "Cleared the override of Initech" in tierbot("tier", "clear", "Initech", "--db", db).stdout


def test_rules_round_trip_on_the_command_line(db: str, tmp_path: Path) -> None:
    out = tmp_path / "fy27.yml"
    assert tierbot("rules", "export", "fy27-tiers", str(out), "--db", db).exit_code == 0
    edited = out.read_text().replace("name: fy27-tiers", "name: fy28-tiers").replace("25000", "30000")
    (tmp_path / "fy28.yml").write_text(edited)
    loaded = tierbot("rules", "load", str(tmp_path / "fy28.yml"), "--db", db)
    assert "Loaded the draft fy28-tiers: 5 rules" in loaded.stdout
    assert "Changed rule 4 → 4:" in tierbot("rules", "diff", "fy27-tiers", "fy28-tiers", "--db", db).stdout
    simulated = tierbot("rules", "simulate", "fy28-tiers", "--db", db).stdout
    assert "What-if: fy28-tiers instead of fy27-tiers." in simulated and "Nothing has changed yet." in simulated
    assert "fy28-tiers is the active rule set" in tierbot("rules", "activate", "fy28-tiers", "--db", db).stdout
    applied = tierbot("tiers", "apply", "--db", db).stdout
    assert applied.startswith("Tiered 1,000 accounts with fy28-tiers")
    assert "of customers and" in tierbot("tiers", "summary", "--db", db).stdout
    listing = tierbot("rules", "list", "--db", db).stdout
    assert "fy28-tiers  active since" in listing


def test_a_broken_rule_file_lists_every_error(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\ntiers: [A]\nrules:\n  - tier: B\n    when: {arrr: 1}\n  - tier: A\n    when: {region: {'>': 1}}\n"
    )
    result = tierbot("rules", "load", str(bad), "--db", db)
    assert result.exit_code == 1
    assert "bad.yml has 3 error(s), so it was not loaded:" in result.stderr
    assert "unknown field `arrr`; did you mean `arr`?" in result.stderr


def test_propose_and_formula_on_the_command_line(db: str) -> None:
    proposed = tierbot(
        "rules", "propose", "--by", "arr-share", "--bands", "15,40", "--tiers", "Enterprise,Mid-Market,SMB", "--db", db
    )
    assert proposed.exit_code == 0, proposed.stderr
    assert "Saved as the draft proposed-arr-share-15-40" in proposed.stdout
    assert "Enterprise is " in proposed.stdout and "of customers and" in proposed.stdout
    formula = tierbot("rules", "formula", "--crm", "salesforce", "--db", db)
    assert formula.stdout.startswith("Salesforce formula for fy27-tiers")
    assert 'IF(Strategic__c, "Strategic"' in formula.stdout


def test_tier_json_keeps_not_and_any_structure_and_clear_takes_several_words(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "notr.yml"
    rules.write_text(
        "name: notr\ntiers: [Intl, Home]\nrules:\n  - tier: Intl\n    when: {not: {region: NA}}\n  - tier: Home\n    default: true\n"
    )
    tierbot("rules", "load", str(rules), "--db", db)
    tierbot("rules", "activate", "notr", "--db", db)
    data = json.loads(tierbot("tier", "Globex Corporation", "--json", "--db", db).stdout)
    assert data["tier"] == "Intl"
    assert data["trace"] == {
        "kind": "not",
        "held": True,
        "parts": [{"field": "region", "op": "=", "value": "NA", "read": "EMEA", "held": False}],
    }
    tierbot("tier", "set", "Acme Dental Group", "Intl", "--reason", "x", "--db", db)
    assert (
        "Cleared the override of Acme Dental Group"
        in tierbot("tier", "clear", "acme", "dental", "group", "--db", db).stdout
    )
