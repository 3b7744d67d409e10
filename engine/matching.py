"""Fuzzy matching: "did you mean" suggestions, typo detection and ranking account names.

rapidfuzz does the string distances; this module only decides thresholds and tie-breaks, so
every surface suggests the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from engine.errors import UnknownName

# Words that end company names without telling companies apart ("Acme Corp" is "Acme").
LEGAL_SUFFIXES = """
the inc incorporated llc ltd limited corp corporation co company gmbh ag plc sa srl bv pty lp llp
""".split()

# Words in any script ("Газпром", "トヨタ"), as SQLite's unicode61 tokenizer splits them.
_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Zürich Clinic" and "zurich clinic" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def name_tokens(text: str) -> list[str]:
    """Split a name into the words the full-text index holds."""
    return _TOKEN.findall(fold(text))


def did_you_mean(name: str, options: Iterable[str], cutoff: float = 60.0) -> str | None:
    """Return the option closest to ``name`` when it is close enough to be worth suggesting."""
    choices = list(options)
    if not choices:
        return None
    best = process.extractOne(fold(name), choices, scorer=fuzz.ratio, processor=fold, score_cutoff=cutoff)
    return best[0] if best else None


def unknown_name(problem: str, name: str, options: Sequence[str], listing: str) -> UnknownName:
    """An ``UnknownName`` error that suggests the nearest option and lists them all.

    ``unknown_name("`--map arrr=...` names no account field", "arrr", fields, "Fields")`` reads
    "`--map arrr=...` names no account field; did you mean `arr`? Fields: crm_id, name, …".
    """
    hint = did_you_mean(name, options)
    suggestion = f"; did you mean `{hint}`?" if hint else "."
    return UnknownName(f"{problem}{suggestion} {listing}: {', '.join(options)}.", name, hint)


def typo_budget(word: str) -> int:
    """How many edits still look like a typo for a word of this length.

    Short words get none: "ANZ" is a region of its own, not a typo of "NA"; two edits only from
    nine letters on, so "Medical" is not taken for a misspelt "Media".
    """
    n = len(word)
    if n <= 3:
        return 0
    if n <= 8:
        return 1
    return 2


def likely_typo(key: str, known: Sequence[str]) -> str | None:
    """Return the single known value ``key`` is most likely a misspelling of, if any.

    ``key`` and ``known`` are compared as given (callers pass normalised keys). A key at the
    same distance from two known values is ambiguous and not reported as a typo.
    """
    budget = typo_budget(key)
    if budget == 0 or not known:
        return None
    hits = process.extract(key, known, scorer=OSA.distance, score_cutoff=budget, limit=3)
    hits = [h for h in hits if h[1] > 0 and abs(len(str(h[0])) - len(key)) <= 1]
    if not hits:
        return None
    if len(hits) == 2 and hits[0][1] == hits[1][1]:
        return None
    return str(hits[0][0])


def correct_word(word: str, vocabulary: Sequence[str], limit: int = 3) -> list[str]:
    """Return vocabulary words within typo distance of ``word``, nearest first.

    More lenient than ``likely_typo``: a person typing a name to look up gets two edits from
    seven letters on.
    """
    budget = 1 if len(word) <= 6 else 2
    hits = process.extract(word, vocabulary, scorer=OSA.distance, score_cutoff=budget, limit=limit)
    return [str(h[0]) for h in sorted(hits, key=lambda h: (h[1], h[0]))]


@dataclass(frozen=True)
class Candidate:
    """An account the index returned for a query, before ranking."""

    crm_id: str
    name: str
    arr: float


@dataclass(frozen=True)
class RankedName:
    """A candidate with its similarity to the query (0-100)."""

    crm_id: str
    name: str
    arr: float
    score: float
    closeness: float  # similarity of the whole name, ignoring partial matches


def rank_names(query: str, candidates: Sequence[Candidate]) -> list[RankedName]:
    """Order candidates by similarity to ``query``; ties go to the larger account, then the id.

    WRatio rewards a query that is a part of the name ("acme" in "Acme Corp") and tolerates
    misspellings; the plain ratio breaks its ties in favour of the closer whole name.
    """
    q = fold(query).strip()
    scored = []
    for c in candidates:
        folded = fold(c.name)
        score = fuzz.WRatio(q, folded)
        closeness = fuzz.ratio(q, folded)
        scored.append((score, closeness, c))
    scored.sort(key=lambda t: (-t[0], -t[1], -t[2].arr, t[2].crm_id))
    return [RankedName(c.crm_id, c.name, c.arr, round(score, 1), round(close, 1)) for score, close, c in scored]
