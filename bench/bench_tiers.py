"""Tier a million accounts with a 10-rule set, and explain one account on a million-account store.

Tiering: tierbot's vectorised path (derived fields included) against the obvious peer, a plain
per-row Python loop that evaluates the same rules with the same semantics, first match wins.
Both run on the same book in the same process; the peer runs once on a sample and is scaled, as
a full run takes minutes. Targets: a median under 1 second, at least 10× the peer.

Explaining: ``explain_tier`` for random accounts, by CRM id and by name, in a warm process (as
the chat and the Slack bot run it) on a store holding the demo's million accounts. Target: a
median under 5 ms.

    python -m bench.bench_tiers [--accounts 1000000] [--repeat 5] [--explain 200]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import pandas as pd
import yaml

from bench.common import PeerDisagrees, median_of, report, timed
from engine.decisions import trace
from engine.demo import demo_workspace
from engine.rules import RuleSet, parse_rule_set
from engine.tiering import assign_tiers, prepare_book
from store import open_store
from workflows.books import BookCache
from workflows.clock import FixedClock
from workflows.demo import load_demo
from workflows.lookup import NameIndex
from workflows.rules import load_rule_set
from workflows.tiers import AmbiguousAccount, explain_tier

TEN_RULES = """
name: bench-ten
tiers: [Strategic, Enterprise, Mid-Market, Growth, SMB]
rules:
  - tier: Strategic
    when: {strategic: true}
  - tier: Enterprise
    when: {expected_arr: {">=": 250000}}
  - tier: Enterprise
    when: {all: [{arr_share_rank: {"<=": 0.3}}, {region: {in: [NA, EMEA]}}]}
  - tier: Enterprise
    when: {all: [{setting: {in: [hospital, health system]}}, {arr: {">=": 75000}}]}
  - tier: Mid-Market
    when: {all: [{arr: {">=": 50000}}, {plan: {in: [Professional, Enterprise]}}]}
  - tier: Mid-Market
    when: {arr_percentile: {">=": 90}}
  - tier: Mid-Market
    when: {all: [{days_to_renewal: {"<=": 90}}, {arr: {">=": 25000}}]}
  - tier: Growth
    when: {any: [{employees: {">=": 500}}, {potential_arr: {">=": 40000}}]}
  - tier: Growth
    when: {all: [{health: red}, {arr: {">=": 10000}}, {not: {industry: {empty: true}}}]}
  - tier: SMB
    default: true
"""
AS_OF = date(2026, 11, 22)


def ten_rules() -> RuleSet:
    return parse_rule_set(yaml.safe_load(TEN_RULES))[0]


def per_row_loop(book: pd.DataFrame, rule_set: RuleSet) -> list[str | None]:
    """The peer: every account, every rule in turn, plain Python comparisons."""
    tiers: list[str | None] = []
    for row in book.to_dict("records"):
        tier = None
        for rule in rule_set.rules:
            if rule.default or rule.when is None or trace(rule.when, row).held:
                tier = rule.tier
                break
        tiers.append(tier)
    return tiers


def bench_tiering(accounts: int, repeat: int) -> bool:
    print(f"tiers: generating {accounts:,} accounts…", flush=True)
    frame = demo_workspace(accounts).accounts
    rule_set = ten_rules()
    ours = [timed(lambda: assign_tiers(prepare_book(frame, AS_OF), rule_set)) for _ in range(repeat)]
    sample = min(accounts, 100_000)
    prepared = prepare_book(frame, AS_OF)
    start = time.perf_counter()
    peer_tiers = per_row_loop(prepared.iloc[:sample], rule_set)
    peer = (time.perf_counter() - start) * accounts / sample
    bulk = assign_tiers(prepared, rule_set)["tier"].iloc[:sample].tolist()
    if bulk != peer_tiers:
        print("tiers: PEER DISAGREES: the per-row loop and the vectorised path give other tiers")
        raise PeerDisagrees("tiers: the per-row loop and the vectorised path give other tiers")
    met = report(
        f"tier {accounts:,} accounts, 10 rules (median of {repeat}; peer timed on {sample:,} and scaled)",
        median_of(ours),
        peer,
        "per-row loop",
        "s",
        target=0.1,
    )
    under_a_second = median_of(ours) < 1.0
    print(f"  target: median under 1 s → {'met' if under_a_second else 'MISSED'}")
    return met and under_a_second


def bench_explain(accounts: int, queries: int) -> bool:
    clock = FixedClock(datetime(2026, 11, 22, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "explain.db"
        print(f"explain: loading {accounts:,} demo accounts…", flush=True)
        with open_store(db) as store:
            load_demo(store, actor="bench", clock=clock, accounts=accounts)
            (Path(tmp) / "ten.yml").write_text(TEN_RULES)
            load_rule_set(store, Path(tmp) / "ten.yml", actor="bench", clock=clock)
            picks = store.query("SELECT crm_id, name FROM accounts ORDER BY random() LIMIT ?", (queries,))
            names, books = NameIndex(), BookCache()
            explain_tier(store, picks[0]["crm_id"], clock=clock, names=names, books=books)  # warm the caches
            by_id = [
                timed(partial(explain_tier, store, p["crm_id"], clock=clock, names=names, books=books)) for p in picks
            ]
            by_name = []
            for p in picks:
                start = time.perf_counter()
                # A name several accounts share is refused as ambiguous: that is an answer too.
                with contextlib.suppress(AmbiguousAccount):
                    explain_tier(store, p["name"], clock=clock, names=names, books=books)
                by_name.append(time.perf_counter() - start)
    median_ms = median_of(by_id) * 1000
    print(
        f"explain one account among {accounts:,}: by CRM id {median_ms:.2f} ms median, "
        f"by name {median_of(by_name) * 1000:.2f} ms median (of {len(picks)}); "
        f"target: under 5 ms → {'met' if median_ms < 5 else 'MISSED'}"
    )
    return median_ms < 5


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", type=int, default=200)
    args = parser.parse_args(argv)
    results = [bench_tiering(args.accounts, args.repeat), bench_explain(args.accounts, args.explain)]
    return all(results)


if __name__ == "__main__":
    main()
