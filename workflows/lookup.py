"""Find an account the way people type it: by CRM id, exact name, part of a name or a misspelling.

The path is the measured-fast one for a million accounts: the primary key, then the full-text
index (every word as a prefix), then typo correction of the words the index does not know
against the index's own vocabulary, then a rapidfuzz ranking of the few candidates found.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import asdict, dataclass, field

from engine.errors import AccountNotFound, InputError
from engine.formatting import money
from engine.matching import LEGAL_SUFFIXES, Candidate, correct_word, name_tokens, rank_names
from store import Store, meta, records
from store import accounts as account_queries

CANDIDATES = 500
ALTERNATIVES = 4
_MIN_SCORE = 50.0
_ALTERNATIVE_GAP = 25.0
_SUGGEST = 60.0  # whole-name similarity a "did you mean" needs
_NEAR_TIE = 3.0  # below a perfect match, scores this close are as good as equal
_SAME_NAME = 50  # accounts sharing one name, all listed (past ALTERNATIVES) so none is hidden


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
        """Several accounts match about equally well: a person should pick one.

        One rule for every surface: the CRM id always picks one; two accounts with the same name
        (or the same score, even a perfect one) never resolve to either; nor do near ties.
        """
        return len(self.matches) > 1

    @property
    def matches(self) -> tuple[AccountMatch, ...]:
        """The accounts the query may mean: the best alone, or every match a person must choose from."""
        if self.matched_by == "crm id" or not self.alternatives:
            return (self.best,)
        key = name_tokens(self.best.name)
        tied = any(m.score >= self.best.score or name_tokens(m.name) == key for m in self.alternatives)
        close = self.best.score < 100 and self.alternatives[0].score >= self.best.score - _NEAR_TIE
        return (self.best, *self.alternatives) if tied or close else (self.best,)


@dataclass
class NameIndex:
    """The words of all account names and how many accounts use each, kept between lookups.

    A long-running process (the chat, the Slack bot) keeps one and passes it to every
    ``find_account``; it reloads when the accounts change.
    """

    version: int = -1
    accounts: int = 0
    documents: dict[str, int] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    by_length: dict[int, list[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def refresh(self, store: Store) -> NameIndex:
        with self._lock:  # the Slack bot looks up on several threads; one reload at a time
            current = meta.version(store, "accounts_version")
            if current != self.version:
                documents = account_queries.name_terms(store)
                words = sorted(documents)
                by_length: dict[int, list[str]] = {}
                for word in words:
                    by_length.setdefault(len(word), []).append(word)
                self.documents, self.words, self.by_length = documents, words, by_length
                self.accounts = records.count(store, "accounts")
                self.version = current
        return self

    def completions(self, prefix: str) -> list[str]:
        """Words that start with ``prefix``."""
        i = bisect.bisect_left(self.words, prefix)
        out = []
        while i < len(self.words) and self.words[i].startswith(prefix):
            out.append(self.words[i])
            i += 1
        return out

    def corrections(self, word: str) -> list[str]:
        """Words a typo away from ``word`` (only words of about its length are compared)."""
        nearby = [w for n in range(len(word) - 2, len(word) + 3) for w in self.by_length.get(n, [])]
        return correct_word(word, nearby)


@dataclass(frozen=True)
class _Term:
    """One word of a query as the index will search it."""

    fts: str  # the FTS5 expression for it
    documents: int  # how many accounts it matches at most


# A word in more than this share of names narrows nothing and is costly to intersect ("of",
# "health"): it is left to the ranking instead of the index query.
_COMMON = 0.2


def _plan(words: list[str], index: NameIndex) -> tuple[list[_Term], list[tuple[str, str]], int]:
    """How to search each word: exactly, as a prefix (the last word, maybe half-typed) or corrected."""
    terms: list[_Term] = []
    corrections: list[tuple[str, str]] = []
    unknown = 0
    for position, word in enumerate(words):
        if word in index.documents:
            terms.append(_Term(_quote(word), index.documents[word]))
            continue
        completions = index.completions(word) if position == len(words) - 1 else []
        if completions:
            terms.append(_Term(f"{_quote(word)}*", sum(index.documents[w] for w in completions)))
            continue
        if word in LEGAL_SUFFIXES:
            continue  # "Acme Inc" finds "Acme Corp": the legal form is not part of the name's identity
        fixes = index.corrections(word)
        if fixes:
            corrections.append((word, fixes[0]))
            expression = "(" + " OR ".join(_quote(f) for f in fixes) + ")"
            terms.append(_Term(expression, sum(index.documents[f] for f in fixes)))
        else:
            unknown += 1
    return terms, corrections, unknown


def _quote(word: str) -> str:
    return '"' + word.replace('"', "") + '"'


def find_account(store: Store, text: str, index: NameIndex | None = None) -> FindResult:
    """Find the account ``text`` most likely means, with close alternatives.

    Raises ``AccountNotFound`` (with suggestions when there are any) when nothing matches.
    """
    query = " ".join(text.split())
    if not query:
        raise InputError("Type part of an account name or its CRM id, for example `acme`.")
    for crm_id in dict.fromkeys((query, query.upper())):
        row = account_queries.get(store, crm_id)
        if row is not None:
            return FindResult(query, _match(store, row["crm_id"], 100.0), matched_by="crm id")
    words = name_tokens(query)
    if not words:
        raise AccountNotFound(query)
    index = (index or NameIndex()).refresh(store)
    terms, corrections, unknown = _plan(words, index)
    found: list[tuple[str, str, float]] = []
    if terms and not unknown:
        narrowing = [t for t in terms if t.documents <= _COMMON * index.accounts]
        narrowing = narrowing or [min(terms, key=lambda t: t.documents)]
        found = account_queries.search_names(store, " AND ".join(t.fts for t in narrowing), CANDIDATES)
    if not found:
        # Some words match nothing: offer the closest names as suggestions, not as an answer.
        near = account_queries.search_names(store, " OR ".join(t.fts for t in terms), CANDIDATES) if terms else []
        ranked_near = rank_names(query, [Candidate(*c) for c in near])
        raise AccountNotFound(query, [r.name for r in ranked_near if r.closeness >= _SUGGEST][:3])
    ranked = [r for r in rank_names(query, [Candidate(*c) for c in found]) if r.score >= _MIN_SCORE]
    if not ranked:
        raise AccountNotFound(query)
    best = ranked[0]
    key = name_tokens(best.name)
    contenders = [r for r in ranked[1:] if r.score >= best.score - _ALTERNATIVE_GAP]
    # Every account as good as the best is listed, however many: none of them may be hidden.
    tied = [r for r in contenders if r.score >= best.score or name_tokens(r.name) == key][:_SAME_NAME]
    listed = {r.crm_id for r in tied}
    close = [r for r in contenders if r.crm_id not in listed]
    others = tied + close[: max(0, ALTERNATIVES - len(tied))]
    return FindResult(
        query=query,
        best=_match(store, best.crm_id, best.score),
        alternatives=tuple(_match(store, r.crm_id, r.score) for r in others),
        corrections=tuple(corrections),
        matched_by="corrected name" if corrections else "name",
    )


class AmbiguousAccount(InputError):
    """Several accounts match about equally well; the person should pick one."""

    def __init__(self, result: FindResult):
        choices = ", ".join(
            f"{m.name} ({m.crm_id}, {money(m.arr)} ARR, {m.owner_name or m.owner or 'no owner'})"
            for m in result.matches
        )
        super().__init__(
            f"Several accounts match `{result.query}`: {choices}. Give the CRM id (or more of the name) to pick one."
        )
        self.result = result

    def details(self) -> dict[str, object]:
        return {"ambiguous": True, "query": self.result.query, "matches": [asdict(m) for m in self.result.matches]}


def one_account(store: Store, text: str, names: NameIndex | None) -> AccountMatch:
    """The account ``text`` names, refusing to guess between equally good matches (the one rule
    find, tier, overrides, history, handoffs and plans share)."""
    result = find_account(store, text, names)
    if result.ambiguous:
        raise AmbiguousAccount(result)
    return result.best


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
