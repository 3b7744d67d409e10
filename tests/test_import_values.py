"""Values kept as the CRM wrote them, and the headers and people real exports carry (issue 9,
points 4 and 6): what is blank, how regions are read, the roster's columns, remembered maps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.errors import InvalidRows
from engine.fields import ACCOUNT_FIELDS, region_of
from engine.normalize import trim
from engine.validation import ImportOptions
from store import Store
from store import accounts as account_queries
from workflows.clock import FixedClock
from workflows.gaps import data_gaps
from workflows.rules import crm_formula, load_rule_set
from workflows.tiers import apply_tiers


def account(store: Store, crm_id: str) -> dict:
    found = account_queries.get(store, crm_id)
    assert found is not None
    return found


# ---------------------------------------------------------------------------------- blank words


def test_words_like_none_are_blank_only_where_a_number_date_or_flag_belongs(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load(
        "Account ID,Account Name,ARR,Employees,Plan,Renewal Date,Strategic,Support_Priority__c,Notes\n"
        "a1,Alpha,1,None,None,None,None,None,nil\n"
        "a2,Beta,2,--,?,nil,--,?,--\n"
        "a3,Gamma,10,?,Growth,2027-01-01,TRUE,High,N/A\n"
    )
    alpha, beta = account(store, "a1"), account(store, "a2")
    assert alpha["employees"] is None and alpha["renewal_date"] is None and alpha["strategic"] == 0
    assert beta["employees"] is None and beta["renewal_date"] is None and beta["strategic"] == 0
    # A plan, a custom picklist or a note that says None keeps saying None.
    assert alpha["plan"] == "None" and beta["plan"] == "?"
    assert '"Support_Priority__c": "None"' in alpha["extra"] and '"Notes": "nil"' in alpha["extra"]
    assert '"Support_Priority__c": "?"' in beta["extra"] and '"Notes": "--"' in beta["extra"]
    # N/A, #N/A, null and - stay blank everywhere.
    assert "Notes" not in (account(store, "a3")["extra"] or "")


def test_trim_keeps_words_in_text_and_blanks_them_in_typed_columns() -> None:
    column = pd.Series(["None", "nil", "?", "--", "N/A", "-", "null"], dtype=object)
    assert [v if isinstance(v, str) else None for v in trim(column)] == ["None", "nil", "?", "--", None, None, None]
    assert trim(column, typed=True).isna().all()


# ---------------------------------------------------------------------------------- regions


def test_regions_are_kept_as_written_and_said(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load(
        "Account ID,Account Name,ARR,Region,Billing Country\n"
        "r1,Rio Clinic,10,AMER,Brazil\n"
        "r2,Monterrey Care,10,Americas,Mexico\n"
        "r3,Boston Health,10,North America,United States\n"
        "r4,Leeds Health,10,EMEA,United Kingdom\n"
        "r5,Lyon Sante,10,emea,France\n"
    )
    regions = {r["crm_id"]: r["region"] for r in store.query("SELECT crm_id, region FROM accounts")}
    assert regions == {"r1": "AMER", "r2": "Americas", "r3": "North America", "r4": "EMEA", "r5": "emea"}
    said = " ".join(report.notes)
    assert "`North America` reads as NA in rules" in said
    assert "`AMER` (1 account) and `Americas` (1 account) span NA and LATAM" in said


def test_brazil_and_mexico_never_land_in_north_america(load, store: Store, clock: FixedClock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load(
        "Account ID,Account Name,ARR,Region,Billing Country\n"
        "r1,Rio Clinic,10,AMER,Brazil\n"
        "r2,Monterrey Care,10,Americas,Mexico\n"
        "r3,Boston Health,10,North America,United States\n"
        "r4,Toronto Care,10,NA,Canada\n"
        "r5,Leeds Health,10,Europe,United Kingdom\n"
    )
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "name: by-region\ntiers: [North, Europe, Other]\nrules:\n"
        "  - tier: North\n    when: {region: {in: [NA]}}\n"
        "  - tier: Europe\n    when: {region: EMEA}\n"
        "  - tier: Other\n    default: true\n"
    )
    load_rule_set(store, rules, actor="t", clock=clock)
    from workflows.rules import activate_rule_set

    activate_rule_set(store, "by-region", actor="t", clock=clock)
    apply_tiers(store, actor="t", clock=clock)
    tiers = {r["crm_id"]: r["tier"] for r in store.query("SELECT crm_id, tier FROM account_tiers")}
    assert tiers == {"r1": "Other", "r2": "Other", "r3": "North", "r4": "North", "r5": "Europe"}


def test_region_synonyms_are_unambiguous_only() -> None:
    assert region_of("North America") == "NA" and region_of("na") == "NA"
    assert region_of("Asia Pacific") == "APAC" and region_of("Latin America") == "LATAM"
    assert region_of("Europe, Middle East and Africa") == "EMEA"
    assert region_of("AMER") is None and region_of("Americas") is None and region_of("ANZ") == "APAC"


def test_a_blank_region_is_derived_from_the_country_and_said(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load(
        "Account ID,Account Name,ARR,Region,Billing Country\n"
        "d1,Rio Clinic,10,,Brazil\n"
        "d2,Monterrey Care,10,,Mexico\n"
        "d3,Boston Health,10,,USA\n"
        "d4,Berlin Klinik,10,,Germany\n"
        "d5,Seoul Care,10,,Korea\n"
        "d6,Nowhere,10,,\n"
        "d7,Kept,10,Central,Germany\n"
    )
    regions = {r["crm_id"]: r["region"] for r in store.query("SELECT crm_id, region FROM accounts")}
    assert regions == {
        "d1": "LATAM",
        "d2": "LATAM",
        "d3": "NA",
        "d4": "EMEA",
        "d5": "APAC",
        "d6": None,
        "d7": "Central",
    }
    assert any("derived from the country" in n and "5 accounts" in n for n in report.notes)


def test_a_file_without_a_region_column_gets_regions_from_countries(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load("Account ID,Account Name,ARR,Billing Country\nd1,Rio Clinic,10,Brazil\nd2,Ottawa Care,10,Canada\n")
    assert account(store, "d1")["region"] == "LATAM" and account(store, "d2")["region"] == "NA"
    assert any("derived from the country" in n for n in report.notes)
    # A later export without countries' regions never overwrites a region the store has.
    with store.transaction():
        store.execute("UPDATE accounts SET region = 'South' WHERE crm_id = 'd1'")
    load("Account ID,Account Name,ARR,Billing Country\nd1,Rio Clinic,10,Brazil\n", name="again.csv")
    assert account(store, "d1")["region"] == "South"


def test_a_csm_covering_north_america_takes_na_accounts(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    from engine.handoffs import same_region

    assert same_region("NA", "North America") and same_region("emea", "EMEA")
    assert not same_region("AMER", "NA") and not same_region("LATAM", "NA")


# ---------------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("External_ID__c", "crm_id"),
        ("Avg_NPS_Score__c", "nps"),
        ("Account_Health_Score__c", "health_score"),
        ("sector", "industry"),
        ("plan_tier", "plan"),
        ("end_date", "renewal_date"),
    ],
)
def test_header_spellings_seen_in_real_files(header: str, field: str) -> None:
    from engine.validation import map_headers

    mapped = map_headers(["Account Name", "ARR", header], ACCOUNT_FIELDS, {})
    assert mapped.fields.get(field) == header


def test_office_location_is_the_account_s_country_and_regional_office_the_csm_s_region(  # type: ignore[no-untyped-def]
    load, store: Store
) -> None:
    from engine.fields import CSM_FIELDS
    from engine.validation import map_headers

    load(
        "account,sector,revenue,office_location\nBetasoloin,medical,251.41,United States\n",
        options=ImportOptions(mapping={"arr": "revenue"}),
    )
    betasoloin = account(store, "betasoloin")
    assert (betasoloin["country"], betasoloin["industry"], betasoloin["region"]) == ("United States", "medical", "NA")
    assert map_headers(["sales_agent", "regional_office"], CSM_FIELDS, {}).fields["region"] == "regional_office"


def test_external_id_is_a_candidate_the_crm_id_beats(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load("Id,External_ID__c,Account Name,ARR\n001A,EXT-1,Acme,10\n")
    assert account(store, "001A")["name"] == "Acme"
    assert any("External_ID__c" in n for n in report.notes)


# ---------------------------------------------------------------------------------- the roster


def test_roster_first_and_last_names_title_and_capacity(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    report = load(
        "FirstName,LastName,Email,Title,Weekly Capacity Hours,Manager,Desk\n"
        "Dana,Whitfield,dana@x.com,VP Customer Success,10,,A1\n"
        "Lena,Fischer,lena@x.com,Senior Customer Success Manager,40,Dana Whitfield,B2\n",
        "csms",
    )
    rows = {r["id"]: r for r in store.query("SELECT * FROM csms")}
    assert rows["dana"]["name"] == "Dana Whitfield" and rows["lena"]["name"] == "Lena Fischer"
    assert rows["dana"]["title"] == "VP Customer Success" and rows["dana"]["role"] == "leader"
    assert rows["lena"]["title"] == "Senior Customer Success Manager" and rows["lena"]["role"] == "csm"
    assert rows["lena"]["capacity_hours"] == 40.0 and rows["lena"]["manager"] == "dana"
    said = [str(p) for p in report.problems] + report.notes
    assert any("`Desk`" in s and "not a roster field" in s for s in said), said
    assert '"Desk": "B2"' in rows["lena"]["extra"]


def test_managers_missing_from_the_roster_are_a_gap(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load("Name,Email,Manager\nLena Fischer,lena@x.com,Pat Ghost\nTom Hughes,tom@x.com,Pat Ghost\n", "csms")
    gaps = {(g.table, g.label): g.missing for g in data_gaps(store).gaps}
    assert gaps[("csms", "Manager not in the CSM roster")] == 2


# ---------------------------------------------------------------------------------- --map remembered


def test_map_choices_are_remembered_and_reused(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    text = "Customer Ref,Account Name,Contract Value\nc1,Acme,100\n"
    first = load(text, options=ImportOptions(mapping={"crm_id": "Customer Ref", "arr": "Contract Value"}))
    assert first.mapping["arr"] == "Contract Value"
    second = load(text.replace("100", "150"), name="next.csv")
    assert second.updated == 1 and account(store, "c1")["arr"] == 150.0
    assert any("--map" in n and "remembered" in n for n in second.notes)


def test_a_remembered_map_is_not_used_on_a_file_with_other_headers(load, store: Store) -> None:  # type: ignore[no-untyped-def]
    load(
        "Customer Ref,Account Name,Contract Value\nc1,Acme,100\n",
        options=ImportOptions(mapping={"arr": "Contract Value"}),
    )
    with pytest.raises(Exception, match="no ARR column"):
        load("Account Name,Contract Value,Owner\nAcme,100,x\n", name="other.csv")


# ---------------------------------------------------------------------------------- the formula


def test_the_formula_reads_arr_from_the_crm_field_it_came_from(  # type: ignore[no-untyped-def]
    load, store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "name: fy\ntiers: [Big, Small]\nrules:\n  - tier: Big\n    when: {arr: {'>=': 50}}\n"
        "  - tier: Small\n    default: true\n"
    )
    load_rule_set(store, rules, actor="t", clock=clock)
    before = crm_formula(store, "fy", crm="salesforce")
    assert "ARR__c" in before.fields.values()  # no import yet: the usual custom field
    load("Id,Name,AnnualRevenue,Region__c\n001A,Acme,100,NA\n", options=ImportOptions(mapping={"arr": "AnnualRevenue"}))
    formula = crm_formula(store, "fy", crm="salesforce")
    assert "AnnualRevenue" in formula.text and "ARR__c" not in formula.text
    assert formula.fields["arr"] == "AnnualRevenue"
    assert any("AnnualRevenue" in n and "imported" in n for n in formula.notes)
    # --field still wins.
    assert crm_formula(store, "fy", crm="salesforce", fields={"arr": "ARR__c"}).fields["arr"] == "ARR__c"


def test_rows_with_errors_still_refuse_the_import(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRows):
        load("Account ID,Account Name,ARR\nx1,X,abc\n")


def test_the_formula_accepts_the_region_as_the_accounts_write_it(  # type: ignore[no-untyped-def]
    load, store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "name: fy\ntiers: [North, Other]\nrules:\n  - tier: North\n    when: {region: NA}\n"
        "  - tier: Other\n    default: true\n"
    )
    load_rule_set(store, rules, actor="t", clock=clock)
    load("Account ID,Account Name,ARR,Region\na1,Acme,10,North America\na2,Rio,10,AMER\n")
    text = crm_formula(store, "fy", crm="salesforce").text
    assert '"north america"' in text and '"na"' in text and '"amer"' not in text


def test_tierbot_s_own_export_of_a_mapped_file_imports_back_without_map(  # type: ignore[no-untyped-def]
    load, store: Store, tmp_path: Path
) -> None:
    from workflows.exporting import export_accounts

    load(
        "Customer Ref,Account Name,Contract Value\nc1,Acme,100\nc2,Beta,200\n",
        options=ImportOptions(mapping={"crm_id": "Customer Ref", "arr": "Contract Value"}),
    )
    export_accounts(store, tmp_path / "out.csv")
    report = load((tmp_path / "out.csv").read_text(), name="back.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert any("remembered" in n for n in report.notes)


def test_a_csm_s_title_from_the_roster_signs_the_customer_note(demo_store: Store, clock: FixedClock) -> None:
    from workflows.drafting import note_facts
    from workflows.handoffs import decide_handoff, get_handoff, person_named, request_handoff

    with demo_store.transaction():
        demo_store.execute("UPDATE csms SET title = 'Senior Customer Success Manager' WHERE id = 'sam-patel'")
    marcus = person_named(demo_store, "marcus-chen")
    account_id = demo_store.scalar("SELECT crm_id FROM accounts WHERE name = 'Acme Health Partners'")
    handoff = request_handoff(
        demo_store,
        marcus,
        crm_id=str(account_id),
        to_csm="sam-patel",
        reason="rebalancing",
        effective="2026-12-07",
        clock=clock,
    )
    decide_handoff(demo_store, handoff.id, approve=True, person=marcus, clock=clock)
    facts, _ = note_facts(demo_store, get_handoff(demo_store, handoff.id))
    assert facts.new_csm_title == "Senior Customer Success Manager"
    assert facts.old_csm_title  # the outgoing CSM has no title in the roster: one from the role
