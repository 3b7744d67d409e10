"""Find an account the way people type it: by CRM id, exact name, part of a name or a misspelling.

The path is the measured-fast one for a million accounts: the primary key, then the full-text
index (every word as a prefix), then typo correction of the words the index does not know
against the index's own vocabulary, then a rapidfuzz ranking of the few candidates found.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from engine.errors import AccountNotFound, InputError
from engine.matching import Candidate, correct_word, name_tokens, rank_names
from store import Store, meta
from store import accounts as account_queries

CANDIDATES = 500
ALTERNATIVES = 4
_MIN_SCORE = 50.0
_ALTERNATIVE_GAP = 25.0


@dataclass(frozen=True)
class AccountMatch:
    """An account found for a query, with how well it matches (0-100)."""

    crm_id: str
    name: str
    arr: float
    score: float
    owner: str | None = None
    owner_name: str | None = None
    region: str | None = None
    renewal_date: str | None = None


@dataclass(frozen=True)
class FindResult:
    """The best match for a query and the close alternatives."""

    query: str
    best: AccountMatch
    alternatives: tuple[AccountMatch, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()  # (typed word, word used)
    matched_by: str = "name"  # "crm id", "name" or "corrected name"

    @property
    def ambiguous(self) -> bool:
        """Several accounts match about equally well: a person should pick one."""
        if self.matched_by == "crm id" or not self.alternatives:
            return False
        return self.best.score < 100 and self.alternatives[0].score >= self.best.score - 3


@dataclass
class NameIndex:
    """The words of all account names, kept in memory between lookups.

    A long-running process (the chat, the Slack bot) keeps one and passes it to every
    ``find_account``; it reloads when the accounts change.
    """

    version: int = -1
    words: list[str] = field(default_factory=list)

    def vocabulary(self, store: Store) -> list[str]:
        current = meta.version(store, "accounts_version")
        if current != self.version:
            self.words = sorted(account_queries.name_terms(store))
            self.version = current
        return self.words

    def has_prefix(self, store: Store, word: str) -> bool:
        words = self.vocabulary(store)
        i = bisect.bisect_left(words, word)
        return i < len(words) and words[i].startswith(word)


def _quote(word: str) -> str:
    return '"' + word.replace('"', "") + '"'


def _any_of(words: list[str]) -> str:
    return "(" + " OR ".join(f"{_quote(w)}*" for w in words) + ")"


def find_account(store: Store, text: str, index: NameIndex | None = None) -> FindResult:
    """Find the account ``text`` most likely means, with close alternatives.

    Raises ``AccountNotFound`` (with suggestions when there are any) when nothing matches.
    """
    query = " ".join(text.split())
    if not query:
        raise InputError("Type part of an account name or its CRM id, for example `acme`.")
    index = index or NameIndex()
    for crm_id in dict.fromkeys((query, query.upper())):
        row = account_queries.get(store, crm_id)
        if row is not None:
            return FindResult(query, _match(store, row["crm_id"], 100.0), matched_by="crm id")
    words = name_tokens(query)
    if not words:
        raise AccountNotFound(query)
    found = account_queries.search_names(store, " AND ".join(f"{_quote(w)}*" for w in words), CANDIDATES)
    corrections: list[tuple[str, str]] = []
    matched_by = "name"
    if not found:
        matched_by = "corrected name"
        groups = []
        for word in words:
            if index.has_prefix(store, word):
                groups.append([word])
                continue
            fixes = correct_word(word, index.vocabulary(store))
            if fixes:
                groups.append(fixes)
                corrections.append((word, fixes[0]))
        if groups:
            found = account_queries.search_names(store, " AND ".join(_any_of(g) for g in groups), CANDIDATES)
            if not found:
                found = account_queries.search_names(
                    store, " OR ".join(_any_of(g) for g in groups), CANDIDATES
                )
    ranked = [r for r in rank_names(query, [Candidate(*c) for c in found]) if r.score >= _MIN_SCORE]
    if not ranked:
        raise AccountNotFound(query)
    best = ranked[0]
    others = [r for r in ranked[1:] if r.score >= best.score - _ALTERNATIVE_GAP][:ALTERNATIVES]
    return FindResult(
        query=query,
        best=_match(store, best.crm_id, best.score),
        alternatives=tuple(_match(store, r.crm_id, r.score) for r in others),
        corrections=tuple(corrections),
        matched_by=matched_by,
    )


def _match(store: Store, crm_id: str, score: float) -> AccountMatch:
    row = account_queries.summary(store, crm_id)
    return AccountMatch(
        crm_id=row["crm_id"],
        name=row["name"],
        arr=float(row["arr"]),
        score=score,
        owner=row["owner"],
        owner_name=row["owner_name"],
        region=row["region"],
        renewal_date=row["renewal_date"],
    )
