"""Shared helpers for the benchmarks: timing, medians, whole-process measurement and the report
line each one prints."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The headers of a Salesforce-style account export, by the tierbot field each one holds: the CSV
# the import benchmarks read, and the mapping their peers apply by hand.
CRM_HEADERS = {
    "crm_id": "Account ID",
    "name": "Account Name",
    "arr": "ARR (USD)",
    "plan": "Plan",
    "industry": "Industry",
    "setting": "Care Setting",
    "employees": "Number of Employees",
    "region": "Region",
    "country": "Billing Country",
    "use_case": "Primary Use Case",
    "owner": "Account Owner",
    "health": "Health Status",
    "renewal_date": "Renewal Date",
    "potential_arr": "Potential ARR",
    "strategic": "Strategic Account",
}


class PeerDisagrees(Exception):
    """A peer computed other data than tierbot did: its figures compare nothing.

    Raised after the benchmark has printed everything, so ``make bench`` shows the figures and
    still fails.
    """


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(samples: list[float]) -> float:
    return statistics.median(samples)


def report(name: str, ours: float, peer: float, peer_name: str, unit: str, target: float | None) -> bool:
    """Print one benchmark's figures and ratio; return whether it met its target ratio."""
    ratio = ours / peer if peer else float("inf")
    verdict = ""
    met = True
    if target is not None:
        met = ratio <= target
        verdict = f"  target ≤ {target:g}× → {'met' if met else 'MISSED'}"
    scale = 1000.0 if unit == "ms" else 1.0
    print(
        f"{name}: tierbot {ours * scale:.3f} {unit} | {peer_name} {peer * scale:.3f} {unit} | "
        f"ratio {ratio:.2f}×{verdict}"
    )
    return met


@dataclass(frozen=True)
class ProcessRun:
    """One whole process: wall-clock seconds from spawn to exit, and its own peak resident memory."""

    seconds: float
    peak_mb: float


class ProcessFailed(RuntimeError):
    """A measured command exited non-zero: the benchmark cannot go on without its figures."""


# Runs the measured command as its child and writes what wait4 says about it. A child's peak
# resident memory starts from the size of the process that forked it (Linux carries the old
# memory's high-water mark across exec), so the fork happens here, in a bare interpreter of about
# 7 MB, not in the benchmark, which may hold hundreds: a peak below that floor reads as the floor.
_MEASURE = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
peak_kb = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss  # bytes on macOS
with open(out, "w") as f:
    json.dump({"seconds": seconds, "peak_kb": peak_kb, "code": os.waitstatus_to_exitcode(status)}, f)
"""


def run_process(argv: list[str], stdout: Path, stderr: Path, env: dict[str, str] | None = None) -> ProcessRun:
    """Run ``argv`` to completion with its output in files: its seconds from fork to exit and its
    own peak resident memory.

    ``wait4`` gives the resource usage of the one child waited for; ``RUSAGE_CHILDREN`` would
    not do, its ``ru_maxrss`` being the largest of every child waited for so far.
    """
    measured = stdout.with_name(stdout.name + ".measured.json")
    with stdout.open("wb") as out, stderr.open("wb") as err:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _MEASURE, str(measured), *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            check=True,
        )
    result = json.loads(measured.read_text())
    if result["code"] != 0:
        said = stderr.read_text(errors="replace").strip()[-600:]
        raise ProcessFailed(f"{' '.join(argv)} exited with {result['code']}: {said}")
    return ProcessRun(result["seconds"], result["peak_kb"] / 1024)
