"""Handoffs: moving an account to another CSM as an approved, audited record.

Anyone on the team proposes a move (`tierbot handoff propose`, `/handoff`, the /tier card's
Request handoff); the guardrails are checked and kept with the record; a manager of either CSM,
or a leader, approves or rejects it (a move that fails a guardrail needs a leader's exception);
then it is scheduled, the customer is told, introduced, and the move completes — at which point
the account's owner changes. Every step is recorded with who, when and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any

from engine.errors import InputError, InvalidFields, NotAllowed
from engine.handoffs import (
    NEXT,
    OPEN,
    STATES,
    CsmFacts,
    GuardrailResult,
    GuardrailSettings,
    MoveFacts,
    check_guardrails,
    check_transition,
    failures,
    unknowns,
)
from engine.matching import did_you_mean, fold
from engine.people import build_roster
from engine.permissions import DECIDE_HANDOFF
from store import Store, audit, csms, meta, settings
from store import accounts as account_queries
from store import drafts as stored_drafts
from store import handoffs as stored
from store import roles as stored_roles
from store import workload as stored_workload
from store.audit import AuditEntry
from workflows.clock import Clock, timestamp, today
from workflows.lookup import NameIndex
from workflows.outbox import Effect, Effects, record_effects
from workflows.roles import (
    Person,
    actor_name,
    actor_of,
    actor_slack_id,
    holders,
    identify,
    is_actor,
    record_denial,
    slack_ids_of,
)
from workflows.tiers import one_account

REASON_LENGTH = 500
NOTICE_DAYS = 14  # a move proposed without a date takes effect two weeks out: time to introduce
GUARDRAILS_KEY = "handoffs.guardrails"
CHANNEL_KEY = "handoffs.channel"
COMMITTED = ("approved", "scheduled", "customer notified", "introduced", "completed")  # count toward limits
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


# ---------------------------------------------------------------------------------- settings


def guardrail_settings(store: Store) -> GuardrailSettings:
    return GuardrailSettings.from_mapping(settings.get(store, GUARDRAILS_KEY) or {})


def update_guardrail_settings(store: Store, changes: dict[str, Any], *, actor: str, clock: Clock) -> GuardrailSettings:
    """Change some guardrails; the rest keep their values. Audited."""
    before = guardrail_settings(store)
    unknown = set(changes) - set(asdict(before))
    if unknown:
        raise InputError(f"Unknown guardrail setting {', '.join(sorted(unknown))}.")
    for key, value in changes.items():
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise InputError(f"{key} cannot be negative (0 switches it off).")
    after = replace(before, **changes)
    at = timestamp(clock)
    with store.transaction():
        settings.put(store, GUARDRAILS_KEY, asdict(after), actor, at)
        audit.record(store, [AuditEntry(at, actor, "handoffs.guardrails", "settings", asdict(before), asdict(after))])
    return after


def handoff_channel(store: Store) -> str | None:
    """The managers' channel where proposed handoffs are posted for approval (None: DM the managers)."""
    value = settings.get(store, CHANNEL_KEY)
    return str(value) if value else None


def set_handoff_channel(store: Store, channel: str | None, *, actor: str, clock: Clock) -> str | None:
    typed = (channel or "").strip()
    found = re.fullmatch(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>|([CG][A-Z0-9]{2,})", typed) if typed else None
    if typed and not found:
        raise InputError(
            f"`{typed}` is not a Slack channel id: use the id from the channel's details (like C0123ABCD), "
            "and invite tierbot to the channel."
        )
    value = (found.group(1) or found.group(2)) if found else None
    at = timestamp(clock)
    with store.transaction():
        before = handoff_channel(store)
        settings.put(store, CHANNEL_KEY, value, actor, at)
        audit.record(
            store, [AuditEntry(at, actor, "handoffs.channel", "settings", {"channel": before}, {"channel": value})]
        )
    return value


# ---------------------------------------------------------------------------------- records


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
    guardrails: tuple[GuardrailResult, ...] = ()
    tier: str | None = None
    health: str | None = None
    renewal_date: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    exception_note: str | None = None
    exception_by: str | None = None
    channel: str | None = None
    ts: str | None = None
    from_slack: str | None = None
    to_slack: str | None = None
    requested_by_slack: str | None = None  # whom to tell of the decision in Slack, however they asked
    requested_by_name: str | None = None  # the actors as people know them (roster names)
    decided_by_name: str | None = None
    exception_by_name: str | None = None

    @property
    def failed(self) -> tuple[GuardrailResult, ...]:
        return failures(self.guardrails)

    @property
    def unknown(self) -> tuple[GuardrailResult, ...]:
        """Guardrails that could not be checked for want of data: shown, not blocking."""
        return unknowns(self.guardrails)

    @property
    def next_states(self) -> tuple[str, ...]:
        return NEXT[self.state]


def guardrails_from(stored_json: str | None) -> tuple[GuardrailResult, ...]:
    """Guardrail results as a record keeps them (a JSON list)."""
    return tuple(GuardrailResult(**g) for g in json.loads(stored_json or "[]"))


def _handoff(row: dict, store: Store) -> Handoff:
    decision = next(
        (e for e in reversed(stored.events(store, row["id"])) if e["state"] in ("approved", "rejected")), None
    )
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
        guardrails=guardrails_from(row["guardrails"]),
        tier=row["tier"],
        health=row["health"],
        renewal_date=row["renewal_date"],
        decided_by=decision["actor"] if decision else None,
        decided_at=decision["at"] if decision else None,
        exception_note=row["exception_note"],
        exception_by=row["exception_by"],
        channel=row["channel"],
        ts=row["ts"],
        from_slack=row["from_slack"],
        to_slack=row["to_slack"],
        requested_by_slack=actor_slack_id(store, row["requested_by"]),
        requested_by_name=actor_name(store, row["requested_by"]),
        decided_by_name=actor_name(store, decision["actor"]) if decision else None,
        exception_by_name=actor_name(store, row["exception_by"]) if row["exception_by"] else None,
    )


def get_handoff(store: Store, handoff_id: int) -> Handoff:
    row = stored.get(store, handoff_id)
    if row is None:
        raise InputError(f"There is no handoff #{handoff_id}: `tierbot handoff list` shows them.")
    return _handoff(row, store)


@dataclass(frozen=True)
class HandoffList:
    state: str | None
    handoffs: tuple[Handoff, ...]


@dataclass(frozen=True)
class HandoffSettings:
    guardrails: GuardrailSettings
    channel: str | None


def handoff_settings(store: Store) -> HandoffSettings:
    return HandoffSettings(guardrail_settings(store), handoff_channel(store))


def list_handoffs(store: Store, state: str | None = None) -> HandoffList:
    """Handoffs, newest first: all of them, "open" ones, or those in one state."""
    if state and state != "open" and state not in STATES:
        hint = did_you_mean(state, [*STATES, "open"])
        raise InputError(
            f"`{state}` is not a handoff state"
            + (f"; did you mean `{hint}`?" if hint else ".")
            + f" States: {', '.join(STATES)}, open."
        )
    states = list(OPEN) if state == "open" else [state] if state else None
    return HandoffList(state, tuple(_handoff(row, store) for row in stored.listing(store, states)))


@dataclass(frozen=True)
class HandoffDetail:
    handoff: Handoff
    events: tuple[dict, ...]
    comments: tuple[dict, ...]


def handoff_detail(store: Store, handoff_id: int) -> HandoffDetail:
    """A handoff with every state change and the thread's discussion."""
    h = get_handoff(store, handoff_id)
    events = [e | {"who": actor_name(store, e["actor"])} for e in stored.events(store, h.id)]
    comments = [c | {"who": actor_name(store, f"slack:{c['author']}")} for c in stored.comments(store, h.id)]
    return HandoffDetail(h, tuple(events), tuple(comments))


# ---------------------------------------------------------------------------------- who


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


def resolve_csm(store: Store, text: str) -> str:
    """The roster id of the CSM ``text`` names: a Slack mention or id, a roster id, name or email."""
    typed = text.strip()
    mention = _MENTION.match(typed)
    slack_id = mention.group(1) if mention else typed if re.fullmatch(r"[UW][A-Z0-9]{2,}", typed) else None
    if slack_id:
        row = csms.by_slack_id(store, slack_id)
        if row is None:
            raise InputError(f"<@{slack_id}> is not in the CSM roster: hand accounts to someone who is.")
        return str(row["id"])
    people = csms.people(store)
    wanted = typed.lstrip("@")
    found = build_roster(people).resolve(wanted)
    if found is not None:
        return found
    # People say "to lena" in chat and Slack: a first name that one person in the roster has.
    same_first = [p for p in people if p[1] and fold(str(p[1]).split()[0]) == fold(wanted)]
    if len(same_first) == 1:
        return same_first[0][0]
    if same_first:
        names = " or ".join(f"`{p[1]}`" for p in same_first)
        raise InputError(f"Several people in the roster are called {wanted}: say which, {names}.")
    hint = did_you_mean(wanted, sorted({str(p[1]) for p in people if p[1]} | {p[0] for p in people}))
    raise InputError(f"`{typed}` is not someone in the CSM roster" + (f"; did you mean `{hint}`?" if hint else "."))


def person_named(store: Store, text: str, *, acting: str | None = None) -> Person:
    """A roster person (by id, name, email or Slack id). ``acting`` is who acts as them off Slack
    ("cli:alice", for `--as`): their roles decide what may be done, and the record says who
    really acted; without it the person acts themselves."""
    csm_id = resolve_csm(store, text)
    row = csms.get(store, csm_id) or {}
    slack_id = row.get("slack_user_id")
    if slack_id:
        return replace(identify(store, str(slack_id)), acting=acting)
    return Person(
        f"roster:{csm_id}", frozenset({str(row.get("role"))}), csm_id, row.get("name"), row.get("manager"), acting
    )


# ---------------------------------------------------------------------------------- guardrails


def _csm_facts(store: Store, csm_id: str) -> CsmFacts:
    row = csms.get(store, csm_id) or {"id": csm_id, "name": csm_id}
    latest = stored_workload.latest_submission(store, csm_id)
    work = sum(float(latest[k]) for k in stored_workload.ACTIVITY_COLUMNS) if latest else None
    specialties = tuple(s.strip() for s in re.split(r"[,;/|]", row.get("specialties") or "") if s.strip())
    return CsmFacts(
        id=csm_id,
        name=str(row.get("name") or csm_id),
        region=row.get("region"),
        specialties=specialties,
        accounts=csms.owned_count(store, csm_id),
        work_hours=work,
        capacity_hours=float(latest["capacity_hours"]) if latest else None,
    )


def quarter_bounds(day: date) -> tuple[str, str]:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    end = date(start.year + (start.month == 10), (start.month + 3 - 1) % 12 + 1, 1) - timedelta(days=1)
    return start.isoformat(), end.isoformat()


def guardrails_for(
    store: Store, crm_id: str, to_csm: str, effective: date, *, exclude: int | None = None
) -> tuple[GuardrailResult, ...]:
    """Every guardrail for moving ``crm_id`` to ``to_csm`` on ``effective``, with the current data."""
    return check_guardrails(move_facts(store, crm_id, to_csm, effective, exclude=exclude), guardrail_settings(store))


def move_facts(store: Store, crm_id: str, to_csm: str, effective: date, *, exclude: int | None = None) -> MoveFacts:
    """What the guardrails read for one move, from the store as it is now."""
    account = account_queries.get(store, crm_id) or {}
    owner = account.get("owner")
    start, end = quarter_bounds(effective)
    people = [c for c in (owner, to_csm) if c]
    renewal = account.get("renewal_date")
    facts = MoveFacts(
        account_name=str(account.get("name") or crm_id),
        renewal_date=date.fromisoformat(renewal) if renewal else None,
        strategic=bool(account.get("strategic")),
        health=account.get("health"),
        region=account.get("region"),
        industry=account.get("industry"),
        effective=effective,
        to_csm=_csm_facts(store, to_csm),
        from_csm=_csm_facts(store, owner) if owner else None,
        moves_this_quarter=stored.moves_in(store, people, start, end, list(COMMITTED), exclude),
    )
    return facts


# ---------------------------------------------------------------------------------- proposing


@dataclass(frozen=True)
class HandoffRequest:
    """A checked request: what ``request_handoff`` will record."""

    account: dict
    to_csm: str
    to_name: str
    reason: str
    effective_date: str


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
        errors["to_csm"] = "That CSM is not an active CSM in the roster: pick another."
    day = today(clock)
    try:
        effective_day = date.fromisoformat(effective) if effective else day + timedelta(days=NOTICE_DAYS)
    except ValueError:
        effective_day = day
        errors["effective"] = f"`{effective}` is not a date: write it as YYYY-MM-DD."
    if effective_day < day:
        errors["effective"] = f"{effective_day.isoformat()} has passed: pick today ({day.isoformat()}) or later."
    text = (reason or "").strip()
    if not text:
        errors["reason"] = "Say why: the manager decides on it, and it stays on the record."
    elif len(text) > REASON_LENGTH:
        errors["reason"] = f"Keep the reason under {REASON_LENGTH} characters (it has {len(text)})."
    # One move of an account at a time: a second one in flight could complete after the first and
    # move the account from someone who no longer owns it.
    in_flight = stored.open_for(store, crm_id, list(OPEN))
    if in_flight and not errors:
        other = in_flight[0]
        errors["to_csm"] = (
            f"Handoff #{other['id']} of this account (to {other['to_name']}) is already waiting for a decision."
            if other["state"] == "proposed"
            else f"Handoff #{other['id']} of this account (to {other['to_name']}) is {other['state']}: finish or "
            "cancel it first."
        )
    if errors:
        raise InvalidFields(errors)
    return HandoffRequest(account, str(to_csm), names[str(to_csm)], text, effective_day.isoformat())


def request_handoff(
    store: Store,
    person: Person,
    *,
    crm_id: str,
    to_csm: str | None,
    reason: str | None,
    effective: str | None,
    clock: Clock,
    then: Effects | None = None,
) -> Handoff:
    """Record a proposed move of ``crm_id`` to ``to_csm`` with its guardrails; problems by field.
    ``then`` gives what must follow (sending it for a decision), recorded in the same transaction."""
    at = timestamp(clock)
    actor = actor_of(person)
    with store.transaction():
        # Checked under the write lock: two requests for one account at once record one.
        checked = check_request(store, crm_id=crm_id, to_csm=to_csm, reason=reason, effective=effective, clock=clock)
        results = guardrails_for(store, crm_id, checked.to_csm, date.fromisoformat(checked.effective_date))
        handoff_id = stored.create(
            store,
            crm_id=crm_id,
            from_csm=checked.account["owner"],
            to_csm=checked.to_csm,
            reason=checked.reason,
            effective_date=checked.effective_date,
            guardrails=[asdict(r) for r in results],
            actor=actor,
            at=at,
        )
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "handoff.propose",
                    f"handoff:{handoff_id}",
                    None,
                    {
                        "account": crm_id,
                        "from": checked.account["owner"],
                        "to": checked.to_csm,
                        "reason": checked.reason,
                        "effective": checked.effective_date,
                        "guardrails_failed": [r.name for r in failures(results)],
                        "guardrails_unknown": [r.name for r in unknowns(results)],
                    },
                )
            ],
        )
        if then is not None:
            record_effects(store, then(get_handoff(store, handoff_id)), actor=actor, clock=clock)
    return get_handoff(store, handoff_id)


def propose_handoff(
    store: Store,
    person: Person,
    *,
    account: str,
    to: str,
    reason: str,
    effective: date | None,
    clock: Clock,
    names: NameIndex | None = None,
    then: Effects | None = None,
) -> Handoff:
    """`tierbot handoff propose ACCOUNT --to CSM`: the account by any name, the CSM by any reference."""
    match = one_account(store, account, names)
    to_csm = resolve_csm(store, to)
    try:
        return request_handoff(
            store,
            person,
            crm_id=match.crm_id,
            to_csm=to_csm,
            reason=reason,
            effective=effective.isoformat() if effective else None,
            clock=clock,
            then=then,
        )
    except InvalidFields as invalid:
        raise InputError(" ".join(invalid.errors.values())) from None


def operator(actor: str) -> Person:
    """Whoever runs the command line or the chat without naming themselves: may propose, not decide."""
    return Person(actor, frozenset())


# ---------------------------------------------------------------------------------- deciding


def _managers(store: Store, *csm_ids: str | None) -> set[str]:
    """The roster ids of the managers of these CSMs (none for a CSM without one)."""
    return csms.managers_of(store, [c for c in csm_ids if c])


def deciders(store: Store, from_csm: str | None, to_csm: str | None) -> list[str]:
    """Slack ids of who may decide: the managers of both CSMs, else the leaders."""
    managers = _managers(store, from_csm, to_csm)
    ids = [p["slack_user_id"] for p in stored_roles.roster_people(store) if p["id"] in managers]
    return ids or holders(store, ["leader"])


def manages_either(store: Store, person: Person, from_csm: str | None, to_csm: str | None) -> bool:
    """Whether ``person`` (by the roster) manages either CSM."""
    return person.csm_id is not None and person.csm_id in _managers(store, from_csm, to_csm)


def may_decide(store: Store, person: Person, handoff: Handoff) -> bool:
    """Leaders decide any handoff; a manager only one of their own team's (either CSM).

    A manager by a grant alone (not in the roster) manages nobody, so only a leader's grant
    lets them decide.
    """
    if "leader" in person.roles:
        return True
    return "manager" in person.roles and manages_either(store, person, handoff.from_csm, handoff.to_csm)


def pending_for(store: Store, person: Person) -> list[Handoff]:
    """Requests waiting for ``person``'s decision."""
    if not DECIDE_HANDOFF.allows(person.roles):
        return []
    found = [_handoff(row, store) for row in stored.in_state(store, "proposed")]
    return [h for h in found if may_decide(store, person, h)]


class NeedsException(InputError):
    """An approval of a move that fails a guardrail, without a leader's exception."""


def decide_handoff(
    store: Store,
    handoff_id: int,
    *,
    approve: bool,
    person: Person,
    clock: Clock,
    note: str | None = None,
    exception: str | None = None,
    then: Effects | None = None,
) -> Handoff:
    """Approve or reject a proposed move. Only a manager of either CSM, or a leader, may; a move
    failing a guardrail is approved only by a leader, with ``exception`` saying why. ``then``
    gives what must follow the decision (``decision_effects``), recorded in its transaction."""
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
    actor = actor_of(person)
    with store.transaction():
        current = get_handoff(store, handoff_id)
        if current.state != "proposed":
            raise InputError(
                f"Handoff #{handoff_id} was already {current.state}"
                + (f" by {actor_name(store, current.decided_by)} at {current.decided_at}" if current.decided_by else "")
                + "; nothing changed."
            )
        results: tuple[GuardrailResult, ...] = current.guardrails
        if approve:
            # The data may have moved since the proposal (a renewal date, a full book): check again.
            effective = date.fromisoformat(current.effective_date) if current.effective_date else today(clock)
            results = guardrails_for(store, current.crm_id, current.to_csm, effective, exclude=current.id)
            stored.set_guardrails(store, handoff_id, [asdict(r) for r in results])
            failed = failures(results)
            if failed:
                reasons = " ".join(r.message for r in failed)
                if "leader" not in person.roles:
                    raise NeedsException(
                        f"Handoff #{handoff_id} fails a guardrail: {reasons} Only a leader can approve it, "
                        "as an exception with a reason."
                    )
                if not (exception or "").strip():
                    raise NeedsException(
                        f"Handoff #{handoff_id} fails a guardrail: {reasons} To approve it anyway, give the "
                        'exception\'s reason (`--exception "…"`, or Approve as exception in Slack).'
                    )
                stored.set_exception(store, handoff_id, str(exception).strip(), actor)
        stored.move(store, handoff_id, "proposed", state, at, actor, note or (exception if approve else None))
        audit.record(
            store,
            [
                AuditEntry(
                    at,
                    actor,
                    "handoff.approve" if approve else "handoff.reject",
                    f"handoff:{handoff_id}",
                    {"state": "proposed"},
                    {
                        "state": state,
                        "note": note,
                        "exception": (exception or "").strip() or None,
                        "guardrails_failed": [r.name for r in failures(results)],
                        # Decided without these: the data to check them was missing.
                        "guardrails_unknown": [r.name for r in unknowns(results)],
                    },
                )
            ],
        )
        if then is not None:
            record_effects(store, then(get_handoff(store, handoff_id)), actor=actor, clock=clock)
    return get_handoff(store, handoff_id)


def request_effects(
    handoff: Handoff, *, reply: Mapping[str, Any] | None = None, key: str | None = None
) -> list[Effect]:
    """What follows a proposal: the request sent for a decision (the managers' channel, or DMs to
    the deciders), then, to ``reply`` (a Slack user or response URL), where it actually went.
    Another ``key`` sends it once more (`tierbot handoff post`)."""
    payload: dict[str, Any] = {"handoff": handoff.id} | ({"reply": dict(reply)} if reply else {})
    return [Effect(key or f"handoff:{handoff.id}:request", "handoff.request", payload)]


def decision_effects(
    store: Store, handoff: Handoff, *, decider: str | None = None, tell: Mapping[str, Any] | None = None
) -> list[Effect]:
    """What must follow a decision: the customer note drafted for the new CSM (when approved), the
    decision DM'd to the requester and both CSMs (not to ``decider``, the Slack id of whoever
    decided), the request's channel message and its thread. ``tell``: whom to tell what could not
    be done (a Slack user, a response URL)."""
    base: dict[str, Any] = {"handoff": handoff.id} | ({"tell": dict(tell)} if tell else {})
    key = f"handoff:{handoff.id}:{handoff.state}"
    effects = [Effect(f"handoff:{handoff.id}:note", "handoff.note", base)] if handoff.state == "approved" else []
    people = [handoff.requested_by_slack, *slack_ids_of(store, [handoff.from_csm, handoff.to_csm])]
    for user in dict.fromkeys(p for p in people if p and p != decider):
        effects.append(Effect(f"{key}:dm:{user}", "handoff.dm", base | {"user": user}))
    effects += [
        Effect(f"{key}:message", "handoff.update", base),
        Effect(f"{key}:thread", "handoff.thread", base),
    ]
    return effects


# ---------------------------------------------------------------------------------- later steps


def may_move_on(store: Store, person: Person, handoff: Handoff, state: str) -> bool:
    """Who may take a handoff further: deciders always; the requester may cancel their own
    proposal; the new CSM records the introduction and the completion."""
    if may_decide(store, person, handoff):
        return True
    if state == "cancelled" and handoff.state == "proposed":
        return is_actor(person, handoff.requested_by)
    return state in ("introduced", "completed") and person.csm_id is not None and person.csm_id == handoff.to_csm


def advance_handoff(
    store: Store, handoff_id: int, state: str, *, person: Person, clock: Clock, note: str | None = None
) -> Handoff:
    """Take a handoff to its next state (scheduled, customer notified, introduced, completed or
    cancelled). Completing it makes the new CSM the account's owner."""
    if state in ("approved", "rejected"):
        raise InputError(
            f"Use `tierbot handoff {state[:-1] if state == 'approved' else 'reject'}` to decide a handoff."
        )
    handoff = get_handoff(store, handoff_id)
    check_transition(handoff.id, handoff.state, state)
    if not may_move_on(store, person, handoff, state):
        action = f"mark handoff #{handoff.id} {state}"
        record_denial(store, person, action, where="handoff", clock=clock)
        who = [f"the managers of {handoff.from_name or 'the current owner'} and {handoff.to_name}", "a leader"]
        if state in ("introduced", "completed"):
            who.append("the new CSM")
        if state == "cancelled" and handoff.state == "proposed":
            who.append("whoever requested it")
        raise NotAllowed(
            f"Only {', '.join(who[:-1])} or {who[-1]} may {action}.",
            action,
            ("manager", "leader"),
            deciders(store, handoff.from_csm, handoff.to_csm),
        )
    at = timestamp(clock)
    actor = actor_of(person)
    with store.transaction():
        current = get_handoff(store, handoff_id)
        check_transition(current.id, current.state, state)  # again under the lock: one of two clicks wins
        stored.move(store, handoff_id, current.state, state, at, actor, note)
        entries = [
            AuditEntry(
                at,
                actor,
                f"handoff.{state.replace(' ', '_')}",
                f"handoff:{handoff_id}",
                {"state": current.state},
                {"state": state, "note": note},
            )
        ]
        if state == "cancelled":
            stored_drafts.discard_open(store, handoff_id, at=at, actor=actor)  # no note for a move that is off
        if state == "completed":
            owner = (account_queries.get(store, current.crm_id) or {}).get("owner")
            if current.from_csm and owner != current.from_csm:
                was = current.from_name or current.from_csm
                raise InputError(
                    f"{current.account_name} is owned by {owner or 'nobody'} now, not {was} as when handoff "
                    f"#{current.id} was proposed: cancel it and propose the move again."
                )
            store.execute(
                "UPDATE accounts SET owner = ?, updated_at = ? WHERE crm_id = ?", (current.to_csm, at, current.crm_id)
            )
            meta.bump(store, "accounts_version")
            entries.append(
                AuditEntry(
                    at,
                    actor,
                    "account.owner",
                    f"account:{current.crm_id}",
                    {"owner": owner},
                    {"owner": current.to_csm, "handoff": handoff_id},
                )
            )
        audit.record(store, entries)
    return get_handoff(store, handoff_id)


# ---------------------------------------------------------------------------------- threads


def record_thread(store: Store, handoff_id: int, channel: str, ts: str) -> None:
    """Remember the managers' channel message of a handoff: its thread is the discussion."""
    with store.transaction():
        stored.set_thread(store, handoff_id, channel, ts)


def add_comment(
    store: Store, *, channel: str, thread_ts: str, author: str, text: str, ts: str, clock: Clock, edited: bool = False
) -> int | None:
    """Keep a reply in a handoff's thread as the record's comment; the handoff id, or None when the
    thread is not a handoff's."""
    row = stored.by_thread(store, channel, thread_ts)
    if row is None:
        return None
    at = timestamp(clock)
    with store.transaction():
        if edited:
            stored.edit_comment(store, row["id"], ts, text, at)
        else:
            stored.add_comment(store, row["id"], author, text, ts, at)
    return int(row["id"])
