"""Identifiers that look the same but are not: ``ACC-1`` and ``ACC-1`` with a zero-width space,
a fullwidth ``ＡＣＣ-1``, a Cyrillic ``АСС-1`` or a non-breaking hyphen. Each would become a second
account nobody can tell from the first, so an import names both instead.

``skeleton`` maps an id to the form a person sees: compatibility forms folded (NFKC), invisible
format characters dropped, dashes made ``-``, and Cyrillic and Greek letters that look Latin made
Latin. Case is kept: Salesforce's 15-character ids differ by case alone.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables, the unambiguous part).
_LATIN_LOOKALIKES = str.maketrans(
    {
        **dict(zip("АВЕКМНОРСТХУІЈЅ", "ABEKMHOPCTXYIJS", strict=True)),
        **dict(zip("аеорсухіјѕһԁԛԝӏ", "aeopcyxijshdqwl", strict=True)),
        **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
        **dict(zip("ονακι", "ovaki", strict=True)),
    }
)
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"))


def skeleton(text: str) -> str:
    """The id as it looks: ``skeleton("ＡＣＣ\u200b-1") == "ACC-1"``; plain ASCII is unchanged."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return visible.translate(_DASHES).translate(_LATIN_LOOKALIKES)


def difference(a: str, b: str) -> str:
    """The first character that makes ``a`` and ``b`` differ while they look the same, named."""
    for text, other in ((a, b), (b, a)):
        for ch in text:
            if ch not in other and skeleton(ch) != ch:
                name = unicodedata.name(ch, "an unnamed character")
                return f"U+{ord(ch):04X} {name}"
    return "invisible characters"
