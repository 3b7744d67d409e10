"""`tierbot serve`, `tierbot roles …` and `tierbot slack replay`: the Slack side of the command line."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import click

from bot.cli_base import CONTEXT, TierbotGroup, db_option, emit, json_option, open_cli_store, progress
from bot.cli_drafts import note_writer
from bot.cli_handoffs import deliver, slack_outbox
from bot.config import DEFAULT_PORT, app_clock, load_settings, local_actor


@click.command(context_settings=CONTEXT)
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="HTTP port (HTTP mode).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; 0.0.0.0 for all.")
@db_option
def serve(port: int, host: str) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --port.

    \b
    Settings come from the environment only: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (one
    workspace), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth installs); SLACK_APP_TOKEN for
    Socket Mode; SLACK_API_URL for GovSlack or a test server.

    \b
    Example:
        SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… tierbot serve --port 3000
    """
    from bot.logs import configure_logging
    from bot.slack.app import EVENTS_PATH, INSTALL_PATH, build_app, check_settings, wait_for_slack
    from bot.slack.schedule import start_checkins
    from bot.slack.server import HttpServer, socket_mode_handler
    from workflows.tiers import warm_up

    settings = load_settings(click.get_current_context().meta.get("tierbot.db"))
    slack_settings = settings.slack
    configure_logging(
        debug=settings.debug,
        secrets=(slack_settings.signing_secret, slack_settings.client_secret, slack_settings.app_token),
    )
    check_settings(settings.slack)
    if settings.slack.bot_token:  # a revoked token or Slack out of reach: said, and tried again
        found = wait_for_slack(settings.slack, say=lambda line: click.echo(line, err=True))
        click.echo(f"Connected to Slack as {found.get('user')} in {found.get('team')}.", err=True)
    store = open_cli_store()
    # Checked just above (and again, lazily, by Bolt on the first request).
    registry = build_app(settings.slack, store, app_clock(), writer=note_writer(), verify_token=False)
    # Load the book and the name index now, not on the first /tier of the morning.
    threading.Thread(
        target=warm_up,
        args=(store, registry.deps.names, registry.deps.books, app_clock()),
        daemon=True,
        name="warm-up",
    ).start()
    if settings.slack.bot_token:
        start_checkins(registry)  # check-in reminders and batch reports, every hour
    try:
        if settings.slack.socket_mode:
            click.echo("tierbot is connecting to Slack over Socket Mode (Ctrl-C stops it).", err=True)
            socket_mode_handler(registry.bolt, str(settings.slack.app_token)).start()
            return
        server = HttpServer.serving(registry, host=host, port=port)
        click.echo(f"tierbot is listening on {server.url}{EVENTS_PATH} (Ctrl-C stops it).", err=True)
        if settings.slack.oauth:
            click.echo(f"Install it into a workspace from {server.url}{INSTALL_PATH}.", err=True)
        try:
            server.serve_forever()
        finally:
            server.stop()
    finally:
        # Stopped (Ctrl-C): the work already accepted finishes and what is due is delivered (for up
        # to 10 seconds; the rest waits in the outbox for the next start).
        registry.deps.close()


@click.command(context_settings=CONTEXT)
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="HTTP port, when it starts the Slack bot.")
@click.pass_context
@db_option
def start(ctx: click.Context, port: int) -> None:
    """Start what `make run` starts: the Slack bot when Slack settings are in the environment,
    the terminal chat otherwise.

    \b
    Example:
        tierbot start
    """
    from bot.slack.app import check_settings

    settings = load_settings(ctx.meta.get("tierbot.db"))
    if settings.slack.started:
        # Half the Slack settings is a mistake to name, not a reason to start something else.
        check_settings(settings.slack)
        ctx.invoke(serve, port=port, host="127.0.0.1")
        return
    click.echo("No Slack settings (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET): starting the terminal chat.", err=True)
    from bot.cli import chat  # the chat command lives with the other terminal commands

    ctx.invoke(chat)


@click.group(cls=TierbotGroup, context_settings=CONTEXT)
def roles() -> None:
    """Who may do what in Slack: leader, manager, csm, admin.

    \b
    A person's roles come from the roster (its `role` column, for their `slack_user_id`) and
    from grants to their Slack user id or to a Slack user group they are in.

    \b
    Example:
        tierbot roles grant U024BE7LH leader
        tierbot roles grant S0614TZR7 manager
        tierbot roles list
    """


@roles.command(name="list", context_settings=CONTEXT)
@json_option
@db_option
def roles_list(as_json: bool) -> None:
    """Everyone holding a role, from the roster and from grants.

    \b
    Example:
        tierbot roles list --json
    """
    from workflows.roles import list_roles

    emit(list_roles(open_cli_store()), as_json)


@roles.command(name="grant", context_settings=CONTEXT)
@click.argument("who")
@click.argument("role")
@json_option
@db_option
def roles_grant(who: str, role: str, as_json: bool) -> None:
    """Grant ROLE to WHO: a Slack user id (U…), a user group id (S…), or a roster name or email.

    \b
    Examples:
        tierbot roles grant U024BE7LH leader
        tierbot roles grant "<!subteam^S0614TZR7|@cs-managers>" manager
        tierbot roles grant dana@example.com leader
    """
    from workflows.roles import grant_role

    emit(grant_role(open_cli_store(), who, role, actor=local_actor("cli"), clock=app_clock()), as_json)


@roles.command(name="revoke", context_settings=CONTEXT)
@click.argument("who")
@click.argument("role")
@json_option
@db_option
def roles_revoke(who: str, role: str, as_json: bool) -> None:
    """Take back a role granted with `roles grant` (roster roles change with the roster).

    \b
    Example:
        tierbot roles revoke U024BE7LH leader
    """
    from workflows.roles import revoke_role

    emit(revoke_role(open_cli_store(), who, role, actor=local_actor("cli"), clock=app_clock()), as_json)


@click.group(cls=TierbotGroup, context_settings=CONTEXT)
def slack() -> None:
    """Slack tools for support and debugging.

    \b
    Example:
        tierbot slack replay payload.json
    """


@slack.command(name="replay", context_settings=CONTEXT)
@click.argument("payload", type=click.Path(path_type=Path))
@json_option
@db_option
def slack_replay(payload: Path, as_json: bool) -> None:
    """Run a saved Slack payload through the app offline and print what it would send.

    \b
    PAYLOAD is a slash command, an interaction or an event, as JSON or as the raw request
    body. It runs against a copy of the store (nothing changes) with a local fake Slack API.

    \b
    Example:
        tierbot slack replay tier-command.json
    """
    from bot.slack.replay import read_payload, replay

    result = replay(read_payload(payload), open_cli_store(), app_clock())
    if as_json:
        click.echo(
            json.dumps(
                {
                    "payload": result.kind,
                    "status": result.status,
                    "body": result.body,
                    "calls": [{"method": c.method, "status": c.status, "body": c.body} for c in result.calls],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        emit(result, False)
    if result.status >= 400:  # printed either way; a refusal also shows in the exit code, for scripts
        click.get_current_context().exit(1)


@slack.command(name="outbox", context_settings=CONTEXT)
@click.option("--retry", is_flag=True, help="Put the effects Slack refused back in the queue (after fixing why).")
@json_option
@db_option
def outbox_command(retry: bool, as_json: bool) -> None:
    """What tierbot still owes Slack: effects waiting to be delivered, and those Slack refused.

    \b
    Every decision records what must follow it (the customer note, DMs, the request's
    channel message, replies) in the outbox; `tierbot serve` delivers each once, trying
    again while Slack is busy or out of reach. An effect Slack refuses for good (the bot
    not invited to a channel, a deleted message) stays here as failed.

    \b
    Example:
        tierbot slack outbox
        tierbot slack outbox --retry     # after inviting the bot, say
    """
    from workflows.outbox import outbox_listing, retry_failed

    store = open_cli_store()
    if retry:
        failed = [e for e in outbox_listing(store).entries if e.state == "failed"]
        again = retry_failed(store, [e.id for e in failed])
        outbox = slack_outbox(store)
        if outbox is None:
            progress(f"{again} effect(s) back in the queue: `tierbot serve` delivers them.")
        else:  # with the bot's token, now
            done = deliver(outbox, [e.key for e in failed], "Tried again")
            progress(f"Tried {again} effect(s) again: {sum(o.state == 'done' for o in done)} delivered.")
    emit(outbox_listing(store), as_json)
