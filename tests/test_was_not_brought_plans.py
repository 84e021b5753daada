"""Rule 9's pattern escalation fires only for the plans the partnership names (default: child
protection and child in need), and says which rule raised it. A decision table, then the sync API."""
import uuid
from datetime import date, timedelta

import pytest

from fieldvisit import records, settings
from fieldvisit.was_not_brought.domain import record_appointment_event
from tests.factories import build_world, fresh_db


@pytest.fixture
def memdb():
    database = fresh_db()
    yield database
    database.close()


@pytest.fixture
def world(memdb):
    world = build_world(memdb)
    world["no_plan"] = memdb["children"].insert({
        "family_id": world["family_a"], "first_name": "Noplan", "last_name": "Test",
        "date_of_birth": (date.today() - timedelta(days=3 * 365)).isoformat(), "independently_mobile": 1,
        "plan": "none"}).last_pk
    return world


def three_missed(db, world, child, first_days_ago=50):
    """Three Was Not Brought within 8 weeks, the last one yesterday at the latest."""
    for days_ago in (first_days_ago, first_days_ago - 20, first_days_ago - 40):
        day = (date.today() - timedelta(days=days_ago)).isoformat()
        record_appointment_event(db, {
            "id": str(uuid.uuid4()), "child_id": world[child], "event": "was_not_brought",
            "appointment": "Health review", "service": "health_visiting", "appointment_date": day,
            "rearranged_to": None, "note": "", "recorded_at": day + "T17:00"}, world["worker"], day + "T17:00:00")


def pattern_escalations(db, child_id):
    return list(db.query("SELECT * FROM escalations WHERE rule = 'was_not_brought_pattern' AND child_id = ?",
                         [child_id]))


@pytest.mark.parametrize("child, plans, escalates", [
    ("older", None, True),                                  # child protection plan, default setting
    ("child_b", None, True),                                # child in need plan, default setting
    ("no_plan", None, False),                               # no plan: the rule's words do not reach it
    ("child_b", ["child_protection"], False),               # the partnership keeps it to CP only
    ("no_plan", ["child_protection", "child_in_need", "none"], True),  # ... or widens it to every child
])
def test_the_pattern_escalates_only_for_the_plans_the_partnership_names(memdb, world, child, plans, escalates):
    if plans is not None:
        settings.save(memdb, "was_not_brought_pattern_plans", plans)
    three_missed(memdb, world, child)
    found = pattern_escalations(memdb, world[child])
    assert len(found) == (1 if escalates else 0)


def test_the_escalation_says_which_rule_raised_it(memdb, world):
    three_missed(memdb, world, "older")
    [escalation] = pattern_escalations(memdb, world["older"])
    assert escalation["title"].startswith("Rule 9: 3 Was Not Brought in 8 weeks")
    assert "rule 9" in escalation["source"]



def test_through_the_sync_api_a_child_on_no_plan_raises_no_pattern_escalation(app, db):
    from tests.test_records import practitioner
    worker = practitioner(db, "demo-worker")
    child_id = db.execute(
        "SELECT c.id FROM children c JOIN assignments a ON a.family_id = c.family_id"
        " WHERE a.practitioner_id = ? ORDER BY c.id LIMIT 1", [worker["id"]]).fetchone()[0]
    receipts = []
    with app.app_context():
        for plan in ("none", "child_in_need"):
            db.execute("UPDATE children SET plan = ? WHERE id = ?", [plan, child_id])
            for days_ago in (30, 20, 10):
                item_id = str(uuid.uuid4())
                day = (date.today() - timedelta(days=days_ago)).isoformat()
                receipts.append(records.ingest(db, {
                    "id": item_id, "kind": "was_not_brought", "recorded_at": day + "T17:00:00",
                    "payload": {"child_id": child_id, "fields": {
                        "record_id": [item_id], "event": ["was_not_brought"], "appointment": ["Hearing test"],
                        "service": ["hospital"], "appointment_date": [day], "note": [""]}}},
                    worker, "/api/sync/push", device_id="tablet-1"))
            escalated = pattern_escalations(db, child_id)
            assert len(escalated) == (0 if plan == "none" else 1), plan
    assert {receipt.status for receipt in receipts} == {"stored"}


def test_the_default_setting_is_child_protection_and_child_in_need():
    assert settings.DEFAULTS["was_not_brought_pattern_plans"] == ["child_protection", "child_in_need"]
