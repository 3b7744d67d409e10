"""What every Slack listener works with: the store, the clock and the in-memory caches."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import SlackSettings
from store import Store
from workflows.audit import record_refusal
from workflows.books import BookCache
from workflows.clock import Clock
from workflows.drafting import NoteWriter
from workflows.idempotency import Once, RecentKeys, remember
from workflows.lookup import NameIndex
from workflows.roles import group_subjects

if TYPE_CHECKING:
    from bot.slack.outbox import Deliverer

log = logging.getLogger("tierbot.slack")

UNVERIFIED = "slack:unverified"  # the audit's actor for a request whose sender is not proven
INTAKE_BUSY_S = 1.5  # the longest a request's ack waits for another writer before saying so
GROUPS_TTL_S = 300.0
WORK_THREADS = 4  # user-group membership is fetched from Slack at most every five minutes


@dataclass
class GroupDirectory:
    """Members of the Slack user groups that hold a tierbot role.

    Looked up in Slack once, then served from memory: after ``ttl_s`` the answer is refreshed in
    the background while the last one keeps serving, so checking a role never makes a request
    wait on Slack (roles are checked before the ack, inside Slack's 3 seconds).
    """

    ttl_s: float = GROUPS_TTL_S
    now: Callable[[], float] = time.monotonic
    _members: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    _refreshing: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def groups_of(self, store: Store, client: WebClient, user_id: str) -> list[str]:
        """The role-holding groups ``user_id`` belongs to."""
        return [g for g in group_subjects(store) if user_id in self._members_of(client, g)]

    def _members_of(self, client: WebClient, group: str) -> frozenset[str]:
        with self._lock:
            cached = self._members.get(group)
            stale = cached is None or self.now() - cached[0] >= self.ttl_s
            refresh_in_background = stale and cached is not None and group not in self._refreshing
            if refresh_in_background:
                self._refreshing.add(group)
        if cached is None:
            return self._fetch(client, group)  # the first time there is nothing to serve meanwhile
        if refresh_in_background:
            threading.Thread(target=self._fetch, args=(client, group), daemon=True, name="groups").start()
        return cached[1]

    def _fetch(self, client: WebClient, group: str) -> frozenset[str]:
        try:
            users: frozenset[str] = frozenset(client.usergroups_users_list(usergroup=group).get("users", []))
        except SlackApiError as exc:
            # A deleted group or a missing usergroups:read scope grants nothing; say so in the log.
            log.warning("cannot list the members of user group %s: %s", group, exc.response.get("error"))
            users = frozenset()
        except Exception:  # Slack unreachable: keep what we had rather than fail the request
            log.exception("cannot reach Slack to list the members of user group %s", group)
            with self._lock:
                self._refreshing.discard(group)
                return self._members.get(group, (0.0, frozenset()))[1]
        with self._lock:
            self._members[group] = (self.now(), users)
            self._refreshing.discard(group)
        return users


@dataclass
class SlackDeps:
    """The collaborators listeners pass to workflows, shared by every request."""

    store: Store
    clock: Clock
    settings: SlackSettings
    names: NameIndex = field(default_factory=NameIndex)
    books: BookCache = field(default_factory=BookCache)
    groups: GroupDirectory = field(default_factory=GroupDirectory)
    writer: NoteWriter = field(default_factory=NoteWriter)  # drafts customer notes (templates by default)
    # The slow parts after an ack (see Req.later). Two cores: a few threads keep them moving
    # without taking the interpreter from the threads that ack.
    work: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="slack-work")
    )
    # Bookkeeping (keys received, refusals' audit entries) waits for the store's write lock, which
    # another process may hold for a while: on its own thread, so it never takes a work thread.
    bookkeeping: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-bookkeeping")
    )
    # A second connection for what runs before the ack (who is asking, was this seen): reads on
    # it never queue behind a write transaction on the main connection (WAL readers do not wait).
    reader: Store = field(init=False)
    # A third, for the one write before an ack (a request recorded in the outbox): its own lock,
    # and a short busy timeout, so the ack says "busy, try again" inside Slack's 3 seconds.
    intake: Store = field(init=False)
    once: Once = field(init=False)
    recent: RecentKeys = field(init=False)
    deliverer: Deliverer | None = None  # delivers the outbox; set by build_app

    def __post_init__(self) -> None:
        self.once = Once(self.store)
        self.reader = Store(self.store.path, create=False, today=self.store.today)
        self.intake = Store(self.store.path, create=False, today=self.store.today, busy_timeout_s=INTAKE_BUSY_S)
        self.recent = RecentKeys(self.reader, lambda key: self.in_background(remember, self.store, key))

    def kick(self) -> None:
        """Something was recorded in the outbox: deliver it now."""
        if self.deliverer is not None:
            self.deliverer.kick()

    def in_background(self, job: Callable[..., object], *args: object, **kwargs: object) -> None:
        """Run bookkeeping (an audit entry, a key received) off the request's path; log failures."""

        def run() -> None:
            try:
                job(*args, **kwargs)
            except Exception:
                log.exception("background bookkeeping failed (%s)", getattr(job, "__name__", job))

        self.bookkeeping.submit(run)

    def refused(self, reason: str, *, actor: str = UNVERIFIED, **details: object) -> None:
        """Audit a request refused before any listener ran, after the answer has gone."""
        self.in_background(record_refusal, self.store, reason, actor=actor, details=details, clock=self.clock)

    def close(self) -> None:
        """Finish the work already accepted, deliver what is due, then stop."""
        self.work.shutdown(wait=True)
        if self.deliverer is not None:
            self.deliverer.stop()
        self.bookkeeping.shutdown(wait=True)
        self.reader.close()
        self.intake.close()
