"""Check a customer note draft for other customers' names among a million accounts, against a scan.

Builds a store with the demo workspace (``--accounts``, default 1,000,000), gives every 50th
account a legal suffix ("Inc", "GmbH", "S.A."…: the demo names have none), approves a handoff of
an account the guardrails let move (Marcus Chen moves one of Jordan Blake's to Sam Patel) and
drafts its note with the template. It then checks ``--drafts`` (default 50) drafts: the template
draft, and variants that name 1–3 random other accounts (some with their legal suffix dropped) or
only carry random capitalised words (half of them words account names use), in a warm process as
the Slack bot and the CLI run it.

tierbot's way is the validator's: ``name_phrases`` proposes the runs of words a name could be,
and they are looked up among every account's name key (an indexed table, built once after the
accounts change: its one-off time is reported apart). The peer is the obvious code: load every
account name into Python once (its one-off load time is reported apart too), then test each
against the draft with a case-insensitive substring check. Both the other-customer check alone
and tierbot's whole ``check_note`` (every rule) are compared with the peer's scan. The target is
a median under 50 ms per draft for ``check_note`` at 1,000,000 accounts; the run fails if a
variant naming a customer is not caught or a draft naming none is flagged.

    python -m bench.bench_notes [--accounts 1000000] [--drafts 50]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.common import median_of, report
from engine.drafts import RULE_OTHER_CUSTOMER, Draft, DraftFacts, name_key, name_phrases
from engine.drafts import _check_other_customers as check_other_customers  # the one rule check_note runs here
from store import Store, open_store
from workflows.clock import FixedClock
from workflows.demo import load_demo
from workflows.drafting import NoteWriter, check_note, customers_in, note_facts, template_note
from workflows.handoffs import decide_handoff, person_named, request_handoff

LEGAL = (" Inc", " LLC", " GmbH", " Ltd", " S.A.", " Pty Ltd", " B.V.", " Corp")
SUFFIXED_EVERY = 50  # every 50th account (by rowid) gets one of LEGAL
PLAIN_WORDS = "Roadmap Kickoff Dashboard Quarterly Zoom Slack Onboarding Europe Friday Q3 Tuesday API".split()
MENTIONS = (
    "We made the same change for {} last spring.",
    "Like {}, you will keep your quarterly review.",
    "{} found the transition painless.",
    "Sam also looks after {}.",
)
NOISE = (
    "Please bring the {} and {} figures.",
    "The {} notes are attached, with the {} plan.",
    "Sam will share the {} update before {}.",
)


@dataclass(frozen=True)
class Case:
    draft: Draft
    names: tuple[str, ...]  # the accounts it names (their full names), none for a clean draft


def add_legal_suffixes(store: Store) -> int:
    """Append a legal suffix to every ``SUFFIXED_EVERY``-th account (the FTS trigger reindexes them)."""
    cases = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(LEGAL))
    with store.transaction():
        cursor = store.execute(
            f"UPDATE accounts SET name = name || CASE (rowid / ?) % {len(LEGAL)} {cases} END WHERE rowid % ? = 7",
            (SUFFIXED_EVERY, SUFFIXED_EVERY),
        )
    return cursor.rowcount


def movable_account(store: Store) -> str:
    """One of Jordan Blake's accounts every handoff guardrail lets move to Sam Patel."""
    return str(
        store.scalar(
            "SELECT crm_id FROM accounts WHERE owner = 'jordan-blake' AND strategic = 0 AND health = 'green' "
            "AND industry = 'Healthcare' AND region = 'NA' AND renewal_date > '2027-03-01' ORDER BY crm_id LIMIT 1"
        )
    )


def without_suffix(name: str) -> str:
    for suffix in LEGAL:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def make_cases(store: Store, clean: Draft, facts: DraftFacts, count: int, rng: random.Random) -> list[Case]:
    """The clean draft, then variants: four in five name 1–3 other accounts, the rest only add words."""
    top = int(str(store.scalar("SELECT max(rowid) FROM accounts") or 0))
    own = name_key(facts.account_name)
    vocabulary = [str(r[0]) for r in store.rows("SELECT term FROM accounts_fts_terms WHERE length(term) > 3")]

    def other_name() -> str:
        """A random account's name; one in three has a legal suffix (the mention drops half of those)."""
        while True:
            if rng.random() < 1 / 3:
                rowid = rng.randrange(top // SUFFIXED_EVERY) * SUFFIXED_EVERY + 7
            else:
                rowid = rng.randint(1, top)
            name = store.scalar("SELECT name FROM accounts WHERE rowid = ?", (rowid,))
            if name is not None and name_key(str(name)) != own:
                return str(name)

    def word() -> str:
        return rng.choice(vocabulary).capitalize() if rng.random() < 0.5 else rng.choice(PLAIN_WORDS)

    cases = [Case(clean, ())]
    head, sign_off = clean.body.rsplit("\n\nBest regards", 1)
    for i in range(1, count):
        names = () if i % 5 == 0 else tuple(other_name() for _ in range(rng.randint(1, 3)))
        sentences = [rng.choice(MENTIONS).format(without_suffix(n) if rng.random() < 0.5 else n) for n in names]
        sentences += [rng.choice(NOISE).format(word(), word()) for _ in range(rng.randint(1, 3))]
        rng.shuffle(sentences)
        body = f"{head}\n\n{' '.join(sentences)}\n\nBest regards{sign_off}"
        cases.append(Case(Draft(clean.subject, body), names))
    return cases


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--drafts", type=int, default=50)
    args = parser.parse_args(argv)
    rng = random.Random(23)
    clock = FixedClock(datetime(2026, 11, 22, 9, 30, tzinfo=UTC))
    writer = NoteWriter()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "notes.db"
        print(f"notes: loading {args.accounts:,} demo accounts…", flush=True)
        with open_store(db) as store:
            start = time.perf_counter()
            load_demo(store, actor="bench", clock=clock, accounts=args.accounts)
            print(f"  loaded in {time.perf_counter() - start:.0f} s", flush=True)
            suffixed = add_legal_suffixes(store)
            marcus = person_named(store, "marcus-chen")
            handoff = request_handoff(
                store,
                marcus,
                crm_id=movable_account(store),
                to_csm="sam-patel",
                reason="capacity: Jordan is over capacity and their admin keeps escalating",
                effective="2026-12-07",
                clock=clock,
            )
            handoff = decide_handoff(store, handoff.id, approve=True, person=marcus, clock=clock)
            facts, style = note_facts(store, handoff)
            cases = make_cases(store, template_note(facts, style), facts, args.drafts, rng)
            start = time.perf_counter()
            withheld = (handoff.reason,)  # checked as drafting checks it: the reason as typed is not repeated
            check_note(store, cases[0].draft, facts, writer, withheld=withheld)  # warm: keys every name once
            keying = time.perf_counter() - start
            lookup: list[float] = []
            full: list[float] = []
            caught = missed = flagged = 0
            for case in cases:
                start = time.perf_counter()
                check_other_customers(case.draft, facts, customers_in(store))
                lookup.append(time.perf_counter() - start)
                start = time.perf_counter()
                problems = check_note(store, case.draft, facts, writer, withheld=withheld)
                full.append(time.perf_counter() - start)
                reported = any(p.rule == RULE_OTHER_CUSTOMER for p in problems)
                if not case.names:
                    clean_ok = not problems if case is cases[0] else not reported
                    flagged += not clean_ok
                    continue
                # Which accounts it found (the problem's message quotes only the first three).
                found = set(customers_in(store)(name_phrases(case.draft.subject) + name_phrases(case.draft.body)))
                if reported and all(n in found for n in case.names):
                    caught += 1
                else:
                    missed += 1
                    for name in (n for n in case.names if n not in found):
                        print(f"  MISSED {name!r} ({len(name_key(name))} words in its key)")
        start = time.perf_counter()
        with sqlite3.connect(db) as conn:
            names = [(str(r[0]), str(r[0]).lower()) for r in conn.execute("SELECT name FROM accounts")]
        conn.close()
        peer_load = time.perf_counter() - start
        peer: list[float] = []
        peer_caught = 0
        for case in cases:
            start = time.perf_counter()
            text = f"{case.draft.subject}\n{case.draft.body}".lower()
            hits = [name for name, low in names if low in text and name != facts.account_name]
            peer.append(time.perf_counter() - start)
            peer_caught += bool(case.names) and all(n in hits for n in case.names)
    naming = sum(1 for c in cases if c.names)
    report(
        f"other customers in a note, {args.accounts:,} accounts (median of {len(cases)})",
        median_of(lookup),
        median_of(peer),
        "Python substring scan",
        "ms",
        target=None,
    )
    report(
        f"whole check_note, {args.accounts:,} accounts (median of {len(cases)})",
        median_of(full),
        median_of(peer),
        "Python substring scan",
        "ms",
        target=None,
    )
    median_ms = median_of(full) * 1000
    p95 = sorted(full)[int(len(full) * 0.95)] * 1000
    at = "" if args.accounts == 1_000_000 else f" (measured at {args.accounts:,})"
    print(
        f"  target at 1,000,000 accounts: check_note median < 50 ms per draft → "
        f"{'met' if median_ms < 50 else 'MISSED'}{at}; p95 {p95:.2f} ms"
    )
    kinds = {"clean": [0], "naming others": [], "words only": []}
    for i, case in enumerate(cases[1:], 1):
        kinds["naming others" if case.names else "words only"].append(i)
    print(
        "  tierbot check_note median by draft: "
        + "; ".join(f"{k} {median_of([full[i] for i in v]) * 1000:.2f} ms ({len(v)})" for k, v in kinds.items() if v)
    )
    print(
        f"  one-off: tierbot keys every name in {keying:.2f} s (after names change); "
        f"the peer loads {len(names):,} names in {peer_load * 1000:.0f} ms; "
        f"{suffixed:,} accounts given a legal suffix"
    )
    print(
        f"  caught {caught}/{naming} drafts naming other customers (peer {peer_caught}/{naming}); "
        f"{flagged} of {len(cases) - naming} drafts naming none flagged"
    )
    return missed == 0 and flagged == 0


if __name__ == "__main__":
    main()
