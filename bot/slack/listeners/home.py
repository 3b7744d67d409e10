"""App Home: published when a person opens the tab, and after what they do there."""

from __future__ import annotations

from bot.slack.blocks.home import home_view
from bot.slack.registry import Registry, Req
from engine.permissions import VIEW_ACCOUNTS
from workflows.home import home_for


def publish_home(req: Req, page: int = 0) -> None:
    deps = req.deps
    view = home_view(home_for(deps.store, req.person, clock=deps.clock, books=deps.books, page=page))
    req.client.views_publish(user_id=req.user_id, view=view)


def register(registry: Registry) -> None:
    @registry.event("app_home_opened")
    def opened(req: Req) -> None:
        if req.body.get("event", {}).get("tab", "home") == "home":
            req.later(lambda: publish_home(req))

    @registry.action("home_page", VIEW_ACCOUNTS)
    def page(req: Req) -> None:
        req.ack()
        req.later(lambda: publish_home(req, int(req.value) if req.value.isdigit() else 0))
