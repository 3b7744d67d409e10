"""Who may do what: each action people can take in Slack and the roles allowed to take it.

The policy is data, so help text and denials can say exactly which roles may act, and one
table is the whole of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.fields import ROLES

EVERYONE = ("leader", "manager", "csm", "admin")


@dataclass(frozen=True)
class Permission:
    """An action and the roles allowed to take it."""

    action: str  # completes "… may <action>": "activate a rule set"
    roles: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)} in permission {self.action!r}")

    def allows(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(set(self.roles) & set(roles))


VIEW_ACCOUNTS = Permission("look up accounts and their tiers", EVERYONE)
SHARE_ACCOUNTS = Permission("share an account card in a channel", EVERYONE)
VIEW_SEGMENTS = Permission("see the tier table", EVERYONE)
SIMULATE_RULES = Permission("run a what-if on a draft rule set", ("leader", "manager", "admin"))
ACTIVATE_RULES = Permission("activate a rule set", ("leader",))
SUBMIT_WORKLOAD = Permission("submit a workload estimate", ("csm", "manager", "leader"))
RUN_WORKLOAD_SURVEY = Permission("run a workload survey round", ("leader",))
REQUEST_HANDOFF = Permission("request an account handoff", ("csm", "manager", "leader"))
DECIDE_HANDOFF = Permission("approve or reject a handoff", ("manager", "leader"))
ANNOUNCE_HANDOFFS = Permission("announce approved handoffs in a channel", ("manager", "leader"))

PERMISSIONS = (
    VIEW_ACCOUNTS,
    SHARE_ACCOUNTS,
    VIEW_SEGMENTS,
    SIMULATE_RULES,
    ACTIVATE_RULES,
    SUBMIT_WORKLOAD,
    RUN_WORKLOAD_SURVEY,
    REQUEST_HANDOFF,
    DECIDE_HANDOFF,
    ANNOUNCE_HANDOFFS,
)


def roles_text(roles: tuple[str, ...]) -> str:
    """``("leader",)`` → "leaders"; ``("manager", "leader")`` → "managers and leaders"."""
    plural = [f"{r}s" if r != "csm" else "CSMs" for r in roles]
    if len(plural) == 1:
        return plural[0]
    return ", ".join(plural[:-1]) + " and " + plural[-1]
