"""Children: when each was last seen, seen alone and had their bedroom seen, and who is overdue.

Rule 17 (SAFEGUARDING.md): a visit where the child was not seen does not count as a visit
to that child, so only completed visits with `seen` set count here.
"""
import json
from datetime import timedelta

from fieldvisit.workdays import add_working_days, to_date, working_days_between

# The plans a child can be on: one list for the family pages, the rota's visiting rules (rule 15:
# settings "visit_every_working_days" is keyed by these) and the import.
PLANS = {"child_protection": "Child protection plan", "child_in_need": "Child in need plan",
         "looked_after": "Looked after", "early_help": "Early help", "none": "No plan"}
PLAN_CATEGORIES = {
    "neglect": "Neglect",
    "physical_abuse": "Physical abuse",
    "emotional_abuse": "Emotional abuse",
    "sexual_abuse": "Sexual abuse",
    "multiple": "Multiple categories",
}
PLAN_END_REASONS = {
    "step_down": "Stepped down (support continues under another plan)",
    "no_longer_needed": "Plan no longer needed",
    "moved_away": "The family moved out of the area",
    "transferred": "Transferred to another authority",
    "other": "Other",
}

# Rule 1 (SAFEGUARDING.md): a child's mobility, recorded with the date and by whom.
MOBILITY = {
    "not_yet_rolling": "Not yet rolling",
    "rolling": "Rolling",
    "sitting": "Sitting",
    "bottom_shuffling": "Bottom-shuffling",
    "crawling": "Crawling",
    "pulling_to_stand": "Pulling to stand",
    "cruising": "Cruising",
    "walking": "Walking",
    "not_mobile_disability": "Not independently mobile because of disability",
}
# Rule 1: crawling, bottom-shuffling, pulling to stand, cruising or walking; rolling is not mobility.
INDEPENDENTLY_MOBILE = {"bottom_shuffling", "crawling", "pulling_to_stand", "cruising", "walking"}


def independently_mobile(child):
    """Rule 1 on what was recorded: the structured stage when there is one, else the earlier yes/no."""
    stage = child.get("mobility") if hasattr(child, "get") else None
    if stage:
        return stage in INDEPENDENTLY_MOBILE
    return bool(child["independently_mobile"])


# A child's latest visits come from child_visit_history (migration m0030), newest first by its
# primary key (child_id, happened_at): each lookup reads a few index entries of that child, so the
# pages take as long whether the child has had ten visits or a thousand (issue 13).
LATEST_WHEN = ("SELECT h.happened_at FROM child_visit_history h WHERE h.child_id = j.value AND h.completed = 1"
               " AND h.{flag} = 1 ORDER BY h.happened_at DESC LIMIT 1")


def last_seen(db, child_ids):
    """{child_id: {last_seen, last_seen_alone, bedroom_last_seen}} in one query.

    The ids are read from a JSON list, not looked up in `children`: with `c.id IN (...)` and a
    team's 300 children, SQLite's planner (on county statistics) read the whole children index."""
    ids = list(child_ids)
    if not ids:
        return {}
    rows = db.query(
        f"SELECT j.value AS child_id, ({LATEST_WHEN.format(flag='seen')}) AS last_seen,"
        f" ({LATEST_WHEN.format(flag='seen_alone')}) AS last_seen_alone,"
        f" ({LATEST_WHEN.format(flag='bedroom_seen')}) AS bedroom_last_seen"
        f" FROM json_each(?) j", [json.dumps(ids)])
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


def default_visiting_rules(plan, settings):
    """The partnership's visiting rules for a kind of plan (rule 15); None for no plan."""
    every = settings["visit_every_working_days"].get(plan)
    if not every:
        return None
    return {"every_working_days": every, "seen_alone_every_visits": settings["seen_alone_every_visits"],
            "bedroom_seen_every_visits": settings["bedroom_seen_every_visits"], "unannounced": 0,
            "set_by_name": None, "set_at": None, "reason": None, "from_plan": False}


def visiting_rules(db, children, settings):
    """{child_id: rules in force}: the latest rules set on the child's plan, else the defaults."""
    ids = [child["id"] for child in children]
    found = {}
    if ids:
        placeholders = ", ".join("?" for _ in ids)
        for row in db.query(
            "SELECT r.*, p.display_name AS set_by_name FROM visiting_rules r"
            " JOIN practitioners p ON p.id = r.set_by"
            f" WHERE r.id IN (SELECT max(v.id) FROM visiting_rules v WHERE v.child_id IN ({placeholders})"
            # Rules set for an earlier plan do not carry over to the plan in force (issue 10).
            " AND v.set_at >= coalesce((SELECT max(cp.recorded_at) FROM child_plans cp"
            "  WHERE cp.child_id = v.child_id AND cp.end_date IS NULL), '')"
            " GROUP BY v.child_id)", ids):
            found[row["child_id"]] = dict(row, from_plan=True)
    rules = {}
    for child in children:
        if child["plan"] == "none":
            rules[child["id"]] = None
        else:
            rules[child["id"]] = found.get(child["id"]) or default_visiting_rules(child["plan"], settings)
    return rules


def recent_counted_visits(db, child_ids, limit=12):
    """{child_id: [(seen_alone, bedroom_seen), ...] newest first} of the visits that count (rule 17)."""
    ids = list(child_ids)
    grouped = {child_id: [] for child_id in ids}
    if not ids:
        return grouped
    placeholders = ", ".join("?" for _ in ids)
    # The time of each child's limit-th latest counted visit, then that child's visits since it.
    for row in db.execute(
        "WITH since AS (SELECT c.id AS child_id, coalesce((SELECT h.happened_at FROM child_visit_history h"
        " WHERE h.child_id = c.id AND h.completed = 1 AND h.seen = 1 ORDER BY h.happened_at DESC"
        f" LIMIT 1 OFFSET ?), '') AS happened_at FROM children c WHERE c.id IN ({placeholders}))"
        " SELECT h.child_id, h.seen_alone, h.bedroom_seen FROM since s JOIN child_visit_history h"
        " ON h.child_id = s.child_id AND h.happened_at >= s.happened_at"
        " WHERE h.completed = 1 AND h.seen = 1 ORDER BY h.child_id, h.happened_at DESC, h.visit_id DESC",
            [limit - 1] + ids).fetchall():
        if len(grouped[row[0]]) < limit:
            grouped[row[0]].append((bool(row[1]), bool(row[2])))
    return grouped


def alternation(done, every):
    """Rule 15's 'at least every N visits', from flags of the counted visits, newest first.

    `visits_since`: visits since it was last done; `due_next`: the next visit must do it;
    `missed`: it was not done on any of the last N visits.
    """
    since = 0
    for flag in done:
        if flag:
            break
        since += 1
    return {"visits_since": since, "due_next": since >= every - 1, "missed": since >= every}


def appointment_counts(db, child_ids, since):
    """{child_id: {was_not_brought, was_not_brought_recent, cancellations}} (rules 8-9), one query."""
    ids = list(child_ids)
    counts = {child_id: {"was_not_brought": 0, "was_not_brought_recent": 0, "cancellations": 0} for child_id in ids}
    if not ids or "appointment_events" not in db.table_names():
        return counts
    placeholders = ", ".join("?" for _ in ids)
    for row in db.execute(
        "SELECT child_id, sum(event = 'was_not_brought'),"
        " sum(event = 'was_not_brought' AND appointment_date >= ?), sum(event != 'was_not_brought')"
        f" FROM appointment_events WHERE child_id IN ({placeholders}) GROUP BY child_id",
        [since.isoformat()] + ids).fetchall():
        counts[row[0]] = {"was_not_brought": row[1], "was_not_brought_recent": row[2], "cancellations": row[3]}
    return counts


def visiting_status(child, seen, today, settings, rules=None):
    """Days since seen / seen alone, when the next visit is due and how overdue (rule 15)."""
    if rules is None:
        rules = default_visiting_rules(child["plan"], settings)
    every = rules["every_working_days"] if rules and child["plan"] != "none" else None
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


def seen_alone_applies(child, today, settings):
    """Seeing a child alone is asked of children old enough for it (a partnership setting)."""
    return age_in_months(child["date_of_birth"], today) >= 12 * settings["seen_alone_from_age_years"]


def children_with_status(db, children, today, settings):
    """Each child row with its visiting status, rules, seen-alone and bedroom alternation and
    Was Not Brought counts added, in a few grouped queries for all of them (no N+1)."""
    ids = [child["id"] for child in children]
    seen = last_seen(db, ids)
    rules = visiting_rules(db, children, settings)
    recent = recent_counted_visits(db, ids)
    window = today - timedelta(weeks=settings["was_not_brought_pattern_weeks"])
    appointments = appointment_counts(db, ids, window)
    result = []
    for child in children:
        row = dict(child, **visiting_status(child, seen[child["id"]], today, settings, rules[child["id"]]),
                   age=describe_age(child["date_of_birth"], today), rules=rules[child["id"]],
                   **appointments[child["id"]], was_not_brought_weeks=settings["was_not_brought_pattern_weeks"])
        row["counted_visits"] = len(recent[child["id"]])
        row["seen_alone_rule"] = row["bedroom_rule"] = None
        if rules[child["id"]]:
            if seen_alone_applies(child, today, settings):
                row["seen_alone_rule"] = alternation([alone for alone, _ in recent[child["id"]]],
                                                     rules[child["id"]]["seen_alone_every_visits"])
            row["bedroom_rule"] = alternation([bedroom for _, bedroom in recent[child["id"]]],
                                              rules[child["id"]]["bedroom_seen_every_visits"])
        start = to_date(child["plan_start_date"])
        row["no_visit_since_plan_start"] = bool(
            rules[child["id"]] and start and (seen[child["id"]]["last_seen"] is None
                                              or to_date(seen[child["id"]]["last_seen"]) < start))
        result.append(row)
    return result


def find_families(db, visible_sql, params, words):
    """The families (of those `visible_sql` selects) whose surname, address, postcode, case
    reference (the case system's) or a child's name holds every word of `words` (issue 12, "find a
    family"). A postcode matches with or without its space. Plain rows: id, name, postcode, children."""
    sql = (f"SELECT f.id, f.name, f.postcode, (SELECT count(*) FROM children c WHERE c.family_id = f.id)"
           f" AS children FROM families f WHERE f.id IN ({visible_sql})")
    found_params = dict(params)
    for index, word in enumerate(words.split()[:6]):
        key = f"word{index}"
        found_params[key] = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        sql += (f" AND (f.name LIKE :{key} OR f.address LIKE :{key} OR replace(f.postcode, ' ', '') LIKE replace(:{key}, ' ', '')"
                f" OR f.case_reference LIKE :{key}"
                f" OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id"
                f" AND (c.first_name LIKE :{key} OR c.last_name LIKE :{key})))")
    return list(db.query(sql + " ORDER BY f.name", found_params))
