"""Handoffs, their guardrails and settings, customer notes, transition plans, check-ins and posts, as text."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from bot.render.core import render
from bot.slack.results import Posted
from engine.formatting import money
from engine.handoffs import GuardrailResult
from workflows.drafting import CustomerNote
from workflows.handoffs import Handoff, HandoffDetail, HandoffList, HandoffSettings
from workflows.plans import Announcement, Checkins, PlanDecision, PlanList, TransitionPlan

# ---------------------------------------------------------------------------------- handoffs


GUARDRAIL_MARKS = {"passed": "✓", "failed": "✗", "unknown": "?"}


def guardrail_lines(results: Sequence[GuardrailResult]) -> list[str]:
    return [f"{GUARDRAIL_MARKS[r.state]} {r.name}: {r.message}" for r in results]


def guardrail_counts(results: Sequence[GuardrailResult]) -> str:
    """ "5 passed, 1 failed, 1 not checked (no data)": what a decider weighs, counted."""
    counted = [(sum(r.state == state for r in results), words) for state, words in _COUNTED]
    return ", ".join(f"{n} {words}" for n, words in counted if n)


_COUNTED = (("passed", "passed"), ("failed", "failed"), ("unknown", "not checked (no data)"))


@render.register
def _(h: Handoff) -> str:
    when = f" from {h.effective_date}" if h.effective_date else ""
    lines = [
        f"Handoff #{h.id} ({h.state}): {h.account_name} ({h.crm_id}, {money(h.arr)}, {h.tier or 'untiered'}) "
        f"{h.from_name or 'no owner'} → {h.to_name or h.to_csm}{when}.",
        f"  Reason: “{h.reason}” — proposed by {h.requested_by_name} at {h.requested_at}.",
    ]
    if h.guardrails:
        lines.append(f"  Guardrails: {guardrail_counts(h.guardrails)}:")
        lines += [f"    {line}" for line in guardrail_lines(h.guardrails)]
    if h.decided_by:
        rejected = h.state == "rejected"  # final: a rejected handoff never moves on
        how = "Rejected" if rejected else "Approved as an exception" if h.exception_note else "Approved"
        why = f": “{h.exception_note}”." if h.exception_note and not rejected else "."
        lines.append(f"  {how} by {h.decided_by_name} at {h.decided_at}{why}")
    if h.state == "proposed" and h.failed:
        lines.append(
            f"  It fails {len(h.failed)} guardrail(s): a leader can approve it as an exception "
            f'(`tierbot handoff approve {h.id} --as LEADER --exception "why"`).'
        )
    if h.state == "proposed" and h.unknown:
        lines.append(
            f"  {len(h.unknown)} guardrail(s) could not be checked for want of data "
            f"({', '.join(r.name for r in h.unknown)}): an approval decides without them."
        )
    if h.next_states:
        lines.append(f"  Next: {', '.join(h.next_states)}.")
    return "\n".join(lines)


@render.register
def _(listing: HandoffList) -> str:
    if not listing.handoffs:
        which = f" {listing.state}" if listing.state else ""
        return f"No{which} handoffs. Propose one: `tierbot handoff propose ACCOUNT --to CSM --reason TEXT`."
    rows = [
        [
            h.id,
            h.state,
            h.account_name,
            money(h.arr),
            f"{h.from_name or '—'} → {h.to_name or h.to_csm}",
            h.effective_date or "—",
            "; ".join(
                [f"✗ {', '.join(r.name for r in h.failed)}"] * bool(h.failed)
                + [f"? {', '.join(r.name for r in h.unknown)}"] * bool(h.unknown)
            )
            or "ok",
        ]
        for h in listing.handoffs
    ]
    return tabulate(
        rows,
        headers=["#", "State", "Account", "ARR", "Move", "Effective", "Guardrails"],
        tablefmt="simple",
        disable_numparse=True,
    )


@render.register
def _(detail: HandoffDetail) -> str:
    lines = [render(detail.handoff), "  History:"]
    lines += [
        f"    {e['at']} {e['state']} by {e['who']}" + (f": “{e['note']}”" if e["note"] else "") for e in detail.events
    ]
    if detail.comments:
        lines.append("  Discussion (Slack thread):")
        lines += [f"    {c['at']} {c['who']}: {c['text']}" for c in detail.comments]
    return "\n".join(lines)


@render.register
def _(current: HandoffSettings) -> str:
    g = current.guardrails

    def switch(on: bool) -> str:
        return "on" if on else "off"

    rows: list[list[object]] = [
        ["renewal_days", g.renewal_days or "off", "no move within this many days before a renewal"],
        ["keep_strategic", switch(g.keep_strategic), "strategic accounts keep their CSM"],
        ["keep_red_health", switch(g.keep_red_health), "red-health accounts keep their CSM"],
        ["max_moves_per_quarter", g.max_moves_per_quarter or "off", "moves per CSM per quarter, giving or taking"],
        ["max_accounts", g.max_accounts or "off", "the new CSM's book may not grow past this"],
        ["check_capacity", switch(g.check_capacity), "the new CSM's latest workload estimate leaves room"],
        ["match_region", switch(g.match_region), "the new CSM covers the account's region"],
        ["match_specialty", switch(g.match_specialty), "a CSM with specialties takes those industries"],
    ]
    table = tabulate(rows, headers=["Guardrail", "Value", "Meaning"], tablefmt="simple", disable_numparse=True)
    channel = current.channel or "none: proposals go to the managers by DM"
    return f"{table}\nManagers' channel: {channel}\nA move failing a guardrail needs a leader's exception."


@render.register
def _(note: CustomerNote) -> str:
    state = {
        "draft": "waiting for approval",
        "approved": f"approved by {note.decided_by_name} at {note.decided_at}",
        "sent": f"approved by {note.decided_by_name}; marked sent by {note.sent_by_name} at {note.sent_at}",
        "discarded": f"discarded by {note.decided_by_name}",
    }[note.state]
    made = (
        "from the template" if note.source == "template" else f"by {note.model}" if note.source == "model" else "edited"
    )
    lines = [
        f"Customer note #{note.id} for handoff #{note.handoff_id} ({note.account_name}): {state}.",
        f"To: {note.contact_name or '(no contact on the account)'}"
        + (f" <{note.contact_email}>" if note.contact_email else ""),
        f"Subject: {note.subject}",
        "",
        note.body,
        "",
        f"Drafted {made} (prompt {note.prompt_version}) at {note.created_at}.",
    ]
    if note.fallback:
        lines.append(f"The template was used because {note.fallback}")
    if note.problems:
        lines.append("It fails the checks; edit it before approving:")
        lines += [f"  ✗ {p.message}" for p in note.problems]
    else:
        lines.append(
            "It passes the checks: new CSM named, date present, no other customer, no outside links, "
            "no offers or promises, nothing internal."
        )
    return "\n".join(lines)


@render.register
def _(plan: TransitionPlan) -> str:
    lines = [
        f"Transition plan #{plan.id} from {plan.source}: {len(plan.lines)} move(s) in {len(plan.batches)} batch(es), "
        f"weeks from {plan.start_date}, at most {plan.weekly_limit} move(s) per CSM a week.",
        f"{plan.count('planned')} to decide, {plan.count('approved')} approved, {plan.count('rejected')} rejected, "
        f"{len(plan.held)} held.",
    ]
    for number, batch in plan.batches.items():
        lines += ["", f"Batch {number} — effective {batch[0].effective_date}, check-in {batch[0].check_in_date}:"]
        for line in batch:
            handoff = f" → handoff #{line.handoff_id} ({line.handoff_state})" if line.handoff_id else ""
            lines.append(
                f"  row {line.line}: {line.account_name} ({line.crm_id}) {line.from_name or 'no owner'} → "
                f"{line.to_name or line.to_csm} [{line.status}]{handoff}"
            )
            if line.note and not line.note.startswith("The first week"):
                lines.append(f"      {line.note}")
    if plan.held:
        lines += ["", "Held (need a handoff with a leader's exception):"]
        lines += [f"  row {h.line}: {h.account_name} → {h.to_name or h.to_csm}: {h.note}" for h in plan.held]
    if plan.count("planned"):
        lines += ["", f"Approve: tierbot handoff plan-approve {plan.id} --as PERSON [--line N]"]
    if plan.channel:
        lines.append(f"Posted for approval in Slack channel {plan.channel}.")
    else:
        lines.append(
            f"Not posted in Slack: `tierbot handoff plans {plan.id} --post [--channel C…]` posts it, or "
            f"`/handoff plan {plan.id}` in the channel."
        )
    return "\n".join(lines)


def plan_decision_lines(decision: PlanDecision) -> list[str]:
    """What a decision on a plan did: the rows decided, and each row left with why."""
    done = decision.approved or decision.rejected
    verb = "Approved" if decision.approved else "Rejected"
    said = f"{verb} row(s) {', '.join(map(str, done))} of plan #{decision.plan.id}." if done else "Nothing changed."
    return [said, *(f"Row {line}: {why}." for line, why in decision.skipped)]


@render.register
def _(decision: PlanDecision) -> str:
    out = plan_decision_lines(decision)
    if decision.approved:
        ids = [str(ln.handoff_id) for ln in decision.plan.lines if ln.line in decision.approved]
        out.append(f"Handoffs: #{', #'.join(ids)} (approved; `tierbot draft ID` for each customer note).")
    return "\n".join(out)


@render.register
def _(checkins: Checkins) -> str:
    if not checkins.reminders and not checkins.reports:
        return f"No check-in is due on {checkins.day}."
    out = [f"Check-ins on {checkins.day}:"]
    out += [
        f"  remind {r.to_name or r.to_csm} about {r.account_name} (moved {r.effective_date}, handoff #{r.handoff_id})"
        for r in checkins.reminders
    ]
    out += [
        f"  report plan #{b.plan_id} batch {b.batch}: {b.completed} of {b.lines} completed, {b.cancelled} cancelled, "
        f"{b.rejected} rejected"
        for b in checkins.reports
    ]
    return "\n".join(out)


@render.register
def _(announcement: Announcement) -> str:
    if not announcement.handoffs:
        return "No approved handoff is waiting to be announced."
    count = len(announcement.handoffs)
    out = [f"{count} approved handoff(s) to announce (`--post --channel C…` posts them as one digest):"]
    out += [
        f"  {h.account_name}: {h.from_name or 'no owner'} → {h.to_name or h.to_csm}, from {h.effective_date}"
        for h in announcement.handoffs
    ]
    return "\n".join(out)


@render.register
def _(posted: Posted) -> str:
    if not posted.messages:
        return f"Nothing posted: {posted.what}."
    return f"Posted {posted.what} in {posted.messages} message(s) to {posted.channel}."


@render.register
def _(listing: PlanList) -> str:
    if not listing.plans:
        return "No transition plans yet: `tierbot handoff plan FILE` makes one."
    rows = [
        (p.id, p.source, p.start_date, p.lines, p.batches, p.planned, p.approved, p.rejected, p.held, p.channel or "no")
        for p in listing.plans
    ]
    headers = ("plan", "file", "from", "moves", "batches", "to decide", "approved", "rejected", "held", "posted in")
    return tabulate(rows, headers=headers)
