"""Consistency tests that keep the layout and the metadata honest."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from prompts import render_template, template_names
from store import Store

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"bot", "workflows", "engine", "store", "prompts"}
STDLIB = set(sys.stdlib_module_names)
# The engine computes; it never touches files, networks, databases, Slack or models.
ENGINE_MAY_USE = {"numpy", "pandas", "pyarrow", "rapidfuzz", "pycountry"}
ENGINE_MAY_NOT_USE = {
    "os.path",
    "io",
    "socket",
    "subprocess",
    "sqlite3",
    "shutil",
    "tempfile",
    "pathlib",
    "urllib",
    "http",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", modules("engine"), ids=lambda p: p.name)
def test_engine_is_pure(path: Path) -> None:
    for name in imports_of(path):
        if top(name) in PROJECT:
            assert top(name) == "engine", f"{path.name} imports {name}"
        elif top(name) in STDLIB:
            assert name not in ENGINE_MAY_NOT_USE and top(name) not in ENGINE_MAY_NOT_USE, f"{path.name} imports {name}"
        else:
            assert top(name) in ENGINE_MAY_USE, f"{path.name} imports {name}"


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("store", {"engine", "store"}),
        ("workflows", {"engine", "store", "prompts", "workflows"}),
        ("prompts", {"prompts"}),
    ],
)
def test_imports_point_down_only(package: str, allowed: set[str]) -> None:
    for path in modules(package):
        for name in imports_of(path):
            if top(name) in PROJECT:
                assert top(name) in allowed, f"{package}/{path.name} imports {name}"


def test_libraries_stay_in_their_layer() -> None:
    # bench/ may use sqlite3 and slack_bolt directly: its peers are the plain library calls (and the
    # minimal ack-only Bolt app) tierbot is measured against.
    homes = {
        "sqlite_utils": {"store"},
        "sqlite3": {"store", "bench"},
        "slack_bolt": {"bot", "bench"},
        "slack_sdk": {"bot"},
        "click": {"bot"},
    }
    for package in PROJECT | {"bench"}:
        for path in modules(package):
            for name in imports_of(path):
                if top(name) in homes:
                    assert package in homes[top(name)], f"{package}/{path.name} imports {name}"
                if top(name).startswith("langchain"):
                    assert path == ROOT / "workflows" / "drafting.py", f"{path} imports {name}"


TEMPLATE_FIXTURES = {
    "chat_welcome.txt.j2": {"store": "tierbot.db", "accounts": 1000, "csms": 17},
    "chat_help.txt.j2": {"commands": [{"usage": "gaps", "summary": "Data gaps."}], "examples": ["`gaps`"]},
}
_NOTE = {
    "account_name": "Acme Health Partners",
    "contact_first_name": "François",
    "old_csm_name": "Morgan Diaz",
    "old_csm_title": "Customer Success Manager",
    "new_csm_name": "Sam Patel",
    "new_csm_title": "Customer Success Manager",
    "effective_date": "Monday 7 December 2026",
    "tier": "Enterprise",
    "reason_category": "regional coverage",
    "intro_slot": "Monday 7 December, 10:00",
    "style": "personal",
}
TEMPLATE_FIXTURES |= {name: _NOTE for name in ("note_personal.txt.j2", "note_standard.txt.j2", "note_system.txt.j2")}
TEMPLATE_FIXTURES["note_request.txt.j2"] = _NOTE


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders_with_its_fixture_and_refuses_missing_variables(name: str) -> None:
    assert name in TEMPLATE_FIXTURES, f"add a fixture for prompts/{name}"
    assert render_template(name, **TEMPLATE_FIXTURES[name]).strip()
    with pytest.raises(UndefinedError):
        render_template(name)


def test_template_variables_are_data_not_template_source() -> None:
    text = render_template("chat_welcome.txt.j2", store="{{ 7 * 7 }}", accounts=1, csms=1)
    assert "{{ 7 * 7 }}" in text and "49" not in text


def test_readme_opens_with_the_two_commands_and_documents_the_schema() -> None:
    readme = (ROOT / "README.md").read_text()
    opening = readme[:1500]
    assert "make run" in opening and "make test" in opening
    for table in ("accounts", "csms", "imports", "audit_log"):
        assert f"`{table}`" in readme, f"README does not document table {table}"
    from store import open_store

    for column in ("crm_id", "arr", "renewal_date", "strategic", "capacity_hours", "annual_cost"):
        assert f"`{column}`" in readme
    assert open_store  # the schema documented is the one migrations create (see test_store)


def test_ci_runs_lint_and_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make lint" in ci and "make test" in ci


# What a command may not load just to start, or to answer about one account: each of these costs
# a tenth of a second to a second and a half of start-up (pandas and sqlite-utils most).
HEAVY = {
    "pandas",
    "numpy",
    "pyarrow",
    "openpyxl",
    "sqlite_utils",
    "langchain",
    "langchain_core",
    "slack_bolt",
    "slack_sdk",
    "matplotlib",
    "jinja2",
    "tabulate",
}
_RUN_AND_LIST_HEAVY = """
import json, sys
from bot.cli import cli
try:
    cli(sys.argv[1:], prog_name="tierbot", standalone_mode=False)
finally:
    print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(%r)))), file=sys.stderr)
"""


def heavy_libraries_loaded_by(*argv: str) -> list[str]:
    import json
    import subprocess

    script = _RUN_AND_LIST_HEAVY % json.dumps(sorted(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_starts_without_any_heavy_library() -> None:
    assert heavy_libraries_loaded_by("--help") == []
    assert heavy_libraries_loaded_by("handoff", "--help") == []


def test_one_account_is_found_and_explained_without_any_heavy_library(demo_store: Store) -> None:
    db = str(demo_store.path)
    assert heavy_libraries_loaded_by("--db", db, "find", "acmee corp") == []
    assert heavy_libraries_loaded_by("--db", db, "tier", "acme corp") == []
    assert heavy_libraries_loaded_by("--db", db, "tier", "ACC-0000002", "--json") == []
