"""`tierbot handoff plan|plans|plan-approve|plan-reject|checkins|announce`: transition plans,
their worksheet and approval, check-ins and the announcement digest."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli_base import CONTEXT, db_option, emit, force_option, json_option, open_cli_store, progress
from bot.cli_handoffs import AS_HELP, OUTBOX_PATIENCE_S, deliver, handoff, required_bot_client, slack_outbox
from bot.config import app_clock, local_actor
from engine.errors import InputError
from engine.plans import HORIZON_WEEKS, WEEKLY_LIMIT

if TYPE_CHECKING:
    from bot.slack.outbox import Deliverer
    from store import Store
    from workflows.outbox import Effect

POST_HELP = "Post it in Slack (needs SLACK_BOT_TOKEN)."


def _worksheet(plan_id: int, path: Path | None, force: bool) -> None:
    from workflows.plans import get_plan, write_worksheet

    if path is not None:
        store = open_cli_store()
        report = write_worksheet(get_plan(store, plan_id), path, store_path=store.path, force=force)
        progress(f"Wrote the worksheet ({report.rows} moves) to {report.path}.")


@handoff.command(name="plan", context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--start", metavar="DATE", help="The first week (its Monday, or the next one; default: in a week).")
@click.option(
    "--weekly-limit",
    type=int,
    default=WEEKLY_LIMIT,
    show_default=True,
    help="Moves a CSM takes part in per week, giving or taking.",
)
@click.option("--horizon", type=int, default=HORIZON_WEEKS, show_default=True, help="Weeks to look ahead.")
@click.option("--worksheet", type=click.Path(dir_okay=False, path_type=Path), help="Also write it as CSV or XLSX.")
@click.option("--post", is_flag=True, help="Post it for approval in the managers' channel. " + POST_HELP)
@click.option("--channel", metavar="CHANNEL", help="With --post: this channel instead of the managers'.")
@force_option
@json_option
@db_option
def plan(
    file: Path,
    start: str | None,
    weekly_limit: int,
    horizon: int,
    worksheet: Path | None,
    post: bool,
    channel: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Turn a file of moves into a dated plan in weekly batches.

    FILE is CSV or XLSX with a header row: `account` (name or CRM id), `to` (the new CSM),
    `reason`, and optionally `earliest` (YYYY-MM-DD). Moves are placed in file order, each in
    the first week that passes every guardrail and keeps both CSMs within the weekly limit;
    the rest are held for a leader's exception. Nothing is decided yet: approving a move
    (here or in Slack) makes it an approved handoff.

    \b
    Example:
        tierbot handoff plan moves.csv --start 2027-01-04 --weekly-limit 2 --worksheet plan.xlsx --post
    """
    from workflows.plans import check_worksheet_path, create_plan, get_plan
    from workflows.tiers import parse_day

    store = open_cli_store()
    if worksheet is not None:  # a file it must not write over is said before anything is saved
        check_worksheet_path(worksheet, store_path=store.path, force=force)
    outbox = _outbox_to_post(store, channel) if post else None  # checked before anything is saved
    made = create_plan(
        store,
        file,
        actor=local_actor("cli"),
        clock=app_clock(),
        start=parse_day(start, "--start"),
        weekly_limit=weekly_limit,
        horizon_weeks=horizon,
        # Saved whole with its post, or not at all: a plan never waits unseen for a post that failed.
        then=(lambda plan_id: _post_effects(plan_id, channel, "")) if post else None,
    )
    _worksheet(made.id, worksheet, force)
    posted = _post(store, outbox, made.id, "") if outbox is not None else True
    emit(get_plan(store, made.id), as_json)
    if not posted:
        click.get_current_context().exit(1)


def _outbox_to_post(store: Store, channel: str | None) -> Deliverer:
    from workflows.handoffs import handoff_channel

    outbox = slack_outbox(store)
    if outbox is None:
        raise InputError("Posting to Slack from the command line needs SLACK_BOT_TOKEN (the bot's xoxb- token).")
    if not (channel or handoff_channel(store)):
        raise InputError(
            "Say where to post the plan (`--channel C0123ABCD`), or set the managers' channel: "
            "`tierbot handoff settings --channel C0123ABCD`."
        )
    return outbox


def _post_effects(plan_id: int, channel: str | None, again: str) -> list[Effect]:
    from workflows.outbox import Effect

    return [Effect(f"plan:{plan_id}:post{again}", "plan.post", {"plan": plan_id, "channel": channel})]


def _post(store: Store, outbox: Deliverer, plan_id: int, again: str) -> bool:
    """Post the plan (recorded already); say where, or why not and how to post it again."""
    for outcome in outbox.deliver_now([f"plan:{plan_id}:post{again}"], patience_s=OUTBOX_PATIENCE_S):
        if outcome.state == "done" and outcome.result:
            progress(f"Posted plan #{plan_id} in channel {outcome.result['channel']} for approval.")
            return True
        if outcome.state == "later":
            progress(
                f"Saved plan #{plan_id} (below), but Slack could not take it yet ({outcome.error}): it waits in the "
                "outbox, and `tierbot serve` posts it as soon as Slack takes it."
            )
            return False
        progress(
            f"Saved plan #{plan_id} (below), but could not post it ({outcome.error}). It is kept whole: "
            f"`tierbot handoff plans {plan_id} --post --channel C0123ABCD` posts it, or `/handoff plan {plan_id}` "
            "in the channel."
        )
    return False


@handoff.command(name="plans", context_settings=CONTEXT)
@click.argument("plan_id", metavar="[ID]", type=int, required=False)
@click.option("--worksheet", type=click.Path(dir_okay=False, path_type=Path), help="Write plan ID as CSV or XLSX.")
@click.option("--post", is_flag=True, help="Post plan ID for approval (again). " + POST_HELP)
@click.option("--channel", metavar="CHANNEL", help="With --post: this channel instead of the managers'.")
@force_option
@json_option
@db_option
def plans(
    plan_id: int | None, worksheet: Path | None, post: bool, channel: str | None, force: bool, as_json: bool
) -> None:
    """List the transition plans, or show one (and write its worksheet, or post it).

    \b
    Example:
        tierbot handoff plans
        tierbot handoff plans 3 --worksheet plan-3.csv
        tierbot handoff plans 3 --post --channel C0123ABCD
    """
    from workflows.outbox import record_effects
    from workflows.plans import get_plan, list_plans

    store = open_cli_store()
    if plan_id is None:
        if worksheet or post:
            raise InputError("Say which plan: `tierbot handoff plans ID --worksheet FILE` or `… ID --post`.")
        emit(list_plans(store), as_json)
        return
    _worksheet(plan_id, worksheet, force)
    posted = True
    if post:
        get_plan(store, plan_id)  # no such plan: said before anything is recorded
        outbox = _outbox_to_post(store, channel)
        again = f":again:{uuid.uuid4().hex[:8]}"
        record_effects(store, _post_effects(plan_id, channel, again), actor=local_actor("cli"), clock=app_clock())
        posted = _post(store, outbox, plan_id, again)
    emit(get_plan(store, plan_id), as_json)
    if not posted:
        click.get_current_context().exit(1)


def _decide_plan(plan_id: int, lines: tuple[int, ...], approve: bool, as_person: str, as_json: bool) -> None:
    from workflows.handoffs import Handoff, decision_effects, person_named
    from workflows.outbox import Effect
    from workflows.plans import decide_plan

    store = open_cli_store()
    person = person_named(store, as_person, acting=local_actor("cli"))
    outbox = slack_outbox(store)
    keys: list[str] = []

    def then(line: int, decided: Handoff | None) -> list[Effect]:
        # The posted plan shows the decision; each approved move is told like a click.
        effects = decision_effects(store, decided, decider=person.slack_user_id) if decided else []
        effects.append(Effect(f"plan:{plan_id}:refresh:{line}", "plan.refresh", {"plan": plan_id}))
        keys.extend(e.key for e in effects)
        return effects

    decision = decide_plan(
        store,
        plan_id,
        approve=approve,
        person=person,
        clock=app_clock(),
        lines=list(lines),
        then=then if outbox else None,
    )
    if outbox is not None:
        deliver(outbox, keys, "Decided")
    emit(decision, as_json)


@handoff.command(name="plan-approve", context_settings=CONTEXT)
@click.argument("plan_id", metavar="ID", type=int)
@click.option("--line", "lines", type=int, multiple=True, help="Only this row of the plan file (repeatable).")
@click.option("--as", "as_person", required=True, metavar="PERSON", help=AS_HELP)
@json_option
@db_option
def plan_approve(plan_id: int, lines: tuple[int, ...], as_person: str, as_json: bool) -> None:
    """Approve a plan's moves (all planned, or --line ones): each becomes an approved handoff.

    \b
    Example:
        tierbot handoff plan-approve 3 --as dana-whitfield
        tierbot handoff plan-approve 3 --line 4 --line 7 --as marcus-chen
    """
    _decide_plan(plan_id, lines, True, as_person, as_json)


@handoff.command(name="plan-reject", context_settings=CONTEXT)
@click.argument("plan_id", metavar="ID", type=int)
@click.option("--line", "lines", type=int, multiple=True, help="Only this row of the plan file (repeatable).")
@click.option("--as", "as_person", required=True, metavar="PERSON", help=AS_HELP)
@json_option
@db_option
def plan_reject(plan_id: int, lines: tuple[int, ...], as_person: str, as_json: bool) -> None:
    """Reject a plan's moves (all planned, or --line ones).

    \b
    Example:
        tierbot handoff plan-reject 3 --line 5 --as marcus-chen
    """
    _decide_plan(plan_id, lines, False, as_person, as_json)


@handoff.command(name="checkins", context_settings=CONTEXT)
@click.option("--post", is_flag=True, help="Send them: DM each new CSM, report batches in the managers' channel.")
@json_option
@db_option
def checkins(post: bool, as_json: bool) -> None:
    """What is due: a check-in reminder to each new CSM 30 days after a completed move, and a
    report of each batch whose moves are all completed or cancelled. The Slack bot sends them
    on its own every hour; each goes once.

    \b
    Example:
        tierbot handoff checkins
        tierbot handoff checkins --post
    """
    from bot.slack.outbound import send_checkins
    from workflows.plans import due_checkins

    store = open_cli_store()
    clock = app_clock()
    if post:
        emit(send_checkins(required_bot_client(), store, actor=local_actor("cli"), clock=clock), as_json)
    else:
        emit(due_checkins(store, clock), as_json)


@handoff.command(name="announce", context_settings=CONTEXT)
@click.option("--post", is_flag=True, help="Post the digest. " + POST_HELP)
@click.option("--channel", metavar="CHANNEL", help="With --post: the team channel to announce in.")
@json_option
@db_option
def announce(post: bool, channel: str | None, as_json: bool) -> None:
    """The approved handoffs not announced yet, as one digest for a team channel.

    \b
    Example:
        tierbot handoff announce                       # what would be announced
        tierbot handoff announce --post --channel C0TEAM
    """
    from bot.slack.outbox import announcement_effects
    from bot.slack.results import Posted
    from workflows.handoffs import Handoff
    from workflows.plans import pending_announcement, queue_announcement

    store = open_cli_store()
    if not post:
        emit(pending_announcement(store), as_json)
        return
    if not channel:
        raise InputError("Say which channel to announce in: `--channel C0123ABCD`.")
    outbox = slack_outbox(store)
    if outbox is None:
        raise InputError("Posting to Slack from the command line needs SLACK_BOT_TOKEN (the bot's xoxb- token).")
    keys: list[str] = []

    def parts(handoffs: list[Handoff]) -> list[Effect]:
        effects = announcement_effects(handoffs, channel, reply=None, team=None)
        keys.extend(e.key for e in effects)
        return effects

    claimed = queue_announcement(store, actor=local_actor("cli"), clock=app_clock(), then=parts)
    outcomes = deliver(outbox, keys, "Announcing") if claimed else []
    posted = sum(len((o.result or {}).get("handoffs", [])) for o in outcomes if o.state == "done")
    what = f"{posted} approved handoff(s)" if claimed else "no approved handoff waiting to be announced"
    emit(Posted(what, sum(o.state == "done" for o in outcomes), channel), as_json)
    if posted < len(claimed):
        click.get_current_context().exit(1)
