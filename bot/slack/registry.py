"""Registering listeners: each declares the permission it needs and receives a typed request.

Listeners stay thin (ack, call one workflow, reply with blocks): the permission check runs as
Bolt listener middleware before them, and their errors become Slack replies here, in one place,
never a stack trace in front of a person.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.common import Message, denied_message, error_message, notice_view
from bot.slack.deps import SlackDeps
from bot.slack.middleware import check, kind_of, requires
from bot.slack.outbound import slack_said
from bot.slack.retries import ResponseUrlRefused, respond_through
from engine.errors import InvalidFields, NotAllowed, StoreBusy, TierbotError
from engine.permissions import Permission
from store import Store
from workflows.outbox import Effect, record_effects
from workflows.roles import Person, record_denial

log = logging.getLogger("tierbot.slack")
TRIGGER_ERRORS = {"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"}
BUSY = (
    "tierbot's store is busy with another change (an import or a re-tiering) and could not record this: "
    "nothing was done. Try again in a minute."
)
T = TypeVar("T")


@dataclass
class Req:
    """One request from Slack, as listeners see it."""

    body: dict[str, Any]
    deps: SlackDeps
    person: Person
    client: WebClient
    _ack: Any
    _respond: Any
    acked: bool = False

    @property
    def kind(self) -> str:
        return kind_of(self.body)

    @property
    def user_id(self) -> str:
        return self.person.slack_user_id

    @property
    def text(self) -> str:
        """A slash command's text, spaces tidied."""
        return " ".join(str(self.body.get("text", "")).split())

    @property
    def channel_id(self) -> str | None:
        channel = self.body.get("channel")
        return self.body.get("channel_id") or (channel.get("id") if isinstance(channel, dict) else None)

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id", ""))

    @property
    def value(self) -> str:
        """The clicked button's value, or the option picked in a select."""
        action = (self.body.get("actions") or [{}])[0]
        picked = action.get("selected_option") or {}
        return str(action.get("value") or picked.get("value") or "")

    def ack(self, **kwargs: Any) -> None:
        self._ack(**kwargs)
        self.acked = True

    def reply(self, note: Message, *, replace: bool = False, public: bool = False) -> None:
        """Answer where the request came from: through its response URL (privately unless
        ``public``; retried like any call to Slack), or, from App Home where there is none or
        when Slack no longer takes it, in the person's DM with the app."""
        url = self.body.get("response_url")
        if url:
            message = {"response_type": "in_channel" if public else "ephemeral", "replace_original": replace}
            try:
                respond_through(str(url), message | note.as_kwargs())
                return
            except ResponseUrlRefused as refused:
                if public:
                    raise
                log.warning("answering %s by DM: %s", self.user_id, refused)
        self.client.chat_postMessage(channel=self.user_id, **note.as_kwargs())

    def open_modal(self, view: dict[str, Any]) -> None:
        """Ack, then open ``view`` with the request's trigger id: at once and without waiting out a
        rate limit or retrying, since the trigger lives three seconds."""
        if not self.acked:
            self.ack()
        once_only = WebClient(token=self.client.token, base_url=self.client.base_url, timeout=3, retry_handlers=[])
        once_only.views_open(trigger_id=self.trigger_id, view=view)

    def dm(self, user_id: str, note: Message) -> dict[str, Any] | None:
        """Send ``note`` to a person's DM with the app; None (and a log line) when Slack refuses."""
        try:
            posted = self.client.chat_postMessage(channel=user_id, **note.as_kwargs())
        except SlackApiError as failure:
            log.warning("could not DM %s: %s", user_id, failure.response.get("error"))
            return None
        return dict(posted.data) if isinstance(posted.data, dict) else {}

    def later(self, work: Callable[[], None]) -> None:
        """Run the slow part after the ack, on the work pool.

        Acks run on Bolt's listener threads; slow parts (lookups that load the book, charts,
        re-tiering) wait their turn on a few work threads, so a burst of requests never starves
        the acks of their 3 seconds. Errors reply to the person like any other.
        """

        def run() -> None:
            try:
                work()
            except Exception as exc:
                answer_error(self, exc)

        self.deps.work.submit(run)

    def refuse(self, denial: NotAllowed, where: str) -> NotAllowed:
        """A denial found by a check that only reads (before the ack): audited like any other,
        after the answer. Raise what it returns."""
        deps = self.deps
        deps.in_background(record_denial, deps.store, self.person, denial.action, where=where, clock=deps.clock)
        return denial

    def require(self, permission: Permission, where: str) -> None:
        """Raise ``NotAllowed`` unless this person may (for a check inside a listener)."""
        refused = check(self.deps, self.person, permission, where)
        if refused is not None:
            raise refused

    @property
    def asker(self) -> dict[str, str]:
        """Where to answer this person later: the request's response URL (while it lasts), else their DM."""
        url = self.body.get("response_url")
        return {"user": self.user_id} | ({"response_url": str(url)} if url else {})

    @property
    def team_id(self) -> str | None:
        team = self.body.get("team")
        return self.body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)

    @property
    def asked(self) -> dict[str, Any]:
        """Who asked and from where, as what follows a request needs it later: the user, their
        role-holding Slack groups, the workspace and the response URL (while it lasts)."""
        deps = self.deps
        asked = {
            "user": self.user_id,
            "groups": deps.groups.groups_of(deps.reader, self.client, self.user_id),
            "team": self.team_id,
            "response_url": self.body.get("response_url"),
        }
        return {k: v for k, v in asked.items() if v}

    def write_now(self, write: Callable[[Store], T]) -> T:
        """Write before the ack, on the intake connection (its own lock, a short busy timeout), so
        what the ack confirms is in the store; then deliver what the write left in the outbox. When
        another process holds the store for longer than the ack can wait, raise ``StoreBusy``
        saying nothing was done (a form keeps what was typed)."""
        try:
            result = write(self.deps.intake)
        except StoreBusy:
            raise StoreBusy(BUSY) from None
        self.deps.kick()
        return result

    def record(self, kind: str, *, key: str | None = None, **payload: Any) -> str:
        """Record this request in the outbox before the ack, so an acked request is never lost;
        the deliverer carries it out at once (``bot.slack.intents``). Returns its key (``key``:
        the same request asked twice, a double click, is recorded once). When another process
        holds the store for longer than the ack can wait, says so and records nothing."""
        key = key or f"slack:{uuid.uuid4().hex}"
        effect = Effect(key, kind, self.asked | payload)
        clock = self.deps.clock
        self.write_now(lambda intake: record_effects(intake, [effect], actor=f"slack:{self.user_id}", clock=clock))
        return key

    def once(self, key: str) -> bool:
        """True the first time this effect is asked for: a double click or a retry does nothing."""
        return self.deps.once.first_time(key)


Listener = Callable[[Req], None]


@dataclass
class Registry:
    """The Bolt app plus what was registered on it, for the manifest consistency test."""

    bolt: App
    deps: SlackDeps
    commands: dict[str, Permission] = field(default_factory=dict)
    actions: dict[str, Permission] = field(default_factory=dict)
    views: dict[str, Permission] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)

    def command(self, name: str, permission: Permission) -> Callable[[Listener], Listener]:
        def register(fn: Listener) -> Listener:
            self.commands[name] = permission
            self.bolt.command(name, middleware=[requires(self.deps, permission, name)])(self._wrap(fn))
            return fn

        return register

    def action(self, action_id: str, permission: Permission) -> Callable[[Listener], Listener]:
        def register(fn: Listener) -> Listener:
            self.actions[action_id] = permission
            matcher = re.compile(rf"^{re.escape(action_id)}(:.*)?$")  # "tier_pick:2" for a select per row
            where = f"button {action_id}"
            self.bolt.action(matcher, middleware=[requires(self.deps, permission, where)])(self._wrap(fn))
            return fn

        return register

    def view(self, callback_id: str, permission: Permission) -> Callable[[Listener], Listener]:
        def register(fn: Listener) -> Listener:
            self.views[callback_id] = permission
            where = f"form {callback_id}"
            self.bolt.view(callback_id, middleware=[requires(self.deps, permission, where)])(self._wrap(fn))
            return fn

        return register

    def event(self, name: str, subscriptions: tuple[str, ...] = ()) -> Callable[[Listener], Listener]:
        """An event listener: events are Slack telling us something, not a person asking.
        ``subscriptions`` are the manifest's names for it when they differ ("message.channels")."""

        def register(fn: Listener) -> Listener:
            self.events.update(subscriptions or (name,))
            self.bolt.event(name)(self._wrap(fn))
            return fn

        return register

    def _wrap(self, fn: Listener) -> Callable[..., None]:
        deps = self.deps

        def listener(ack: Any, body: dict[str, Any], respond: Any, client: WebClient, context: dict[str, Any]) -> None:
            person = context.get("person") or Person(context.get("user_id") or "unknown", frozenset())
            req = Req(body, deps, person, client, ack, respond)
            try:
                fn(req)
            except Exception as exc:  # every failure becomes a reply; nothing escapes to a person raw
                answer_error(req, exc)
            finally:
                if not req.acked and req.kind != "event":
                    req.ack()

        return listener


def slack_refusal(error: str) -> str:
    """What to tell a person when Slack itself refused what tierbot tried."""
    if error in TRIGGER_ERRORS:
        return "Slack closed the window for opening the form (it allows 3 seconds): please try again."
    if error == "ratelimited":
        return "Slack asked tierbot to slow down: please try again in a few seconds."
    if error in ("not_in_channel", "channel_not_found"):
        return f"Slack refused it: {slack_said(error)}, then try again."
    return f"Slack refused what tierbot tried to do (`{error}`); the bot's log has the details."


def first_field(view: dict[str, Any]) -> str | None:
    """The block id of a form's first input (where a problem with the whole form is shown)."""
    inputs = [b for b in view.get("blocks", []) if b.get("type") == "input" and b.get("block_id")]
    return str(inputs[0]["block_id"]) if inputs else None


def answer_error(req: Req, exc: Exception) -> None:
    """Turn an error into a private reply: the message for ours, a reference for a bug."""
    if isinstance(exc, InvalidFields) and req.kind == "view" and not req.acked:
        req.ack(response_action="errors", errors=exc.errors)  # each message beside its field
        return
    field_name = first_field(req.body.get("view") or {})
    if isinstance(exc, StoreBusy) and req.kind == "view" and not req.acked and field_name:
        req.ack(response_action="errors", errors={field_name: str(exc)})  # the form stays open, as typed
        return
    if isinstance(exc, NotAllowed):
        note = denied_message(exc)
    elif isinstance(exc, TierbotError):
        note = error_message(str(exc))
    elif isinstance(exc, SlackApiError):
        note = error_message(slack_refusal(str(exc.response.get("error"))))
        log.warning("Slack refused a call answering %s: %s", req.user_id, exc.response.get("error"))
    else:
        reference = uuid.uuid4().hex[:8]
        log.exception("unexpected error answering a Slack request (reference %s)", reference)
        note = error_message(
            f"Something went wrong on tierbot's side (reference {reference}); the bot's log has the details. "
            "Try again, and tell your tierbot admin if it keeps happening."
        )
    try:
        if req.kind == "event":
            log.error("could not handle a %s event: %s", req.body.get("event", {}).get("type"), exc)
        elif req.kind == "view" and not req.acked:
            req.ack(response_action="update", view=notice_view("tierbot", note))
        elif req.kind == "command" and not req.acked:
            req.ack(response_type="ephemeral", **note.as_kwargs())
        else:
            if not req.acked:
                req.ack()
            req.reply(note)
    except SlackApiError as failure:
        log.error("could not deliver an error message to %s: %s", req.user_id, failure.response.get("error"))
    except Exception:  # Slack unreachable: the log is all that is left
        log.exception("could not deliver an error message to %s", req.user_id)
