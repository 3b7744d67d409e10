"""Rule sets and their activations."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from store.db import Store


@dataclass(frozen=True)
class StoredRuleSet:
    """A rule set as stored: its YAML definition and its life so far."""

    name: str
    description: str
    state: str
    definition: str
    source: str | None
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str

    @property
    def fingerprint(self) -> str:
        """Short hash of the definition: tells whether a rule set changed since someone looked."""
        return hashlib.sha256(self.definition.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Activation:
    """A rule set taking effect on a date."""

    id: int
    rule_set: str
    effective_date: str
    at: str
    actor: str


def get(store: Store, name: str) -> StoredRuleSet | None:
    rows = store.query("SELECT * FROM rule_sets WHERE name = ?", (name,))
    return StoredRuleSet(**rows[0]) if rows else None


def all_rule_sets(store: Store) -> list[StoredRuleSet]:
    """Every rule set: the active one first, then drafts, then archived, newest first."""
    rows = store.query(
        "SELECT * FROM rule_sets ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'draft' THEN 1 ELSE 2 END, "
        "updated_at DESC, name"
    )
    return [StoredRuleSet(**r) for r in rows]


def any_reads(store: Store, fields: Iterable[str]) -> bool:
    """Whether some stored rule set mentions one of ``fields`` (a cheap test on the stored text:
    a mention in a description counts too, which only costs work, never a wrong answer)."""
    names = list(fields)
    if not names:
        return False
    tests = " OR ".join(["instr(definition, ?) > 0"] * len(names))
    return store.scalar(f"SELECT 1 FROM rule_sets WHERE {tests} LIMIT 1", tuple(names)) is not None


def active(store: Store) -> StoredRuleSet | None:
    rows = store.query("SELECT * FROM rule_sets WHERE state = 'active'")
    return StoredRuleSet(**rows[0]) if rows else None


def save(store: Store, rule_set: StoredRuleSet) -> None:
    """Insert a rule set, or replace a stored one of the same name (the caller checks it may)."""
    store.require_transaction()
    store.execute(
        "INSERT INTO rule_sets(name, description, state, definition, source, created_at, created_by, "
        "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET description = excluded.description, state = excluded.state, "
        "definition = excluded.definition, source = excluded.source, updated_at = excluded.updated_at, "
        "updated_by = excluded.updated_by",
        (
            rule_set.name,
            rule_set.description,
            rule_set.state,
            rule_set.definition,
            rule_set.source,
            rule_set.created_at,
            rule_set.created_by,
            rule_set.updated_at,
            rule_set.updated_by,
        ),
    )


def set_state(store: Store, name: str, state: str, at: str, actor: str) -> None:
    store.require_transaction()
    store.execute(
        "UPDATE rule_sets SET state = ?, updated_at = ?, updated_by = ? WHERE name = ?",
        (state, at, actor, name),
    )


def record_activation(store: Store, name: str, effective_date: str, at: str, actor: str) -> None:
    store.require_transaction()
    store.execute(
        "INSERT INTO rule_set_activations(rule_set, effective_date, at, actor) VALUES (?, ?, ?, ?)",
        (name, effective_date, at, actor),
    )


def activations(store: Store) -> list[Activation]:
    """Every activation, in the order the rule sets took effect."""
    rows = store.query("SELECT * FROM rule_set_activations ORDER BY effective_date, id")
    return [Activation(**r) for r in rows]


def delete_all(store: Store) -> None:
    """Forget every rule set and activation (the demo's --replace)."""
    store.require_transaction()
    store.execute("DELETE FROM rule_set_activations")
    store.execute("DELETE FROM rule_sets")
