"""Roles: who a Slack user is to tierbot, what they may do, and the grants admins manage.

A person's roles are the union of the roster's role for the CSM with their Slack user id, the
roles granted to their user id, and the roles granted to any Slack user group they belong to.
Group membership lives in Slack, so the Slack surface passes the ids of the person's groups in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from engine.errors import InputError, NotAllowed
from engine.fields import ROLES
from engine.matching import did_you_mean
from engine.people import build_roster
from engine.permissions import Permission, roles_text
from store import Store, audit, csms
from store import roles as stored_roles
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")
_GROUP = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$|^(S[A-Z0-9]{2,})$")
SHOWN_HOLDERS = 5


@dataclass(frozen=True)
class Person:
    """A Slack user as tierbot knows them (or a roster person someone acts as)."""

    slack_user_id: str
    roles: frozenset[str]
    csm_id: str | None = None  # their roster entry, when they are on it
    name: str | None = None
    manager: str | None = None
    acting: str | None = None  # who really acts for them, off Slack: "cli:alice" (`--as`)


_ON_BEHALF = re.compile(r"^(?P<surface>\S+) as (?P<who>.+)$")


def actor_of(person: Person) -> str:
    """How the audit log names who acted: "slack:U…" for a Slack user, "cli:alice as marcus-chen"
    for the command line acting as a roster person, or as given ("cli:alice", "roster:dana")."""
    if person.acting:
        return f"{person.acting} as {person.csm_id or person.slack_user_id}"
    return person.slack_user_id if ":" in person.slack_user_id else f"slack:{person.slack_user_id}"


def is_actor(person: Person, actor: str) -> bool:
    """Whether an audit actor names ``person``, whichever surface they acted through."""
    if actor == actor_of(person):
        return True
    on_behalf = _ON_BEHALF.match(actor)
    if on_behalf:
        return person.csm_id is not None and on_behalf["who"] == person.csm_id
    if actor.startswith("roster:"):
        return person.csm_id is not None and actor.removeprefix("roster:") == person.csm_id
    return actor.startswith("slack:") and ":" not in person.slack_user_id and actor[6:] == person.slack_user_id


def actor_slack_id(store: Store, actor: str) -> str | None:
    """The Slack user id of the person an audit actor names, to DM them (None: nobody on Slack)."""
    if actor.startswith("slack:"):
        return actor.removeprefix("slack:")
    on_behalf = _ON_BEHALF.match(actor)
    csm_id = on_behalf["who"] if on_behalf else actor.removeprefix("roster:") if actor.startswith("roster:") else None
    row = csms.get(store, csm_id) if csm_id else None
    return str(row["slack_user_id"]) if row and row.get("slack_user_id") else None


def identify(store: Store, slack_user_id: str, groups: Iterable[str] = ()) -> Person:
    """Who ``slack_user_id`` is: their roster entry and every role they hold."""
    entry = stored_roles.roster_person(store, slack_user_id)
    roles = stored_roles.granted_roles(store, [slack_user_id, *groups])
    if entry is not None and entry["role"] in ROLES:
        roles.add(entry["role"])
    return Person(
        slack_user_id=slack_user_id,
        roles=frozenset(roles),
        csm_id=entry["id"] if entry else None,
        name=entry["name"] if entry else None,
        manager=entry["manager"] if entry else None,
    )


ROLE_ORDER = ("leader", "manager", "admin", "csm")  # whom to name first when saying who may


def holders(store: Store, roles: Iterable[str]) -> list[str]:
    """Slack ids (users and user groups) holding any of ``roles``, the most senior role first."""
    wanted = set(roles)
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    found = [(rank[p["role"]], 0, p["slack_user_id"]) for p in stored_roles.roster_people(store) if p["role"] in wanted]
    found += [(rank[g["role"]], 1, g["subject"]) for g in stored_roles.grants(store) if g["role"] in wanted]
    return list(dict.fromkeys(slack_id for *_, slack_id in sorted(found, key=lambda f: (f[0], f[1]))))


def slack_ids_of(store: Store, csm_ids: Iterable[str | None]) -> list[str]:
    """The Slack user ids of roster people, for DMs."""
    wanted = {c for c in csm_ids if c}
    return [p["slack_user_id"] for p in stored_roles.roster_people(store) if p["id"] in wanted]


def denial(store: Store, person: Person, permission: Permission) -> NotAllowed | None:
    """Why ``person`` may not take ``permission``'s action, or None when they may.

    Only reads: the Slack app checks before it acks and writes the audit entry afterwards.
    """
    if permission.allows(person.roles):
        return None
    if person.roles:
        message = f"Only {roles_text(permission.roles)} may {permission.action}."
    else:
        message = (
            f"tierbot does not know you yet, and only {roles_text(permission.roles)} may {permission.action}. "
            "An admin can add your Slack user id to the roster or grant you a role with `tierbot roles grant`."
        )
    return NotAllowed(
        message,
        permission.action,
        permission.roles,
        holders(store, permission.roles)[:SHOWN_HOLDERS],
        granters(store),
    )


def granters(store: Store) -> list[str]:
    """Whom to ask for a role: the admins, else the leaders."""
    return (holders(store, ["admin"]) or holders(store, ["leader"]))[:SHOWN_HOLDERS]


def record_denial(store: Store, person: Person, action: str, *, where: str, clock: Clock) -> None:
    """Write a refused attempt to the audit log: who tried what, where (the surface too: a refusal
    on the command line is `cli.denied`, in Slack `slack.denied`), holding which roles."""
    actor = actor_of(person)
    surface = actor.split(":", 1)[0]
    on_slack = ":" not in person.slack_user_id
    with store.transaction():
        audit.record(
            store,
            [
                AuditEntry(
                    timestamp(clock),
                    actor,
                    f"{surface}.denied",
                    f"slack_user:{person.slack_user_id}" if on_slack else f"csm:{person.csm_id or actor}",
                    None,
                    {"action": action, "where": where, "roles": sorted(person.roles)},
                )
            ],
        )


def actor_name(store: Store, actor: str) -> str:
    """An audit actor as people know them: "slack:U024BE7LH" → the roster name; "cli:alice as
    marcus-chen" → "Marcus Chen (via cli:alice)"."""
    if actor.startswith("slack:"):
        entry = stored_roles.roster_person(store, actor.removeprefix("slack:"))
        if entry:
            return str(entry["name"])
    on_behalf = _ON_BEHALF.match(actor)
    if on_behalf:
        row = csms.get(store, on_behalf["who"])
        return f"{row['name'] if row and row.get('name') else on_behalf['who']} (via {on_behalf['surface']})"
    return actor


# ---------------------------------------------------------------------------------- grants


@dataclass(frozen=True)
class Subject:
    """Who a grant is for: a Slack user or user group."""

    slack_id: str
    kind: str  # "user" or "user group"
    label: str  # how to show it: the roster name, or the id


def parse_subject(store: Store, text: str) -> Subject:
    """A Slack user or group as an admin types it: ``U024BE7LH``, ``<@U024BE7LH>``, ``S0614TZR7``,
    or a roster id, name or email (``@dana-whitfield``, ``dana@example.com``)."""
    typed = text.strip()
    if not typed:
        raise InputError("Say who: a Slack user id like U024BE7LH, a user group id like S0614TZR7, or a roster name.")
    user = _USER.match(typed)
    if user:
        slack_id = user.group(1) or user.group(2)
        entry = stored_roles.roster_person(store, slack_id)
        return Subject(slack_id, "user", entry["name"] if entry else slack_id)
    group = _GROUP.match(typed)
    if group:
        return Subject(group.group(1) or group.group(2), "user group", group.group(1) or group.group(2))
    roster = build_roster(csms.people(store))
    csm_id = roster.resolve(typed.lstrip("@"))
    if csm_id is None:
        hint = did_you_mean(typed.lstrip("@"), sorted({p[0] for p in csms.people(store)}))
        raise InputError(
            f"`{typed}` is not a Slack user id (U…), a user group id (S…) or someone in the roster"
            + (f"; did you mean `{hint}`?" if hint else ".")
        )
    name = next(str(p[1]) for p in csms.people(store) if p[0] == csm_id)
    slack_id = store.scalar("SELECT slack_user_id FROM csms WHERE id = ?", (csm_id,))
    if not slack_id:
        raise InputError(
            f"{name} has no Slack user id in the roster: add it (column `slack_user_id`) and import the "
            "roster again, or grant the role to the id: `tierbot roles grant U024BE7LH leader`."
        )
    return Subject(str(slack_id), "user", name)


def parse_role(text: str) -> str:
    role = text.strip().lower().rstrip("s") if text.strip().lower() != "csms" else "csm"
    if role not in ROLES:
        hint = did_you_mean(text.strip().lower(), list(ROLES))
        raise InputError(
            f"`{text}` is not a role" + (f"; did you mean `{hint}`?" if hint else ".") + f" Roles: {', '.join(ROLES)}."
        )
    return role


@dataclass(frozen=True)
class GrantReport:
    subject: Subject
    role: str
    changed: bool  # False: it was already granted (grant) or not granted (revoke)
    granted: bool  # True for grant, False for revoke
    roster_role: str | None = None  # the role the roster gives this user, if any


def grant_role(store: Store, who: str, role: str, *, actor: str, clock: Clock) -> GrantReport:
    """Grant a role to a Slack user or user group."""
    subject, chosen = parse_subject(store, who), parse_role(role)
    at = timestamp(clock)
    with store.transaction():
        changed = stored_roles.grant(store, subject.slack_id, chosen, actor, at)
        if changed:
            audit.record(
                store, [AuditEntry(at, actor, "role.grant", f"slack:{subject.slack_id}", None, {"role": chosen})]
            )
    return GrantReport(subject, chosen, changed, True, _roster_role(store, subject))


def revoke_role(store: Store, who: str, role: str, *, actor: str, clock: Clock) -> GrantReport:
    """Take back a role granted by hand (roles from the roster change with the roster)."""
    subject, chosen = parse_subject(store, who), parse_role(role)
    roster_role = _roster_role(store, subject)
    at = timestamp(clock)
    with store.transaction():
        changed = stored_roles.revoke(store, subject.slack_id, chosen)
        if changed:
            audit.record(
                store, [AuditEntry(at, actor, "role.revoke", f"slack:{subject.slack_id}", {"role": chosen}, None)]
            )
    if not changed and roster_role == chosen:
        raise InputError(
            f"{subject.label} is a {chosen} in the roster, not by a grant: change their `role` in the roster "
            "and import it again."
        )
    return GrantReport(subject, chosen, changed, False, roster_role)


def _roster_role(store: Store, subject: Subject) -> str | None:
    entry = stored_roles.roster_person(store, subject.slack_id) if subject.kind == "user" else None
    return entry["role"] if entry else None


@dataclass(frozen=True)
class RoleHolder:
    slack_id: str
    kind: str
    name: str | None
    role: str
    source: str  # "roster" or "granted"
    granted_by: str | None = None
    granted_at: str | None = None


@dataclass(frozen=True)
class RoleList:
    holders: tuple[RoleHolder, ...]


def list_roles(store: Store) -> RoleList:
    """Everyone holding a role: the roster's people, then hand-made grants."""
    roster = stored_roles.roster_people(store)
    names = {p["slack_user_id"]: p["name"] for p in roster}
    out = [RoleHolder(p["slack_user_id"], "user", p["name"], p["role"], "roster") for p in roster if p["role"] in ROLES]
    for g in stored_roles.grants(store):
        kind = "user group" if g["subject"].startswith("S") else "user"
        out.append(
            RoleHolder(
                g["subject"], kind, names.get(g["subject"]), g["role"], "granted", g["granted_by"], g["granted_at"]
            )
        )
    return RoleList(tuple(out))


def group_subjects(store: Store) -> list[str]:
    """User groups holding a grant: the only groups whose members matter to tierbot."""
    return stored_roles.group_subjects(store)
