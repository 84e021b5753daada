"""Children: when each was last seen, seen alone and had their bedroom seen, and who is overdue.

Rule 17 (SAFEGUARDING.md): a visit where the child was not seen does not count as a visit
to that child, so only completed visits with `seen` set count here.
"""
from datetime import timedelta

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
            f" WHERE r.id IN (SELECT max(id) FROM visiting_rules WHERE child_id IN ({placeholders})"
            " GROUP BY child_id)", ids):
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
    for row in db.execute(
        "SELECT child_id, seen_alone, bedroom_seen FROM ("
        " SELECT vc.child_id, vc.seen_alone, vc.bedroom_seen, row_number() OVER"
        " (PARTITION BY vc.child_id ORDER BY v.happened_at DESC) AS position"
        " FROM visit_children vc JOIN visit_records v ON v.id = vc.visit_id"
        f" WHERE vc.child_id IN ({placeholders}) AND vc.seen = 1 AND v.outcome = 'completed')"
        " WHERE position <= ? ORDER BY child_id, position", ids + [limit]).fetchall():
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
    """The families (of those `visible_sql` selects) whose surname, address, postcode or a
    child's name holds every word of `words` (issue 12, "find a family"). A postcode matches
    with or without its space. Plain rows: id, name, postcode, children."""
    sql = (f"SELECT f.id, f.name, f.postcode, (SELECT count(*) FROM children c WHERE c.family_id = f.id)"
           f" AS children FROM families f WHERE f.id IN ({visible_sql})")
    found_params = dict(params)
    for index, word in enumerate(words.split()[:6]):
        key = f"word{index}"
        found_params[key] = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        sql += (f" AND (f.name LIKE :{key} OR f.address LIKE :{key} OR replace(f.postcode, ' ', '') LIKE replace(:{key}, ' ', '')"
                f" OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id"
                f" AND (c.first_name LIKE :{key} OR c.last_name LIKE :{key})))")
    return list(db.query(sql + " ORDER BY f.name", found_params))
