"""Whole commands against their peers on demo stores of 10,000, 100,000 and 1,000,000 accounts.

Every figure is a whole process (interpreter start, imports, reading, writing): wall-clock seconds
from spawn to exit and the process's own peak resident memory (``wait4``), the median of
``--rounds`` rounds in which tierbot and its peers alternate (the order flips every round), so a
busy moment hits both. Each command and peer runs once untimed first (the page cache, anything
tierbot builds on first use, such as its columnar copy of the book), then the peers' answers are
checked against tierbot's: a peer that gets other data is no peer, and its line says PEER
DISAGREES.

    tier ACCOUNT      explain one account from the middle of the book | sqlite3 CLI selecting its row
    tiers apply       tier the book under fy27-tiers (already tiered:   | polars over ADBC, same tiers
                      nothing changes)
    rules simulate    the movers matrix from fy27-tiers to fy26-tiers   | polars, both rule sets
    export accounts   every account to a CSV file                       | sqlite3 -csv -header
    import accounts   a CRM export into a fresh store                   | DuckDB read_csv; pandas+pyarrow
                                                                          with tierbot's checks

Targets (issue 15's, for 1,000,000 accounts; judged at the largest size of the run):
``tier`` within 2× of its time at the smallest size, ≤ 0.6 s and ≤ 300 MB; ``tiers apply`` and
``rules simulate`` within 1.5× of polars and ≤ 1,000 MB; ``export accounts`` within 2× of the
sqlite3 CLI, with memory flat in book size (the peak at the largest size ≤ 1.5× the peak at the
next size down); ``import accounts`` within 2× of pandas+pyarrow with the same checks and
≤ 1,000 MB. A missed target is printed, not fatal: the run fails only when a command crashes
or a peer disagrees.

The demo stores are built with ``tierbot demo --accounts N`` and cached under
``--cache`` (default: ``tierbot-bench`` in the system temp folder), keyed by size and by a hash
of tierbot's code, so a change to the code builds them afresh; ``--rebuild`` forces it. Each run
works on a copy, so the cached store stays as built.

    python -m bench.bench_commands [--sizes 10000,100000,1000000] [--rounds 5]
        [--commands tier,apply,simulate,export,import] [--cache DIR] [--rebuild]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import CRM_HEADERS, PeerDisagrees, ProcessRun, median_of, run_process

COMMANDS = ("tier", "apply", "simulate", "export", "import")
SHOWN = {
    "tier": "tier ACCOUNT",
    "apply": "tiers apply",
    "simulate": "rules simulate",
    "export": "export accounts",
    "import": "import accounts",
}
DRAFT = "fy26-tiers"  # the demo's archived rule set, simulated against the active fy27-tiers
ROOT = Path(__file__).resolve().parent.parent
TIERBOT = str(Path(sys.executable).with_name("tierbot"))
# What a demo store and the CRM export are built from: a change here builds them afresh.
BUILT_FROM = ("engine", "store", "workflows", "bot", "bench/bench_import.py", "bench/common.py")
MEMORY_LIMIT_MB = 1000.0


# ---------------------------------------------------------------------------------- what runs


@dataclass(frozen=True)
class Contender:
    """One side of a comparison: a command line, where its output goes, what it starts from."""

    label: str
    argv: list[str]
    stdout: Path
    fresh: Path | None = None  # a folder emptied before every run (an import into a fresh store)
    env: dict[str, str] | None = None


@dataclass
class Case:
    """One command at one size: tierbot's run and its peers', and the check that they agree."""

    command: str
    title: str
    contenders: list[Contender]  # tierbot first
    target_peer: str  # the label of the peer the time target compares with
    check: Callable[[], list[str]]  # what the peers got wrong, read after the untimed runs


@dataclass
class Measured:
    command: str
    title: str
    size: int
    runs: dict[str, ProcessRun]  # medians, by label, tierbot first
    target_peer: str

    @property
    def tierbot(self) -> ProcessRun:
        return self.runs["tierbot"]


@dataclass(frozen=True)
class Target:
    command: str
    size: int
    wording: str
    measured: float
    limit: float
    shown: str

    @property
    def met(self) -> bool:
        return self.measured <= self.limit


@dataclass(frozen=True)
class Book:
    """A demo store of ``size`` accounts copied for this run, its scratch folder, the CRM export."""

    size: int
    db: Path
    scratch: Path
    csv: Path | None  # only when import is measured
    peer_env: dict[str, str] = field(default_factory=dict)

    def out(self, name: str) -> Path:
        return self.scratch / name


def run_once(contender: Contender) -> ProcessRun:
    if contender.fresh is not None:
        shutil.rmtree(contender.fresh, ignore_errors=True)
        contender.fresh.mkdir(parents=True)
    stderr = contender.stdout.with_suffix(".err")
    return run_process(contender.argv, contender.stdout, stderr, contender.env)


def measure(case: Case, size: int, rounds: int) -> tuple[Measured, list[str]]:
    """Warm up, check the peers, then the timed rounds; the medians and what the peers got wrong."""
    for contender in case.contenders:
        run_once(contender)
    wrong = case.check()
    samples: dict[str, list[ProcessRun]] = {c.label: [] for c in case.contenders}
    for i in range(rounds):
        order = case.contenders if i % 2 == 0 else case.contenders[::-1]
        for contender in order:
            samples[contender.label].append(run_once(contender))
    medians = {
        label: ProcessRun(median_of([r.seconds for r in runs]), median_of([r.peak_mb for r in runs]))
        for label, runs in samples.items()
    }
    return Measured(case.command, case.title, size, medians, case.target_peer), wrong


def _output_of(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {done.returncode}: {done.stderr.strip()[-600:]}")
    return done.stdout


# ---------------------------------------------------------------------------------- the commands


def _sqlite3_cli() -> str | None:
    return shutil.which("sqlite3")


def _python_peer(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.command_peers", *args]


def tier_case(book: Book) -> Case:
    with contextlib.closing(sqlite3.connect(book.db)) as conn:
        crm_id, name = conn.execute(
            "SELECT crm_id, name FROM accounts ORDER BY crm_id LIMIT 1 OFFSET ?", (book.size // 2,)
        ).fetchone()
    ours = Contender("tierbot", [TIERBOT, "--db", str(book.db), "tier", crm_id], book.out("tier-tierbot.out"))
    cli = _sqlite3_cli()
    if cli:
        quoted = crm_id.replace("'", "''")
        argv = [cli, str(book.db), f"SELECT * FROM accounts WHERE crm_id = '{quoted}'"]
        peer = Contender("sqlite3 CLI", argv, book.out("tier-peer.out"))
    else:
        argv = _python_peer("select-one", str(book.db), crm_id)
        peer = Contender("python sqlite3", argv, book.out("tier-peer.out"), env=book.peer_env)

    def check() -> list[str]:
        wrong = []
        if crm_id not in ours.stdout.read_text() or name not in ours.stdout.read_text():
            wrong.append(f"tierbot's answer does not name {name} ({crm_id})")
        if crm_id not in peer.stdout.read_text():
            wrong.append(f"{peer.label} did not print the row of {crm_id}")
        return wrong

    return Case("tier", f"tier {crm_id}", [ours, peer], peer.label, check)


def apply_case(book: Book) -> Case:
    ours = Contender("tierbot", [TIERBOT, "--db", str(book.db), "tiers", "apply"], book.out("apply-tierbot.out"))
    peer = Contender(
        "polars", _python_peer("polars-apply", str(book.db)), book.out("apply-peer.out"), env=book.peer_env
    )

    def check() -> list[str]:
        report = json.loads(_output_of([TIERBOT, "--db", str(book.db), "tiers", "apply", "--json"]))
        tierbot = {row["tier"]: row["accounts"] for row in report["table"] if row["accounts"]}
        theirs = json.loads(peer.stdout.read_text())["tiers"]
        if tierbot == theirs:
            return []
        return [f"accounts per tier: tierbot {tierbot}, polars {theirs}"]

    return Case("apply", "tiers apply", [ours, peer], peer.label, check)


def simulate_case(book: Book) -> Case:
    argv = [TIERBOT, "--db", str(book.db), "rules", "simulate", DRAFT]
    ours = Contender("tierbot", argv, book.out("simulate-tierbot.out"))
    peer = Contender(
        "polars", _python_peer("polars-simulate", str(book.db)), book.out("simulate-peer.out"), env=book.peer_env
    )

    def check() -> list[str]:
        report = json.loads(_output_of([*argv, "--json"]))
        counts = {(r["from"], r["to"]): r["accounts"] for r in report["accounts"] if r["accounts"]}
        arr = {(r["from"], r["to"]): r["arr"] for r in report["arr"]}
        movers = json.loads(peer.stdout.read_text())["movers"]
        their_counts = {(a, b): n for a, b, n, _ in movers}
        their_arr = {(a, b): total for a, b, _, total in movers}
        wrong = []
        if counts != their_counts:
            wrong.append(f"movers matrix (accounts): tierbot {counts}, polars {their_counts}")
        if not all(math.isclose(arr.get(key, 0.0), total, rel_tol=1e-9) for key, total in their_arr.items()):
            wrong.append("movers matrix (ARR): polars's sums differ from tierbot's")
        return wrong

    return Case("simulate", f"rules simulate {DRAFT}", [ours, peer], peer.label, check)


def _store_facts(db: Path) -> tuple[int, int, float]:
    """Accounts, accounts in region NA, total ARR: what every side must agree on."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows, in_na, arr = conn.execute(
            "SELECT count(*), coalesce(sum(region = 'NA'), 0), coalesce(sum(arr), 0) FROM accounts"
        ).fetchone()
    return int(rows), int(in_na), float(arr)


def _csv_facts(path: Path) -> tuple[int, int]:
    """Rows (after the header) and rows whose region is NA, in a CSV file."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader)]
        region = header.index("region") if "region" in header else None
        rows = in_na = 0
        for row in reader:
            rows += 1
            in_na += region is not None and row[region] == "NA"
    return rows, in_na


def export_case(book: Book) -> Case:
    # In a folder of its own, emptied before every run: each export writes a new file.
    folder = book.out("export-tierbot")
    ours_file, peer_file = folder / "accounts.csv", book.out("export-peer.csv")
    argv = [TIERBOT, "--db", str(book.db), "export", "accounts", str(ours_file)]
    ours = Contender("tierbot", argv, book.out("export-tierbot.out"), folder)
    cli = _sqlite3_cli()
    if cli:
        peer = Contender("sqlite3 CLI", [cli, "-csv", "-header", str(book.db), "SELECT * FROM accounts"], peer_file)
    else:
        argv = _python_peer("dump-csv", str(book.db))
        peer = Contender("python csv", argv, peer_file, env=book.peer_env)

    def check() -> list[str]:
        rows, in_na, _ = _store_facts(book.db)
        wrong = []
        for label, path in (("tierbot", ours_file), (peer.label, peer_file)):
            got = _csv_facts(path)
            if got != (rows, in_na):
                said = f"{got[0]:,} rows ({got[1]:,} in region NA); the store holds {rows:,} ({in_na:,})"
                wrong.append(f"{label} wrote {said}")
        return wrong

    return Case("export", "export accounts", [ours, peer], peer.label, check)


def _duckdb_facts(path: Path) -> tuple[int, int, float]:
    import duckdb

    region, arr = CRM_HEADERS["region"], CRM_HEADERS["arr"]
    with duckdb.connect(str(path), read_only=True) as conn:
        found = conn.execute(
            f'SELECT count(*), count(*) FILTER (WHERE "{region}" = \'NA\'), coalesce(sum("{arr}"), 0) FROM accounts'
        ).fetchone()
    assert found is not None  # an aggregate always gives a row
    return int(found[0]), int(found[1]), float(found[2])


def import_case(book: Book) -> Case:
    assert book.csv is not None, "main writes the CRM export when import is measured"
    csv_path = book.csv
    with contextlib.closing(sqlite3.connect(book.db)) as conn:
        (schema,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'accounts'").fetchone()
    folders = {name: book.out(f"import-{name}") for name in ("tierbot", "duckdb", "pandas")}
    ours_db, duck_db, pandas_db = (
        folders["tierbot"] / "store.db",
        folders["duckdb"] / "accounts.duckdb",
        folders["pandas"] / "accounts.db",
    )
    ours = Contender(
        "tierbot",
        [TIERBOT, "--db", str(ours_db), "import", "accounts", str(csv_path)],
        book.out("import-tierbot.out"),
        folders["tierbot"],
    )
    duck = Contender(
        "DuckDB",
        _python_peer("duckdb-import", str(csv_path), str(duck_db)),
        book.out("import-duckdb.out"),
        folders["duckdb"],
        book.peer_env,
    )
    pandas = Contender(
        "pandas+pyarrow+checks",
        _python_peer("pandas-import", str(csv_path), str(pandas_db), schema),
        book.out("import-pandas.out"),
        folders["pandas"],
        book.peer_env,
    )

    def check() -> list[str]:
        tierbot = _store_facts(ours_db)
        wrong = []
        for label, facts in (("DuckDB", _duckdb_facts(duck_db)), (pandas.label, _store_facts(pandas_db))):
            same = facts[:2] == tierbot[:2] and math.isclose(facts[2], tierbot[2], rel_tol=1e-9)
            if not same:
                wrong.append(
                    f"{label} stored {facts[0]:,} rows, {facts[1]:,} in region NA, ARR {facts[2]:,.0f}; "
                    f"tierbot {tierbot[0]:,}, {tierbot[1]:,}, {tierbot[2]:,.0f}"
                )
        return wrong

    return Case("import", "import accounts (fresh store)", [ours, duck, pandas], pandas.label, check)


CASES: dict[str, Callable[[Book], Case]] = {
    "tier": tier_case,
    "apply": apply_case,
    "simulate": simulate_case,
    "export": export_case,
    "import": import_case,
}


# ---------------------------------------------------------------------------------- the stores


def code_version() -> str:
    """A hash of the code a demo store is built with."""
    digest = hashlib.sha256()
    for name in BUILT_FROM:
        top = ROOT / name
        for path in sorted(top.rglob("*.py")) if top.is_dir() else [top]:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _replace_cached(cache: Path, pattern: str, keep: Path) -> None:
    """Remove the cached stores or files of this size built from other code."""
    for old in cache.glob(pattern):
        if old == keep:
            continue
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()


def demo_store(size: int, cache: Path, version: str, rebuild: bool) -> Path:
    """The folder of a demo store of ``size`` accounts, built with the command line if not cached."""
    entry = cache / f"demo-{size}-{version}"
    if rebuild and entry.exists():
        shutil.rmtree(entry)
    if not entry.exists():
        _replace_cached(cache, f"demo-{size}-*", entry)
        print(f"building the {size:,}-account demo store: tierbot demo --accounts {size} …", flush=True)
        # Built beside its final place and renamed, so an interrupted build is never taken for a store.
        building = Path(tempfile.mkdtemp(prefix=f"building-{size}-", dir=cache))
        _output_of([TIERBOT, "--db", str(building / "store.db"), "demo", "--accounts", str(size)])
        building.rename(entry)
    return entry


def crm_export(size: int, cache: Path, version: str, rebuild: bool) -> Path:
    """The demo's accounts as a Salesforce-style CRM export (``bench_import.write_crm_export``), cached."""
    path = cache / f"crm-{size}-{version}.csv"
    if rebuild or not path.exists():
        _replace_cached(cache, f"crm-{size}-*.csv", path)
        print(f"writing a {size:,}-row CRM export…", flush=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            # In a child, so the generator's memory is not held by this process for the rest of the run.
            write = "import sys; from pathlib import Path; from bench.bench_import import write_crm_export as w; "
            write += "print(w(int(sys.argv[1]), Path(sys.argv[2])))"
            written = _output_of([sys.executable, "-c", write, str(size), tmp]).strip()
            Path(written).rename(path)
    return path


# ---------------------------------------------------------------------------------- the report


def short(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return f"{size:,}"


def print_measured(m: Measured) -> None:
    ours = m.tierbot
    sides = [f"tierbot {ours.seconds:7.3f} s {ours.peak_mb:6.0f} MB"]
    for label, run in m.runs.items():
        if label != "tierbot":
            sides.append(f"{label} {run.seconds:.3f} s {run.peak_mb:.0f} MB → {ours.seconds / run.seconds:.2f}× time")
    print(f"  {m.title:<34} " + " | ".join(sides), flush=True)


def print_verdicts(targets: list[Target]) -> None:
    """The targets judged at one size, on one line under its figures."""
    said = [f"{t.wording}: {t.shown} {'met' if t.met else 'MISSED'}" for t in targets]
    print(f"  {'':<34} targets at {short(targets[0].size)}: " + " · ".join(said), flush=True)


def targets_for(command: str, by_size: dict[int, Measured]) -> list[Target]:
    """The issue's targets for ``command``, judged at the largest size measured."""
    sizes = sorted(by_size)
    top = by_size[sizes[-1]]
    ours, size = top.tierbot, top.size
    found: list[Target] = []
    if command == "tier":
        if len(sizes) > 1:
            low = by_size[sizes[0]].tierbot
            ratio = ours.seconds / low.seconds
            found.append(Target(command, size, f"≤ 2× its time at {short(sizes[0])}", ratio, 2.0, f"{ratio:.2f}×"))
        found.append(Target(command, size, "≤ 0.6 s", ours.seconds, 0.6, f"{ours.seconds:.3f} s"))
        found.append(Target(command, size, "≤ 300 MB", ours.peak_mb, 300.0, f"{ours.peak_mb:.0f} MB"))
        return found
    peer = top.runs[top.target_peer]
    ratio = ours.seconds / peer.seconds
    limit = {"apply": 1.5, "simulate": 1.5, "export": 2.0, "import": 2.0}[command]
    found.append(Target(command, size, f"≤ {limit:g}× {top.target_peer}", ratio, limit, f"{ratio:.2f}×"))
    if command == "export":
        if len(sizes) > 1:
            below = by_size[sizes[-2]].tierbot
            grew = ours.peak_mb / below.peak_mb
            wording = f"memory flat: peak ≤ 1.5× the peak at {short(sizes[-2])}"
            shown = f"{ours.peak_mb:.0f} MB against {below.peak_mb:.0f} MB, {grew:.2f}×"
            found.append(Target(command, size, wording, grew, 1.5, shown))
    else:
        shown = f"{ours.peak_mb:.0f} MB"
        found.append(Target(command, size, f"≤ {MEMORY_LIMIT_MB:,.0f} MB", ours.peak_mb, MEMORY_LIMIT_MB, shown))
    return found


def print_scaling(command: str, by_size: dict[int, Measured]) -> None:
    sizes = sorted(by_size)
    if len(sizes) == 1:
        print(f"  {SHOWN[command]}: one size only, no scaling to show")
        return
    runs = [by_size[s].tierbot for s in sizes]
    span = f"{short(sizes[-1])}/{short(sizes[0])}"
    times = " → ".join(f"{r.seconds:.3f}" for r in runs)
    peaks = " → ".join(f"{r.peak_mb:.0f}" for r in runs)
    print(
        f"  {SHOWN[command]} scaling ({' → '.join(short(s) for s in sizes)}): "
        f"time {times} s, {span} {runs[-1].seconds / runs[0].seconds:.2f}× | "
        f"memory {peaks} MB, {span} {runs[-1].peak_mb / runs[0].peak_mb:.2f}×"
    )


# ---------------------------------------------------------------------------------- the run


def _rounds(text: str) -> int:
    rounds = int(text)
    if rounds < 1:
        raise argparse.ArgumentTypeError("at least 1 round")
    return rounds


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one size, e.g. 10000,100000")
    return sizes


def _commands(text: str) -> list[str]:
    asked = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [c for c in asked if c not in COMMANDS]
    if unknown or not asked:
        raise argparse.ArgumentTypeError(f"commands are {', '.join(COMMANDS)}; not {', '.join(unknown) or 'none'}")
    return [c for c in COMMANDS if c in asked]


def main(argv: list[str] | None = None) -> bool:
    """Measure, print, and return whether every target was met; raise PeerDisagrees at the end if a peer did."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_sizes, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--rounds", type=_rounds, default=5)
    parser.add_argument("--commands", type=_commands, default=list(COMMANDS))
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tierbot-bench")
    parser.add_argument("--rebuild", action="store_true", help="build the cached demo stores afresh")
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    version = code_version()
    # The peers run as `python -m bench.command_peers`, which needs the project on the path.
    peer_env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    results: dict[str, dict[int, Measured]] = {c: {} for c in args.commands}
    disagreements: dict[tuple[str, int], list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="tierbot-bench-commands-") as tmp:
        for size in args.sizes:
            stored = demo_store(size, args.cache, version, args.rebuild)
            csv_path = crm_export(size, args.cache, version, args.rebuild) if "import" in args.commands else None
            scratch = Path(tmp) / short(size)
            shutil.copytree(stored, scratch / "store")
            book = Book(size, scratch / "store" / "store.db", scratch, csv_path, peer_env)
            print(
                f"commands on {size:,} accounts: whole processes, medians of {args.rounds} interleaved rounds, "
                "peak resident memory",
                flush=True,
            )
            for command in args.commands:
                measured, wrong = measure(CASES[command](book), size, args.rounds)
                results[command][size] = measured
                print_measured(measured)
                print_verdicts(targets_for(command, results[command]))
                for what in wrong:
                    print(f"  PEER DISAGREES ({SHOWN[command]} at {short(size)}): {what}", flush=True)
                if wrong:
                    disagreements[command, size] = wrong
            shutil.rmtree(scratch)  # a million accounts' copies and outputs take a few GB
    targets = summarise(results, args.sizes)
    checks = len(args.sizes) * len(args.commands)
    agreed = checks - len(disagreements)
    missed = [t for t in targets if not t.met]
    print(
        f"commands summary: {len(targets)} targets, {len(targets) - len(missed)} met, {len(missed)} MISSED"
        + (f" ({'; '.join(f'{SHOWN[t.command]} {t.wording} at {short(t.size)}' for t in missed)})" if missed else "")
        + f"; peers agreed with tierbot in {agreed} of {checks} checks"
        + ("" if not disagreements else " — PEER DISAGREES in the others, their figures compare nothing")
    )
    if disagreements:
        said = "; ".join(f"{SHOWN[c]} at {short(n)}: {' '.join(w)}" for (c, n), w in disagreements.items())
        raise PeerDisagrees(said)
    return not missed


def summarise(results: dict[str, dict[int, Measured]], sizes: list[int]) -> list[Target]:
    """Print the scaling and the targets of each command; return the targets."""
    largest = max(sizes)
    note = "" if largest >= 1_000_000 else f"; this run's largest size is {largest:,}"
    print(f"targets (issue 15's, for 1,000,000 accounts, judged at the largest size{note}):")
    targets: list[Target] = []
    for command, by_size in results.items():
        print_scaling(command, by_size)
        for target in targets_for(command, by_size):
            targets.append(target)
            verdict = "met" if target.met else "MISSED"
            print(f"    at {short(target.size)}, target {target.wording}: {target.shown} → {verdict}")
    return targets


if __name__ == "__main__":
    main()
