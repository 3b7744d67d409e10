"""The pieces every Block Kit builder shares: messages, limits, text that fits, errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from engine.errors import NotAllowed
from engine.permissions import roles_text

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks): past them Slack refuses the
# whole message or view, so builders stay inside them on purpose.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
MODAL_TITLE = 24
SELECT_OPTIONS = 100
OPTION_TEXT = 75
FALLBACK_TEXT = 3000  # notification text: far below Slack's 40,000, it is only a preview


@dataclass(frozen=True)
class Message:
    """A message: the notification text and the blocks, as Slack's JSON."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: object) -> str:
    """Text from data (account names, reasons) shown literally: no mentions, links or markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(slack_id: str) -> str:
    """A user (U…/W…) or user group (S…) as Slack shows it."""
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


def mrkdwn(text: str) -> MarkdownTextObject:
    """Formatted text that Slack shows as written: ``verbatim`` stops it turning URLs, #channel
    names and @here in CRM data into links or mentions (our own <@U…> mentions still work)."""
    return MarkdownTextObject(text=text, verbatim=True)


def listing(lead: str, names: Sequence[str], per_line: int = 25) -> list[str]:
    """A long list of names as several lines (``sections`` then packs them), never cut mid-name."""
    if not names:
        return []
    rows = [", ".join(escape(n) for n in names[i : i + per_line]) for i in range(0, len(names), per_line)]
    return [f"{lead} {rows[0]}", *rows[1:]]


def header(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_TEXT), emoji=True))


def section(text: str, *, fields: Sequence[str] = (), block_id: str | None = None, accessory: Any = None) -> Block:
    return SectionBlock(
        text=mrkdwn(clip(text, SECTION_TEXT)) if text else None,
        fields=[mrkdwn(clip(f, 2000)) for f in fields][:10] or None,
        block_id=block_id,
        accessory=accessory,
    )


def sections(lines: Iterable[str]) -> list[Block]:
    """Lines packed into as few sections as fit Slack's 3,000 characters each."""
    out: list[Block] = []
    chunk = ""
    for line in lines:
        line = clip(line, SECTION_TEXT)
        if chunk and len(chunk) + 1 + len(line) > SECTION_TEXT:
            out.append(section(chunk))
            chunk = line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        out.append(section(chunk))
    return out


def context(*texts: str) -> Block:
    return ContextBlock(elements=[mrkdwn(clip(t, SECTION_TEXT)) for t in texts][:10])


def divider() -> Block:
    return DividerBlock()


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None, confirm: dict | None = None
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(text, BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=value or None,
        style=style,
        confirm=confirm,
    )


def actions(*elements: Any, block_id: str | None = None) -> Block:
    return ActionsBlock(elements=list(elements)[:25], block_id=block_id)


def render(blocks: Iterable[Block | dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks as Slack's JSON; ``to_dict`` runs slack_sdk's own checks of each block's limits."""
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]


def message(text: str, blocks: Iterable[Block | dict[str, Any]]) -> Message:
    """A message that fits Slack's 50 blocks: past that the tail is cut and the cut is said."""
    rendered = render(blocks)
    if len(rendered) > MESSAGE_BLOCKS:
        left_out = len(rendered) - (MESSAGE_BLOCKS - 1)
        rendered = [*rendered[: MESSAGE_BLOCKS - 1], context(f"…and {left_out} more blocks not shown.").to_dict()]
    # The notification text is parsed for mentions like mrkdwn: data in it must stay literal.
    return Message(clip(escape(text), FALLBACK_TEXT), rendered)


def plain(text: str) -> Message:
    """A one-section message of plain words (`backticks` still show as code)."""
    return message(text, [section(escape(text))])


def modal(
    title: str,
    blocks: Sequence[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A modal view, inside Slack's limits (title 24 characters, 100 blocks)."""
    view = View(
        type="modal",
        title=PlainTextObject(text=clip(title, MODAL_TITLE)),
        blocks=list(blocks)[:VIEW_BLOCKS],
        callback_id=callback_id,
        submit=PlainTextObject(text=clip(submit, MODAL_TITLE)) if submit else None,
        close=PlainTextObject(text=clip(close, MODAL_TITLE)),
        private_metadata=private_metadata,
    )
    return view.to_dict()


def home(blocks: Sequence[Block | dict[str, Any]]) -> dict[str, Any]:
    """An App Home view; the builder has already kept it within 100 blocks."""
    rendered = render(blocks)
    if len(rendered) > VIEW_BLOCKS:
        rendered = [*rendered[: VIEW_BLOCKS - 1], context("…more not shown.").to_dict()]
    return {"type": "home", "blocks": rendered}


# ---------------------------------------------------------------------------------- errors


def error_message(text: str) -> Message:
    """What a person sees when their request cannot be done: the reason and the fix."""
    return message(text, [section(f":warning: {escape(text)}")])


def denied_message(denial: NotAllowed) -> Message:
    """A denial that says who may do it, and whom to ask for a role."""
    lines = [f":no_entry: {escape(str(denial))}"]
    if denial.holders:
        lines.append(f"Who may: {', '.join(mention(h) for h in denial.holders)}.")
    if denial.granters:
        lines.append(f"To be given a role, ask {', '.join(mention(g) for g in denial.granters)}.")
    elif not denial.holders:
        lines.append("Nobody holds that role yet: an admin can grant it with `tierbot roles grant`.")
    notes = [f"Allowed: {roles_text(denial.roles)}."] if denial.roles else []
    return message(str(denial), [section("\n".join(lines)), *([context(*notes)] if notes else [])])


def notice_view(title: str, note: Message) -> dict[str, Any]:
    """A modal that only says something (a denial or an error after submitting)."""
    return modal(title, [section(b["text"]["text"]) for b in note.blocks if b.get("type") == "section"])
