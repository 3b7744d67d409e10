"""How fast a command starts: `tierbot --help`, `tierbot tier ACCOUNT` and `tierbot find NAME`,
each in a cold process on the demo store, against the floor any Python command line pays.

Peers measured in the same run, interleaved with tierbot's commands: `python -c pass` (the
interpreter alone) and a bare click app answering `--help` (the smallest command line built like
tierbot's). Targets: `--help` under 0.3 s, a lookup under 0.6 s (wall clock, median of
``--repeat`` runs). It also prints the peak memory of each process.

    python -m bench.bench_startup [--repeat 15]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median_of

BARE_CLICK = """
import click

@click.group()
def cli():
    "A bare click app."

@cli.command()
@click.argument("name")
def find(name):
    "Find NAME."
    click.echo(name)

cli()
"""

TARGETS = {"--help": 0.3, "tier": 0.6, "find": 0.6}


def _run(argv: list[str]) -> float:
    """Wall-clock seconds of one cold process."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[:300]}")
    return elapsed


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    tierbot = str(Path(sys.executable).with_name("tierbot"))
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.db")
        bare = Path(tmp) / "bare_click.py"
        bare.write_text(BARE_CLICK)
        subprocess.run([tierbot, "--db", db, "demo"], check=True, capture_output=True)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "bare click --help": [sys.executable, str(bare), "--help"],
            "--help": [tierbot, "--help"],
            "tier": [tierbot, "--db", db, "tier", "acme corp"],
            "find": [tierbot, "--db", db, "find", "acmee corp"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, float] = {}
        for argv_ in commands.values():  # once each first: the files are in the page cache
            _run(argv_)
        for _ in range(args.repeat):  # interleaved, so a busy moment hits every command alike
            for name, argv_ in commands.items():
                times[name].append(_run(argv_))
        for name, argv_ in commands.items():
            memory[name] = _memory_of(argv_)
    floor = median_of(times["python -c pass"])
    click_floor = median_of(times["bare click --help"])
    print(f"startup: medians of {args.repeat} cold processes on the 1,000-account demo store")
    print(f"  {'python -c pass':<22} {floor * 1000:7.0f} ms  {memory['python -c pass']:6.0f} MB")
    print(f"  {'bare click --help':<22} {click_floor * 1000:7.0f} ms  {memory['bare click --help']:6.0f} MB")
    met = True
    for name, label in (("--help", "tierbot --help"), ("tier", "tierbot tier acme corp"), ("find", "tierbot find …")):
        ours = median_of(times[name])
        ok = ours <= TARGETS[name]
        met = met and ok
        print(
            f"  {label:<22} {ours * 1000:7.0f} ms  {memory[name]:6.0f} MB  "
            f"{ours / click_floor:4.1f}× bare click, {ours / floor:4.1f}× python  "
            f"target < {TARGETS[name]:g} s → {'met' if ok else 'MISSED'}"
        )
    return met


def _memory_of(argv: list[str]) -> float:
    """Peak memory (MB) of one run, measured alone (RUSAGE_CHILDREN keeps the maximum of all children)."""
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


if __name__ == "__main__":
    main()  # a missed target is printed, not an error (see bench/__main__.py)
