"""Children: when each was last seen, seen alone and had their bedroom seen, and who is overdue.

Rule 17 (SAFEGUARDING.md): a visit where the child was not seen does not count as a visit
to that child, so only completed visits with `seen` set count here.
"""
from datetime import date

from fieldvisit.workdays import add_working_days, to_date, working_days_between

PLANS = {"child_protection": "Child protection plan", "child_in_need": "Child in need plan", "none": "No plan"}
PLAN_CATEGORIES = {
    "neglect": "Neglect",
    "physical_abuse": "Physical abuse",
    "emotional_abuse": "Emotional abuse",
    "sexual_abuse": "Sexual abuse",
    "multiple": "Multiple categories",
}


def last_seen(db, child_ids):
    """{child_id: {last_seen, last_seen_alone, bedroom_last_seen}} in one grouped query."""
    ids = list(child_ids)
    if not ids:
        return {}
    placeholders = ", ".join("?" for _ in ids)
    rows = db.query(
        "SELECT vc.child_id,"
        " max(CASE WHEN vc.seen = 1 THEN v.happened_at END) AS last_seen,"
        " max(CASE WHEN vc.seen_alone = 1 THEN v.happened_at END) AS last_seen_alone,"
        " max(CASE WHEN vc.bedroom_seen = 1 THEN v.happened_at END) AS bedroom_last_seen"
        " FROM visit_children vc JOIN visit_records v ON v.id = vc.visit_id"
        f" WHERE vc.child_id IN ({placeholders}) AND v.outcome = 'completed'"
        " GROUP BY vc.child_id", ids)
    found = {row["child_id"]: row for row in rows}
    empty = {"last_seen": None, "last_seen_alone": None, "bedroom_last_seen": None}
    return {child_id: found.get(child_id, dict(empty, child_id=child_id)) for child_id in ids}


def age_in_months(date_of_birth, on):
    born = to_date(date_of_birth)
    months = (on.year - born.year) * 12 + (on.month - born.month)
    if on.day < born.day:
        months -= 1
    return months


def describe_age(date_of_birth, on):
    months = age_in_months(date_of_birth, on)
    if months < 24:
        return f"{months} month{'s' if months != 1 else ''}"
    return f"{months // 12} years"


def days_since(value, today):
    day = to_date(value)
    return None if day is None else (today - day).days


def visiting_status(child, seen, today, settings):
    """Days since seen / seen alone, when the next visit is due and how overdue (rule 15)."""
    every = settings["visit_every_working_days"].get(child["plan"])
    last = to_date(seen["last_seen"])
    status = {
        "days_since_seen": days_since(seen["last_seen"], today),
        "days_since_seen_alone": days_since(seen["last_seen_alone"], today),
        "days_since_bedroom_seen": days_since(seen["bedroom_last_seen"], today),
        "next_due": None,
        "overdue_working_days": 0,
    }
    if every:
        start = last or to_date(child["plan_start_date"]) or today
        status["next_due"] = add_working_days(start, every)
        if status["next_due"] < today:
            status["overdue_working_days"] = working_days_between(status["next_due"], today)
    return status


def children_with_status(db, children, today, settings):
    """Each child row with its visiting status added, in one query for all of them."""
    seen = last_seen(db, [child["id"] for child in children])
    return [dict(child, **visiting_status(child, seen[child["id"]], today, settings),
                 age=describe_age(child["date_of_birth"], today))
            for child in children]
