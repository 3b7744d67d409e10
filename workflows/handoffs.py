"""Handoff requests: a person asks to move an account to another CSM; a manager of either CSM,
or a leader, approves or rejects it. Every step is recorded with who, when and why.

Approving records the decision; moving the account (scheduling, notes to the customer, the
owner change) is the transition plan's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.errors import InputError, InvalidFields, NotAllowed
from engine.permissions import DECIDE_HANDOFF
from store import Store, audit, csms
from store import accounts as account_queries
from store import handoffs as stored
from store import roles as stored_roles
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp, today
from workflows.roles import Person, actor_name, holders, record_denial

REASON_LENGTH = 500


@dataclass(frozen=True)
class Handoff:
    id: int
    crm_id: str
    account_name: str
    arr: float
    from_csm: str | None
    from_name: str | None
    to_csm: str
    to_name: str | None
    reason: str
    effective_date: str | None
    state: str
    requested_by: str
    requested_at: str
    decided_by: str | None = None
    decided_at: str | None = None


def _handoff(row: dict, store: Store) -> Handoff:
    decision = next((e for e in reversed(stored.events(store, row["id"])) if e["state"] != "proposed"), None)
    return Handoff(
        id=row["id"],
        crm_id=row["crm_id"],
        account_name=row["account_name"] or row["crm_id"],
        arr=float(row["arr"] or 0.0),
        from_csm=row["from_csm"],
        from_name=row["from_name"],
        to_csm=row["to_csm"],
        to_name=row["to_name"],
        reason=row["reason"],
        effective_date=row["effective_date"],
        state=row["state"],
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        decided_by=decision["actor"] if decision else None,
        decided_at=decision["at"] if decision else None,
    )


@dataclass(frozen=True)
class HandoffChoice:
    csm_id: str
    name: str
    region: str | None


def handoff_choices(store: Store, crm_id: str) -> tuple[dict, list[HandoffChoice]]:
    """The account, and the active CSMs it could move to (everyone but its owner)."""
    account = account_queries.summary(store, crm_id) if account_queries.get(store, crm_id) else None
    if account is None:
        raise InputError(f"There is no account `{crm_id}` any more; look it up again with /tier.")
    people = csms.active_csms(store)
    return account, [HandoffChoice(p["id"], p["name"], p["region"]) for p in people if p["id"] != account["owner"]]


@dataclass(frozen=True)
class HandoffRequest:
    """A checked request: what ``request_handoff`` will record."""

    account: dict
    to_csm: str
    to_name: str
    reason: str
    effective_date: str | None


def check_request(
    store: Store, *, crm_id: str, to_csm: str | None, reason: str | None, effective: str | None, clock: Clock
) -> HandoffRequest:
    """Check a handoff request; every problem comes back by field (``InvalidFields``). Reads only."""
    account, choices = handoff_choices(store, crm_id)
    errors: dict[str, str] = {}
    names = {c.csm_id: c.name for c in choices}
    if not to_csm:
        errors["to_csm"] = "Pick the CSM who should take the account."
    elif to_csm == account["owner"]:
        errors["to_csm"] = f"{account['owner_name'] or to_csm} already owns {account['name']}: pick someone else."
    elif to_csm not in names:
        errors["to_csm"] = "That CSM is not active in the roster any more: pick another."
    day = today(clock)
    try:
        effective_day = date.fromisoformat(effective) if effective else None
    except ValueError:
        effective_day = None
        errors["effective"] = "Pick a date from the calendar."
    if effective_day is not None and effective_day < day:
        errors["effective"] = f"{effective_day.isoformat()} has passed: pick today ({day.isoformat()}) or later."
    text = (reason or "").strip()
    if not text:
        errors["reason"] = "Say why: the manager decides on it, and it stays on the record."
    elif len(text) > REASON_LENGTH:
        errors["reason"] = f"Keep the reason under {REASON_LENGTH} characters (it has {len(text)})."
    waiting = stored.in_state(store, "proposed", crm_id)
    if waiting and not errors:
        errors["to_csm"] = (
            f"Handoff #{waiting[0]['id']} of this account (to {waiting[0]['to_name']}) is already waiting for a "
            "decision."
        )
    if errors:
        raise InvalidFields(errors)
    return HandoffRequest(
        account, str(to_csm), names[str(to_csm)], text, effective_day.isoformat() if effective_day else None
    )


def request_handoff(
    store: Store,
    person: Person,
    *,
    crm_id: str,
    to_csm: str | None,
    reason: str | None,
    effective: str | None,
    clock: Clock,
) -> Handoff:
    """Record a request to move ``crm_id`` to ``to_csm``; every problem comes back by field."""
    at = timestamp(clock)
    actor = f"slack:{person.slack_user_id}"
    with store.transaction():
        # Checked under the write lock: two requests for one account at once record one.
        checked = check_request(store, crm_id=crm_id, to_csm=to_csm, reason=reason, effective=effective, clock=clock)
        handoff_id = stored.create(
            store,
            crm_id=crm_id,
            from_csm=checked.account["owner"],
            to_csm=checked.to_csm,
            reason=checked.reason,
            effective_date=checked.effective_date,
            actor=actor,
            at=at,
        )
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "handoff.request",
                    f"handoff:{handoff_id}",
                    None,
                    {
                        "account": crm_id,
                        "from": checked.account["owner"],
                        "to": checked.to_csm,
                        "reason": checked.reason,
                    },
                )
            ],
        )
    return get_handoff(store, handoff_id)


def get_handoff(store: Store, handoff_id: int) -> Handoff:
    row = stored.get(store, handoff_id)
    if row is None:
        raise InputError(f"There is no handoff #{handoff_id}.")
    return _handoff(row, store)


def _managers(store: Store, *csm_ids: str | None) -> set[str]:
    """The roster ids of the managers of these CSMs (none for a CSM without one)."""
    return csms.managers_of(store, [c for c in csm_ids if c])


def deciders(store: Store, from_csm: str | None, to_csm: str | None) -> list[str]:
    """Slack ids of who may decide: the managers of both CSMs, else the leaders."""
    managers = _managers(store, from_csm, to_csm)
    ids = [p["slack_user_id"] for p in stored_roles.roster_people(store) if p["id"] in managers]
    return ids or holders(store, ["leader"])


def may_decide(store: Store, person: Person, handoff: Handoff) -> bool:
    """Leaders decide any handoff; a manager only one of their own team's (either CSM).

    A manager by a grant alone (not in the roster) manages nobody, so only a leader's grant
    lets them decide.
    """
    if "leader" in person.roles:
        return True
    if "manager" not in person.roles or person.csm_id is None:
        return False
    return person.csm_id in _managers(store, handoff.from_csm, handoff.to_csm)


def pending_for(store: Store, person: Person) -> list[Handoff]:
    """Requests waiting for ``person``'s decision."""
    if not DECIDE_HANDOFF.allows(person.roles):
        return []
    found = [_handoff(row, store) for row in stored.in_state(store, "proposed")]
    return [h for h in found if may_decide(store, person, h)]


def decide_handoff(
    store: Store, handoff_id: int, *, approve: bool, person: Person, clock: Clock, note: str | None = None
) -> Handoff:
    """Approve or reject a request; only a manager of either CSM, or a leader, may."""
    handoff = get_handoff(store, handoff_id)
    if not may_decide(store, person, handoff):
        action = f"decide handoff #{handoff.id}"
        record_denial(store, person, action, where="handoff decision", clock=clock)
        raise NotAllowed(
            f"Only the managers of {handoff.from_name or 'the current owner'} and {handoff.to_name}, or a leader, "
            f"may decide handoff #{handoff.id}.",
            action,
            ("manager", "leader"),
            deciders(store, handoff.from_csm, handoff.to_csm),
        )
    state = "approved" if approve else "rejected"
    at = timestamp(clock)
    actor = f"slack:{person.slack_user_id}"
    with store.transaction():
        if not stored.move(store, handoff_id, "proposed", state, at, actor, note):
            done = get_handoff(store, handoff_id)
            raise InputError(
                f"Handoff #{handoff_id} was already {done.state}"
                + (f" by {actor_name(store, done.decided_by)} at {done.decided_at}" if done.decided_by else "")
                + "; nothing changed."
            )
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    f"handoff.{state[:-1] if approve else 'reject'}",
                    f"handoff:{handoff_id}",
                    {"state": "proposed"},
                    {"state": state, "note": note},
                )
            ],
        )
    return get_handoff(store, handoff_id)
