"""`tierbot handoff …`: propose, list, show, decide and move handoffs along; their guardrails."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import click

from bot.cli_base import CONTEXT, TierbotGroup, db_option, emit, json_option, open_cli_store, progress
from bot.cli_drafts import writer_or_templates
from bot.config import app_clock, load_settings, local_actor
from engine.errors import InputError
from engine.handoffs import STATES

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.slack.outbound import RequestDelivery
    from bot.slack.outbox import Deliverer, Outcome
    from store import Store
    from workflows.handoffs import Handoff
    from workflows.roles import Person


def bot_client() -> WebClient | None:
    """The bot's Web API client when SLACK_BOT_TOKEN is set: the command line then keeps Slack in step."""
    from bot.slack.app import web_client
    from bot.slack.retries import COMMAND_LINE_PATIENCE_S

    slack = load_settings().slack
    return web_client(slack, slack.bot_token, patience_s=COMMAND_LINE_PATIENCE_S) if slack.bot_token else None


def slack_outbox(store: Store) -> Deliverer | None:
    """With SLACK_BOT_TOKEN set, what a command owes Slack goes through the outbox like the bot's:
    recorded with the decision, delivered now, and what Slack cannot take now left for `tierbot
    serve`. None without a token (the command line then keeps to the store)."""
    from bot.slack.app import delivery_clients
    from bot.slack.outbox import Deliverer

    slack = load_settings().slack
    if not slack.bot_token:
        return None
    return Deliverer(store, app_clock(), delivery_clients(slack, store), writer_or_templates())


def deliver(outbox: Deliverer, keys: list[str], subject: str) -> list[Outcome]:
    """Deliver these effects now; say what failed and what waits for `tierbot serve`."""
    from bot.slack.outbox import WHAT

    outcomes = outbox.deliver_now(keys, patience_s=OUTBOX_PATIENCE_S)
    for outcome in outcomes:
        what = WHAT.get(outcome.kind, outcome.kind)
        if outcome.state == "failed":
            progress(f"{subject}, but tierbot could not {what} ({outcome.error}).")
        elif outcome.state == "later":
            progress(
                f"{subject}; tierbot could not {what} yet ({outcome.error}): it waits in the outbox, and "
                "`tierbot serve` delivers it as soon as Slack takes it."
            )
    return outcomes


def required_bot_client() -> WebClient:
    """The bot's Web API client, for commands that post to Slack."""
    client = bot_client()
    if client is None:
        raise InputError("Posting to Slack from the command line needs SLACK_BOT_TOKEN (the bot's xoxb- token).")
    return client


OUTBOX_PATIENCE_S = 5.0  # how long a command waits for Slack before leaving the rest to `tierbot serve`
AS_HELP = (
    "Who is acting: a roster id, name, email or Slack id. Their role is checked; the record says "
    "the command line acted as them (cli:YOU as THEM)."
)


def _acting(store: Store, as_person: str) -> Person:
    """The person named by `--as`, acted as by whoever runs this command line."""
    from workflows.handoffs import person_named

    return person_named(store, as_person, acting=local_actor("cli"))


LATER_STATES = [s for s in STATES if s not in ("proposed", "approved", "rejected")]


@click.group(cls=TierbotGroup, context_settings=CONTEXT)
def handoff() -> None:
    """Handoffs: move an account to another CSM, with guardrails and a manager's approval.

    \b
    States: proposed → approved | rejected → scheduled → customer notified → introduced →
    completed, or cancelled. Completing a handoff makes the new CSM the account's owner.

    \b
    Example:
        tierbot handoff propose "acme health" --to sam.patel@example.com --reason "rebalance NA books"
        tierbot handoff approve 1 --as marcus-chen
    """


@handoff.command(name="propose", context_settings=CONTEXT)
@click.argument("account", nargs=-1, required=True)
@click.option("--to", "to", required=True, metavar="CSM", help="The new CSM: roster id, name, email or Slack id.")
@click.option("--reason", required=True, metavar="TEXT", help="Why; managers decide on it.")
@click.option("--effective", metavar="DATE", help="When the move takes effect (YYYY-MM-DD; default in two weeks).")
@click.option("--as", "as_person", metavar="PERSON", help="Who proposes it (default: you, on this machine).")
@json_option
@db_option
def propose(
    account: tuple[str, ...], to: str, reason: str, effective: str | None, as_person: str | None, as_json: bool
) -> None:
    """Propose moving ACCOUNT to another CSM; the guardrails are checked and kept with it.

    \b
    Example:
        tierbot handoff propose ACC-0000042 --to sam-patel --reason "Jordan is over capacity" --effective 2027-01-04
    """
    from workflows.handoffs import operator, person_named, propose_handoff, request_effects
    from workflows.tiers import parse_day

    store = open_cli_store()
    person = person_named(store, as_person, acting=local_actor("cli")) if as_person else operator(local_actor("cli"))
    outbox = slack_outbox(store)
    proposed = propose_handoff(
        store,
        person,
        account=" ".join(account),
        to=to,
        reason=reason,
        effective=parse_day(effective, "--effective"),
        clock=app_clock(),
        then=request_effects if outbox else None,  # the request goes with the record, or not at all
    )
    if outbox is not None:
        proposed = _send_to_slack(store, outbox, proposed, f"handoff:{proposed.id}:request")
    emit(proposed, as_json)


def _send_to_slack(store: Store, outbox: Deliverer, proposed: Handoff, key: str) -> Handoff:
    """Send the recorded request to the managers, and say where it actually went."""
    from bot.slack.outbound import RequestDelivery
    from workflows.handoffs import get_handoff

    for outcome in deliver(outbox, [key], f"Recorded handoff #{proposed.id}"):
        if outcome.state == "done" and outcome.result is not None:
            progress(request_said(proposed.id, RequestDelivery.from_result(outcome.result)))
    return get_handoff(store, proposed.id)


def request_said(handoff_id: int, sent: RequestDelivery) -> str:
    """Where a request for a decision went, in a line for the terminal."""
    if sent.channel:
        said = f"Sent handoff #{handoff_id} for a decision in channel {sent.channel}."
    elif sent.asked:
        said = f"Sent handoff #{handoff_id} for a decision by DM to {', '.join(sent.asked)}."
    else:
        said = (
            f"Recorded handoff #{handoff_id}, but Slack took it nowhere: nobody was reached. "
            f"`tierbot handoff post {handoff_id}` sends it again."
        )
    if sent.channel_refused:
        said += f" Not in the managers' channel: {sent.channel_refused}."
    if sent.unreached:
        said += f" Slack refused the DM to {', '.join(sent.unreached)}."
    return said


@handoff.command(name="post", context_settings=CONTEXT)
@click.argument("handoff_id", metavar="ID", type=int)
@json_option
@db_option
def post(handoff_id: int, as_json: bool) -> None:
    """Send a proposed handoff to Slack for a decision (again): the managers' channel, or DMs.
    Needs SLACK_BOT_TOKEN.

    \b
    Example:
        tierbot handoff post 12
    """
    from workflows.handoffs import get_handoff, request_effects
    from workflows.outbox import due_now, effect_ids, effects_with, record_effects

    store = open_cli_store()
    handoff = get_handoff(store, handoff_id)
    if handoff.state != "proposed":
        raise InputError(f"Handoff #{handoff_id} is {handoff.state}: only a proposed handoff waits for a decision.")
    outbox = slack_outbox(store)
    if outbox is None:
        raise InputError("Posting to Slack from the command line needs SLACK_BOT_TOKEN (the bot's xoxb- token).")
    waiting = [e.key for e in effects_with(store, "handoff.request", "handoff", handoff.id) if e.state == "pending"]
    if waiting:  # the request Slack could not take before goes now (never a second copy later)
        due_now(store, effect_ids(store, waiting))
        key = waiting[0]
    else:
        key = f"handoff:{handoff.id}:request:again:{uuid.uuid4().hex[:8]}"
        record_effects(store, request_effects(handoff, key=key), actor=local_actor("cli"), clock=app_clock())
    emit(_send_to_slack(store, outbox, handoff, key), as_json)


@handoff.command(name="list", context_settings=CONTEXT)
@click.option("--state", type=click.Choice([*STATES, "open"]), help="Only these; `open`: not yet final.")
@json_option
@db_option
def list_command(state: str | None, as_json: bool) -> None:
    """Handoffs, newest first.

    \b
    Example:
        tierbot handoff list --state proposed
    """
    from workflows.handoffs import list_handoffs

    emit(list_handoffs(open_cli_store(), state), as_json)


@handoff.command(name="show", context_settings=CONTEXT)
@click.argument("handoff_id", metavar="ID", type=int)
@json_option
@db_option
def show(handoff_id: int, as_json: bool) -> None:
    """One handoff: guardrails, every state change with who and why, and its Slack discussion.

    \b
    Example:
        tierbot handoff show 12
    """
    from workflows.handoffs import handoff_detail

    emit(handoff_detail(open_cli_store(), handoff_id), as_json)


def _decide(
    handoff_id: int, approve: bool, as_person: str, note: str | None, exception: str | None, as_json: bool
) -> None:
    from workflows.handoffs import decide_handoff, decision_effects
    from workflows.outbox import Effect

    store = open_cli_store()
    person = _acting(store, as_person)
    outbox = slack_outbox(store)
    keys: list[str] = []

    def then(decided: Handoff) -> list[Effect]:
        # Decided here: Slack hears it like a click (note, DMs, the request's message), recorded with it.
        effects = decision_effects(store, decided, decider=person.slack_user_id)
        keys.extend(e.key for e in effects)
        return effects

    done = decide_handoff(
        store,
        handoff_id,
        approve=approve,
        person=person,
        clock=app_clock(),
        note=note,
        exception=exception,
        then=then if outbox else None,
    )
    if outbox is not None:
        deliver(outbox, keys, f"Handoff #{done.id} is {done.state}")
    emit(done, as_json)


@handoff.command(name="approve", context_settings=CONTEXT)
@click.argument("handoff_id", metavar="ID", type=int)
@click.option("--as", "as_person", required=True, metavar="PERSON", help=AS_HELP)
@click.option("--note", metavar="TEXT", help="A note for the record.")
@click.option("--exception", metavar="TEXT", help="Leaders: approve a move that fails a guardrail, saying why.")
@json_option
@db_option
def approve(handoff_id: int, as_person: str, note: str | None, exception: str | None, as_json: bool) -> None:
    """Approve a proposed handoff (a manager of either CSM, or a leader).

    \b
    Example:
        tierbot handoff approve 12 --as marcus-chen
        tierbot handoff approve 13 --as dana-whitfield --exception "customer asked for Sam"
    """
    _decide(handoff_id, True, as_person, note, exception, as_json)


@handoff.command(name="reject", context_settings=CONTEXT)
@click.argument("handoff_id", metavar="ID", type=int)
@click.option("--as", "as_person", required=True, metavar="PERSON", help=AS_HELP)
@click.option("--note", metavar="TEXT", help="Why, for the record and the requester.")
@json_option
@db_option
def reject(handoff_id: int, as_person: str, note: str | None, as_json: bool) -> None:
    """Reject a proposed handoff (a manager of either CSM, or a leader).

    \b
    Example:
        tierbot handoff reject 12 --as marcus-chen --note "renewal in March: after that"
    """
    _decide(handoff_id, False, as_person, note, None, as_json)


@handoff.command(name="cancel", context_settings=CONTEXT)
@click.argument("handoff_id", metavar="ID", type=int)
@click.option("--as", "as_person", required=True, metavar="PERSON", help=AS_HELP)
@click.option("--note", metavar="TEXT", help="Why, for the record.")
@json_option
@db_option
def cancel(handoff_id: int, as_person: str, note: str | None, as_json: bool) -> None:
    """Cancel a handoff that has not been introduced yet (its requester while proposed, a manager,
    or a leader).

    \b
    Example:
        tierbot handoff cancel 12 --as jordan-blake --note "customer renewed early"
    """
    from workflows.handoffs import advance_handoff

    store = open_cli_store()
    emit(
        advance_handoff(store, handoff_id, "cancelled", person=_acting(store, as_person), clock=app_clock(), note=note),
        as_json,
    )


@handoff.command(name="advance", context_settings=CONTEXT)
@click.argument("handoff_id", metavar="ID", type=int)
@click.argument("state", type=click.Choice(LATER_STATES))
@click.option("--as", "as_person", required=True, metavar="PERSON", help=AS_HELP)
@click.option("--note", metavar="TEXT", help="A note for the record.")
@json_option
@db_option
def advance(handoff_id: int, state: str, as_person: str, note: str | None, as_json: bool) -> None:
    """Record the next step of an approved handoff: scheduled, customer notified, introduced,
    completed (the new CSM becomes the owner).

    \b
    Example:
        tierbot handoff advance 12 introduced --as sam-patel --note "intro call held"
    """
    from workflows.handoffs import advance_handoff

    store = open_cli_store()
    emit(
        advance_handoff(store, handoff_id, state, person=_acting(store, as_person), clock=app_clock(), note=note),
        as_json,
    )


@handoff.command(name="settings", context_settings=CONTEXT)
@click.option("--renewal-days", type=int, help="No move within N days before a renewal (0: off).")
@click.option("--max-moves", type=int, help="At most N moves per CSM per quarter (0: off).")
@click.option("--max-accounts", type=int, help="The new CSM's book may not grow past N accounts (0: off).")
@click.option(
    "--strategic/--allow-strategic",
    "keep_strategic",
    default=None,
    help="Strategic accounts keep their CSM (default) or may move.",
)
@click.option(
    "--red/--allow-red",
    "keep_red_health",
    default=None,
    help="Red-health accounts keep their CSM (default) or may move.",
)
@click.option(
    "--capacity/--no-capacity",
    "check_capacity",
    default=None,
    help="Check the new CSM's latest workload estimate leaves room.",
)
@click.option("--region/--no-region", "match_region", default=None, help="The new CSM must cover the region.")
@click.option(
    "--specialty/--no-specialty",
    "match_specialty",
    default=None,
    help="A CSM with specialties takes only accounts of those industries.",
)
@click.option("--channel", metavar="CHANNEL", help="The managers' channel for approvals (a channel id; `none`: DMs).")
@json_option
@db_option
def settings_command(channel: str | None, as_json: bool, **changes: Any) -> None:
    """Show or change the guardrails and the managers' channel.

    \b
    Example:
        tierbot handoff settings --renewal-days 90 --max-moves 6 --channel C0123ABCD
    """
    from workflows.handoffs import handoff_settings, set_handoff_channel, update_guardrail_settings

    store = open_cli_store()
    clock = app_clock()
    wanted = {k: v for k, v in changes.items() if v is not None}
    if "max_moves" in wanted:
        wanted["max_moves_per_quarter"] = wanted.pop("max_moves")
    if wanted:
        update_guardrail_settings(store, wanted, actor=local_actor("cli"), clock=clock)
    if channel is not None:
        set_handoff_channel(
            store, None if channel.lower() == "none" else channel, actor=local_actor("cli"), clock=clock
        )
    emit(handoff_settings(store), as_json)
