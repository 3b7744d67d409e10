"""Check a customer transition note (the email that introduces a new CSM) before anyone sees it.

A language model writes the note from ``DraftFacts`` alone; ``check_draft`` then refuses what a
model gets wrong or an injected instruction smuggles in: the wrong CSM or date, another customer's
name, links and email addresses off the company's domains, and Slack mass mentions. It returns
every problem, one per rule, each a sentence that names the thing and the fix, so the drafter can
be asked again with the reasons and a person only ever approves a note that passed.

Customer names are found without reading the account list here: ``name_phrases`` proposes the
capitalised runs of words a name could be, and the caller's ``customers_named`` looks them up
(``name_key`` is the key both sides use).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from engine.matching import fold, name_tokens

RULE_EMPTY = "empty"
RULE_SUBJECT_LENGTH = "subject_length"
RULE_BODY_LENGTH = "body_length"
RULE_NEW_CSM = "new_csm_named"
RULE_DATE = "effective_date"
RULE_OTHER_CUSTOMER = "other_customer"
RULE_LINK = "link"
RULE_EMAIL = "email_address"
RULE_MASS_MENTION = "mass_mention"

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
    may contain neither. The limits count characters.
    """

    allowed_domains: frozenset[str] = frozenset()
    subject_limit: int = 120
    body_limit: int = 1500


CustomersNamed = Callable[[Sequence[tuple[str, ...]]], list[str]]

# ------------------------------------------------------------------------------------ text


_WORD = re.compile(r"[^\W_]+")


def _clean(text: str) -> str:
    """Normalise compatibility forms and drop invisible format characters.

    Fullwidth "ｈｔｔｐｓ" and a zero-width space inside "Glo\u200bbex" would otherwise hide a link
    or a name from the checks while a mail client shows it plainly.
    """
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


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


def name_key(name: str) -> tuple[str, ...]:
    """Return the folded tokens of a name without its legal suffix, the key names match on.

    "Globex GmbH", "GLOBEX" and "Globex S.A." all give ``("globex",)``; stacked suffixes go too
    ("Acme Pty Ltd" gives ``("acme",)``), but a name made only of suffix words keeps its last one.
    """
    tokens = name_tokens(name)
    while len(tokens) > 1:
        size = _suffix_length(tokens)
        if size == 0 or size >= len(tokens):
            break
        tokens = tokens[:-size]
    return tuple(tokens)


def _words(text: str) -> list[tuple[str, bool]]:
    """Folded tokens of ``text``, each with whether a name may start at it.

    A name starts at a word with a capital anywhere ("Globex", "eBay"), a digit ("3M") or a
    letter of a script without case ("トヨタ").
    """
    found: list[tuple[str, bool]] = []
    for match in _WORD.finditer(_clean(text)):
        word = match.group()
        starts = not word[0].islower() or any(c.isupper() for c in word)
        found.extend((token, starts and i == 0) for i, token in enumerate(name_tokens(word)))
    return found


def _phrase_spans(words: Sequence[tuple[str, bool]], max_words: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    tokens = [token for token, _ in words]
    for i, (_, starts) in enumerate(words):
        if starts:
            for size in range(1, min(max_words, len(tokens) - i) + 1):
                yield i, tuple(tokens[i : i + size])


def name_phrases(text: str, max_words: int = 6) -> list[tuple[str, ...]]:
    """Candidate customer names in text: runs of 1..max_words folded tokens that start at a word
    written with a capital letter (or digit) in the original text, de-duplicated, in order."""
    return list(dict.fromkeys(phrase for _, phrase in _phrase_spans(_words(text), max_words)))


def _phrases_beside(text: str, own: Sequence[tuple[str, ...]], max_words: int = 6) -> list[tuple[str, ...]]:
    """``name_phrases`` without the runs that lie wholly inside a mention of the own account.

    Without this, "Blue Harbor Logistics" would report an account called "Harbor Logistics".
    """
    words = _words(text)
    tokens = [token for token, _ in words]
    covered: list[tuple[int, int]] = []
    for name in own:
        n = len(name)
        covered.extend((i, i + n) for i in range(len(tokens) - n + 1) if n and tuple(tokens[i : i + n]) == name)
    return list(
        dict.fromkeys(
            phrase
            for i, phrase in _phrase_spans(words, max_words)
            if not any(start <= i and i + len(phrase) <= end for start, end in covered)
        )
    )


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


def _check_date(body: str, day: date) -> DraftProblem | None:
    text = fold(_clean(body))
    wrong_weekday: int | None = None
    for pattern in _date_patterns(day):
        for match in pattern.finditer(text):
            weekday = match.groupdict().get("weekday")
            said = None if weekday is None else [w[:3] for w in _WEEKDAYS].index(weekday[:3])
            if said is None or said == day.weekday():
                return None
            wrong_weekday = said  # the right date under the wrong weekday: which did they mean?
    if wrong_weekday is not None:
        return DraftProblem(
            RULE_DATE,
            f"The body calls the effective date a {_WEEKDAYS[wrong_weekday].capitalize()}, "
            f"but {_plain_date(day)} is a {_weekday(day)}: fix the weekday.",
        )
    return DraftProblem(
        RULE_DATE,
        f"The body does not state the effective date, {_weekday(day)} {_plain_date(day)}: "
        f"add it, for example “{_plain_date(day)}”.",
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
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@(?P<domain>[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+)")
# A bare "evil.com" without a path is still a link once a mail client shows it; only endings
# that are rarely words count, so "index.html" or a missing space in "the data.It" stay text
# ("ASP.NET" does not: a rare false alarm that fails safe).
_LINK_TLDS = frozenset(
    "com net org io co ai app dev xyz info biz ly gg sh cc tv ws top site online club shop store link "
    "click zip mov live page cloud tech example test invalid uk de fr nl eu ru cn jp au ca ch es se dk "
    "ie br mx pl cz".split()
)


def _host_of(authority: str) -> str:
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):  # an IPv6 literal is never an allowed domain
        return host
    return fold(host.split(":", 1)[0]).strip(".")


def _allowed(host: str, domains: frozenset[str]) -> bool:
    host = fold(host).strip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _allowed_domains(policy: DraftPolicy) -> frozenset[str]:
    return frozenset(fold(d).strip().strip(".") for d in policy.allowed_domains if d.strip(" ."))


def _bad_links(text: str, domains: frozenset[str], own_account: str) -> list[str]:
    text = _clean(text)
    found: list[tuple[int, str]] = []
    for pattern in (_SCHEME_URL, _RELATIVE_URL):
        for m in pattern.finditer(text):
            authority = m.group("authority")
            if not _allowed(_host_of(m.group("web") if authority is None else authority), domains):
                found.append((m.start(), m.group()))
    # An account called "Monday.com" may be named as itself.
    own_hosts = {fold(m.group("host")) for m in _BARE_HOST.finditer(_clean(own_account))}
    for m in _BARE_HOST.finditer(text):
        host = fold(m.group("host"))
        has_path = m.group("rest") is not None
        looks_like_link = has_path or host.startswith("www.") or fold(m.group("tld")) in _LINK_TLDS
        if not has_path and host in own_hosts:
            continue
        if looks_like_link and not _allowed(host, domains):
            found.append((m.start(), m.group()))
    for m in _MAILTO.finditer(text):
        address = m.group("address")
        if "@" not in address or not _allowed(address.rsplit("@", 1)[1], domains):
            found.append((m.start(), m.group()))
    found.extend((m.start(), m.group().strip()) for m in _SCRIPT.finditer(text))
    found.extend((m.start(), m.group()) for m in _DATA_URI.finditer(text))
    # Shown in messages: a long data: URI or tracking link is cut, a sentence's full stop dropped.
    links = (link.rstrip(".,;:!?") for _, link in sorted(found))
    return [link if len(link) <= 60 else link[:59] + "…" for link in links]


def _bad_emails(text: str, domains: frozenset[str]) -> list[str]:
    return [m.group() for m in _EMAIL.finditer(_clean(text)) if not _allowed(m.group("domain"), domains)]


_MASS_MENTION = re.compile(
    r"<!(?:channel|here|everyone|group)(?:\|[^>]*)?>|<!subteam\^[^>]*>|(?<![\w@.+-])@(?:channel|here|everyone)(?!\w)",
    re.I,
)


def _outside(rule: str, what: str, items: Sequence[str], domains: frozenset[str]) -> DraftProblem | None:
    """A problem for links or addresses off the allowed domains, or None when there are none."""
    if not items:
        return None
    if domains:
        where = f"only {', '.join(sorted(domains))} {'is' if len(domains) == 1 else 'are'} allowed"
    else:
        where = f"notes may not contain {what}s"
    it, s = ("it", "") if len(items) == 1 else ("them", "s")
    return DraftProblem(rule, f"The draft has the {what}{s} {_quoted(items)} but {where}: remove {it}.")


# ------------------------------------------------------------------------------------ the check


def _prose(text: str) -> str:
    """The text without links and email addresses: "priya.sharma@…" does not introduce Priya Sharma."""
    text = _clean(text)
    for pattern in (_MAILTO, _EMAIL, _SCHEME_URL, _RELATIVE_URL, _BARE_HOST):
        text = pattern.sub(" ", text)
    return text


def _check_new_csm(draft: Draft, facts: DraftFacts) -> DraftProblem | None:
    full = name_tokens(facts.new_csm_name)
    if not full:
        return None
    parts = facts.new_csm_name.split()
    first, last = name_tokens(parts[0]), name_tokens(parts[-1])
    texts = [name_tokens(_prose(draft.subject)), name_tokens(_prose(draft.body))]
    if any(_contains(t, full) or _contains(t, first + last) for t in texts):
        return None
    name = facts.new_csm_name
    old = name_tokens(facts.old_csm_name)
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


def _check_other_customers(draft: Draft, facts: DraftFacts, customers_named: CustomersNamed) -> DraftProblem | None:
    own_key = name_key(facts.account_name)
    own = [tuple(name_tokens(_clean(facts.account_name))), own_key]
    phrases = list(dict.fromkeys(_phrases_beside(draft.subject, own) + _phrases_beside(draft.body, own)))
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
    others.sort(key=lambda n: min(first_seen.get(name_key(n), unseen), first_seen.get(tuple(name_tokens(n)), unseen)))
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


def check_draft(
    draft: Draft,
    facts: DraftFacts,
    *,
    customers_named: CustomersNamed,
    policy: DraftPolicy = DraftPolicy(),
) -> list[DraftProblem]:
    """Every problem with a draft; an empty list means it may be shown for approval.

    ``customers_named`` gets the candidate phrases of subject and body at once (the own account's
    mentions left out) and returns the display names of the accounts they name.
    """
    domains = _allowed_domains(policy)
    texts = (draft.subject, draft.body)
    links = [link for text in texts for link in _bad_links(text, domains, facts.account_name)]
    emails = [email for text in texts for email in _bad_emails(text, domains)]
    found = [
        _check_blank(draft),
        *_check_lengths(draft, policy),
        _check_new_csm(draft, facts),
        _check_date(draft.body, facts.effective_date),
        _check_other_customers(draft, facts, customers_named),
        _outside(RULE_LINK, "link", list(dict.fromkeys(links)), domains),
        _outside(RULE_EMAIL, "email address", list(dict.fromkeys(emails)), domains),
        _check_mentions(draft),
    ]
    return [problem for problem in found if problem]
