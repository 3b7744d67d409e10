"""Text as a reader sees it: look-alike letters, invisible characters and compatibility forms undone.

A note that writes "Glоbex" with a Cyrillic о, "ɢʟᴏʙᴇx" in small capitals, "Ｇｌｏｂｅｘ" in fullwidth
letters or "Glo\u200bbex" with a zero-width space shows a reader the name Globex, while a plain
comparison sees another word. ``visible`` undoes what no reader can see (compatibility forms,
invisible characters); ``unspoof`` then writes every letter that is drawn like a Latin one as that
Latin letter, keeping its case and the text's length, so a match found in one is at the same place
in the other; ``bare`` drops combining marks too, and ``word_key`` gives the folded form words are
compared in. ``skeleton`` gives an identifier as it looks (dashes too), for imports to tell apart
ids that only look the same.

The table follows Unicode's confusables data (UTS #39) for the letters that matter in names,
links and mentions: Cyrillic, Greek, Armenian, Cherokee and Lisu look-alikes of Latin letters,
small capitals and a few Latin variants (dotless i, script g). A word of another script alone
("Газпром", "ΑΘΗΝΑ") is keyed the same in any case, so it still equals itself written otherwise;
a word mixing Latin letters with look-alikes ("Вrooks") is read letter by letter as drawn.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from engine.matching import fold

# Pairs of (look-alikes, the Latin letters they are drawn like), position by position.
_PAIRS = (
    # Cyrillic
    ("АВСЕНІЈКМОРЅТХУҮԌԚԜӀ", "ABCEHIJKMOPSTXYYGQWI"),
    ("асеорхуіјѕһԁԛԝӏгүѵѡ", "aceopxyijshdqwlryvw"),
    ("вкмнт", "BKMHT"),  # small letters drawn like Latin small capitals, read as capitals as those are
    # Greek (lunate sigma included)
    ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹϺͿ", "ABEZHIKMNOPTYXCMJ"),
    ("αικνορτυχγϲϳ", "aikvoptuxycj"),
    # Armenian
    ("ՕՍՏ", "OUS"),
    ("օոսհցզ", "onuhgq"),
    # Cherokee (capitals only: its small letters are rare)
    ("ᎪᏴᏟᎬᎻᎫᏦᎷᏞᏒᏚᎢᏙᏔᏃ", "ABCEHJKMLRSTVWZ"),
    # Lisu, an alphabet drawn from Latin capitals
    ("ꓮꓐꓚꓓꓰꓝꓖꓧꓲꓙꓗꓡꓟꓠꓳꓑꓣꓢꓔꓴꓦꓪꓫꓬꓜ", "ABCDEFGHIJKLMNOPRSTUVWXYZ"),
    # Small capitals read as capitals (there is no small capital X)
    ("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴜᴠᴡʏᴢ", "ABCDEFGHIJKLMNOPQRSTUVWYZ"),
    # Latin variants
    ("ıȷɑɡɩǀʋ", "ijagilv"),
)
_LOOKALIKES = {ord(c): latin for spoofs, latins in _PAIRS for c, latin in zip(spoofs, latins, strict=True)}
# The same, by lower-case letter, for words wholly in another script: "Газпром" and "ГАЗПРОМ" must
# key alike, so a letter keys as its capital does ("ν" as "Ν", N) where both are look-alikes.
_FOLDED: dict[int, str] = {}
for _spoofs, _latins in sorted(_PAIRS, key=lambda pair: not pair[0].isupper()):
    for _c, _latin in zip(_spoofs, _latins, strict=True):
        _FOLDED.setdefault(ord(_c.lower()), _latin.lower())
_LATIN = re.compile(r"[A-Za-z]")

# Invisible yet not format characters: Hangul fillers and the blank Braille pattern.
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


@lru_cache(maxsize=256)  # a note's subject and body are read by every rule
def visible(text: str) -> str:
    """``text`` in compatibility form (fullwidth and styled letters plain) without invisible characters."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf" and c not in _BLANKS)


def unspoof(text: str) -> str:
    """``text`` with each look-alike letter written as the Latin letter it is drawn like (same length)."""
    return text.translate(_LOOKALIKES)


@lru_cache(maxsize=256)
def bare(text: str) -> str:
    """``visible`` text without combining marks ("Zürich" is "Zurich", a struck-through "G̶" a "G")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", visible(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain(text: str) -> str:
    """``text`` as a reader sees its letters: ``bare``, and look-alikes written as Latin letters."""
    return unspoof(bare(text))


@lru_cache(maxsize=8192)  # a note's words repeat, and so do the names it is checked against
def word_key(word: str) -> str:
    """The folded form of one ``bare`` word that words are compared in: a word with Latin letters
    read as drawn ("Вrooks" is "brooks"), a word wholly in another script the same in any case."""
    if _LATIN.search(word):
        return fold(unspoof(word))
    return fold(word).translate(_FOLDED)


# ---------------------------------------------------------------------------------- identifiers

_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"))


def skeleton(text: str) -> str:
    """An identifier as it looks: ``skeleton("ＡＣＣ\u200b-1") == "ACC-1"``; plain ASCII is unchanged.

    ``ACC-1`` with a zero-width space, a fullwidth ``ＡＣＣ-1``, a Cyrillic ``АСС-1`` or a
    non-breaking hyphen would each become a second account nobody can tell from the first, so an
    import compares ids in this form. Case is kept: Salesforce's 15-character ids differ by case
    alone.
    """
    if text.isascii():
        return text
    return unspoof(visible(text)).translate(_DASHES)


def difference(a: str, b: str) -> str:
    """The first character that makes ``a`` and ``b`` differ while they look the same, named."""
    for text, other in ((a, b), (b, a)):
        for ch in text:
            if ch not in other and skeleton(ch) != ch:
                name = unicodedata.name(ch, "an unnamed character")
                return f"U+{ord(ch):04X} {name}"
    return "invisible characters"
