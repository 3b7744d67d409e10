"""Work the bot does on its own clock: check-ins, once an hour."""

from __future__ import annotations

import logging
import threading

from bot.slack.outbound import BOT_ACTOR, send_checkins
from bot.slack.registry import Registry

log = logging.getLogger("tierbot.slack")
CHECKIN_INTERVAL_S = 3600.0


def start_checkins(registry: Registry, interval_s: float = CHECKIN_INTERVAL_S) -> threading.Event:
    """Send due check-ins now and every ``interval_s`` on the work pool; set the event to stop.
    Only for a single workspace (the bot token's): OAuth installs have no one client to post with."""
    stop = threading.Event()
    deps = registry.deps

    def run_once() -> None:
        try:
            done = send_checkins(registry.bolt.client, deps.store, actor=BOT_ACTOR, clock=deps.clock)
            if done.reminders or done.reports:
                log.info("sent %d check-in reminder(s) and %d batch report(s)", len(done.reminders), len(done.reports))
        except Exception:  # a bad hour must not stop the next one
            log.exception("check-ins failed; trying again in %.0f s", interval_s)

    def loop() -> None:
        while not stop.is_set():
            deps.work.submit(run_once)
            stop.wait(interval_s)

    threading.Thread(target=loop, name="tierbot-checkins", daemon=True).start()
    return stop
