"""/workload: the form, inline errors, updates; survey rounds with DMs, reminders and a summary."""

from __future__ import annotations

import re
from typing import Any

from workflows.roles import grant_role

from .slack_support import CSM, CSM_EMEA, LEADER, MANAGER_NA, STRANGER, Workspace, text_of

HOURS = {"onboarding": "6", "qbrs": "4", "escalations": "3.5", "renewals": "5", "internal": "8", "other": "6"}


def values(hours: dict[str, str], capacity: str = "35", note: str | None = None) -> dict[str, dict[str, Any]]:
    """A filled form as Slack sends view.state.values."""
    out = {key: {"value": {"type": "number_input", "value": v}} for key, v in hours.items()}
    out["capacity"] = {"value": {"type": "number_input", "value": capacity}}
    out["note"] = {"value": {"type": "plain_text_input", "value": note}}
    return out


def open_form(slack: Workspace, user: str = CSM) -> dict[str, Any]:
    """The form this /workload opens (never one an earlier command opened)."""
    before = len(slack.fake.calls_to("views.open"))
    answer = slack.command("/workload", user=user)
    assert answer.status == 200
    opened = slack.fake.wait_for("views.open", before + 1)[before]
    assert opened.status == 200 and opened.response["ok"], opened.response
    return opened.response["view"]


def test_workload_opens_the_form_with_every_activity_and_capacity(slack: Workspace) -> None:
    view = open_form(slack)
    assert view["title"]["text"] == "Workload estimate"
    fields = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert fields == ["onboarding", "qbrs", "escalations", "renewals", "internal", "other", "capacity", "note"]
    assert "2026-Q4" in text_of(view)


def test_submitting_stores_the_estimate_and_submitting_again_updates_it(slack: Workspace) -> None:
    view = open_form(slack)
    saved = slack.submit(view, values(HOURS), user=CSM).json()
    assert saved["response_action"] == "update"
    assert "Saved your estimate for *2026-Q4*: 32.5 hours" in text_of(saved["view"])
    store = slack.registry.deps.store
    home = slack.fake.wait_for("views.publish")[0].body["view"]  # App Home follows at once (the first publish)
    assert "*Your workload, 2026-Q4:* 32.5 h a week of work, 35 h capacity." in text_of(home)
    row = store.query("SELECT * FROM workload_submissions")[0]
    assert row["csm_id"] == "jordan-blake" and row["period"] == "2026-Q4" and row["escalations"] == 3.5

    view = open_form(slack)
    assert 'value": "3.5"' in str(view).replace("'", '"') or "3.5" in str(view)  # the form shows the last entry
    again = slack.submit(view, values(HOURS | {"escalations": "10"}, capacity="40"), user=CSM).json()
    assert "Updated your estimate" in text_of(again["view"])
    rows = store.query("SELECT * FROM workload_submissions")
    assert len(rows) == 1 and rows[0]["escalations"] == 10 and rows[0]["revisions"] == 2
    assert store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'workload.submit'") == 2


def test_problems_are_shown_beside_their_fields_and_nothing_is_stored(slack: Workspace) -> None:
    view = open_form(slack)
    bad = values(HOURS | {"qbrs": "lots", "internal": "-2", "other": ""}, capacity="0")
    answer = slack.submit(view, bad, user=CSM).json()
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {"qbrs", "internal", "other", "capacity"}
    assert "not a number of hours" in errors["qbrs"]
    assert "cannot be negative" in errors["internal"]
    assert "0 if none" in errors["other"]
    assert slack.registry.deps.store.scalar("SELECT COUNT(*) FROM workload_submissions") == 0


def test_a_week_that_adds_up_to_too_many_hours_is_refused_on_the_first_field(slack: Workspace) -> None:
    view = open_form(slack)
    answer = slack.submit(view, values({k: "20" for k in HOURS}), user=CSM).json()
    assert answer["response_action"] == "errors"
    assert "add up to 120 hours" in answer["errors"]["onboarding"]


def test_someone_not_in_the_roster_is_told_why(slack: Workspace) -> None:
    # A grant gives a role, not a roster entry: there is no CSM to file the estimate for.
    grant_role(slack.registry.deps.store, STRANGER, "csm", actor="test", clock=slack.registry.deps.clock)
    answer = slack.command("/workload", user=STRANGER).json()
    assert "not in the CSM roster" in text_of(answer)
    assert slack.fake.calls_to("views.open") == []


def test_a_round_asks_every_csm_reminds_the_rest_and_closes_with_a_summary(slack: Workspace) -> None:
    store = slack.registry.deps.store
    slack.fake.fail_next("chat.postMessage", 429, retry_after=0)  # Slack slows us down once: the DM still goes
    slack.command("/workload", "start", user=LEADER)
    started = text_of(slack.last_reply())
    assert "Workload round for *2026-Q4* started: asked 12 CSM(s) by DM" in started
    dms = [c for c in slack.fake.calls_to("chat.postMessage") if c.status == 200]
    assert len(dms) == 12
    assert any(c.status == 429 for c in slack.fake.calls_to("chat.postMessage"))
    assert {"workload_open"} <= {e["action_id"] for c in dms for b in c.body["blocks"] for e in b.get("elements", [])}

    # Jordan answers from the DM's button; the DM then says it is done.
    view = slack.calls_after(lambda: slack.click("workload_open", "1", user=CSM), "views.open")[0].response["view"]
    done = slack.calls_after(lambda: slack.submit(view, values(HOURS), user=CSM), "chat.update")[0]
    assert "estimate is in" in text_of(done.body)

    slack.command("/workload", "status", user=LEADER)
    status = text_of(slack.last_reply())
    assert "1 of 12 answered" in status and "Lena Fischer" in status

    before = len(slack.fake.calls_to("chat.postMessage"))
    slack.command("/workload", "remind", user=LEADER)
    assert "Reminded 11 CSM(s)" in text_of(slack.last_reply())
    reminders = slack.fake.calls_to("chat.postMessage")[before:]
    assert len(reminders) == 11 and all("Reminder" in c.body["text"] for c in reminders)
    assert "Jordan" not in str([c.body["channel"] for c in reminders])

    slack.command("/workload", "start", user=LEADER)  # one open round at a time
    assert "still open" in text_of(slack.last_reply())

    slack.click("workload_open", "1", user=CSM_EMEA)
    view = slack.fake.wait_for("views.open", 2)[-1].response["view"]
    slack.submit(view, values(HOURS | {"escalations": "12"}, capacity="30"), user=CSM_EMEA)
    slack.command("/workload", "close", user=LEADER)
    summary = slack.last_reply()
    assert summary["response_type"] == "in_channel"
    text = text_of(summary)
    assert "2 of 12 CSMs answered" in text
    assert "Escalations" in text and "Total" in text and "h per account" in text
    assert "Jordan Blake" in text and "Lena Fischer" in text
    assert store.scalar("SELECT closed_by FROM workload_rounds") == f"slack:{LEADER}"


def test_only_leaders_run_rounds(slack: Workspace) -> None:
    answer = slack.command("/workload", "start", user=CSM)
    assert answer.status == 200
    assert "Only leaders may run a workload survey round" in text_of(answer.json())
    assert slack.registry.deps.store.scalar("SELECT COUNT(*) FROM workload_rounds") == 0


def test_a_round_sums_up_only_the_people_it_asked(slack: Workspace) -> None:
    for user in (LEADER, MANAGER_NA):  # they file estimates of their own; the round does not ask them
        view = open_form(slack, user)
        slack.submit(
            view,
            values(
                {k: "20" for k in ("onboarding", "qbrs")}
                | dict.fromkeys(("escalations", "renewals", "internal", "other"), "0")
            ),
            user=user,
        )
    slack.command("/workload", "start", user=LEADER)
    slack.replies(1)
    slack.click("workload_open", "1", user=CSM)
    view = slack.fake.wait_for("views.open", 3)[-1].response["view"]
    slack.submit(view, values(HOURS), user=CSM)
    slack.fake.wait_for("chat.update")
    slack.command("/workload", "close", user=LEADER)
    text = text_of(slack.last_reply())
    assert "1 of 12 CSMs answered" in text
    assert re.search(r"Total\s+32\.5 h", text)
    assert "Dana Whitfield" not in text and "Marcus Chen" not in text
