"""Check a customer transition note (the email that introduces a new CSM) before anyone sees it.

A language model writes the note from ``DraftFacts`` alone; ``check_draft`` then refuses what a
model gets wrong or an injected instruction smuggles in: the wrong CSM or date, another customer's
name, links and email addresses off the company's domains (or in odd forms), Slack mass mentions,
offers, changed terms, requests for secrets, echoed model instructions, money figures and the
handoff's reason as typed (``engine.note_wording``). It returns every problem, one per rule, each
a sentence that names the thing and the fix, so the drafter can be asked again with the reasons
and a person only ever approves a note that passed. Everything is checked as a reader sees it:
look-alike letters, invisible characters and compatibility forms are undone first
(``engine.lookalikes``).

Customer names are found without reading the account list here: ``name_phrases`` proposes the
runs of words a name could be, and the caller's ``customers_named`` looks them up (``name_key`` is
the key both sides use). Runs that lie inside the note's own wording (the account, the CSMs' names
in full and each alone, their titles, the contact's first name, ``DraftPolicy.own_phrases``) are
not proposed: a note that must say "Taylor Brooks", or calls her "Ms. Brooks", cannot be refused
for naming an account called "Brooks Inc".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from engine import note_wording as wording
from engine.lookalikes import bare, unspoof, visible, word_key
from engine.matching import fold

RULE_EMPTY = "empty"
RULE_SUBJECT_LENGTH = "subject_length"
RULE_BODY_LENGTH = "body_length"
RULE_NEW_CSM = "new_csm_named"
RULE_DATE = "effective_date"
RULE_OTHER_CUSTOMER = "other_customer"
RULE_LINK = "link"
RULE_EMAIL = "email_address"
RULE_MASS_MENTION = "mass_mention"
RULE_COMMERCIAL = "commercial_promise"
RULE_TERMS = "service_terms"
RULE_CREDENTIALS = "credentials_request"
RULE_INJECTION = "injected_instruction"
RULE_REVENUE = "revenue_figure"
RULE_INTERNAL_REASON = "internal_reason"

# The vocabulary, in the order problems are reported; the wording suits help text and prompts.
RULES: Mapping[str, str] = {
    RULE_EMPTY: "The subject and the body are not blank.",
    RULE_SUBJECT_LENGTH: "The subject is one line within the subject limit.",
    RULE_BODY_LENGTH: "The body is within the body limit.",
    RULE_NEW_CSM: "The new CSM is named in full.",
    RULE_DATE: "The body states the effective date.",
    RULE_OTHER_CUSTOMER: "No other customer is named.",
    RULE_LINK: "Links go only to allowed domains.",
    RULE_EMAIL: "Email addresses are only on allowed domains.",
    RULE_MASS_MENTION: "No @channel, @here, @everyone or user-group mention.",
    RULE_COMMERCIAL: "No discount, price, credit, refund or other commercial offer.",
    RULE_TERMS: "No change to the SLA, service levels or contract terms, and no new service promise.",
    RULE_CREDENTIALS: "No request for passwords, codes, keys, or bank or card details.",
    RULE_INJECTION: "No instructions meant for a language model, and no talk of prompts.",
    RULE_REVENUE: "No revenue, ARR or other money figure.",
    RULE_INTERNAL_REASON: "No internal reason: neither the reason as typed nor internal assessments.",
}

# Folded tokens; dotted forms ("S.A.", "B.V.", "A/S") are matched with their letters joined.
LEGAL_SUFFIXES = frozenset(
    "inc incorporated llc llp lp ltd limited plc corp corporation co company gmbh ag kg ug sa sas "
    "sarl sl srl spa sab bv nv pty pte pvt oy oyj ab as asa aps kk kft zrt sro se lda ltda bhd "
    "sdn tbk ulc pllc pc".split()
)


@dataclass(frozen=True)
class DraftFacts:
    """Everything a note may say: the only data a language model is given."""

    account_name: str
    contact_first_name: str
    old_csm_name: str  # may be "" when the account had no owner
    old_csm_title: str
    new_csm_name: str
    new_csm_title: str
    effective_date: date
    tier: str  # e.g. "Strategic", "Enterprise", "Growth", "Scale", "Tech Touch"
    reason_category: str  # e.g. "rebalancing", "region", "specialty", "growth", "departure"
    intro_slot: str | None = None  # e.g. "Tuesday 8 December, 10:00"


@dataclass(frozen=True)
class Draft:
    """A transition note as the drafter wrote it."""

    subject: str
    body: str


@dataclass(frozen=True)
class DraftProblem:
    """One rule a draft breaks, with what to fix."""

    rule: str  # one of the RULE_* constants
    message: str  # one sentence naming what is wrong and the fix


@dataclass(frozen=True)
class DraftPolicy:
    """What a workspace allows in a note.

    Links and email addresses on ``allowed_domains`` and their subdomains pass; with none, a note
    may contain neither. The limits count characters. ``own_phrases`` is the company's own wording
    (its name, its products, "Customer Success"): a mention of one is never taken for another
    customer, so do not list a phrase that is also a customer's name you want caught.
    """

    allowed_domains: frozenset[str] = frozenset()
    subject_limit: int = 120
    body_limit: int = 1500
    own_phrases: frozenset[str] = frozenset({"Customer Success"})


CustomersNamed = Callable[[Sequence[tuple[str, ...]]], list[str]]

# ------------------------------------------------------------------------------------ text


_WORD = re.compile(r"[^\W_]+")


def _clean(text: str) -> str:
    """Normalise compatibility forms, drop invisible characters and write look-alike letters as
    the Latin letters they are drawn like (``engine.lookalikes``), keeping ``visible(text)``'s length.

    Fullwidth "ｈｔｔｐｓ", a zero-width space inside "Glo\u200bbex" or a Cyrillic "о" in "Glоbex"
    would otherwise hide a link or a name from the checks while a mail client shows it plainly.
    """
    return unspoof(visible(text))


@lru_cache(maxsize=512)
def _tokens(text: str) -> tuple[str, ...]:
    """The folded words of ``text`` as a reader sees them (see ``engine.lookalikes.word_key``)."""
    if text.isascii():  # most names and notes: nothing to undo (keying a million names takes half the time)
        return tuple(_WORD.findall(text.lower()))
    return tuple(word_key(word) for word in _WORD.findall(bare(text)))


def _quoted(items: Sequence[str], limit: int = 3) -> str:
    shown = [f"“{item}”" for item in items[:limit]]
    text = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    if len(items) > limit:
        text += f" (and {len(items) - limit} more)"
    return text


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether ``needle`` occurs as a run of consecutive tokens in ``haystack``."""
    n, wanted = len(needle), tuple(needle)
    return n > 0 and any(tuple(haystack[i : i + n]) == wanted for i in range(len(haystack) - n + 1))


# ------------------------------------------------------------------------------------ names


def _suffix_length(tokens: Sequence[str]) -> int:
    """How many trailing tokens form a legal suffix ("gmbh" is one, "s", "a" of "S.A." two)."""
    if tokens[-1] in LEGAL_SUFFIXES:
        return 1
    letters = 0
    while letters < len(tokens) and len(tokens[-1 - letters]) == 1:
        letters += 1
    for size in range(letters, 1, -1):
        if "".join(tokens[-size:]) in LEGAL_SUFFIXES:
            return size
    return 0


# The version of ``name_key``: an index of keys built by another version is built again (2: keys
# read look-alike letters as drawn and drop invisible characters and combining marks).
NAME_KEY_SCHEME = 2


def name_key(name: str) -> tuple[str, ...]:
    """Return the folded tokens of a name without its legal suffix, the key names match on.

    "Globex GmbH", "GLOBEX" and "Globex S.A." all give ``("globex",)``; stacked suffixes go too
    ("Acme Pty Ltd" gives ``("acme",)``), but a name made only of suffix words keeps its last one.
    """
    tokens = _tokens(name)
    while len(tokens) > 1:
        size = _suffix_length(tokens)
        if size == 0 or size >= len(tokens):
            break
        tokens = tokens[:-size]
    return tuple(tokens)


# A name written in lower case ("initech", "umbrella corp") is still a name, but most lower-case
# words are prose, and each candidate phrase is one more key the caller looks up. So a run that
# starts at a lower-case word must hold 2+ words and neither start nor end with a function word
# ("the", "of", "you"…), or be one word of 5+ letters that is not common in a note. A million
# accounts include one-word names that are ordinary words ("Success Ltd", "Summit"): without the
# lists below every "success" or "thanks" would be a false alarm and a query. The lists stay
# short on purpose; a name that is one of these words is still caught capitalised, before a
# legal suffix ("success ltd") or inside a longer run.
_FUNCTION_WORDS = frozenset(
    """
    a an the and or but nor so yet if then than as of to in on at by for from with without within
    into onto upon over under about above below after before between through during until till
    since via per off out up down near across along around against among toward towards beyond
    behind beside besides inside outside i me my mine myself we us our ours ourselves you your
    yours yourself yourselves he him his himself she her hers herself it its itself they them
    their theirs themselves this that these those who whom whose which what whatever when where
    why how all any both each either neither every few many more most much other others some such
    no not only own same too very just also is am are was were be been being have has had having
    do does did doing done will would shall should can could may might must let lets here there
    hi hello dear thanks thank please yes ok okay s t d ll re ve m
    """.split()
)
_COMMON_WORDS = _FUNCTION_WORDS | frozenset(
    """
    about above access account accounts actually added additional address afternoon again agenda
    ahead align already always among another answer answers anything anyway appreciate approach
    around arrange asked available aware based because become before begin behalf being below
    better between board brief briefed bring build business calendar calls cannot chance change
    changed changes changing check clear client clients close coming company complete confirm
    contact context continue contract could current currently customer customers dates details
    different direct directly early email emails ensure every everyone everything excited
    experience first focus following forward further future getting given going goals great
    growth handed handing handover happen happy having hello helpful history hours however
    important information insight instead introduce introduced introducing introduction issues
    joining journey keeping later learn least leave letting looking looks making manage manager
    managers meeting meetings message might minutes month months moving needs never nothing
    notice number often other others partner partners person personal personally place placed
    plans please pleased point possible previous priorities priority problem process project
    projects proper quarter quarterly question questions quick quickly quite rather reach ready
    really reason reasons recent regards regular remain renewal reply request requests response
    review right roadmap schedule second service services setup share shared short should since
    small something soon sorry specialist start started starting still success successful
    suggest suggested support sure taking teams thank thanks their there these thing things think
    those though three through throughout times today together tomorrow touch training transition
    trust under understand until update updates usage using value various warmly wanted weeks
    welcome where whether which while whole within without working works would write years yours
    yourself
    """.split()
)
# Words any note is made of, the date's month and weekday included, and the titles before a name
# ("Ms. Brooks"). A name made only of them ("The Limited" keys to "the", "Monday Ltd" to "monday",
# "Best Inc" to "best") cannot be told from the note's own prose, so it counts only when written
# with its legal suffix.
_PROSE_WORDS = _COMMON_WORDS | frozenset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday jan feb mar apr jun jul aug sep sept
    oct nov dec mon tue tues wed thu thur thurs fri sat sun best kind kindest warm warmest new
    team time note call week weeks day days good hope looking forward morning evening regards
    cheers sincerely yours faithfully introductions intro slot
    mr mrs ms mx miss dr prof sir madam
    """.split()
)
_LOWER_SINGLE_MIN = 5  # letters a lone lower-case word needs to be proposed
# After a run of lower-case words, these make it a name whatever the words ("acme inc", "success
# ltd"); the short or ambiguous suffixes ("as", "co", "sa", "ag") would turn prose into names.
_PLAIN_SUFFIXES = frozenset("inc incorporated llc llp ltd limited plc corp corporation gmbh pllc".split())

_START, _LOWER = 0, 1  # what a word is: one a name starts at, or a lower-case word
# Between two words, these end a lower-case run: "…your renewal.\nWarmly, tom" holds no name.
_BREAK = re.compile(r"[.,;:!?()\[\]{}<>\"“”«»|@/\\\n]")


def _words(text: str) -> list[tuple[str, int, int]]:
    """Folded words of ``text`` (``word_key``), each with its kind (``_START``, ``_LOWER``) and its
    clause (a number that grows at each punctuation mark or line break, see ``_BREAK``).

    A name starts at a word with a capital anywhere ("Globex", "eBay"), a digit ("3M") or a
    letter of a script without case ("トヨタ"). Look-alike letters are read as the Latin ones
    they are drawn like, small capitals as capitals ("ɢʟᴏʙᴇx" is "GLOBEx"), and combining marks go.
    """
    text = bare(text)
    found: list[tuple[str, int, int]] = []
    clause, end = 0, 0
    for match in _WORD.finditer(text):
        word = match.group()
        clause += bool(_BREAK.search(text, end, match.start()))
        end = match.end()
        drawn = unspoof(word)
        kind = _START if not drawn[0].islower() or any(c.isupper() for c in drawn) else _LOWER
        found.append((word_key(word), kind, clause))
    return found


def _phrase_spans(words: Sequence[tuple[str, int, int]], max_words: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(start, phrase) for every candidate run: at most ``max_words`` per token, see ``name_phrases``."""
    tokens = [token for token, _, _ in words]
    for i, (_, kind, clause) in enumerate(words):
        longest = max_words if kind == _START else min(max_words, LOWER_NAME_WORDS)
        for size in range(1, min(longest, len(tokens) - i) + 1):
            phrase = tuple(tokens[i : i + size])
            if kind == _START:
                following = tokens[i + size] if i + size < len(tokens) else ""
                if following in _PLAIN_SUFFIXES or not all(t in _PROSE_WORDS for t in phrase):
                    yield i, phrase
            elif words[i + size - 1][2] != clause:
                break
            elif _lower_case_name(phrase, tokens[i + size] if i + size < len(tokens) else ""):
                yield i, phrase


def _lower_case_name(phrase: tuple[str, ...], following: str) -> bool:
    """Whether a run of words starting at a lower-case word may be a name (see ``name_phrases``)."""
    if len(phrase) == 1:
        return following in _PLAIN_SUFFIXES or (len(phrase[0]) >= _LOWER_SINGLE_MIN and phrase[0] not in _COMMON_WORDS)
    if phrase[0] in _FUNCTION_WORDS:
        return False
    return following in _PLAIN_SUFFIXES or phrase[-1] not in _FUNCTION_WORDS


# Account names run long ("Prairie Bend Walk-In Clinic of Salt Lake City" is 9 words once
# keyed): capitalised runs are tried up to 12 words; lower-case ones, rarer names, up to 6.
MAX_NAME_WORDS = 12
LOWER_NAME_WORDS = 6


def name_phrases(text: str, max_words: int = MAX_NAME_WORDS) -> list[tuple[str, ...]]:
    """Candidate customer names in text, as folded tokens, de-duplicated, in order.

    Runs of 1..max_words tokens that start at a word written with a capital letter (or a digit, or
    in a script without case), and runs that start at a lower-case word and cross no punctuation
    but apostrophes, hyphens and "&" (nor a line break): 2+ words neither starting nor ending with
    a function word, a lone uncommon word of 5+ letters, or right before a legal suffix any word
    or run not starting with a function word ("umbrella corp").

    The count is bounded: at most ``max_words`` phrases start at a word, and a word takes two
    characters with the separator after it, so a text of n characters (once normalised, see
    ``_clean``) gives at most ``max_words * (n + 1) // 2``: 9,006 for 1,500 characters (looked up
    500 at a time), where a real note gives a few hundred.
    """
    return list(dict.fromkeys(phrase for _, phrase in _phrase_spans(_words(text), max_words)))


def _phrases_beside(
    text: str,
    own: Sequence[tuple[str, ...]],
    max_words: int = MAX_NAME_WORDS,
    *,
    wording: Sequence[tuple[str, ...]] = (),
) -> list[tuple[str, ...]]:
    """``name_phrases`` without the runs that lie wholly inside a mention of one of ``own`` (the
    own account) or of ``wording`` (the note's other expected words).

    Without this, "Blue Harbor Logistics" would report an account called "Harbor Logistics", and
    "Taylor Brooks" or "Customer Success Manager" accounts called "Brooks Inc" or "Success Ltd".
    A run that ends a mention of ``wording`` right before a legal suffix is kept: "Customer Success
    Ltd" is a company, while "Blue Harbor Logistics Inc" is still the own account.
    """
    words = _words(text)
    tokens = [token for token, _, _ in words]
    at: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        at.setdefault(token, []).append(i)
    # For each word, the furthest end of a mention covering it: of ``own``, and of ``wording``
    # (whose cover a legal suffix right after it ends).
    own_end, wording_end = [0] * len(tokens), [0] * len(tokens)
    for runs, ends in ((own, own_end), (wording, wording_end)):
        for run in filter(None, runs):
            n = len(run)
            for start in at.get(run[0], ()):
                if tuple(tokens[start : start + n]) == run:
                    for i in range(start, start + n):
                        ends[i] = max(ends[i], start + n)

    def inside(i: int, phrase: tuple[str, ...]) -> bool:
        stop = i + len(phrase)
        if stop <= own_end[i] or stop < wording_end[i]:
            return True
        return stop == wording_end[i] and not (stop < len(tokens) and tokens[stop] in _PLAIN_SUFFIXES)

    return list(dict.fromkeys(phrase for i, phrase in _phrase_spans(words, max_words) if not inside(i, phrase)))


# ------------------------------------------------------------------------------------ dates

_MONTHS = "january february march april may june july august september october november december".split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_WEEKDAY = (
    r"(?:(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?,?\s+)?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"


def _weekday(day: date) -> str:
    return _WEEKDAYS[day.weekday()].capitalize()


def _plain_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1].capitalize()} {day.year}"


@lru_cache(maxsize=256)
def _date_patterns(day: date) -> tuple[re.Pattern[str], ...]:
    """Ways of writing ``day`` in folded text: words with or without the year, ISO, numeric."""
    d, m, y = day.day, day.month, day.year
    name = _MONTHS[m - 1]
    short = [name[:3]] + (["sept"] if m == 9 else [])
    month = "(?:" + "|".join([name] + [rf"{s}\.?" for s in short if s != name]) + r")(?![\w])"
    dd = rf"0?{d}{_ORDINAL}(?!\w)"
    # The year, or no year at all: "7 December 2025" is another date, "7 December, 10:00" is ours.
    year = rf"(?:(?:,?\s+|-){y}(?!\d)|(?![,\s-]*\d{{4}}(?!\d)))"
    numeric = rf"(?:0?{d}[/.-]0?{m}|0?{m}[/.-]0?{d})"
    return (
        re.compile(rf"(?<!\w){_WEEKDAY}(?:the\s+)?{dd}(?:\s+of)?[\s-]+{month}{year}"),
        re.compile(rf"(?<!\w){_WEEKDAY}{month}\s+(?:the\s+)?{dd}{year}"),
        re.compile(rf"(?<![\d/.-]){y}[/.-]0?{m}[/.-]0?{d}(?!\d)"),
        re.compile(rf"(?<![\d/.-]){numeric}[/.-]{y}(?!\d)"),
    )


_MONTH_WORD = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![^\W\d_])"
)
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"  # "7 December, 2500 seats" is no date
# A date with a year however written (the effective date's own forms above, for any date): in
# words, ISO, or numeric with the day and month either way round.
_FULL_DATES = (
    re.compile(
        rf"(?<!\w){_WEEKDAY}(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?[\s-]+{_MONTH_WORD},?[\s-]+"
        rf"{_YEAR}",
        re.I,
    ),
    re.compile(rf"(?<!\w){_WEEKDAY}{_MONTH_WORD}\s+(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL},?\s+{_YEAR}", re.I),
    re.compile(rf"(?<![\d/.-]){_YEAR}[/.-](?P<month>\d{{1,2}})[/.-](?P<day>\d{{1,2}})(?!\d)"),
    re.compile(rf"(?<![\d/.-])(?P<day>\d{{1,2}})[/.-](?P<month>\d{{1,2}})[/.-]{_YEAR}"),
)
_DAY_MONTH = (
    re.compile(rf"(?<!\w)(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?[\s-]+{_MONTH_WORD}", re.I),
    re.compile(rf"(?<!\w){_MONTH_WORD}\s+(?:the\s+)?(?P<day>\d{{1,2}})(?!\d)", re.I),
)


def _month_number(month: str) -> int:
    return int(month) if month.isdigit() else [m[:3] for m in _MONTHS].index(month[:3].lower()) + 1


def _full_dates(text: str) -> Iterator[tuple[str, set[tuple[int, int, int]]]]:
    """Each date with a year in ``text``: as written, and the (year, month, day) it may mean."""
    for number, pattern in enumerate(_FULL_DATES):
        for m in pattern.finditer(text):
            year, month, day = int(m["year"]), _month_number(m["month"]), int(m["day"])
            readings = {(year, month, day)}
            if number == 3:  # 07/12/2026: 7 December or July 12
                readings.add((year, day, month))
            yield " ".join(m.group().split()), readings


def _slot_date(slot: str | None, effective: date) -> date | None:
    """The intro slot's date ("Tuesday 8 December, 10:00" has no year): the one nearest ``effective``."""
    for pattern in _DAY_MONTH:
        found = pattern.search(_clean(slot or ""))
        if found:
            days = []
            for year in (effective.year - 1, effective.year, effective.year + 1):
                try:
                    days.append(date(year, _month_number(found["month"]), int(found["day"])))
                except ValueError:
                    continue
            return min(days, key=lambda d: abs(d - effective), default=None)
    return None


def _other_dates(texts: Sequence[str], day: date, slot: str | None) -> list[str]:
    """Dates with a year that are neither the effective date nor the intro slot's."""
    ours = {(d.year, d.month, d.day) for d in (day, _slot_date(slot, day)) if d}
    found = (written for text in texts for written, readings in _full_dates(_clean(text)) if not readings & ours)
    return list(dict.fromkeys(found))


def _check_date(body: str, day: date, subject: str = "", slot: str | None = None) -> DraftProblem | None:
    """The body must state the effective date (a wrong weekday is refused), and neither subject
    nor body may give another date with a year: "not from 7 December 2026 but from 1 March 2027".
    A date without a year other than the effective one may be the intro slot, and passes."""
    text = fold(_clean(body))
    wrong_weekday: int | None = None
    stated = False
    for pattern in _date_patterns(day):
        for match in pattern.finditer(text):
            weekday = match.groupdict().get("weekday")
            said = None if weekday is None else [w[:3] for w in _WEEKDAYS].index(weekday[:3])
            if said is None or said == day.weekday():
                stated = True
                break
            wrong_weekday = said  # the right date under the wrong weekday: which did they mean?
        if stated:
            break
    if not stated and wrong_weekday is not None:
        return DraftProblem(
            RULE_DATE,
            f"The body calls the effective date a {_WEEKDAYS[wrong_weekday].capitalize()}, "
            f"but {_plain_date(day)} is a {_weekday(day)}: fix the weekday.",
        )
    if not stated:
        return DraftProblem(
            RULE_DATE,
            f"The body does not state the effective date, {_weekday(day)} {_plain_date(day)}: "
            f"add it, for example “{_plain_date(day)}”.",
        )
    others = _other_dates((subject, body), day, slot)
    if not others:
        return None
    what, it = ("the date", "it") if len(others) == 1 else ("the dates", "them")
    return DraftProblem(
        RULE_DATE,
        f"The draft also gives {what} {_quoted(others)}, but the effective date is {_weekday(day)} "
        f"{_plain_date(day)}: remove {it} or change {it} to {_plain_date(day)}.",
    )


# ------------------------------------------------------------------------------------ links

_STOP = r"\s<>|()\[\]{}\"'`\\"  # characters that end a host or an address in running text
_SCHEME_URL = re.compile(
    # Browsers also open "https:/host" and "https:\\host", so for web schemes the slashes are optional.
    rf"(?<![\w+.-])(?:[a-z][a-z0-9+.-]*://(?P<authority>[^/?#{_STOP}]*)|(?:https?|ftps?):[/\\]*(?P<web>[^/?#{_STOP}]+))"
    rf"[^{_STOP}]*",
    re.I,
)
_RELATIVE_URL = re.compile(rf"(?:^|(?<=[\s(<\[\"'=]))[/\\]{{2}}(?P<authority>[^/?#{_STOP}]+)[^{_STOP}]*", re.I)
_BARE_HOST = re.compile(
    rf"(?<![\w@./:\\-])(?P<host>(?:[\w-]+\.)+(?P<tld>[a-z]{{2,24}}))(?![\w@-])(?P<rest>(?::\d+)?/[^{_STOP}]*|:\d+)?",
    re.I,
)
_MAILTO = re.compile(rf"(?<![\w.-])mailto:(?P<address>[^?{_STOP}]*)[^{_STOP}]*", re.I)
# "javascript:alert(1)", or "javascript: …" where a link opens; "JavaScript: yes" is prose.
_SCRIPT = re.compile(
    rf"(?:(?<=[(<\"'=])\s*(?:java|vb|live)script\s*:|(?<![\w.-])(?:java|vb|live)script:(?=\S))[^{_STOP}]*", re.I
)
_DATA_URI = re.compile(rf"(?<![\w.-])data:(?:[a-z]+/[\w.+-]+)?[;,][^{_STOP}]*", re.I)
# Links that call, text, chat or open an app or a file rather than a web page ("tel:+15550100",
# "sms:…", "skype:…?call"): no domain allows them. Written with slashes ("whatsapp://…") they are
# ``_SCHEME_URL``'s; a space after the colon makes them prose ("Tel: +44 20 7946 0000").
_OTHER_SCHEME = re.compile(
    r"(?<![\w.+-])(?:tel|sms|smsto|mms|mmsto|callto|skype|facetime|facetime-audio|sip|sips|im|xmpp|irc|ircs|"
    r"slack|zoommtg|zoomus|msteams|whatsapp|tg|viber|signal|geo|maps|market|intent|file|ssh|telnet|ldap|news|"
    r"nntp|magnet|bitcoin|ethereum|webcal|feed|steam|spotify|itms|itms-apps|itms-services|ms-[a-z-]+)"
    rf":(?!//)[^{_STOP}]+",
    re.I,
)
# An address however its local part is written: plain, "quoted" (which may hold spaces and even an
# "@"), with a (comment), or routed through another host ("x%evil.example@…", "evil.example!x@…");
# its domain a name or an [address literal]. Mail programs disagree on the odd forms, so a note
# holds none of them, on any domain.
_EMAIL = re.compile(
    r"(?P<local>\"(?:[^\"\\\n]|\\.)*\"|[^\s\"'`<>()\[\]{}@,;:/\\|*]+)(?P<comment>\([^()\s]*\))?"
    r"@(?P<domain>\[[^\]\s]*\]|[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+)"
)
# A bare "evil.com" without a path is still a link once a mail client shows it. Not every word
# after a dot is a domain ending, though: file names ("index.html", "notes.md", "main.tf"), a
# missing space ("the data.It"), "e.g." and "v1.2" are text. So a bare host counts when its
# ending is one of these: the classic and country endings mail clients link (those that are also
# file types, "md", "py", "rs", "pm" as in "10.pm", left out) and the newer ones links and
# phishing use ("evil.academy", "evil.xyz"). Trade-offs: "the export.zip", "setup.sh" or a typo
# such as "log.in" is taken for a link (fails safe); an ending that is also a word, written as a
# sentence start after a lower-case letter ("the call.Today", "the data.It"), is read as a
# missing space, so "evil.So" passes; and a few product names written as such pass ("ASP.NET").
_LINK_TLDS = frozenset(
    """
    com net org edu gov mil int biz info name pro mobi asia jobs tel travel
    app dev page io ai co xyz top site online club shop store link click zip mov live cloud tech
    space website fun icu buzz vip lol bond cfd sbs cyou rest monster quest work world today life
    news email digital agency academy support services solutions network systems group company
    center global media studio design blog art one win bid loan date stream download review party
    science trade men gdn kim ink host best bar uno rocks ninja guru zone help social
    example test invalid localhost onion
    uk de fr nl eu ru cn jp au ca ch es se dk ie br mx pl cz me so to fm im is it in at be us no do
    my id ly gg sh cc tv ws li gl vc la su tk ml ga cf gq pw cx nu nz za kr hk sg tw vn th ph pk ng
    ke eg il tr gr pt ro hu fi ua by kz ar cl pe lt lv ee sk si hr bg
    """.split()
)
# Endings that are also words, so a sentence start after a missing space ("the data.It").
_WORD_TLDS = frozenset(
    """
    it is in at be me so to us no do my id one fun win bid date stream review party science trade
    men best bar rocks zone today life news email world work support academy agency digital
    services solutions network systems group company center global media studio design blog art
    live link click top site online club shop store page cloud space help social
    """.split()
)
_PRODUCT_NAMES = frozenset({"ASP.NET", "VB.NET", "ADO.NET", "Socket.IO"})  # as written, no path
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# "203.0.113.5" or "203.0.113.5/login": a mail client links it, and no domain allows it.
_IPV4 = re.compile(
    rf"(?<![\w@./\\-])(?P<host>{_OCTET}(?:\.{_OCTET}){{3}})(?![\w-]|\.\w)(?P<rest>(?::\d+)?/[^{_STOP}]*|:\d+)?"
)


def _sentence_start(m: re.Match[str]) -> bool:
    """Whether a bare host is more likely a missing space: "the call.Today", not "evil.today"."""
    tld = m.group("tld")
    before = m.string[m.start("tld") - 2] if m.start("tld") >= 2 else ""
    return fold(tld) in _WORD_TLDS and tld[0].isupper() and tld[1:].islower() and before.islower()


def _host_of(authority: str) -> str:
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):  # an IPv6 literal is never an allowed domain
        return host
    return host.split(":", 1)[0]


def _domain_form(domain: str) -> str:
    """A domain compared as written: case aside, "tiérbot-demo.com" is another domain."""
    return unicodedata.normalize("NFC", domain).lower().strip().strip(".")


def _allowed(host: str, domains: frozenset[str]) -> bool:
    host = _domain_form(host)
    return any(host == d or host.endswith("." + d) for d in domains)


def _allowed_domains(policy: DraftPolicy) -> frozenset[str]:
    return frozenset(_domain_form(d) for d in policy.allowed_domains if d.strip(" ."))


LOOK_ALIKE = " (look-alike letters)"  # marks a link or address spelt with them, which the reader cannot see


def _as_shown(m: re.Match[str], written: str) -> str:
    """A match in the look-alike-free text, marked when the text as written differs there."""
    return m.group() + (LOOK_ALIKE if written[m.start() : m.end()] != m.group() else "")


def _bad_links(text: str, domains: frozenset[str], own_account: str) -> list[str]:
    # Found in the text with look-alikes undone ("һttps://…" is a link), but allowed only as written
    # ("https://tіerbot-demo.com" with a Cyrillic і is not the company's domain).
    written = visible(text)
    text = unspoof(written)

    def allowed(m: re.Match[str], group: str, host_of: Callable[[str], str] = lambda h: h) -> bool:
        return _allowed(host_of(written[m.start(group) : m.end(group)]), domains)

    found: list[tuple[int, str]] = []
    urls: list[tuple[int, int]] = []
    for pattern in (_SCHEME_URL, _RELATIVE_URL):
        for m in pattern.finditer(text):
            urls.append(m.span())
            if not allowed(m, "web" if m.group("authority") is None else "authority", _host_of):
                found.append((m.start(), _as_shown(m, written)))
    # An account called "Monday.com" may be named as itself.
    own_hosts = {fold(m.group("host")) for m in _BARE_HOST.finditer(_clean(own_account))}
    for m in _BARE_HOST.finditer(text):
        host = fold(m.group("host"))
        has_path = m.group("rest") is not None
        if not has_path and (host in own_hosts or m.group("host") in _PRODUCT_NAMES):
            continue
        ending = fold(m.group("tld")) in _LINK_TLDS and not _sentence_start(m)
        if (has_path or host.startswith("www.") or ending) and not allowed(m, "host"):
            found.append((m.start(), _as_shown(m, written)))
    for m in _IPV4.finditer(text):  # an address inside a URL is that URL's business ("…?ip=203.0.113.5")
        if not any(start <= m.start() < end for start, end in urls) and not allowed(m, "host"):
            found.append((m.start(), m.group()))
    for m in _MAILTO.finditer(text):
        address = written[m.start("address") : m.end("address")]
        if "@" not in address or not _allowed(address.rsplit("@", 1)[1], domains):
            found.append((m.start(), _as_shown(m, written)))
    found.extend((m.start(), m.group().strip()) for m in _SCRIPT.finditer(text))
    found.extend((m.start(), m.group()) for m in _DATA_URI.finditer(text))
    found.extend((m.start(), _as_shown(m, written)) for m in _OTHER_SCHEME.finditer(text))
    # Shown in messages: a long data: URI or tracking link is cut, a sentence's full stop dropped.
    links = (_trimmed(link) for _, link in sorted(found))
    return [link if len(link) <= 60 + len(LOOK_ALIKE) else link[:59] + "…" for link in links]


def _trimmed(link: str) -> str:
    """A link without the sentence's punctuation after it (before the look-alike mark, if any)."""
    marked = link.endswith(LOOK_ALIKE)
    bare = link.removesuffix(LOOK_ALIKE).rstrip(".,;:!?")
    return bare + (LOOK_ALIKE if marked else "")


def _bad_emails(text: str, domains: frozenset[str]) -> tuple[list[str], bool]:
    """The addresses a note may not hold, and whether any is written in an odd form."""
    written = visible(text)
    found, odd_forms = [], False
    for m in _EMAIL.finditer(unspoof(written)):
        local = m.group("local")
        odd = local.startswith('"') or bool(m.group("comment")) or m.group("domain").startswith("[") or "%" in local
        odd = odd or "!" in local
        if odd or not _allowed(written[m.start("domain") : m.end("domain")], domains):
            found.append(_as_shown(m, written))
            odd_forms = odd_forms or odd
    return found, odd_forms


_MASS_MENTION = re.compile(
    r"<!(?:channel|here|everyone|group)(?:\|[^>]*)?>|<!subteam\^[^>]*>|(?<![\w@.+-])@(?:channel|here|everyone)(?!\w)",
    re.I,
)


def _outside(
    rule: str, what: str, items: Sequence[str], domains: frozenset[str], *, odd: bool = False
) -> DraftProblem | None:
    """A problem for links or addresses off the allowed domains (or, ``odd``, in an odd form), or
    None when there are none."""
    if not items:
        return None
    if domains and odd:
        where = (
            f"only plain {what}es (no quotes, comments, routing or [address literals]) on "
            f"{', '.join(sorted(domains))} are allowed"
        )
    elif domains:
        where = f"only {', '.join(sorted(domains))} {'is' if len(domains) == 1 else 'are'} allowed"
    else:
        where = f"notes may not contain {what}s"
    it, s = ("it", "") if len(items) == 1 else ("them", "s")
    return DraftProblem(rule, f"The draft has the {what}{s} {_quoted(items)} but {where}: remove {it}.")


# ------------------------------------------------------------------------------------ the check


@lru_cache(maxsize=64)  # every rule reads it
def _prose(text: str) -> str:
    """The ``visible`` text with its links and email addresses blanked out (found with look-alikes
    undone): "priya.sharma@…" does not introduce Priya Sharma."""
    written = visible(text)
    found, kept = unspoof(written), list(written)
    for pattern in (_MAILTO, _EMAIL, _SCHEME_URL, _RELATIVE_URL, _OTHER_SCHEME, _BARE_HOST, _IPV4):
        for m in pattern.finditer(found):
            kept[m.start() : m.end()] = " " * (m.end() - m.start())
        found = pattern.sub(lambda m: " " * len(m.group()), found)
    return "".join(kept)


def _check_new_csm(draft: Draft, facts: DraftFacts) -> DraftProblem | None:
    full = _tokens(facts.new_csm_name)
    if not full:
        return None
    parts = facts.new_csm_name.split()
    first, last = _tokens(parts[0]), _tokens(parts[-1])
    texts = [_tokens(_prose(draft.subject)), _tokens(_prose(draft.body))]
    if any(_contains(t, full) or _contains(t, first + last) for t in texts):
        return None
    name = facts.new_csm_name
    old = _tokens(facts.old_csm_name)
    if len(parts) > 1 and any(_contains(t, first) for t in texts):
        message = f"The draft calls the new CSM only “{parts[0]}”: use the full name, {name}."
    elif old and any(_contains(t, old) for t in texts):
        message = (
            f"The draft does not name the new CSM, {name}, only the previous one, {facts.old_csm_name}: "
            f"introduce {name} by full name."
        )
    else:
        message = f"The draft does not name the new CSM: introduce {name} by full name."
    return DraftProblem(RULE_NEW_CSM, message)


def _own_wording(facts: DraftFacts, policy: DraftPolicy) -> list[tuple[str, ...]]:
    """The token runs a note is expected to contain besides the account: the CSMs' names, in full,
    first and last name together (as ``_check_new_csm`` accepts) and each alone ("Taylor", "Ms.
    Brooks": a CSM called Taylor Brooks is never the customer "Brooks Inc", unless written with its
    legal suffix), their titles, the contact's first name, the company's own phrases and its domains
    ("priya@tierbot-demo.com" names no "Demo Ltd")."""
    texts = [facts.old_csm_name, facts.new_csm_name, facts.old_csm_title, facts.new_csm_title]
    texts += [facts.contact_first_name, *sorted(policy.own_phrases), *sorted(policy.allowed_domains)]
    runs = [tuple(_tokens(text)) for text in texts]
    for person in (facts.old_csm_name, facts.new_csm_name):
        parts = bare(person).split()
        if len(parts) > 1:
            first, last = tuple(_tokens(parts[0])), tuple(_tokens(parts[-1]))
            runs += [first + last, first, last]
    return [run for run in dict.fromkeys(runs) if run]


def _check_other_customers(
    draft: Draft, facts: DraftFacts, customers_named: CustomersNamed, policy: DraftPolicy = DraftPolicy()
) -> DraftProblem | None:
    own_key = name_key(facts.account_name)
    own = [tuple(_tokens(facts.account_name)), own_key]
    wording = _own_wording(facts, policy)
    # Only up to the limits, which bounds the phrases (see ``name_phrases``): a longer draft fails
    # on its length anyway, and the rest is checked once it is shortened.
    subject, body = draft.subject[: policy.subject_limit], draft.body[: policy.body_limit]
    beside = [_phrases_beside(text, own, wording=wording) for text in (subject, body)]
    phrases = list(dict.fromkeys(beside[0] + beside[1]))
    if not phrases:
        return None
    # Compared by key, so a sibling entity ("Globex Inc" beside own "Globex GmbH") is not reported:
    # a note cannot tell the two apart in words anyway.
    others = [name for name in dict.fromkeys(customers_named(phrases)) if name_key(name) != own_key]
    if not others:
        return None
    # Report in the order the draft names them, whatever order the store answered in.
    first_seen = {phrase: i for i, phrase in enumerate(phrases)}
    unseen = len(phrases)
    others.sort(key=lambda n: min(first_seen.get(name_key(n), unseen), first_seen.get(tuple(_tokens(n)), unseen)))
    if len(others) == 1:
        return DraftProblem(RULE_OTHER_CUSTOMER, f"The draft names another customer, {_quoted(others)}: remove it.")
    return DraftProblem(RULE_OTHER_CUSTOMER, f"The draft names other customers, {_quoted(others)}: remove them.")


def _check_blank(draft: Draft) -> DraftProblem | None:
    blank = [part for part, text in (("subject", draft.subject), ("body", draft.body)) if not _clean(text).strip()]
    if not blank:
        return None
    if len(blank) == 2:
        return DraftProblem(RULE_EMPTY, "The subject and the body are empty: write both.")
    return DraftProblem(RULE_EMPTY, f"The {blank[0]} is empty: write one.")


def _check_lengths(draft: Draft, policy: DraftPolicy) -> list[DraftProblem]:
    problems = []
    subject, body = draft.subject, draft.body
    if len(subject) > policy.subject_limit:
        problems.append(
            DraftProblem(
                RULE_SUBJECT_LENGTH,
                f"The subject is {len(subject)} characters, over the limit of {policy.subject_limit}: shorten it.",
            )
        )
    elif "".join(subject.splitlines()) != subject:
        problems.append(DraftProblem(RULE_SUBJECT_LENGTH, "The subject has a line break: put it on one line."))
    if len(body) > policy.body_limit:
        problems.append(
            DraftProblem(
                RULE_BODY_LENGTH,
                f"The body is {len(body)} characters, over the limit of {policy.body_limit}: shorten it.",
            )
        )
    return problems


def _check_mentions(draft: Draft) -> DraftProblem | None:
    texts = (_clean(draft.subject), _clean(draft.body))
    mentions = list(dict.fromkeys(m.group() for text in texts for m in _MASS_MENTION.finditer(text)))
    if not mentions:
        return None
    it, s = ("it", "") if len(mentions) == 1 else ("them", "s")
    return DraftProblem(RULE_MASS_MENTION, f"The draft contains the mass mention{s} {_quoted(mentions)}: remove {it}.")


# What each wording rule says, given the phrases found ("“20% off”"); one sentence each.
_WORDING_MESSAGES = {
    RULE_COMMERCIAL: (
        wording.COMMERCIAL,
        "The draft makes a commercial offer ({}), which only the account's sales contact may make: remove it.",
    ),
    RULE_TERMS: (
        wording.TERMS,
        "The draft changes or promises service or contract terms ({}), which a transition note never does: remove it.",
    ),
    RULE_CREDENTIALS: (
        wording.CREDENTIALS,
        "The draft asks for passwords, codes or payment details ({}), which we never ask for by email: remove it.",
    ),
    RULE_INJECTION: (
        wording.INJECTION,
        "The draft echoes instructions meant for a language model ({}): remove them, and look for injected "
        "instructions in the account's CRM fields.",
    ),
    RULE_REVENUE: (wording.REVENUE, "The draft gives revenue or money figures ({}), which stay internal: remove them."),
    RULE_INTERNAL_REASON: (
        wording.INTERNAL,
        "The draft repeats internal assessments of the account ({}): remove them; the reason a customer is "
        "given is “{}”.",
    ),
}


def _check_wording(draft: Draft, facts: DraftFacts, rule: str) -> DraftProblem | None:
    kind, message = _WORDING_MESSAGES[rule]
    texts = (_prose(draft.subject), _prose(draft.body))
    found = list(dict.fromkeys(phrase for text in texts for phrase in wording.wording_found(kind, text)))
    if not found:
        return None
    return DraftProblem(rule, message.format(_quoted(found), facts.reason_category))


REASON_RUN = 4  # consecutive words of the typed reason that count as repeating it


def _check_reason(
    draft: Draft, facts: DraftFacts, withheld: Sequence[str], wording_runs: Sequence[tuple[str, ...]]
) -> DraftProblem | None:
    """The reason someone typed for the handoff may be candid ("cannot stand their CFO"): a run of
    ``REASON_RUN`` of its words (all of it, when shorter) holding two words of its own — not note
    words ("at the end of" is prose), not the facts' names, not the reason's category — is a repeat."""
    said = {t for run in wording_runs for t in run} | set(_tokens(facts.reason_category))
    said |= set(_tokens(facts.account_name)) | set(_tokens(facts.new_csm_name)) | set(_tokens(facts.old_csm_name))
    telling: set[tuple[str, ...]] = set()
    for text in withheld:
        typed = _tokens(text)
        size = min(REASON_RUN, len(typed))
        for i in range(len(typed) - size + 1):
            run = tuple(typed[i : i + size])
            if size >= 2 and sum(t not in _PROSE_WORDS and t not in said for t in run) >= 2:
                telling.add(run)
    if not telling:
        return None
    repeats: list[str] = []
    for text in (draft.subject, draft.body):
        tokens = _tokens(_prose(text))
        marked = [False] * len(tokens)
        for size in {len(run) for run in telling}:
            for i in range(len(tokens) - size + 1):
                if tuple(tokens[i : i + size]) in telling:
                    marked[i : i + size] = [True] * size
        repeats += [" ".join(tokens[a:b]) for a, b in _marked_spans(marked)]
    if not repeats:
        return None
    return DraftProblem(
        RULE_INTERNAL_REASON,
        f"The draft repeats the internal reason for the change ({_quoted(list(dict.fromkeys(repeats)))}): remove "
        f"it; the reason a customer is given is “{facts.reason_category}”.",
    )


def _marked_spans(marked: Sequence[bool]) -> Iterator[tuple[int, int]]:
    start = None
    for i, on in enumerate([*marked, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            yield start, i
            start = None


def _check_internal(
    draft: Draft, facts: DraftFacts, withheld: Sequence[str], policy: DraftPolicy
) -> DraftProblem | None:
    """The typed reason repeated, else internal assessments ("at risk", "health score")."""
    return _check_reason(draft, facts, withheld, _own_wording(facts, policy)) or _check_wording(
        draft, facts, RULE_INTERNAL_REASON
    )


def check_draft(
    draft: Draft,
    facts: DraftFacts,
    *,
    customers_named: CustomersNamed,
    policy: DraftPolicy = DraftPolicy(),
    withheld: Sequence[str] = (),
) -> list[DraftProblem]:
    """Every problem with a draft; an empty list means it may be shown for approval.

    ``customers_named`` gets the candidate phrases of subject and body at once (see
    ``name_phrases``; those inside the note's own wording left out, and only up to the length
    limits) and returns the display names of the accounts they name. ``withheld`` are texts the
    note must not repeat: the handoff's reason as someone typed it.
    """
    domains = _allowed_domains(policy)
    texts = (draft.subject, draft.body)
    links = [link for text in texts for link in _bad_links(text, domains, facts.account_name)]
    addresses = [_bad_emails(text, domains) for text in texts]
    emails = [email for found, _ in addresses for email in found]
    found = [
        _check_blank(draft),
        *_check_lengths(draft, policy),
        _check_new_csm(draft, facts),
        _check_date(draft.body, facts.effective_date, draft.subject, facts.intro_slot),
        _check_other_customers(draft, facts, customers_named, policy),
        _outside(RULE_LINK, "link", list(dict.fromkeys(links)), domains),
        _outside(RULE_EMAIL, "email address", list(dict.fromkeys(emails)), domains, odd=any(o for _, o in addresses)),
        _check_mentions(draft),
        _check_wording(draft, facts, RULE_COMMERCIAL),
        _check_wording(draft, facts, RULE_TERMS),
        _check_wording(draft, facts, RULE_CREDENTIALS),
        _check_wording(draft, facts, RULE_INJECTION),
        _check_wording(draft, facts, RULE_REVENUE),
        _check_internal(draft, facts, withheld, policy),
    ]
    return [problem for problem in found if problem]
