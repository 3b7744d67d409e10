"""Wording a customer transition note never holds: offers, new terms, requests for secrets,
instructions meant for a model, and internal figures or assessments.

A note introduces the new CSM and says when; anything more is what a model gets wrong or an
instruction injected through CRM text smuggles in. Each kind is a short list of phrasings, matched
on the text as a reader sees it (``engine.lookalikes.plain``, so "dіscount" with a Cyrillic і is
still a discount) and case-insensitively. The lists aim at promises and requests, not topics: "your
contract, pricing and support levels all stay the same" or "we will never ask for your password"
reassure, and pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.lookalikes import plain

COMMERCIAL = "commercial"
TERMS = "terms"
CREDENTIALS = "credentials"
INJECTION = "injection"
REVENUE = "revenue"
INTERNAL = "internal"

_W = r"(?:[\w'’-]+\s+)"  # one word and the space after it, for "up to n words between"


def _one_of(words: str) -> str:
    """A group matching any of the space-separated alternatives in ``words``."""
    return "(?:" + "|".join(words.split()) + ")"


_PRICE_WORDS = _one_of(r"prices? pricing rates? fees?")
_PRICE = _one_of(r"prices? pricing rates? fees? charges? bills? invoices? subscriptions?")
_TERMS = _one_of(
    r"contracts? agreements? terms (?:initial|contract|minimum|renewal)\s+term notice\s+period commitments?"
    r" renewal\s+dates? slas? service[-\s]levels?(?:\s+agreements?)? support\s+(?:plans?|tiers?|levels?|packages?)"
    r" response\s+times? uptime"
)
_DURATION = _one_of(r"minutes? mins? hours? hrs? h days? business\s+days?")
_MULTIPLIER = _one_of(r"k m mm bn b million thousand billion")
_CURRENCY_BEFORE = _one_of(r"us\$ usd eur gbp chf cad aud jpy inr sek nok dkk")
_CURRENCY_AFTER = _one_of(r"usd eur gbp chf dollars? euros? pounds?")
_MONEY = (
    rf"(?:[$€£¥₹]|\b{_CURRENCY_BEFORE}\s?)\d[\d,.]*(?:\s?{_MULTIPLIER}\b)?"
    rf"|\b\d[\d,.]*\s?{_MULTIPLIER}?\s?{_CURRENCY_AFTER}\b"
)

_PATTERNS: dict[str, Sequence[str]] = {
    COMMERCIAL: (
        r"\bdiscount(?:s|ed)?\b",
        r"\brebates?\b",
        r"\bcoupons?\b",
        r"\bvouchers?\b",
        r"\bpromo(?:tion(?:al)?)?\s+(?:codes?|prices?|pricing|rates?|offers?)\b",
        r"\b\d+(?:[.,]\d+)?\s?(?:%|percent|per\s+cent)\s+(?:off|discount|reduction|cheaper|less)\b",
        rf"\b{_one_of('lower reduced cheaper frozen locked special discounted preferential introductory loyalty')}"
        rf"\s+{_PRICE_WORDS}\b",
        rf"\b(?:better|new)\s+{_PRICE_WORDS}\b",
        rf"\b{_one_of('lower reduce cut freeze lock match beat drop halve')}\w*\s+(?:in\s+)?{_W}{{0,2}}{_PRICE}\b",
        rf"\b{_PRICE}\s+{_one_of('cut drop reduction decrease freeze lock match guarantee cap')}s?\b",
        rf"\b{_PRICE}\s+(?:will|would|can|could|is\s+going\s+to|are\s+going\s+to)\s+(?:be\s+)?"
        + _one_of(
            r"lowered reduced cut frozen locked held fixed capped discounted drop dropped fall go\s+down decrease"
        )
        + r"\b",
        r"\b(?:special|exclusive|limited[-\s]time|loyalty|introductory)\s+(?:offers?|deals?)\b",
        r"\bpriced\s+at\b",
        r"\bfree\s+"
        + _one_of(
            r"of\s+charge months? weeks? years? upgrades? seats? licen[cs]es? users? add-?ons? credits? tier plan"
            r" period extension"
        )
        + r"\b",
        r"\bfor\s+free\b",
        r"\b(?:at|for)\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge)\b",
        r"\bno\s+(?:extra|additional)\s+(?:cost|charge)s?\b",
        r"\bcomplimentary\b",
        r"\bon\s+the\s+house\b",
        rf"\bwaiv(?:e|es|ed|ing)\s+{_W}{{0,2}}(?:fees?|charges?|costs?|payments?|invoices?)\b",
        r"\b(?:service|account|billing|bill)\s+credits?\b",
        r"\bcredit\s+(?:of\b|(?:to\s+)?(?:your|the)\s+(?:account|invoice|bill|subscription))",
        r"\brefund(?:s|ed|able)?\b",
        r"\bmoney[- ]back\b",
        r"\bextra\s+(?:seats|licen[cs]es|months?|users)\b",
        r"\bupgrad(?:e|es|ed|ing)\s+(?:you\b|your\s+(?:plan|account|subscription|licen[cs]e|edition)\b)",
    ),
    TERMS: (
        rf"\b{_one_of('new upgraded improved better faster enhanced premium stronger extended custom revised updated')}"
        rf"\s+{_TERMS}\b",
        rf"\b(?:changed|shorter)\s+{_TERMS}\b",
        rf"\b{_TERMS}\s+(?:will|shall|can|is\s+going\s+to|are\s+going\s+to)\s+(?:be\s+)?"
        + _one_of(
            r"changed? improved? upgraded? extended shortened reduced increased amended revised updated waived"
            r" cancell?ed terminated moved?"
        )
        + r"\b",
        rf"\b{_TERMS}\s+(?:is|are|has\s+been|have\s+been)\s+"
        + _one_of(r"waived extended shortened cancell?ed terminated amended upgraded improved")
        + r"\b",
        rf"\b{_one_of('extend shorten lengthen amend renegotiat rewrit waiv terminat cancel break modif revis upgrad')}"
        rf"\w*\s+{_W}{{0,2}}{_TERMS}\b",
        rf"\b(?:improv|adjust)\w*\s+{_W}{{0,2}}{_TERMS}\b",
        r"\b(?:we|i)(?:'ll|’ll|\s+will|\s+can|\s+are\s+going\s+to|\s+have|'ve|’ve)\s+"
        rf"{_W}?(?:change|changed|update|updated)\s+{_W}{{0,2}}{_TERMS}\b",
        r"\b(?:contract|term)\s+(?:extensions?|amendments?)\b",
        r"\bearly\s+(?:termination|renewal|exit)\b",
        r"\btermination\s+(?:fees?|clauses?|rights?)\b",
        r"\bauto[- ]?renew\w*\s+(?:off|disabled|removed|cancell?ed|waived)\b",
        r"\bmonth[- ]to[- ]month\b",
        r"\bnotice\s+period\b",
        r"\b\d{2}(?:\.\d+)?\s?%\s+(?:uptime|availability)\b",
        r"\b(?:uptime|availability)\s+(?:of\s+)?\d",
        rf"\b(?:guarantee[ds]?|promise[ds]?|commit(?:s|ted)?\s+to)\s+{_W}{{0,3}}"
        r"(?:uptime|availability|response|resolution|sla|support)\b",
        rf"\b(?:respond|response|reply|replies|resolution|resolve)\w*\s+{_W}{{0,3}}(?:within|in\s+under|under)"
        rf"\s+\d+\s*{_DURATION}\b",
        rf"\b(?:within|in\s+under)\s+\d+\s*{_DURATION}\s+(?:response|resolution)",
        r"\b24\s*/\s*7\b|\b24x7\b|\bround[- ]the[- ]clock\b",
    ),
    CREDENTIALS: (
        r"\bpass(?:word|words|code|codes|phrase|phrases)\b",
        r"\bpin\s+(?:codes?|numbers?)\b",
        r"\b(?:log[- ]?in|sign[- ]?in)\s+(?:details|credentials|info(?:rmation)?|data)\b",
        r"\bcredentials?\b",
        r"\b"
        + _one_of(r"one[-\s]time verification security authentication auth 2fa mfa otp sms access")
        + r"\s+(?:codes?|tokens?|pins?)\b",
        r"\b(?:2fa|mfa|otp)\b",
        r"\bapi\s+(?:keys?|tokens?|secrets?)\b",
        r"\b(?:secret|private|recovery|license)\s+(?:keys?|tokens?|codes?|phrases?)\b",
        r"\baccess\s+(?:keys?|tokens?)\b",
        r"\bseed\s+phrases?\b",
        r"\bbank(?:ing)?\s+"
        + _one_of(r"details account accounts information info transfer routing statements? login")
        + r"\b",
        r"\baccount\s+(?:numbers?\b|no\.)",
        r"\biban\b",
        r"\bswift\s*(?:/\s*bic|codes?)\b|\bbic\s+codes?\b",
        r"\brouting\s+numbers?\b",
        r"\bsort\s+codes?\b",
        r"\bwire\s+(?:transfers?|the\s+payment|a\s+payment|payments?|funds|instructions)\b",
        r"\b(?:credit|debit|bank|payment)\s+cards?\b",
        r"\bcard\s+(?:numbers?|details|info(?:rmation)?|expiry)\b",
        r"\bcvv2?\b|\bcvc\b|\bsecurity\s+code\b",
        r"\b(?:payment|billing|banking)\s+(?:details|information|info)\b",
        r"\bsocial\s+security\b|\bssn\b",
    ),
    INJECTION: (
        rf"\b(?:ignore|disregard|override|bypass)\w*\s+{_W}{{0,3}}"
        r"(?:instructions?|prompts?|rules|guidelines|directives|constraints)\b",
        rf"\b{_one_of('previous prior above earlier preceding original initial hidden secret system developer')}"
        r"\s+(?:instructions|prompts?|directives)\b",
        r"\bsystem\s+(?:prompt|message|instructions?)\b",
        r"\bprompt\s+injection\b",
        r"\bjailbreak\w*\b",
        r"\bdeveloper\s+mode\b",
        r"\bdo\s+anything\s+now\b",
        r"\bas\s+an?\s+(?:ai|a\.i\.|(?:large\s+)?language\s+model|llm|ai\s+(?:language\s+)?model|ai\s+assistant)\b",
        r"\bi\s*(?:am|'m|’m)\s+(?:just\s+)?(?:an?\s+)?"
        r"(?:ai|llm|(?:large\s+)?language\s+model|chatbot|chatgpt|claude)\b",
        r"\byou\s+are\s+now\b",
        r"\bmy\s+(?:instructions|prompt|system\s+prompt|guidelines|training\s+data)\b",
        r"\bi\s+(?:was|have\s+been)\s+(?:instructed|told|asked|programmed)\s+to\b",
        r"\bnote\s+to\s+(?:the\s+)?(?:model|ai|assistant|llm)\b",
        r"</?\s*(?:facts|system|instructions?|prompt|assistant|user|human)\s*>",
        r"<\|[a-z_]+\|>",
        r"\[/?(?:inst|system|sys)\]",
        r"<<\s*/?sys\s*>>",
        r"(?:^|\n)[ \t]*(?:system|assistant|user|human|ai)[ \t]*:",
        r"#{2,}\s*(?:instructions?|system|response)\b",
    ),
    REVENUE: (
        _MONEY,
        r"\b(?:arr|mrr|acv|tcv|ltv)\b",
        rf"\b{_one_of('annual annualised annualized monthly yearly recurring total account contract')}"
        r"\s+(?:recurring\s+)?revenue\b",
        r"\brevenue\s+(?:from|with|to)\s+(?:you|your|us)\b",
        r"\b(?:annual\s+)?contract\s+value\b|\baccount\s+value\b|\blifetime\s+value\b",
        r"\b(?:your|annual|yearly|monthly|total)\s+spend\b|\byou\s+(?:spend|pay\s+us)\b",
    ),
    INTERNAL: (
        r"\bchurn\w*\b",
        r"\bat[- ]risk\b",
        r"\brisk\s+of\s+(?:churn|leaving|cancel\w*|non[- ]?renewal)\b",
        r"\b(?:health|risk|churn|engagement)\s+scores?\b",
        r"\b(?:red|amber|yellow)\s+(?:account|status|health|flag)\b",
        r"\b(?:flagged|marked|rated|scored)\s+(?:as\s+)?(?:red|amber|yellow|at[- ]risk|unhealthy|critical)\b",
        r"\binternal(?:ly)?\s*(?::|only\b|notes?\b|reasons?\b|use\b|assessment\b)",
    ),
}
_COMPILED = {kind: re.compile("|".join(f"(?:{p})" for p in patterns), re.I) for kind, patterns in _PATTERNS.items()}

# Sentences are read one by one. Secrets count only where the sentence asks for something (or
# gives one: "password: …"), and not where it says we never ask ("we will never ask for your
# password"), unless it turns ("…, but please send yours now"). Terms count unless a negation comes
# just before ("nothing in your contract will change").
_SENTENCE = re.compile(r"(?:[^.!?;\n]|[.!?;](?=\S))+[.!?;]?")  # "1.2M" and "e.g." end none
_NEVER_ASK = re.compile(
    r"\b(?:never|not|n't|n’t|no\s+one|nobody)\b\s+(?:[\w'’-]+\s+){0,3}(?:ask|request|need|share|send|email|give)",
    re.I,
)
_TURN = re.compile(r"\b(?:but|however|except|unless|although|though|yet|instead)\b", re.I)
_REQUEST = re.compile(
    r"\b(?:send|share|give|provide|confirm|verify|update|enter|reply|respond|tell|type|submit|email|forward|need|"
    r"require|ask|reset|change|fill|complete|upload|attach|include|log\s+in|sign\s+in|what\s+is|what's|let\s+us\s+know)"
    r"|(?:password|passcode|pin|code|key|token|iban)\s*[:=]",
    re.I,
)
_NEGATIONS = frozenset({"no", "not", "nothing", "never", "none", "without", "nor", "neither"})


def wording_found(kind: str, text: str) -> list[str]:
    """The phrases of ``kind`` (``COMMERCIAL``, ``TERMS``…) in ``text``, as a reader sees them."""
    text = plain(text)
    matches = list(_COMPILED[kind].finditer(text))
    if not matches or kind not in (CREDENTIALS, TERMS):
        return [" ".join(m.group().split()) for m in matches]
    sentences = [s.span() for s in _SENTENCE.finditer(text)]
    found = []
    for m in matches:
        start, end = next(((a, b) for a, b in sentences if a <= m.start() < b), (m.start(), m.end()))
        said = text[start:end]
        if kind == CREDENTIALS and (not _REQUEST.search(said) or (_NEVER_ASK.search(said) and not _TURN.search(said))):
            continue
        if kind == TERMS and _negated(text[start : m.start()]):
            continue
        found.append(" ".join(m.group().split()))
    return found


def _negated(before: str) -> bool:
    """Whether one of the last three words before a phrase negates it."""
    words = [w.strip(".,;:!?\"'“”()").lower() for w in before.split()[-3:]]
    return any(w in _NEGATIONS or w.endswith(("n't", "n’t")) for w in words)
