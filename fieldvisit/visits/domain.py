"""Recording visits and amendments as plain data. No Flask here: the HTML routes and
the sync API both call these functions, so a record takes one path however it came."""
import json

from fieldvisit.children_alone import rules as children_alone
from fieldvisit.rows import grouped_rows, insert_rows
from fieldvisit.safe_sleep import rules as safe_sleep

HOME_CONDITION_HEADINGS = {
    "nutrition": "Nutrition and food in the home",
    "housing": "Housing and hazards",
    "hygiene": "Hygiene",
    "clothing": "Clothing",
    "safe_sleep": "Safe sleep arrangements",
    "heating": "Heating",
    "supervision": "Supervision and safety",
}
HOME_CONDITION_RATINGS = {"good": "Good", "adequate": "Adequate", "poor": "Poor", "not_seen": "Not seen"}
OUTCOMES = {
    "completed": "Visit completed",
    "no_answer": "No answer",
    "refused_entry": "Refused entry",
    "not_at_home": "Family not at home",
}
VISIT_TYPES = {"planned": "Planned", "unannounced": "Unannounced"}
CONTAINER_TYPES = {
    "wine_bottle": "Wine bottle",
    "spirits_bottle": "Spirits bottle",
    "beer_cider_can": "Beer or cider can",
    "beer_cider_bottle": "Beer or cider bottle",
    "other": "Other container",
}
CHILD_ALONE = {"no": "No", "alone": "A child was found alone", "unsuitable_carer": "A child was left with an unsuitable carer"}
PRESENCE = {"present": "Present", "expected_absent": "Expected but absent"}

# Free-text fields a correction may amend; the original always stays on the record.
AMENDABLE_FIELDS = {
    "analysis": "Analysis",
    "actions": "Actions",
    "parent_alcohol_account": "The parent's own account of alcohol use",
    "intoxication_details": "Intoxication observed: details",
    "other_substances": "Other substances observed",
    "child_alone_details": "Children found alone: details",
    "regular_visitors": "Regular visitors to the home",
}


class VisitInvalid(Exception):
    """The record breaks a rule of the domain; `errors` maps field to message."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def check_visit(db, visit):
    """Invariants every stored visit keeps, whatever form or device it came from."""
    errors = {}
    child_ids = {row[0] for row in db.execute(
        "SELECT id FROM children WHERE family_id = ?", [visit["family_id"]]).fetchall()}
    recorded = [child["child_id"] for child in visit["children"]]
    if set(recorded) != child_ids or len(recorded) != len(set(recorded)):
        errors["children"] = "Say for every child in the household whether they were seen."
    for child in visit["children"]:
        if visit["outcome"] != "completed" and child["seen"]:
            errors["children"] = "A child cannot be seen on a visit that did not go ahead."
        if not child["seen"] and (child["seen_alone"] or child["bedroom_seen"]):
            errors["children"] = "A child who was not seen cannot be seen alone or have their bedroom seen."
    if visit["child_alone"] != "no" and not any(c["found_alone"] for c in visit["children"]):
        errors["child_alone"] = "Say which child was found alone or with an unsuitable carer."
    # Rule 12: sleep answers that contradict each other are refused, whatever path they came by.
    errors.update(safe_sleep.check_answers(db, visit))
    if visit.get("scheduled_visit_id"):
        row = db.execute("SELECT family_id FROM scheduled_visits WHERE id = ?",
                         [visit["scheduled_visit_id"]]).fetchone()
        if row is None or row[0] != visit["family_id"]:
            errors["scheduled_visit_id"] = "That scheduled visit is not for this family."
    if errors:
        raise VisitInvalid(errors)


def record_visit(db, visit, author, received_at):
    """Store a visit record and its parts; returns the visit id. Call inside a transaction."""
    check_visit(db, visit)
    alcohol = visit["alcohol"]
    insert_rows(db, "visit_records", [{
        "id": visit["id"],
        "family_id": visit["family_id"],
        "scheduled_visit_id": visit.get("scheduled_visit_id"),
        "practitioner_id": author["id"],
        "agency_id": author.get("agency_id"),
        "visit_type": visit["visit_type"],
        "happened_at": visit["happened_at"],
        "duration_minutes": visit["duration_minutes"],
        "outcome": visit["outcome"],
        "regular_visitors": visit["regular_visitors"],
        "alcohol_containers": json.dumps(alcohol["containers"]),
        "alcohol_smell": int(alcohol["smell"]),
        "intoxication_observed": int(alcohol["intoxication_observed"]),
        "intoxication_details": alcohol["intoxication_details"],
        "other_substances": alcohol["other_substances"],
        "parent_alcohol_account": alcohol["parent_account"],
        "child_alone": visit["child_alone"],
        "child_alone_details": visit["child_alone_details"],
        "analysis": visit["analysis"],
        "actions": visit["actions"],
        "next_visit_due": visit.get("next_visit_due"),
        "recorded_at": visit["recorded_at"],
        "received_at": received_at,
    }])
    insert_rows(db, "visit_children", [dict(child, visit_id=visit["id"]) for child in visit["children"]])
    insert_rows(db, "visit_adults", [dict(adult, visit_id=visit["id"]) for adult in visit["adults"]])
    insert_rows(db, "visit_home_conditions",
                [dict(condition, visit_id=visit["id"]) for condition in visit["home_conditions"]])
    if visit.get("scheduled_visit_id"):
        db.execute("UPDATE scheduled_visits SET status = 'recorded', version = version + 1"
                   " WHERE id = ? AND status = 'scheduled'", [visit["scheduled_visit_id"]])
    # Rules 10 and 11: a child found alone, an older child caring (fieldvisit/children_alone/rules.py).
    children_alone.after_visit_recorded(db, visit, author, received_at)
    # Rule 12: co-sleeping risk (fieldvisit/safe_sleep/rules.py), in the same transaction.
    safe_sleep.after_visit_recorded(db, visit, author, received_at)
    return visit["id"]


def amend_visit(db, amendment, author, received_at):
    """Store a correction to one field of a visit record, keeping the original."""
    if amendment["field"] not in AMENDABLE_FIELDS:
        raise VisitInvalid({"field": "Choose what you are correcting."})
    original = db.execute(
        f"SELECT {amendment['field']} FROM visit_records WHERE id = ?", [amendment["visit_id"]]
    ).fetchone()
    if original is None:
        raise VisitInvalid({"visit_id": "That visit record does not exist."})
    db["amendments"].insert({
        "id": amendment["id"],
        "visit_id": amendment["visit_id"],
        "field": amendment["field"],
        "original_value": original[0],
        "amended_value": amendment["amended_value"],
        "reason": amendment["reason"],
        "practitioner_id": author["id"],
        "recorded_at": amendment["recorded_at"],
        "received_at": received_at,
    })
    return amendment["id"]


def visit_record(db, visit_id):
    """A visit record with its children, adults, home conditions and amendments, as plain data."""
    rows = list(db.query(
        "SELECT v.*, p.display_name AS practitioner_name, p.role AS practitioner_role,"
        " a.name AS agency_name FROM visit_records v"
        " JOIN practitioners p ON p.id = v.practitioner_id"
        " LEFT JOIN agencies a ON a.id = v.agency_id WHERE v.id = ?", [visit_id]))
    if not rows:
        return None
    visit = rows[0]
    visit["alcohol_containers"] = json.loads(visit["alcohol_containers"])
    visit["children"] = list(db.query(
        "SELECT vc.*, c.first_name, c.last_name FROM visit_children vc"
        " JOIN children c ON c.id = vc.child_id WHERE vc.visit_id = ? ORDER BY c.date_of_birth",
        [visit_id]))
    visit["adults"] = list(db.query(
        "SELECT name, relationship, presence FROM visit_adults WHERE visit_id = ? ORDER BY id", [visit_id]))
    conditions = {row["heading"]: row for row in db.query(
        "SELECT heading, rating, note FROM visit_home_conditions WHERE visit_id = ?", [visit_id])}
    visit["home_conditions"] = [conditions[h] for h in HOME_CONDITION_HEADINGS if h in conditions]
    visit["amendments"] = amendments_for(db, [visit_id]).get(visit_id, [])
    return visit


def family_of(db, visit_id):
    """The family id of a visit record, or None when the central record does not have it."""
    row = db.execute("SELECT family_id FROM visit_records WHERE id = ?", [visit_id]).fetchone()
    return row[0] if row else None


def latest_visit_ids(db, family_id, limit):
    """Ids of a family's latest visit records, latest first."""
    return [row[0] for row in db.execute(
        "SELECT id FROM visit_records WHERE family_id = ? ORDER BY happened_at DESC LIMIT ?", [family_id, limit])]


def open_scheduled_visit(db, scheduled_id, family_id):
    """(id, visit type) of a visit of this family still on the rota, or None."""
    return db.execute(
        "SELECT id, visit_type FROM scheduled_visits WHERE id = ? AND family_id = ? AND status = 'scheduled'",
        [scheduled_id, family_id]).fetchone()


def amendments_for(db, visit_ids):
    """Amendments of these visits, oldest first, grouped by visit id."""
    return grouped_rows(
        db, "SELECT m.*, p.display_name AS practitioner_name FROM amendments m"
        " JOIN practitioners p ON p.id = m.practitioner_id"
        " WHERE m.visit_id IN ({ids}) ORDER BY m.received_at, m.id", visit_ids, "visit_id")
