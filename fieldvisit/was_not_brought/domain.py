"""Was Not Brought (never "did not attend"): a child's missed appointments and the parents'
cancellations and re-arrangements, with the rules that add them up (SAFEGUARDING.md rules 8-9).
Plain data; the form and pages are in was_not_brought_views.py."""
from datetime import timedelta

from fieldvisit import settings
from fieldvisit.escalations import concerns
from fieldvisit.escalations import domain as escalations
from fieldvisit.workdays import add_working_days, to_date

EVENTS = {
    "was_not_brought": "Was not brought",
    "cancelled_by_parent": "Cancelled by the parent",
    "rearranged_by_parent": "Re-arranged by the parent",
}
SERVICES = {
    "health_visiting": "Health visiting",
    "gp": "GP",
    "hospital": "Hospital or clinic",
    "dental": "Dentist",
    "immunisation": "Immunisations",
    "school_nursing": "School nursing",
    "camhs": "Children and young people's mental health services",
    "speech_language": "Speech and language therapy",
    "early_help": "Early help",
    "home_visit": "Home visit by a practitioner",
    "other": "Another service",
}
SOURCE = "SAFEGUARDING.md rule 9; local partnership procedures on children not brought to appointments"


class AppointmentInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def pattern_found(dates, count, weeks, including=None):
    """Whether `count` of these dates fall within `weeks` weeks of each other (rule 9's pattern).

    With `including`, only a run of dates that contains that date counts.
    """
    days = sorted(to_date(d) for d in dates)
    span = timedelta(weeks=weeks)
    for first in range(len(days) - count + 1):
        run = days[first:first + count]
        if run[-1] - run[0] <= span and (including is None or to_date(including) in run):
            return True
    return False


def record_appointment_event(db, event, author, received_at):
    """Store a missed, cancelled or re-arranged appointment and apply rule 9; returns its id."""
    child = db.execute("SELECT id, family_id, date_of_birth FROM children WHERE id = ?", [event["child_id"]]).fetchone()
    if child is None:
        raise AppointmentInvalid({"child_id": "That child does not exist."})
    errors = {}
    if event["event"] not in EVENTS:
        errors["event"] = "Choose what happened"
    if event["service"] not in SERVICES:
        errors["service"] = "Choose the service"
    if to_date(event["appointment_date"]) < to_date(child[2]):
        errors["appointment_date"] = "The appointment cannot be before the child was born"
    if errors:
        raise AppointmentInvalid(errors)
    db["appointment_events"].insert({
        "id": event["id"], "family_id": child[1], "child_id": child[0], "event": event["event"],
        "appointment": event["appointment"], "service": event["service"],
        "appointment_date": to_date(event["appointment_date"]).isoformat(),
        "rearranged_to": event.get("rearranged_to"), "note": event.get("note", ""),
        "recorded_by": author["id"], "recorded_at": event["recorded_at"], "received_at": received_at,
    })
    apply_rules(db, event["id"], author, received_at)
    return event["id"]


def apply_rules(db, event_id, author, received_at):
    """Rule 9: a concern for one Was Not Brought on a child protection plan; an escalation for a
    pattern; a concern about possible disguised compliance for repeated cancellations."""
    [row] = db.query(
        "SELECT e.*, c.first_name, c.last_name, c.plan FROM appointment_events e"
        " JOIN children c ON c.id = e.child_id WHERE e.id = ?", [event_id])
    partnership = settings.load(db)
    name = f"{row['first_name']} {row['last_name']}"
    if row["event"] == "was_not_brought":
        if row["plan"] == "child_protection":
            concerns.raise_concern(
                db, family_id=row["family_id"], child_id=row["child_id"], rule="was_not_brought_cp",
                title=f"{name} (child protection plan) was not brought to {row['appointment']}",
                detail=f"{SERVICES[row['service']]}, {row['appointment_date']}", source=SOURCE,
                origin_kind="appointment_event", origin_id=event_id, raised_at=received_at)
        raise_pattern_escalation(db, row, name, author, received_at, partnership)
    else:
        count, weeks = partnership["parent_cancellation_pattern_count"], partnership["parent_cancellation_pattern_weeks"]
        dates = [r[0] for r in db.execute(
            "SELECT appointment_date FROM appointment_events WHERE child_id = ? AND event != 'was_not_brought'",
            [row["child_id"]])]
        if pattern_found(dates, count, weeks, including=row["appointment_date"]) \
                and not concerns.has_open_concern(db, row["child_id"], "possible_disguised_compliance"):
            concerns.raise_concern(
                db, family_id=row["family_id"], child_id=row["child_id"], rule="possible_disguised_compliance",
                title=f"Possible disguised compliance: {count} or more appointments for {name} cancelled or "
                      f"re-arranged by the parent within {weeks} weeks",
                detail="Repeated cancellations can look like engagement while keeping services away. Look at them "
                       "together with missed appointments and visits.",
                source=SOURCE, origin_kind="appointment_event", origin_id=event_id, raised_at=received_at)


def raise_pattern_escalation(db, row, name, author, received_at, partnership):
    count, weeks = partnership["was_not_brought_pattern_count"], partnership["was_not_brought_pattern_weeks"]
    dates = [r[0] for r in db.execute(
        "SELECT appointment_date FROM appointment_events WHERE child_id = ? AND event = 'was_not_brought'",
        [row["child_id"]])]
    if not pattern_found(dates, count, weeks, including=row["appointment_date"]):
        return None
    # SAFEGUARDING.md rule 9: the pattern escalates for the plans the partnership names (default CP and CIN).
    if row["plan"] not in partnership["was_not_brought_pattern_plans"]:
        return None
    if db.execute("SELECT 1 FROM escalations WHERE child_id = ? AND rule = 'was_not_brought_pattern'"
                  " AND status = 'open'", [row["child_id"]]).fetchone():
        return None  # the open escalation already covers this pattern
    deadline = add_working_days(to_date(received_at), partnership["was_not_brought_escalation_working_days"])
    first = row["first_name"]
    return escalations.raise_escalation(
        db, family_id=row["family_id"], child_id=row["child_id"], rule="was_not_brought_pattern",
        title=f"Rule 9: {count} Was Not Brought in {weeks} weeks: {name} was not brought to {count} or more "
              f"appointments within {weeks} weeks",
        source=SOURCE,
        actions=[f"Add up every appointment {first} was not brought to, across all services",
                 f"Ask the parents why {first} was not brought, and record what they say",
                 f"Decide with children's social care whether {first}'s health needs are being neglected",
                 "Agree with each service how the next appointments will be kept"],
        deadline=f"{deadline.isoformat()}T17:00", origin_kind="appointment_event", origin_id=row["id"],
        raised_by=author["id"], raised_at=received_at)


def events_for_child(db, child_id):
    """The child's missed, cancelled and re-arranged appointments, newest first."""
    return list(db.query(
        "SELECT e.*, p.display_name AS recorded_by_name FROM appointment_events e"
        " JOIN practitioners p ON p.id = e.recorded_by WHERE e.child_id = ?"
        " ORDER BY e.appointment_date DESC, e.received_at DESC", [child_id]))
