"""Run every benchmark: ``python -m bench`` (what ``make bench`` does).

Pass ``--quick`` for smaller sizes that finish in a minute (the figures then say little).
"""

from __future__ import annotations

import sys

from bench import bench_find, bench_import, bench_notes, bench_slack, bench_startup, bench_tiers


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    results = [
        bench_startup.main(["--repeat", "5"] if quick else []),
        bench_import.main(["--rows", "100000", "--repeat", "1"] if quick else []),
        bench_find.main(["--accounts", "50000", "--queries", "50"] if quick else []),
        bench_tiers.main(["--accounts", "50000", "--repeat", "2", "--explain", "50"] if quick else []),
        bench_slack.main(["--accounts", "10000", "--rounds", "1"] if quick else []),
        bench_notes.main(["--accounts", "50000", "--drafts", "20"] if quick else []),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
