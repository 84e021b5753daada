"""Rules 10 and 11: a child found alone (or with an unsuitable carer), and an older child
looking after a brother or sister. Called by `visits.domain.record_visit` inside its
transaction, so a visit replayed from a device raises each escalation once."""
from datetime import datetime, timedelta

from fieldvisit import settings
from fieldvisit.escalations import domain as escalations
from fieldvisit.families.domain import describe_age
from fieldvisit.workdays import add_working_days, to_date

# Rule 10 (SAFEGUARDING.md; NSPCC guidance on children home alone; local partnership procedures).
HOME_ALONE_STEPS = [
    "Try to rouse the carer, if there is one in the home",
    "Phone the parent",
    "If the parent cannot be reached or cannot come back at once, phone the police (999 if the child is in danger now)",
    "Record who is now looking after the child, and tell children's social care today",
]
UNSUITABLE_CARER_STEPS = [
    "Try to rouse the carer, or find out why they cannot look after the child",
    "Phone the parent",
    "If the parent cannot be reached or cannot come back at once, phone the police (999 if the child is in danger now)",
    "Record who is now looking after the child, and tell children's social care today",
]
HOME_ALONE_SOURCE = "SAFEGUARDING.md rule 10; NSPCC guidance on leaving children home alone; local partnership procedures"
# Rule 11 (Children Act 1989 s17ZA: a young carer's needs assessment).
YOUNG_CARER_SOURCE = "SAFEGUARDING.md rule 11; Children Act 1989 s17ZA (young carers' needs assessments)"


def after_visit_recorded(db, visit, author, received_at):
    """Raise the escalations rules 10 and 11 ask for, for a visit just stored."""
    if not visit.get("young_carers") and not any(c.get("found_alone") for c in visit["children"]):
        return  # nothing for either rule: the household need not be read
    children = {row["id"]: row for row in db.query(
        "SELECT id, first_name, last_name, date_of_birth FROM children WHERE family_id = ?", [visit["family_id"]])}
    young_carers = [int(child_id) for child_id in visit.get("young_carers", []) if int(child_id) in children]
    found_alone = [c["child_id"] for c in visit["children"]
                   if c.get("found_alone") and c["child_id"] in children and visit.get("child_alone", "no") != "no"]
    if not young_carers and not found_alone:
        return
    db["visit_young_carers"].insert_all(
        [{"visit_id": visit["id"], "child_id": child_id} for child_id in young_carers], ignore=True)
    partnership = settings.load(db)
    happened = datetime.fromisoformat(visit["happened_at"])
    for child_id in found_alone:
        raise_child_alone(db, visit, children[child_id], author, happened, partnership)
    for child_id in young_carers:
        raise_young_carer(db, visit, children[child_id], children, author, happened, partnership)


def child_alone_escalation(child, alone, on):
    """Rule 10's escalation for this child (title and steps): what the team lead sees, and what the
    tablet shows the moment the visit is saved (static/js/escalation-preview.js)."""
    age = describe_age(child["date_of_birth"], on)
    title = (f"{child['first_name']} {child['last_name']}, aged {age}, was found "
             + ("alone at home" if alone else "with an unsuitable carer"))
    return {"rule": "child_found_alone", "title": title, "actions": HOME_ALONE_STEPS if alone else UNSUITABLE_CARER_STEPS}


def raise_child_alone(db, visit, child, author, happened, partnership):
    alone = visit["child_alone"] == "alone"
    due = child_alone_escalation(child, alone, happened.date())
    return escalations.raise_escalation(
        db, family_id=visit["family_id"], child_id=child["id"], rule="child_found_alone", title=due["title"],
        source=HOME_ALONE_SOURCE, actions=due["actions"],
        deadline=(happened + timedelta(hours=partnership["child_alone_escalation_hours"])).isoformat(timespec="minutes"),
        origin_kind="visit", origin_id=visit["id"], raised_by=author["id"], raised_at=visit["happened_at"])


def raise_young_carer(db, visit, carer, children, author, happened, partnership):
    age = describe_age(carer["date_of_birth"], happened.date())
    younger = [c for c in children.values() if c["id"] != carer["id"]
               and to_date(c["date_of_birth"]) > to_date(carer["date_of_birth"])]
    names = ", ".join(c["first_name"] for c in younger) or "a younger child"
    name = carer["first_name"]
    deadline = add_working_days(happened.date(), partnership["young_carer_assessment_working_days"])
    return escalations.raise_escalation(
        db, family_id=visit["family_id"], child_id=carer["id"], rule="young_carer",
        title=f"{name} {carer['last_name']}, aged {age}, was looking after {names}: a possible young carer",
        source=YOUNG_CARER_SOURCE,
        actions=[f"Ask for a young carer's needs assessment for {name} (Children Act 1989 s17ZA)",
                 f"Ask and record: what if {name} were not here? Who would look after {names}?",
                 f"Talk with {name} about what they do at home and what would help them"],
        deadline=f"{deadline.isoformat()}T17:00", origin_kind="visit", origin_id=visit["id"],
        raised_by=author["id"], raised_at=visit["happened_at"])
