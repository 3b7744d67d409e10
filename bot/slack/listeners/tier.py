"""`/tier <account>` and its buttons: pick, share in channel, show history."""

from __future__ import annotations

from bot.slack.blocks.common import Message
from bot.slack.blocks.tier import HISTORY_PAGE, history_message, not_found, pick_account, tier_card, tier_usage
from bot.slack.registry import Registry, Req
from engine.errors import AccountNotFound
from engine.permissions import SHARE_ACCOUNTS, VIEW_ACCOUNTS
from workflows.tiers import AmbiguousAccount, explain_tier, tier_history


def answer(req: Req, text: str) -> Message:
    """The card for the account ``text`` names, a pick-one list, or suggestions."""
    deps = req.deps
    try:
        return tier_card(explain_tier(deps.store, text, clock=deps.clock, names=deps.names, books=deps.books))
    except AmbiguousAccount as several:
        return pick_account(several.result)
    except AccountNotFound as none:
        return not_found(none)


def register(registry: Registry) -> None:
    @registry.command("/tier", VIEW_ACCOUNTS)
    def tier(req: Req) -> None:
        if not req.text:
            req.ack(response_type="ephemeral", **tier_usage().as_kwargs())
            return
        req.ack()  # the lookup may load the book first: answer through the response URL
        req.later(lambda: req.reply(answer(req, req.text)))

    @registry.action("tier_pick", VIEW_ACCOUNTS)
    def pick(req: Req) -> None:
        req.ack()
        req.later(lambda: req.reply(answer(req, req.value), replace=True))

    @registry.action("tier_share", SHARE_ACCOUNTS)
    def share(req: Req) -> None:
        req.ack()
        req.later(lambda: share_card(req))

    @registry.action("tier_history", VIEW_ACCOUNTS)
    def history(req: Req) -> None:
        req.ack()
        req.later(lambda: show_history(req))


def share_card(req: Req) -> None:
    message_ts = (req.body.get("container") or {}).get("message_ts", "")
    if not req.once(f"share:{req.user_id}:{message_ts}:{req.value}"):
        return  # a double click shares once
    deps = req.deps
    exp = explain_tier(deps.store, req.value, clock=deps.clock, names=deps.names, books=deps.books)
    req.reply(tier_card(exp, shared_by=req.user_id), public=True)
    req.reply(tier_card(exp, shared=True), replace=True)


def show_history(req: Req) -> None:
    crm_id, _, page_text = req.value.partition("#")
    page = int(page_text) if page_text.isdigit() else 0
    found = tier_history(req.deps.store, crm_id, names=req.deps.names, limit=(page + 2) * HISTORY_PAGE)
    req.reply(history_message(found, page), replace=bool(page_text))
