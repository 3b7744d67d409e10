"""Shared fixtures: real SQLite stores in temporary folders, a fixed clock, the fixture files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from store import Store, open_store
from workflows.clock import FixedClock
from workflows.demo import load_demo
from workflows.importing import ImportReport, import_table

from .slack_support import Workspace, workspace

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 22, 9, 30)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 1,000-account demo workspace, loaded once per test run (at `NOW`, as every test's)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with open_store(path, today=lambda: NOW.date().isoformat()) as store:
        load_demo(store, actor="test", clock=FixedClock(NOW))
    return path


@pytest.fixture
def store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    path = tmp_path / "tierbot.db"
    if "demo_store" in request.fixturenames:
        # A copy of the demo loaded once: the same file load_demo would write, in a millisecond.
        shutil.copyfile(request.getfixturevalue("demo_template"), path)
    opened = open_store(path, today=lambda: NOW.date().isoformat())
    yield opened
    opened.close()


@pytest.fixture
def load(store: Store, clock: FixedClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Import CSV text (or bytes) as a file; returns the report."""

    def run(content: str | bytes, kind: str = "accounts", name: str = "file.csv", **kwargs) -> ImportReport:  # type: ignore[no-untyped-def]
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return import_table(store, path, kind, actor="t", clock=clock, errors_file=tmp_path, **kwargs)

    return run


@pytest.fixture
def demo_store(store: Store) -> Store:
    """A store holding the 1,000-account demo workspace (its own copy)."""
    return store


@pytest.fixture(autouse=True)
def _no_stray_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's store, settings or the calendar, and never write history
    into their home folder: every command takes `NOW`'s day as today, whatever the system clock says."""
    for name in (
        "TIERBOT_DB",
        "TIERBOT_DEBUG",
        "TIERBOT_LLM",
        "TIERBOT_LLM_BASE_URL",
        "TIERBOT_NOTE_DOMAINS",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TIERBOT_TODAY", NOW.date().isoformat())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def slack(demo_store: Store, clock: FixedClock) -> Iterator[Workspace]:
    """The Slack app on loopback over the demo workspace, with a fake Slack API."""
    with workspace(demo_store, clock) as ws:
        yield ws
