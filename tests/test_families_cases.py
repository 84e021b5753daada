"""Keeping families right (issue 10), as plain functions: families, children, adults, plans,
mobility (rule 1), assignments, closing and transferring, the change history, and what the
migration carried over."""
import json
from datetime import date, datetime, timedelta

import pytest

from fieldvisit import access, settings
from fieldvisit.bodymap.rules import not_independently_mobile
from fieldvisit.families import cases
from fieldvisit.families.domain import visiting_rules
from fieldvisit.migrations import m0010_families_managed as m0010
from fieldvisit.rota.domain import set_visiting_rules
from tests.factories import build_world, fresh_db

TODAY = date.today()
NOW = datetime.now()
VALID_NHS = "9990000018"  # 999 numbers are reserved for testing


@pytest.fixture
def db():
    database = fresh_db()
    yield database
    database.close()


@pytest.fixture
def world(db):
    return build_world(db)


def a_family(db, world, **overrides):
    data = {"name": "Ashcombe household", "address": "14 Weavers Row, Northfield", "postcode": "nf2 4qt",
            "team_id": world["team_a"], "case_reference": "LL-1", "known_risks": "Large dog"}
    data.update(overrides)
    return cases.create_family(db, data, world["lead"]["id"], NOW)


def a_child(db, family_id, world, **overrides):
    data = {"first_name": "Ivy", "last_name": "Ashcombe", "sex": "female",
            "date_of_birth": (TODAY - timedelta(days=122)).isoformat()}
    data.update(overrides)
    return cases.add_child(db, family_id, data, world["lead"]["id"], NOW, TODAY)


def errors_of(call, *args, **kwargs):
    with pytest.raises(cases.CaseInvalid) as raised:
        call(*args, **kwargs)
    return raised.value.errors


# --- families ---------------------------------------------------------------------------------------

def test_a_lead_creates_a_family_and_the_creation_is_in_its_history(db, world):
    family_id = a_family(db, world)
    family = db["families"].get(family_id)
    assert (family["name"], family["postcode"], family["status"], family["case_reference"]) == \
        ("Ashcombe household", "NF2 4QT", "open", "LL-1")
    [change] = cases.change_history(db, family_id)
    assert (change["entity"], change["change"], change["changed_by"]) == ("family", "created", world["lead"]["id"])
    assert change["after"]["known_risks"] == "Large dog"


def test_a_family_needs_a_name_an_address_a_real_postcode_and_a_team(db, world):
    errors = errors_of(cases.create_family, db, {"name": " ", "address": "", "postcode": "NOT A POSTCODE",
                                                 "team_id": "999"}, world["lead"]["id"], NOW)
    assert set(errors) == {"name", "address", "postcode", "team_id"}
    assert db.execute("SELECT count(*) FROM families").fetchone()[0] == 2


def test_a_case_reference_belongs_to_one_family(db, world):
    a_family(db, world)
    assert errors_of(a_family, db, world, name="Another") == {
        "case_reference": "Another family already has this case reference"}


def test_an_edit_keeps_who_when_before_and_after(db, world):
    family_id = a_family(db, world)
    changed = cases.update_family(db, family_id, {"name": "Ashcombe household", "address": "2 Mill Lane",
                                                  "postcode": "NF2 4QT", "case_reference": "LL-1"},
                                  world["admin"]["id"], NOW)
    assert changed == ["address", "known_risks"]
    latest = cases.change_history(db, family_id)[0]
    assert latest["change"] == "edited" and latest["changed_by"] == world["admin"]["id"]
    assert latest["before"] == {"address": "14 Weavers Row, Northfield", "known_risks": "Large dog"}
    assert latest["after"] == {"address": "2 Mill Lane", "known_risks": ""}
    assert cases.update_family(db, family_id, {"name": "Ashcombe household", "address": "2 Mill Lane",
                                               "postcode": "NF2 4QT", "case_reference": "LL-1"},
                               world["admin"]["id"], NOW) == []
    assert len(cases.change_history(db, family_id)) == 2, "saving with no change adds no history"


def test_closing_a_family_keeps_it_and_ends_its_assignments(db, world):
    family_id = a_family(db, world)
    cases.assign(db, family_id, {"practitioner_id": world["worker"]["id"]}, world["lead"], NOW, TODAY)
    assert family_id in access.visible_family_ids(db, world["worker"])
    errors = errors_of(cases.close_family, db, family_id, {"closed_on": (TODAY + timedelta(days=1)).isoformat()},
                       world["lead"]["id"], NOW, TODAY)
    assert set(errors) == {"closed_on", "reason"}
    cases.close_family(db, family_id, {"closed_on": TODAY.isoformat(), "reason": "Needs met"},
                       world["lead"]["id"], NOW, TODAY)
    family = db["families"].get(family_id)
    assert (family["status"], family["closed_on"], family["closed_reason"]) == ("closed", TODAY.isoformat(), "Needs met")
    assert family_id not in access.visible_family_ids(db, world["worker"])
    assert family_id in access.visible_family_ids(db, world["lead"]), "the team lead still sees a closed family"
    with pytest.raises(Exception, match="never deleted"):
        db.execute("DELETE FROM families WHERE id = ?", [family_id])


def test_a_transferred_family_is_seen_by_the_receiving_team(db, world):
    family_id = a_family(db, world)
    assert errors_of(cases.transfer_family, db, family_id, {"team_id": world["team_a"], "reason": ""},
                     world["lead"]["id"], NOW).keys() == {"team_id", "reason"}
    cases.transfer_family(db, family_id, {"team_id": world["team_b"], "reason": "Moved to the health team"},
                          world["lead"]["id"], NOW)
    assert db["families"].get(family_id)["team_id"] == world["team_b"]
    assert not cases.may_manage(world["lead"], db["families"].get(family_id))
    assert cases.change_history(db, family_id)[0]["after"] == {"team_id": world["team_b"]}


# --- children and adults ---------------------------------------------------------------------------------

def test_nhs_numbers_are_checked_by_their_modulus_11_check_digit():
    assert cases.nhs_number_valid("943 476 5919")
    assert cases.nhs_number_valid(VALID_NHS)
    assert not cases.nhs_number_valid("9434765918")  # the check digit is wrong
    assert not cases.nhs_number_valid("1234567890")  # the check digit would be 10: never issued
    assert not cases.nhs_number_valid("94347659")
    assert not cases.nhs_number_valid("943476591X")


def test_a_child_is_added_with_their_details_and_mobility(db, world):
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world, nhs_number="999 000 0018", school="Little Acorns",
                       gestation_weeks="34", birth_weight_kg="2.1", mobility="rolling")
    child = db["children"].get(child_id)
    assert {k: child[k] for k in ("nhs_number", "school", "gestation_weeks", "birth_weight_kg", "plan", "mobility",
                                  "independently_mobile", "mobility_recorded_by")} == {
        "nhs_number": VALID_NHS, "school": "Little Acorns", "gestation_weeks": 34, "birth_weight_kg": 2.1,
        "plan": "none", "mobility": "rolling", "independently_mobile": 0, "mobility_recorded_by": world["lead"]["id"]}


def test_a_child_born_in_the_future_or_with_a_wrong_nhs_number_is_refused(db, world):
    family_id = a_family(db, world)
    errors = errors_of(a_child, db, family_id, world, first_name="", sex="",
                       date_of_birth=(TODAY + timedelta(days=1)).isoformat(), nhs_number="9434765918",
                       gestation_weeks="70", birth_weight_kg="heavy")
    assert errors == {
        "first_name": "Enter the child's first name",
        "date_of_birth": "The date of birth must be today or in the past",
        "sex": "Choose the child's sex (or Not known)",
        "nhs_number": "Enter a real NHS number: 10 digits, the last a check digit (or leave it empty)",
        "gestation_weeks": "Enter the weeks of pregnancy at birth as a whole number from 22 to 44",
        "birth_weight_kg": "Enter the birth weight in kilograms, from 0.3 to 7.0, like 3.2"}
    assert errors_of(a_child, db, family_id, world, date_of_birth="31/12/2025") == {
        "date_of_birth": "Enter the date of birth as a real date, for example 2026-03-27"}
    assert db.execute("SELECT count(*) FROM children WHERE family_id = ?", [family_id]).fetchone()[0] == 0


def test_an_adult_lives_in_the_home_or_visits(db, world):
    family_id = a_family(db, world)
    adult_id = cases.add_adult(db, family_id, {"name": "Kerry Ashcombe", "relationship": "Mother",
                                               "lives_in_household": "yes", "phone": "07700 900123"},
                               world["lead"]["id"], NOW)
    assert db["adults"].get(adult_id)["lives_in_household"] == 1
    cases.update_adult(db, adult_id, {"name": "Kerry Ashcombe", "relationship": "Mother",
                                      "lives_in_household": "no", "phone": ""}, world["lead"]["id"], NOW)
    assert db["adults"].get(adult_id)["lives_in_household"] == 0
    assert errors_of(cases.add_adult, db, family_id, {"name": "", "relationship": "", "phone": "call me"},
                     world["lead"]["id"], NOW).keys() == {"name", "relationship", "lives_in_household", "phone"}


# --- mobility (rule 1) --------------------------------------------------------------------------------------

def born_months_ago(months):
    return (TODAY - timedelta(days=int(months * 30.5) + 3)).isoformat()


@pytest.mark.parametrize("stage, mobile", [
    ("not_yet_rolling", False), ("rolling", False), ("sitting", False), ("not_mobile_disability", False),
    ("bottom_shuffling", True), ("crawling", True), ("pulling_to_stand", True), ("cruising", True),
    ("walking", True)])
def test_rule_1_reads_the_recorded_stage_rolling_is_not_mobility(db, world, stage, mobile):
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world, date_of_birth=born_months_ago(10))
    cases.record_mobility(db, child_id, {"mobility": stage, "recorded_on": TODAY.isoformat()},
                          world["worker"]["id"], NOW, TODAY)
    child = db["children"].get(child_id)
    assert child["independently_mobile"] == int(mobile)
    assert not_independently_mobile(child, NOW.isoformat(), settings.DEFAULTS) is (not mobile)


def test_every_baby_under_the_settings_age_is_not_mobile_whatever_is_recorded(db, world):
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world, date_of_birth=born_months_ago(4))
    cases.record_mobility(db, child_id, {"mobility": "crawling", "recorded_on": TODAY.isoformat()},
                          world["worker"]["id"], NOW, TODAY)
    child = db["children"].get(child_id)
    assert not_independently_mobile(child, NOW.isoformat(), settings.DEFAULTS)
    stricter = dict(settings.DEFAULTS, non_mobile_under_months=3)
    assert not not_independently_mobile(child, NOW.isoformat(), stricter)


def test_mobility_keeps_its_history_with_the_date_and_who_saw_it(db, world):
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world, mobility="rolling")
    visit_day = TODAY - timedelta(days=2)
    cases.record_mobility(db, child_id, {"mobility": "sitting", "recorded_on": visit_day.isoformat(),
                                         "note": "Sits unsupported"}, world["worker"]["id"], NOW, TODAY)
    history = cases.mobility_history(db, child_id)
    assert [(m["mobility"], m["recorded_by"]) for m in history] == [
        ("sitting", world["worker"]["id"]), ("rolling", world["lead"]["id"])]
    assert history[0]["recorded_on"] == visit_day.isoformat() and history[0]["note"] == "Sits unsupported"
    assert errors_of(cases.record_mobility, db, child_id, {"mobility": "flying",
                                                           "recorded_on": (TODAY + timedelta(days=1)).isoformat()},
                     world["worker"]["id"], NOW, TODAY).keys() == {"mobility", "recorded_on"}


@pytest.mark.parametrize("note, mobile, stage", [
    ("Not yet rolling or crawling", 0, "not_yet_rolling"), ("Rolls over; not crawling", 0, "rolling"),
    ("Crawling", 1, "crawling"), ("Cerebral palsy: not independently mobile (uses a supportive seat).", 0,
                                  "not_mobile_disability"),
    ("Cruising round the furniture", 1, "cruising"), ("", 1, None), ("", 0, None),
    ("Crawling", 0, None)])  # a note that disagrees with the yes/no is not turned into a stage
def test_the_migration_reads_earlier_mobility_notes_without_losing_the_yes_or_no(note, mobile, stage):
    assert m0010.stage_from_note(note, mobile) == stage


def test_the_migration_carries_over_mobility_plans_and_assignments(tmp_path):
    from fieldvisit.db import connect
    from fieldvisit.migrations import upgrade
    database = connect(tmp_path / "old.db")
    upgrade(database, target=9)
    world = build_world_before_issue_10(database)
    upgrade(database)
    baby = database["children"].get(world["baby"])
    assert (baby["independently_mobile"], baby["mobility"], baby["mobility_note"]) == (0, "rolling", "Rolls over")
    older = database["children"].get(world["older"])
    assert (older["independently_mobile"], older["mobility"]) == (1, None)
    assert [(p["plan"], p["start_date"], p["end_date"]) for p in cases.plan_history(database, world["baby"])] == [
        ("child_protection", "2026-09-01", None)]
    assert database.execute("SELECT family_id, practitioner_id, ended_on FROM assignment_history").fetchall() == [
        (world["family"], world["worker"], None)]
    database.close()


def build_world_before_issue_10(db):
    """The few rows a database held before issue 10 (the columns of migration 1)."""
    agency = db["agencies"].insert({"name": "Council", "kind": "childrens_social_care"}).last_pk
    team = db["teams"].insert({"name": "Team", "agency_id": agency}).last_pk
    worker = db["practitioners"].insert({"username": "w", "display_name": "W", "role": "family_support_worker",
                                         "team_id": team, "password_hash": "x", "active": 1}).last_pk
    family = db["families"].insert({"name": "F", "address": "1 St", "postcode": "NF1 1AA", "team_id": team,
                                    "created_at": "2026-01-01"}).last_pk
    baby = db["children"].insert({"family_id": family, "first_name": "B", "last_name": "F",
                                  "date_of_birth": "2026-06-01", "independently_mobile": 0,
                                  "mobility_note": "Rolls over", "plan": "child_protection",
                                  "plan_category": "neglect", "plan_start_date": "2026-09-01"}).last_pk
    older = db["children"].insert({"family_id": family, "first_name": "O", "last_name": "F",
                                   "date_of_birth": "2019-01-01", "independently_mobile": 1, "plan": "none"}).last_pk
    db["assignments"].insert({"family_id": family, "practitioner_id": worker})
    return {"family": family, "worker": worker, "baby": baby, "older": older}


# --- plans ------------------------------------------------------------------------------------------------

def test_a_child_protection_plan_needs_its_category_and_cannot_end_before_it_starts(db, world):
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world)
    start = TODAY - timedelta(days=30)
    assert errors_of(cases.start_plan, db, child_id, {"plan": "child_protection", "start_date": start.isoformat(),
                                                      "review_date": (start - timedelta(days=1)).isoformat()},
                     world["lead"]["id"], NOW, TODAY) == {
        "category": "Choose the category of the child protection plan",
        "review_date": "The review date must be on or after the date the plan started"}
    cases.start_plan(db, child_id, {"plan": "child_protection", "category": "neglect",
                                    "start_date": start.isoformat()}, world["lead"]["id"], NOW, TODAY)
    child = db["children"].get(child_id)
    assert (child["plan"], child["plan_category"], child["plan_start_date"]) == \
        ("child_protection", "neglect", start.isoformat())
    assert errors_of(cases.end_plan, db, child_id, {"end_date": (start - timedelta(days=1)).isoformat(),
                                                    "end_reason": "no_longer_needed"},
                     world["lead"]["id"], NOW, TODAY) == {"end_date": "The plan cannot end before it started"}
    assert errors_of(cases.start_plan, db, child_id, {"plan": "early_help", "start_date": TODAY.isoformat()},
                     world["lead"]["id"], NOW, TODAY) == {
        "plan": "End the plan the child is on before starting another"}


def test_a_step_down_ends_the_plan_and_starts_the_next_the_same_day(db, world):
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world)
    cases.start_plan(db, child_id, {"plan": "child_protection", "category": "multiple",
                                    "start_date": (TODAY - timedelta(days=200)).isoformat()},
                     world["lead"]["id"], NOW, TODAY)
    ended = (TODAY - timedelta(days=3)).isoformat()
    cases.end_plan(db, child_id, {"end_date": ended, "end_reason": "step_down", "next_plan": "child_in_need"},
                   world["lead"]["id"], NOW, TODAY)
    history = cases.plan_history(db, child_id)
    assert [(p["plan"], p["start_date"], p["end_date"], p["end_reason"]) for p in history] == [
        ("child_in_need", ended, None, None),
        ("child_protection", (TODAY - timedelta(days=200)).isoformat(), ended, "step_down")]
    assert db["children"].get(child_id)["plan"] == "child_in_need"
    with pytest.raises(Exception, match="never deleted"):
        db.execute("DELETE FROM child_plans WHERE child_id = ?", [child_id])


def test_a_plan_that_ends_without_a_step_down_leaves_no_plan(db, world):
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world)
    cases.start_plan(db, child_id, {"plan": "looked_after", "start_date": TODAY.isoformat()},
                     world["lead"]["id"], NOW, TODAY)
    cases.end_plan(db, child_id, {"end_date": TODAY.isoformat(), "end_reason": "moved_away"},
                   world["lead"]["id"], NOW, TODAY)
    child = db["children"].get(child_id)
    assert (child["plan"], child["plan_start_date"]) == ("none", None)


def test_the_visiting_rules_follow_the_plan_in_force(db, world):
    """One source of truth with the rota: rules set for an ended plan do not carry over."""
    family_id = a_family(db, world)
    child_id = a_child(db, family_id, world)
    cases.start_plan(db, child_id, {"plan": "child_protection", "category": "neglect",
                                    "start_date": (TODAY - timedelta(days=60)).isoformat()},
                     world["lead"]["id"], NOW - timedelta(hours=2), TODAY)
    set_visiting_rules(db, child_id, {"every_working_days": 5, "seen_alone_every_visits": 1,
                                      "bedroom_seen_every_visits": 1, "reason": "Conference"},
                       world["lead"]["id"], NOW - timedelta(hours=1))
    child = db["children"].get(child_id)
    assert visiting_rules(db, [child], settings.DEFAULTS)[child_id]["every_working_days"] == 5
    cases.end_plan(db, child_id, {"end_date": TODAY.isoformat(), "end_reason": "step_down",
                                  "next_plan": "child_in_need"}, world["lead"]["id"], NOW, TODAY)
    child = db["children"].get(child_id)
    rules = visiting_rules(db, [child], settings.DEFAULTS)[child_id]
    assert rules["every_working_days"] == settings.DEFAULTS["visit_every_working_days"]["child_in_need"]
    assert rules["from_plan"] is False


# --- assignments -------------------------------------------------------------------------------------------

def test_a_lead_assigns_a_practitioner_of_any_agency_and_they_see_the_family(db, world):
    family_id = a_family(db, world)
    other_agency = dict(world["other"])
    assert family_id not in access.visible_family_ids(db, other_agency)
    cases.assign(db, family_id, {"practitioner_id": other_agency["id"]}, world["lead"], NOW, TODAY)
    assert family_id in access.visible_family_ids(db, other_agency)
    assert [a["display_name"] for a in cases.current_assignments(db, family_id)] == ["Other"]


def test_nobody_assigns_themselves_and_a_lead_only_assigns_to_their_teams_families(db, world):
    family_id = a_family(db, world)
    assert errors_of(cases.assign, db, family_id, {"practitioner_id": world["lead"]["id"]}, world["lead"], NOW,
                     TODAY) == {"practitioner_id": "You cannot assign yourself: ask another team lead or an admin"}
    lead_b = dict(world["lead"], id=world["other"]["id"] + 100, team_id=world["team_b"])
    assert errors_of(cases.assign, db, family_id, {"practitioner_id": world["worker"]["id"]}, lead_b, NOW,
                     TODAY) == {"practitioner_id": "You can only assign practitioners to a family your team holds"}
    assert errors_of(cases.assign, db, family_id, {"practitioner_id": world["worker"]["id"]}, world["worker"],
                     NOW, TODAY) == {"practitioner_id": "You can only assign practitioners to a family your team holds"}
    assert errors_of(cases.assign, db, family_id, {"practitioner_id": world["admin"]["id"]}, world["lead"], NOW,
                     TODAY) == {"practitioner_id": "Choose a practitioner to assign"}
    assert db.execute("SELECT count(*) FROM assignments WHERE family_id = ?", [family_id]).fetchone()[0] == 0


def test_an_ended_assignment_is_kept_with_its_end_date_and_need_to_know_stops(db, world):
    family_id = a_family(db, world)
    cases.assign(db, family_id, {"practitioner_id": world["worker"]["id"]}, world["lead"], NOW, TODAY)
    cases.end_assignment(db, family_id, world["worker"]["id"], {"reason": "Case moved to the health team"},
                         world["lead"]["id"], NOW, TODAY)
    assert family_id not in access.visible_family_ids(db, world["worker"])
    [ended] = cases.ended_assignments(db, family_id)
    assert (ended["practitioner_id"], ended["started_on"], ended["ended_on"], ended["ended_by"], ended["end_reason"]) \
        == (world["worker"]["id"], TODAY.isoformat(), TODAY.isoformat(), world["lead"]["id"],
            "Case moved to the health team")
    latest = cases.change_history(db, family_id)[0]
    assert (latest["entity"], latest["change"], latest["after"]["practitioner_id"]) == \
        ("assignment", "ended", world["worker"]["id"])
    # Assigned again later: a new period in the history.
    cases.assign(db, family_id, {"practitioner_id": world["worker"]["id"]}, world["lead"], NOW, TODAY)
    assert db.execute("SELECT count(*) FROM assignment_history WHERE family_id = ?", [family_id]).fetchone()[0] == 2


def test_the_change_history_is_append_only(db, world):
    family_id = a_family(db, world)
    with pytest.raises(Exception, match="never changed"):
        db.execute("UPDATE record_changes SET after = '{}' WHERE family_id = ?", [family_id])
    with pytest.raises(Exception, match="never deleted"):
        db.execute("DELETE FROM record_changes WHERE family_id = ?", [family_id])
    assert json.loads(db.execute("SELECT after FROM record_changes").fetchone()[0])["name"] == "Ashcombe household"
