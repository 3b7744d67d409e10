"""What changed between two rule sets, rule by rule, in words."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from engine.rules import Rule, RuleSet, describe


@dataclass(frozen=True)
class RuleSetDiff:
    """The differences between rule set ``a`` and rule set ``b``, as sentences."""

    a: str
    b: str
    changes: tuple[str, ...]

    @property
    def same(self) -> bool:
        return not self.changes


def _words(rule: Rule) -> str:
    condition = "every account left (default)" if rule.default or rule.when is None else describe(rule.when)
    label = f" “{rule.label}”" if rule.label else ""
    return f"{rule.tier}{label}: {condition}"


def diff_rule_sets(a: RuleSet, b: RuleSet) -> RuleSetDiff:
    """List tier, description and rule changes from ``a`` to ``b``."""
    changes: list[str] = []
    if a.tiers != b.tiers:
        changes.append(f"Tiers: {', '.join(a.tiers)} → {', '.join(b.tiers)}")
    if a.description != b.description:
        changes.append(f"Description: “{a.description}” → “{b.description}”")
    old = [_words(r) for r in a.rules]
    new = [_words(r) for r in b.rules]
    # Compared ignoring case: "Hospital" and "hospital" match the same accounts.
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in old], b=[w.lower() for w in new], autojunk=False)
    removed: list[int] = []
    added: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += range(i1, i2)
            added += range(j1, j2)
    found: list[tuple[int, str]] = []
    # A rule that reappears unchanged elsewhere moved; one that kept its label (else its tier)
    # was edited; what is left was removed or added.
    pairings = (
        lambda r, _: _words(r).lower(),
        lambda r, _: (r.tier, r.label.lower()),
        lambda r, _: r.label.lower() or None,
        lambda r, _: r.tier,
    )
    for kind, key in enumerate(pairings):
        for i in list(removed):
            mine = key(a.rules[i], i)
            match = next((j for j in added if mine is not None and mine == key(b.rules[j], j)), None)
            if match is None:
                continue
            verb = "Moved" if kind == 0 else "Changed"
            detail = old[i] if kind == 0 else f"{old[i]}  ⟶  {new[match]}"
            found.append((match, f"{verb} rule {i + 1} → {match + 1}: {detail}"))
            removed.remove(i)
            added.remove(match)
    found += [(j, f"Added rule {j + 1}: {new[j]}") for j in added]
    found += [(i, f"Removed rule {i + 1}: {old[i]}") for i in removed]
    changes += [text for _, text in sorted(found, key=lambda item: item[0])]
    return RuleSetDiff(a.name, b.name, tuple(changes))
