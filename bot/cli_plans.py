"""`tierbot handoff plan|plans|plan-approve|plan-reject|checkins|announce`: transition plans,
their worksheet and approval, check-ins and the announcement digest."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli_base import CONTEXT, db_option, emit, force_option, json_option, open_cli_store, progress
from bot.cli_drafts import writer_or_templates
from bot.cli_handoffs import AS_HELP, bot_client, handoff, required_bot_client
from bot.config import app_clock, local_actor
from bot.slack.outbound import post_digest, post_plan, send_checkins, tell_plan_decision
from engine.errors import InputError
from workflows.handoffs import person_named
from workflows.plans import (
    HORIZON_WEEKS,
    WEEKLY_LIMIT,
    check_worksheet_path,
    create_plan,
    decide_plan,
    due_checkins,
    get_plan,
    list_plans,
    pending_announcement,
    write_worksheet,
)
from workflows.tiers import parse_day

POST_HELP = "Post it in Slack (needs SLACK_BOT_TOKEN)."


def _worksheet(plan_id: int, path: Path | None, force: bool) -> None:
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
    store = open_cli_store()
    if worksheet is not None:
        check_worksheet_path(worksheet, store_path=store.path, force=force)
    made = create_plan(
        store,
        file,
        actor=local_actor("cli"),
        clock=app_clock(),
        start=parse_day(start, "--start"),
        weekly_limit=weekly_limit,
        horizon_weeks=horizon,
    )
    _worksheet(made.id, worksheet, force)
    if post:
        posted = post_plan(required_bot_client(), store, made.id, channel)
        progress(f"Posted plan #{made.id} in <#{posted.channel}> for approval.")
    emit(get_plan(store, made.id), as_json)


@handoff.command(name="plans", context_settings=CONTEXT)
@click.argument("plan_id", metavar="[ID]", type=int, required=False)
@click.option("--worksheet", type=click.Path(dir_okay=False, path_type=Path), help="Write plan ID as CSV or XLSX.")
@force_option
@json_option
@db_option
def plans(plan_id: int | None, worksheet: Path | None, force: bool, as_json: bool) -> None:
    """List the transition plans, or show one (and write its worksheet).

    \b
    Example:
        tierbot handoff plans
        tierbot handoff plans 3 --worksheet plan-3.csv
    """
    store = open_cli_store()
    if plan_id is None:
        if worksheet:
            raise InputError("Say which plan to write: `tierbot handoff plans ID --worksheet FILE`.")
        emit(list_plans(store), as_json)
        return
    _worksheet(plan_id, worksheet, force)
    emit(get_plan(store, plan_id), as_json)


def _decide_plan(plan_id: int, lines: tuple[int, ...], approve: bool, as_person: str, as_json: bool) -> None:
    store = open_cli_store()
    person = person_named(store, as_person)
    decision = decide_plan(store, plan_id, approve=approve, person=person, clock=app_clock(), lines=list(lines))
    client = bot_client()
    if client is not None:  # the posted plan shows the decision; each approved move is told
        for failed in tell_plan_decision(
            client, store, decision, writer=writer_or_templates(), clock=app_clock(), decider=person.slack_user_id
        ):
            progress(f"Decided, but tierbot {failed}.")
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
    store = open_cli_store()
    if not post:
        emit(pending_announcement(store), as_json)
        return
    if not channel:
        raise InputError("Say which channel to announce in: `--channel C0123ABCD`.")
    emit(post_digest(required_bot_client(), store, channel, actor=local_actor("cli"), clock=app_clock()), as_json)
