"""Demo examples for the team lead's pages (synthetic, like all demo data): a child found alone
(an open escalation), missed appointments for a child on a child protection plan (a concern),
and an AUDIT-C done with a parent."""
import uuid
from datetime import date, datetime, time, timedelta

from fieldvisit.alcohol.domain import record_alcohol_audit
from fieldvisit.visits.domain import HOME_CONDITION_HEADINGS, record_visit
from fieldvisit.was_not_brought.domain import record_appointment_event

DEMO_NAMESPACE = uuid.UUID("8a3e2f4c-5d6b-4e7f-8a9b-0c1d2e3f4a5b")


def demo_id(name):
    """A stable id for a demo record, so the demo is the same on every machine."""
    return str(uuid.uuid5(DEMO_NAMESPACE, name))


def seed_lead_examples(db, people, today=None):
    today = today or date.today()
    worker = people["demo-worker"]
    author = {"id": worker["id"], "agency_id": worker["agency_id"]}
    families = [row[0] for row in db.execute(
        "SELECT a.family_id FROM assignments a JOIN families f ON f.id = a.family_id"
        " WHERE a.practitioner_id = ? ORDER BY f.id", [worker["id"]])]
    seed_child_found_alone(db, families[0], author, today)
    placeholders = ", ".join("?" for _ in families[1:])
    on_plan = db.execute(
        f"SELECT id FROM children WHERE family_id IN ({placeholders}) AND plan = 'child_protection'"
        " ORDER BY family_id, date_of_birth", families[1:]).fetchone()
    if on_plan:
        seed_missed_appointments(db, on_plan[0], author, today)


def seed_child_found_alone(db, family_id, author, today):
    children = list(db.query("SELECT id, date_of_birth FROM children WHERE family_id = ? ORDER BY date_of_birth",
                             [family_id]))
    found = children[-1]["id"]  # the youngest
    happened = datetime.combine(today - timedelta(days=1), time(16, 30))
    visit_id = demo_id(f"alone-{family_id}")
    record_visit(db, {
        "id": visit_id, "family_id": family_id, "scheduled_visit_id": None, "visit_type": "unannounced",
        "happened_at": happened.isoformat(timespec="minutes"), "duration_minutes": 50, "outcome": "completed",
        "children": [{"child_id": c["id"], "seen": True, "seen_alone": c["id"] == found, "bedroom_seen": True,
                      "found_alone": c["id"] == found, "presentation": "Hungry; in a wet nappy." if c["id"] == found else "",
                      "words": "", "demeanour": "Quiet."} for c in children],
        "adults": [], "regular_visitors": "",
        "home_conditions": [{"heading": h, "rating": "poor" if h == "supervision" else "adequate", "note": ""}
                            for h in HOME_CONDITION_HEADINGS],
        "alcohol": {"containers": [{"count": 6, "type": "beer_cider_can", "where": "living room floor"}],
                    "smell": True, "intoxication_observed": False, "intoxication_details": "",
                    "other_substances": "", "parent_account": "Says she only popped to the shop for ten minutes."},
        "child_alone": "alone", "child_alone_details": "No adult in the home. Neighbour says mother went out at 3pm.",
        "analysis": "Child left alone. Mother returned at 5.10pm.", "actions": "Escalated to the team lead.",
        "next_visit_due": None, "recorded_at": (happened + timedelta(hours=2)).isoformat(timespec="minutes"),
    }, author, (happened + timedelta(hours=2)).isoformat(timespec="seconds"))
    adult = db.execute("SELECT name FROM adults WHERE family_id = ? ORDER BY id", [family_id]).fetchone()
    record_alcohol_audit(db, {
        "id": demo_id(f"audit-{family_id}"), "visit_id": visit_id, "adult_name": adult[0] if adult else "Parent",
        "q1": 3, "q2": 2, "q3": 2, "full_audit": "answered", "q4": 1, "q5": 2, "q6": 0, "q7": 2, "q8": 1,
        "q9": 0, "q10": 2, "recorded_at": (happened + timedelta(hours=2)).isoformat(timespec="minutes"),
    }, author, (happened + timedelta(hours=2)).isoformat(timespec="seconds"))


def seed_missed_appointments(db, child, author, today):
    """Two health appointments a child on a child protection plan was not brought to in the last weeks."""
    for weeks_ago, what in ((5, "9 to 12 month health review"), (2, "Immunisations")):
        day = today - timedelta(weeks=weeks_ago)
        record_appointment_event(db, {
            "id": demo_id(f"wnb-{child}-{weeks_ago}"), "child_id": child, "event": "was_not_brought",
            "appointment": what, "service": "health_visiting" if weeks_ago == 5 else "immunisation",
            "appointment_date": day.isoformat(), "rearranged_to": None, "note": "",
            "recorded_at": day.isoformat() + "T17:00"}, author, day.isoformat() + "T17:00:00")
