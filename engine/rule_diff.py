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
        removed, added = list(range(i1, i2)), list(range(j1, j2))
        block: list[tuple[int, str]] = []
        # Within a changed stretch, a rule that kept its label (else its tier) was edited.
        for same in (lambda r: (r.tier, r.label), lambda r: r.label or None, lambda r: r.tier):
            for i in list(removed):
                match = next((j for j in added if same(a.rules[i]) and same(a.rules[i]) == same(b.rules[j])), None)
                if match is not None:
                    block.append((match, f"Rule {i + 1} → {match + 1}: {old[i]}  ⟶  {new[match]}"))
                    removed.remove(i)
                    added.remove(match)
        block += [(j1 + (i - i1), f"Removed rule {i + 1}: {old[i]}") for i in removed]
        block += [(j, f"Added rule {j + 1}: {new[j]}") for j in added]
        changes += [text for _, text in sorted(block, key=lambda item: item[0])]
    return RuleSetDiff(a.name, b.name, tuple(changes))
