"""The outbox: what must follow a decision or a request, recorded with it and delivered once.

A workflow that decides something (a handoff approved, plan lines decided, a request received)
takes the effects that must follow as data (``Effect``: an idempotency key, a kind, a payload)
and records them in its own transaction, so the decision and what it owes people land together
or not at all. A deliverer (the Slack bot, or the command that made them) claims each effect,
performs it, and marks it done; what fails for a while is tried again later, also after a
restart. The kinds are the deliverer's business: this module only keeps the queue.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from store import Store
from store import outbox as stored
from workflows.clock import Clock, timestamp

LEASE_S = 180.0  # a claim lasts longer than any one delivery (a model drafting a note: 2 × 30 s)
KEEP_DONE_DAYS = 30


@dataclass(frozen=True)
class Effect:
    """One thing to deliver: ``key`` makes it once (recording it twice records it once)."""

    key: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    delay_s: float = 0.0  # not before this many seconds from now (a digest's parts, a second apart)


Effects = Callable[[Any], Sequence[Effect]]  # what must follow a decision, given what was decided


@dataclass(frozen=True)
class Pending:
    """An effect claimed for delivery."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_by: str


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    key: str
    kind: str
    state: str
    attempts: int
    created_at: str
    created_by: str
    error: str | None
    result: dict[str, Any] | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxList:
    """Effects not delivered yet (pending, being sent) and those that failed for good."""

    entries: tuple[OutboxEntry, ...]


def this_process() -> str:
    """Who claims an effect: host and process id, so a restart can take back a dead process's claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


def record_effects(
    store: Store, effects: Iterable[Effect], *, actor: str, clock: Clock, now: Callable[[], float] = time.time
) -> list[int]:
    """Record effects (inside the caller's transaction when there is one); the ids recorded now."""
    at, moment = timestamp(clock), now()
    added: list[int] = []
    with store.transaction():
        by_delay: dict[float, list[Effect]] = {}
        for effect in effects:
            by_delay.setdefault(effect.delay_s, []).append(effect)
        for delay, group in by_delay.items():
            rows = [(e.key, e.kind, e.payload) for e in group]
            added += stored.add(store, rows, due_at=moment + delay, at=at, actor=actor)
    return added


def effect_ids(store: Store, keys: Sequence[str]) -> list[int]:
    return stored.ids_of(store, keys)


def recorded(store: Store, key: str) -> bool:
    return stored.exists(store, key)


def claim_effects(
    store: Store,
    *,
    limit: int,
    ids: Sequence[int] | None = None,
    claimer: str | None = None,
    now: Callable[[], float] = time.time,
    lease_s: float = LEASE_S,
) -> list[Pending]:
    """Claim up to ``limit`` due effects (of ``ids`` only, when given) for this process."""
    with store.transaction():
        rows = stored.claim(store, now=now(), lease_s=lease_s, claimer=claimer or this_process(), limit=limit, ids=ids)
    return [Pending(r["id"], r["key"], r["kind"], r["payload"], r["attempts"], r["created_by"]) for r in rows]


def effect_done(
    store: Store,
    effect_id: int,
    result: dict[str, Any] | None,
    *,
    clock: Clock,
    then: Sequence[Effect] = (),
    also: Callable[[Store], None] | None = None,
) -> None:
    """Mark an effect delivered, with what the delivery changed (``also``) and what follows it
    (``then``), in one transaction."""
    with store.transaction():
        if also is not None:
            also(store)
        record_effects(store, then, actor="tierbot", clock=clock)
        stored.finish(store, effect_id, at=timestamp(clock), result=result)


def effect_later(
    store: Store, effect_id: int, *, after_s: float, error: str, now: Callable[[], float] = time.time
) -> None:
    """Slack could not take it now: due again in ``after_s`` seconds."""
    with store.transaction():
        stored.postpone(store, effect_id, due_at=now() + after_s, error=error)


def effect_failed(
    store: Store,
    effect_id: int,
    error: str,
    *,
    clock: Clock,
    then: Sequence[Effect] = (),
    also: Callable[[Store], None] | None = None,
) -> None:
    """It cannot be delivered (Slack refuses it for good, or it kept failing): kept as failed,
    with what follows a failure (``then``: telling someone) in the same transaction."""
    with store.transaction():
        if also is not None:
            also(store)
        record_effects(store, then, actor="tierbot", clock=clock)
        stored.fail(store, effect_id, at=timestamp(clock), error=error)


def cover_pending(store: Store, kind: str, field_name: str, value: object, *, by: int, clock: Clock) -> int:
    """Earlier pending effects of ``kind`` for the same ``field_name`` that delivering ``by`` made moot."""
    with store.transaction():
        return stored.covered(store, kind, field_name, value, before_id=by, at=timestamp(clock), by=by)


def effects_with(store: Store, kind: str, field_name: str, value: object) -> list[OutboxEntry]:
    """Every effect of ``kind`` whose payload has ``field_name == value`` (the parts of one digest)."""
    return [_entry(r) for r in stored.siblings(store, kind, field_name, value)]


def release_dead_claims(store: Store, *, alive: Callable[[int], bool], now: Callable[[], float] = time.time) -> int:
    """Claims of processes on this host that are gone (killed, crashed): their effects are due now."""
    host = socket.gethostname()
    dead = []
    for claimer in stored.claimers(store):
        name, _, pid = claimer.rpartition(":")
        if name == host and pid.isdigit() and not alive(int(pid)):
            dead.append(claimer)
    if not dead:
        return 0
    with store.transaction():
        return stored.release_claims_of(store, dead, now=now())


def next_due_in(
    store: Store, *, now: Callable[[], float] = time.time, ids: Sequence[int] | None = None
) -> float | None:
    """Seconds until the next pending effect (of ``ids``) is due (0 when one is due now); None
    when none waits."""
    due = stored.next_due(store, ids)
    return None if due is None else max(0.0, due - now())


def due_now(store: Store, effect_ids: Sequence[int], *, now: Callable[[], float] = time.time) -> int:
    """Pending effects due at once (someone asked for them now, not at the next try)."""
    with store.transaction():
        return stored.hurry(store, effect_ids, due_at=now())


def retry_failed(store: Store, effect_ids: Sequence[int], *, now: Callable[[], float] = time.time) -> int:
    with store.transaction():
        return stored.requeue(store, effect_ids, due_at=now())


def forget_delivered(store: Store, *, clock: Clock, days: int = KEEP_DONE_DAYS) -> int:
    """Drop effects delivered more than ``days`` ago (a decision is not made twice a month later)."""
    before = timestamp(_ago(clock, days))
    with store.transaction():
        return stored.forget_done_before(store, before)


class _ago:
    """A clock ``days`` behind ``clock``."""

    def __init__(self, clock: Clock, days: int):
        self.clock, self.days = clock, days

    def now(self) -> datetime:
        return self.clock.now() - timedelta(days=self.days)


def _entry(row: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        row["id"],
        row["key"],
        row["kind"],
        row["state"],
        row["attempts"],
        row["created_at"],
        row["created_by"],
        row["error"],
        row["result"],
        row["payload"],
    )


def outbox_listing(store: Store, *, failed: bool = True, limit: int = 100) -> OutboxList:
    """Effects waiting (pending, being sent) and, with ``failed``, those given up on, newest first."""
    states = ["pending", "sending", *(["failed"] if failed else [])]
    return OutboxList(tuple(_entry(r) for r in stored.listing(store, states, limit)))


def effect_state(store: Store, effect_id: int) -> OutboxEntry | None:
    row = stored.get(store, effect_id)
    return _entry(row) if row else None
