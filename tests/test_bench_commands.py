"""bench_commands end to end on a tiny store: the lines it prints and how it ends, never its timings."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bench import bench_commands
from bench.common import PeerDisagrees

pytestmark = pytest.mark.slow  # whole processes: a demo store, then each command and peer twice


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of built stores for the module, so the demo store is built once."""
    return tmp_path_factory.mktemp("bench-cache")


def run_tiny(cache: Path, commands: str = "tier,export") -> None:
    argv = ["--sizes", "1000", "--rounds", "1", "--commands", commands, "--cache", str(cache)]
    bench_commands.main(argv)  # whether timing targets were met is the machine's business


def test_prints_each_command_its_targets_and_a_summary(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_tiny(cache)
    out = capsys.readouterr().out
    assert "building the 1,000-account demo store" in out
    figures = r"tierbot +\d+\.\d{3} s +\d+ MB \| sqlite3 CLI \d+\.\d{3} s \d+ MB → \d+\.\d\d× time"
    assert re.search(r"tier ACC-\d{7} +" + figures, out)
    assert re.search(r"export accounts +" + figures, out)
    assert re.search(r"targets at 1k: ≤ 0\.6 s: \d\.\d{3} s (met|MISSED) · ≤ 300 MB: \d+ MB (met|MISSED)", out)
    assert re.search(r"at 1k, target ≤ 0\.6 s: \d\.\d{3} s → (met|MISSED)", out)
    assert re.search(r"at 1k, target ≤ 2× sqlite3 CLI: [\d.]+× → (met|MISSED)", out)
    assert "PEER DISAGREES" not in out
    assert re.search(
        r"commands summary: 3 targets, \d met, \d MISSED.*; peers agreed with tierbot in 2 of 2 checks", out
    )
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["demo"], "the built store is kept for the next run"


def test_a_second_run_reuses_the_store_and_without_a_sqlite3_cli_runs_python(
    cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_tiny(cache, "tier")  # builds the store unless an earlier test did
    capsys.readouterr()
    monkeypatch.setattr(bench_commands, "_sqlite3_cli", lambda: None)
    run_tiny(cache)
    out = capsys.readouterr().out
    assert "building" not in out
    assert re.search(r"tier ACC-\d{7} +tierbot .* \| python sqlite3 \d", out)
    assert re.search(r"export accounts +tierbot .* \| python csv \d", out)
    assert "peers agreed with tierbot in 2 of 2 checks" in out


def test_a_peer_that_disagrees_is_said_loudly_and_fails_the_run(
    cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def wrong_peer(book: bench_commands.Book) -> bench_commands.Case:
        return dataclasses.replace(bench_commands.tier_case(book), check=lambda: ["the peer printed another row"])

    monkeypatch.setitem(bench_commands.CASES, "tier", wrong_peer)
    with pytest.raises(PeerDisagrees, match="another row"):
        run_tiny(cache, "tier")
    out = capsys.readouterr().out
    assert "PEER DISAGREES (tier ACCOUNT at 1k): the peer printed another row" in out
    assert "peers agreed with tierbot in 0 of 1 checks" in out
