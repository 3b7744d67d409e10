"""Run every benchmark: ``python -m bench`` (what ``make bench`` does).

Pass ``--quick`` for smaller sizes that finish in a minute or two (the figures then say little).

Each benchmark prints its figures and whether each target was met or MISSED. A missed target is
not a failure (a busy machine misses timing targets); the run exits non-zero only when a
benchmark crashed or a peer disagreed with tierbot, since then the figures compare nothing. A
crash does not stop the benchmarks after it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from bench import bench_commands, bench_find, bench_import, bench_notes, bench_slack, bench_startup, bench_tiers
from bench.common import PeerDisagrees

# name, main, its arguments under --quick
BENCHMARKS: tuple[tuple[str, Callable[[list[str]], bool], list[str]], ...] = (
    ("startup", bench_startup.main, ["--repeat", "5"]),
    ("commands", bench_commands.main, ["--sizes", "10000,50000", "--rounds", "1"]),
    ("import", bench_import.main, ["--rows", "100000", "--repeat", "1"]),
    ("find", bench_find.main, ["--accounts", "50000", "--queries", "50"]),
    ("tiers", bench_tiers.main, ["--accounts", "50000", "--repeat", "2", "--explain", "50"]),
    ("slack", bench_slack.main, ["--accounts", "10000", "--rounds", "1"]),
    ("notes", bench_notes.main, ["--accounts", "50000", "--drafts", "20"]),
)


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    met: list[str] = []
    missed: list[str] = []
    failed: list[str] = []
    for name, run, quick_args in BENCHMARKS:
        print(f"\n== bench {name}", flush=True)
        try:
            all_met = run(quick_args if quick else [])
        except PeerDisagrees as exc:
            print(f"PEER DISAGREES in bench {name}: {exc}", flush=True)
            failed.append(f"{name} (a peer disagreed)")
        except (Exception, SystemExit):  # a crash: told in full, and the other benchmarks still run
            traceback.print_exc()
            failed.append(f"{name} (crashed)")
        else:
            (met if all_met else missed).append(name)
    print(
        f"\nbench summary: every target met in {len(met)} of {len(BENCHMARKS)} benchmarks"
        + (f"; targets MISSED in {', '.join(missed)}" if missed else "")
        + (f"; FAILED: {', '.join(failed)}" if failed else "; no crash, every peer agreed with tierbot")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
