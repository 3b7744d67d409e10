"""The commands of the conversational surfaces, each a thin call into one workflow."""

from __future__ import annotations

import re
from typing import Any

from bot.answers import HelpText, Note
from bot.router import Command, Router, Session
from engine.errors import InputError
from engine.rules import parse_amounts
from workflows.drafting import note_for
from workflows.gaps import data_gaps
from workflows.handoffs import list_handoffs, operator, propose_handoff
from workflows.lookup import find_account
from workflows.rules import list_rule_sets, propose, show_rule_set, simulate_rule_set
from workflows.status import workspace_status
from workflows.tiers import explain_tier, parse_day, tier_history, tier_summary


def _import(session: Session, argument: str) -> Any:
    kind = "csms" if argument.strip().lower().startswith("csm") else "accounts"
    return Note(
        f"Importing a file is a command-line step: in a terminal, run `tierbot import {kind} FILE` "
        "(`tierbot import accounts -h` explains the options). `import status` shows what was imported."
    )


def _find(session: Session, argument: str) -> Any:
    if not argument:
        raise InputError("Say which account: `find acme` or `find ACC-0000001`.")
    return find_account(session.store, argument, session.names)


def _gaps(session: Session, argument: str) -> Any:
    return data_gaps(session.store)


def _status(session: Session, argument: str) -> Any:
    return workspace_status(session.store)


def _tier(session: Session, argument: str) -> Any:
    if not argument:
        raise InputError("Say which account: `tier acme` or `tier ACC-0000001`.")
    return explain_tier(session.store, argument, clock=session.clock, names=session.names, books=session.books)


def _tier_history(session: Session, argument: str) -> Any:
    if not argument:
        raise InputError("Say which account: `tier history acme`.")
    return tier_history(session.store, argument, names=session.names)


_AS_OF = re.compile(r"^(?P<prefix>(?:as[\s-]+of|on)\s+)?(?P<day>.+)$", re.IGNORECASE)
TIERS_USAGE = "`tiers` or `tiers as of 2026-06-30`"


def _tiers(session: Session, argument: str) -> Any:
    as_of = None
    found = _AS_OF.match(argument.strip())
    if found is not None:
        if not found["prefix"] and not found["day"][:1].isdigit():
            raise InputError(f"Say {TIERS_USAGE} (the tier table under the rule set in effect that day).")
        as_of = parse_day(found["day"], "as of")
    return tier_summary(session.store, clock=session.clock, books=session.books, as_of=as_of)


RULES_USAGE = "`rules`, `rules show NAME` (or `rules show` for the active one)"


def _rules(session: Session, argument: str) -> Any:
    words = argument.split()
    if not words or words == ["list"]:
        return list_rule_sets(session.store)
    if words[0].lower() == "show":
        return show_rule_set(session.store, " ".join(words[1:]) or None)
    raise InputError(f"Say {RULES_USAGE}.")


_PROPOSE = re.compile(
    r"^(?:tiers?\s+)?by\s+(?P<by>arr\s*share|account\s*share|arr)\s+(?P<numbers>.+?)"
    r"(?:\s+within\s+(?P<within>\w+))?\s*$",
    re.IGNORECASE,
)
PROPOSE_USAGE = "propose tiers by arr share 15 40 (or: by account share 12 35; by arr 150000 25000; … within setting)"


def _propose(session: Session, argument: str) -> Any:
    found = _PROPOSE.match(argument.strip())
    numbers = parse_amounts(found["numbers"]) if found else None
    if not found or not numbers:
        raise InputError(f"Say how to band the accounts: `{PROPOSE_USAGE}`.")
    by = re.sub(r"\s+", "", found["by"].lower()).replace("share", "-share")
    return propose(
        session.store,
        actor=session.actor,
        clock=session.clock,
        books=session.books,
        by=by,
        bands=numbers if by != "arr" else None,
        cuts=numbers if by == "arr" else None,
        within=found["within"],
    )


def _simulate(session: Session, argument: str) -> Any:
    if not argument:
        raise InputError("Say which draft: `simulate proposed-arr-share-15-40` (`rules` lists them).")
    return simulate_rule_set(session.store, argument.strip(), clock=session.clock, books=session.books)


_HANDOFF = re.compile(r"^(?P<account>.+?)\s+to\s+(?P<to>.+?)\s+(?:because|for|as)\s+(?P<reason>.+)$", re.IGNORECASE)
HANDOFF_USAGE = "handoff <account> to <csm> because <reason>"


def _handoff(session: Session, argument: str) -> Any:
    found = _HANDOFF.match(argument.strip())
    if not found:
        raise InputError(
            f"Say which account, to whom and why: `{HANDOFF_USAGE}`, e.g. `handoff acme to sam patel because "
            "Jordan is over capacity`."
        )
    return propose_handoff(
        session.store,
        operator(session.actor),
        account=found["account"],
        to=found["to"],
        reason=found["reason"],
        effective=None,
        clock=session.clock,
        names=session.names,
    )


def _draft(session: Session, argument: str) -> Any:
    text = argument.strip().lstrip("#")
    if not text.isdigit():
        raise InputError("Say which handoff: `draft 12` (`handoffs approved` lists them).")
    return note_for(session.store, int(text), writer=session.writer, actor=session.actor, clock=session.clock)


def _handoffs(session: Session, argument: str) -> Any:
    return list_handoffs(session.store, argument.strip() or "open")


def build_router() -> Router:
    """The router with every command that exists so far."""
    commands: list[Command] = [
        Command(
            "find",
            "find <account or CRM id>",
            "Look an account up by name, part of it, a misspelling or its CRM id.",
            "find acme",
            _find,
            ("account", "lookup"),
        ),
        Command("import", "import …", "How to import a CRM export or the roster.", "import accounts", _import),
        Command(
            "import status",
            "import status",
            "What the store holds and the latest imports.",
            "import status",
            _status,
            ("status", "imports"),
        ),
        Command(
            "gaps",
            "gaps",
            "Which fields are blank on how many accounts, and what that blocks.",
            "gaps",
            _gaps,
            ("data gaps",),
        ),
        Command(
            "tier",
            "tier <account>",
            "The account's tier and why: the rule and its conditions, overrides, the previous tier.",
            "tier acme corp",
            _tier,
            ("why",),
        ),
        Command(
            "tier history",
            "tier history <account>",
            "How the account's tier changed.",
            "tier history acme corp",
            _tier_history,
        ),
        Command(
            "tiers",
            "tiers [as of DATE]",
            "The tier table: accounts and ARR per tier (under the rule set in effect on DATE).",
            "tiers as of 2026-06-30",
            _tiers,
            ("segments", "segment"),
        ),
        Command(
            "rules",
            "rules [show NAME]",
            "The rule sets (active, drafts, archived), or one rule set's rules in words.",
            "rules show fy27-tiers",
            _rules,
            ("rule sets",),
        ),
        Command(
            "propose",
            "propose tiers by arr share 15 40",
            "Propose thresholds for target bands (also: by account share, by arr); saved as a draft.",
            "propose tiers by arr share 15 40",
            _propose,
        ),
        Command(
            "simulate",
            "simulate <draft>",
            "Who would move under a draft rule set; nothing changes.",
            "simulate proposed-arr-share-15-40",
            _simulate,
            ("what if", "whatif"),
        ),
    ]
    commands += [
        Command(
            "handoff",
            HANDOFF_USAGE,
            "Propose moving an account to another CSM; a manager of either CSM decides.",
            "handoff acme health to sam patel because rebalancing NA",
            _handoff,
        ),
        Command(
            "draft",
            "draft <handoff>",
            "The customer note of an approved handoff (drafted first when it has none).",
            "draft 1",
            _draft,
            ("note",),
        ),
        Command(
            "handoffs",
            "handoffs [state]",
            "Handoffs still open (or in one state: proposed, approved, completed…).",
            "handoffs",
            _handoffs,
        ),
    ]
    help_command = Command(
        "help", "help", "This list.", "help", lambda s, a: HelpText(tuple(commands)), ("?", "commands")
    )
    commands.append(help_command)
    return Router(commands, fallback="find")
