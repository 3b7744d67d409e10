"""Who a reference to a CSM means: accounts and rosters name people by id, email or name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def person_key(text: str) -> str:
    """The form references are matched in: case- and space-insensitive."""
    return " ".join(str(text).lower().split())


@dataclass(frozen=True)
class Roster:
    """Every way to name each CSM, and the names two people share."""

    references: dict[str, str] = field(default_factory=dict)  # person_key → CSM id
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)  # person_key → CSM ids

    def __bool__(self) -> bool:
        return bool(self.references)

    @property
    def ids(self) -> set[str]:
        return set(self.references.values())

    def resolve(self, reference: str) -> str | None:
        """The CSM id a reference names, or None (unknown or shared by several people)."""
        return self.references.get(person_key(reference))


def build_roster(people: Iterable[tuple[object, object, object]]) -> Roster:
    """A roster from (id, name, email) rows; later rows win for the same id.

    Ids and emails name one person each. A name two people share names nobody: it is listed in
    ``ambiguous`` so the reference can be reported instead of silently given to one of them.
    """
    by_id: dict[str, tuple[str | None, str | None]] = {}
    for csm_id, name, email in people:
        if isinstance(csm_id, str) and csm_id:
            by_id[csm_id] = (name if isinstance(name, str) else None, email if isinstance(email, str) else None)
    names: dict[str, set[str]] = {}
    references: dict[str, str] = {}
    for csm_id, (name, email) in by_id.items():
        if name:
            names.setdefault(person_key(name), set()).add(csm_id)
        if email:
            references[person_key(email)] = csm_id
    ambiguous = {key: tuple(sorted(ids)) for key, ids in names.items() if len(ids) > 1}
    for key, ids in names.items():
        if len(ids) == 1:
            references.setdefault(key, next(iter(ids)))
    for csm_id in by_id:
        references[person_key(csm_id)] = csm_id
    return Roster(references, ambiguous)
