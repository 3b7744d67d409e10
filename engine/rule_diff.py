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
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                changes.append(f"Rule {i1 + offset + 1} → {j1 + offset + 1}: {old[i1 + offset]}  ⟶  {new[j1 + offset]}")
            continue
        for i in range(i1, i2):
            changes.append(f"Removed rule {i + 1}: {old[i]}")
        for j in range(j1, j2):
            changes.append(f"Added rule {j + 1}: {new[j]}")
    return RuleSetDiff(a.name, b.name, tuple(changes))
