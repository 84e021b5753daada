"""The visit domain as plain data: record_visit, amend_visit, visit_record, check_visit,
and the append-only triggers that keep the record as evidence."""
import sqlite3
import uuid

import pytest

from fieldvisit.visits import domain
from fieldvisit.visits.domain import HOME_CONDITION_HEADINGS, VisitInvalid
from tests.clock import days_ago, iso
from tests.factories import build_world, child_entry, fresh_db, scheduled, visit_data

# When the server received the visit of visit_data (five days ago at 10:30, recorded at 11:30).
RECEIVED = iso(days_ago(5), "11:31:00.000+00:00")
AMENDED = iso(days_ago(4), "09:00:00")  # the day after


@pytest.fixture
def db():
    database = fresh_db()
    yield database
    database.close()


@pytest.fixture
def world(db, today):
    return build_world(db, today)


def a_visit(world, **overrides):
    children = overrides.pop("children", None) or [child_entry(world["baby"], seen=True, alone=False, bedroom=True,
                            presentation="Clean", words="", demeanour="Settled"),
                child_entry(world["older"], seen=True, alone=True, bedroom=False,
                            words="I like school", demeanour="Chatty")]
    return visit_data(world["family_a"], children, **overrides)


def record(db, world, visit, author="worker"):
    with db.atomic():
        return domain.record_visit(db, visit, world[author], RECEIVED)


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- record_visit and visit_record -------------------------------------------------------

def test_record_visit_stores_exactly_the_rows_given(db, world):
    visit = a_visit(world)
    assert record(db, world, visit) == visit["id"]

    assert list(db.query("SELECT * FROM visit_records")) == [{
        "id": visit["id"], "family_id": world["family_a"], "scheduled_visit_id": None,
        "practitioner_id": world["worker"]["id"], "agency_id": world["council"],
        "visit_type": "unannounced", "happened_at": visit["happened_at"], "duration_minutes": 45,
        "outcome": "completed", "regular_visitors": "Grandmother on Sundays",
        "alcohol_containers": '[{"count": 2, "type": "spirits_bottle", "where": "behind the sofa"}]',
        "alcohol_smell": 0, "intoxication_observed": 0, "intoxication_details": "",
        "other_substances": "", "parent_alcohol_account": "Says she does not drink.",
        "child_alone": "no", "child_alone_details": "",
        "analysis": "Bottles do not match the account.", "actions": "Discuss with team lead.",
        "next_visit_due": visit["next_visit_due"], "recorded_at": visit["recorded_at"], "received_at": RECEIVED,
    }]
    assert list(db.query("SELECT * FROM visit_children ORDER BY child_id")) == [
        {"visit_id": visit["id"], "child_id": world["baby"], "seen": 1, "seen_alone": 0, "bedroom_seen": 1,
         "found_alone": 0, "presentation": "Clean", "words": "", "demeanour": "Settled"},
        {"visit_id": visit["id"], "child_id": world["older"], "seen": 1, "seen_alone": 1, "bedroom_seen": 0,
         "found_alone": 0, "presentation": "", "words": "I like school", "demeanour": "Chatty"},
    ]
    assert list(db.query("SELECT visit_id, name, relationship, presence FROM visit_adults ORDER BY id")) == [
        {"visit_id": visit["id"], "name": "Kerry Test", "relationship": "Mother", "presence": "present"},
        {"visit_id": visit["id"], "name": "Dan", "relationship": "Father", "presence": "expected_absent"},
    ]
    assert sorted(db.query("SELECT * FROM visit_home_conditions"), key=lambda r: r["heading"]) == sorted(
        ({"visit_id": visit["id"], "heading": h, "rating": "adequate", "note": ""} for h in HOME_CONDITION_HEADINGS),
        key=lambda r: r["heading"])


def test_visit_record_reads_back_the_whole_visit_as_plain_data(db, world):
    visit = a_visit(world)
    record(db, world, visit)
    stored = domain.visit_record(db, visit["id"])
    assert stored == {
        "id": visit["id"], "family_id": world["family_a"], "scheduled_visit_id": None,
        "practitioner_id": world["worker"]["id"], "agency_id": world["council"],
        "visit_type": "unannounced", "happened_at": visit["happened_at"], "duration_minutes": 45,
        "outcome": "completed", "regular_visitors": "Grandmother on Sundays",
        "alcohol_containers": [{"count": 2, "type": "spirits_bottle", "where": "behind the sofa"}],
        "alcohol_smell": 0, "intoxication_observed": 0, "intoxication_details": "",
        "other_substances": "", "parent_alcohol_account": "Says she does not drink.",
        "child_alone": "no", "child_alone_details": "",
        "analysis": "Bottles do not match the account.", "actions": "Discuss with team lead.",
        "next_visit_due": visit["next_visit_due"], "recorded_at": visit["recorded_at"], "received_at": RECEIVED,
        "practitioner_name": "Worker", "practitioner_role": "family_support_worker", "agency_name": "Council",
        "children": [
            # Oldest first (date of birth order).
            {"visit_id": visit["id"], "child_id": world["older"], "seen": 1, "seen_alone": 1, "bedroom_seen": 0,
             "found_alone": 0, "presentation": "", "words": "I like school", "demeanour": "Chatty",
             "first_name": "Older", "last_name": "Test"},
            {"visit_id": visit["id"], "child_id": world["baby"], "seen": 1, "seen_alone": 0, "bedroom_seen": 1,
             "found_alone": 0, "presentation": "Clean", "words": "", "demeanour": "Settled",
             "first_name": "Baby", "last_name": "Test"},
        ],
        "adults": [{"name": "Kerry Test", "relationship": "Mother", "presence": "present"},
                   {"name": "Dan", "relationship": "Father", "presence": "expected_absent"}],
        # In the order of SAFEGUARDING.md's headings, whatever order they were stored in.
        "home_conditions": [{"heading": h, "rating": "adequate", "note": ""} for h in HOME_CONDITION_HEADINGS],
        "amendments": [],
    }


def test_visit_record_of_an_unknown_id_is_none(db, world):
    assert domain.visit_record(db, str(uuid.uuid4())) is None


def test_home_conditions_come_back_in_heading_order(db, world):
    shuffled = [{"heading": h, "rating": "poor", "note": h} for h in reversed(list(HOME_CONDITION_HEADINGS))]
    visit = a_visit(world, home_conditions=shuffled)
    record(db, world, visit)
    assert [c["heading"] for c in domain.visit_record(db, visit["id"])["home_conditions"]] == \
        list(HOME_CONDITION_HEADINGS)


def test_observed_alcohol_and_the_parents_account_are_kept_apart(db, world):
    visit = a_visit(world, alcohol={
        "containers": [{"count": 2, "type": "wine_bottle", "where": "kitchen"},
                       {"count": 6, "type": "beer_cider_can", "where": "recycling"}],
        "smell": True, "intoxication_observed": True, "intoxication_details": "Slurred speech (mother)",
        "other_substances": "", "parent_account": "I don't drink."})
    record(db, world, visit)
    stored = domain.visit_record(db, visit["id"])
    assert stored["alcohol_containers"] == [{"count": 2, "type": "wine_bottle", "where": "kitchen"},
                                            {"count": 6, "type": "beer_cider_can", "where": "recycling"}]
    assert (stored["alcohol_smell"], stored["intoxication_observed"]) == (1, 1)
    assert stored["intoxication_details"] == "Slurred speech (mother)"
    assert stored["parent_alcohol_account"] == "I don't drink."


def test_recording_against_a_scheduled_visit_marks_it_recorded_and_bumps_its_version(db, world):
    slot = scheduled(db, world["family_a"], world["worker"]["id"])
    record(db, world, a_visit(world, scheduled_visit_id=slot))
    assert db.execute("SELECT status, version FROM scheduled_visits WHERE id = ?", [slot]).fetchone() == ("recorded", 2)


def test_a_second_record_for_an_already_recorded_slot_leaves_the_slot_alone(db, world):
    slot = scheduled(db, world["family_a"], world["worker"]["id"])
    record(db, world, a_visit(world, scheduled_visit_id=slot))
    record(db, world, a_visit(world, scheduled_visit_id=slot))
    assert db.execute("SELECT status, version FROM scheduled_visits WHERE id = ?", [slot]).fetchone() == ("recorded", 2)
    assert count(db, "visit_records") == 2


def test_the_same_visit_id_cannot_be_stored_twice(db, world):
    visit = a_visit(world)
    record(db, world, visit)
    with pytest.raises(sqlite3.IntegrityError):
        record(db, world, visit)
    assert count(db, "visit_records") == 1
    assert count(db, "visit_children") == 2


def test_a_visit_that_did_not_go_ahead_stores_children_not_seen(db, world):
    visit = a_visit(world, outcome="no_answer", home_conditions=[], analysis="",
                    children=[child_entry(world["baby"], seen=False), child_entry(world["older"], seen=False)])
    record(db, world, visit)
    stored = domain.visit_record(db, visit["id"])
    assert [(c["seen"], c["seen_alone"], c["bedroom_seen"]) for c in stored["children"]] == [(0, 0, 0), (0, 0, 0)]
    assert stored["home_conditions"] == []


# --- check_visit invariants ---------------------------------------------------------------

INVALID = {
    "a child of the household left out": (
        lambda w: {"children": [child_entry(w["baby"])]}, "children"),
    "a child listed twice": (
        lambda w: {"children": [child_entry(w["baby"]), child_entry(w["older"]), child_entry(w["older"])]}, "children"),
    "another family's child": (
        lambda w: {"children": [child_entry(w["baby"]), child_entry(w["older"]), child_entry(w["child_b"])]}, "children"),
    "a child seen on a visit that did not go ahead": (
        lambda w: {"outcome": "refused_entry",
                   "children": [child_entry(w["baby"], seen=True), child_entry(w["older"], seen=False)]}, "children"),
    "a child not seen but seen alone": (
        lambda w: {"children": [child_entry(w["baby"], seen=False, alone=True), child_entry(w["older"])]}, "children"),
    "a child not seen but their bedroom seen": (
        lambda w: {"children": [child_entry(w["baby"], seen=False, bedroom=True), child_entry(w["older"])]}, "children"),
    "a child found alone without saying which": (
        lambda w: {"child_alone": "alone", "child_alone_details": "Door open"}, "child_alone"),
    "another family's scheduled visit": (
        lambda w: {"scheduled_visit_id": "other-family"}, "scheduled_visit_id"),
    "a scheduled visit that does not exist": (
        lambda w: {"scheduled_visit_id": 9999}, "scheduled_visit_id"),
}


@pytest.mark.parametrize("case", list(INVALID), ids=list(INVALID))
def test_check_visit_refuses_and_nothing_is_stored(db, world, case):
    make, field = INVALID[case]
    overrides = make(world)
    if overrides.get("scheduled_visit_id") == "other-family":
        overrides["scheduled_visit_id"] = scheduled(db, world["family_b"], world["other"]["id"])
    visit = a_visit(world, **overrides)
    with pytest.raises(VisitInvalid) as raised:
        record(db, world, visit)
    assert field in raised.value.errors
    assert raised.value.errors[field]  # a message a practitioner can read
    for table in ("visit_records", "visit_children", "visit_adults", "visit_home_conditions"):
        assert count(db, table) == 0, table


def test_a_child_found_alone_is_accepted_when_the_child_is_named(db, world):
    visit = a_visit(world, child_alone="alone", child_alone_details="Baby alone in the flat",
                    children=[child_entry(world["baby"], found_alone=True), child_entry(world["older"])])
    record(db, world, visit)
    assert db.execute("SELECT child_alone FROM visit_records").fetchone()[0] == "alone"
    assert db.execute("SELECT found_alone FROM visit_children WHERE child_id = ?", [world["baby"]]).fetchone()[0] == 1


def test_a_family_with_no_children_records_a_visit_with_none(db, world):
    empty = db["families"].insert({"name": "Pre-birth", "address": "2 Road", "postcode": "NF1 1AB",
                                   "team_id": world["team_a"], "created_at": iso(days_ago(300))}).last_pk
    visit = visit_data(empty, [])
    record(db, world, visit)
    assert domain.visit_record(db, visit["id"])["children"] == []


# --- amend_visit ---------------------------------------------------------------------------

def amendment(visit_id, field="analysis", value="Corrected analysis.", reason="Typed in error."):
    return {"id": str(uuid.uuid4()), "visit_id": visit_id, "field": field, "amended_value": value,
            "reason": reason, "recorded_at": AMENDED}


def test_an_amendment_keeps_the_original_and_says_who_when_and_why(db, world):
    visit = a_visit(world)
    record(db, world, visit)
    correction = amendment(visit["id"])
    with db.atomic():
        assert domain.amend_visit(db, correction, world["lead"], AMENDED[:-2] + "05") == correction["id"]
    assert list(db.query("SELECT * FROM amendments")) == [{
        "id": correction["id"], "visit_id": visit["id"], "field": "analysis",
        "original_value": "Bottles do not match the account.", "amended_value": "Corrected analysis.",
        "reason": "Typed in error.", "practitioner_id": world["lead"]["id"],
        "recorded_at": AMENDED, "received_at": AMENDED[:-2] + "05"}]
    stored = domain.visit_record(db, visit["id"])
    assert stored["analysis"] == "Bottles do not match the account."
    assert [(a["field"], a["original_value"], a["amended_value"], a["practitioner_name"])
            for a in stored["amendments"]] == [("analysis", "Bottles do not match the account.",
                                                "Corrected analysis.", "Lead")]


def test_amendments_come_back_oldest_first(db, world):
    visit = a_visit(world)
    record(db, world, visit)
    for number, received in ((2, iso(days_ago(3), "10:00:00")), (1, iso(days_ago(4), "10:00:00")),
                             (3, iso(days_ago(2), "10:00:00"))):
        domain.amend_visit(db, amendment(visit["id"], value=f"Version {number}"), world["worker"], received)
    assert [a["amended_value"] for a in domain.visit_record(db, visit["id"])["amendments"]] == \
        ["Version 1", "Version 2", "Version 3"]
    assert domain.amendments_for(db, []) == {}


@pytest.mark.parametrize("field", sorted(domain.AMENDABLE_FIELDS))
def test_every_amendable_field_can_be_amended(db, world, field):
    visit = a_visit(world)
    record(db, world, visit)
    domain.amend_visit(db, amendment(visit["id"], field=field), world["worker"], RECEIVED)
    original = db.execute(f"SELECT {field} FROM visit_records").fetchone()[0]
    assert db.execute("SELECT field, original_value FROM amendments").fetchone() == (field, original)


@pytest.mark.parametrize("field", ["outcome", "family_id", "id", "analysis; DROP TABLE amendments", "", "seen"])
def test_fields_that_are_not_amendable_are_refused(db, world, field):
    visit = a_visit(world)
    record(db, world, visit)
    with pytest.raises(VisitInvalid) as raised:
        domain.amend_visit(db, amendment(visit["id"], field=field), world["worker"], RECEIVED)
    assert "field" in raised.value.errors
    assert count(db, "amendments") == 0


def test_amending_an_unknown_visit_is_refused(db, world):
    with pytest.raises(VisitInvalid) as raised:
        domain.amend_visit(db, amendment(str(uuid.uuid4())), world["worker"], RECEIVED)
    assert "visit_id" in raised.value.errors
    assert count(db, "amendments") == 0


# --- the record is evidence: append-only ---------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE visit_records SET analysis = 'rewritten'",
    "UPDATE visit_records SET outcome = 'no_answer'",
    "DELETE FROM visit_records",
])
def test_visit_records_cannot_be_changed_or_deleted(db, world, statement):
    visit = a_visit(world)
    record(db, world, visit)
    before = list(db.query("SELECT * FROM visit_records"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only|never deleted"):
        db.execute(statement)
    assert list(db.query("SELECT * FROM visit_records")) == before


def test_amendments_cannot_be_changed(db, world):
    visit = a_visit(world)
    record(db, world, visit)
    domain.amend_visit(db, amendment(visit["id"]), world["worker"], RECEIVED)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE amendments SET amended_value = 'rewritten'")
    assert db.execute("SELECT amended_value FROM amendments").fetchone()[0] == "Corrected analysis."


def test_audit_lines_cannot_be_changed(db, world):
    from fieldvisit import audit
    audit.record(db, world["worker"]["id"], "read", "family", world["family_a"], "/families/1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET practitioner_id = NULL")
    assert db.execute("SELECT practitioner_id FROM audit_log").fetchone()[0] == world["worker"]["id"]


def test_a_failed_visit_inside_a_transaction_leaves_nothing_behind(db, world):
    """A failure after the main row was written (a child row breaking a constraint) rolls it all back."""
    visit = a_visit(world)
    visit["children"][0]["seen"] = 7  # breaks CHECK (seen IN (0, 1)) after the visit row is inserted
    with pytest.raises(sqlite3.IntegrityError):
        record(db, world, visit)
    assert count(db, "visit_records") == 0
