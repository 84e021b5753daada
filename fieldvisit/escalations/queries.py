"""What the team lead's dashboard reads: open escalations with their actions, concerns, late
visit records (rule 18) and the team's children with their visiting status (rule 15); and the
escalations a record raised, for the record's own page. Plain functions over `db` (no Flask)."""
from datetime import datetime, timedelta

from fieldvisit import access, settings
from fieldvisit.escalations import concerns
from fieldvisit.escalations.domain import local_time, record_deadline
from fieldvisit.families.domain import children_with_status, describe_age
from fieldvisit.families.queries import children_of
from fieldvisit.rows import grouped_rows


def open_escalations(db, families_sql, params, now):
    """Open escalations of these families with their actions, overdue first, then by deadline."""
    rows = list(db.query(
        "SELECT e.*, c.first_name, c.last_name, c.date_of_birth, f.name AS family_name,"
        " p.display_name AS raised_by_name FROM escalations e JOIN families f ON f.id = e.family_id"
        " LEFT JOIN children c ON c.id = e.child_id LEFT JOIN practitioners p ON p.id = e.raised_by"
        f" WHERE e.status = 'open' AND e.family_id IN ({families_sql}) ORDER BY e.deadline", params))
    actions = actions_for(db, [row["id"] for row in rows])
    for row in rows:
        describe_escalation(row, actions.get(row["id"], []), now)
    return sorted(rows, key=lambda e: (not e["overdue"], e["deadline_at"]))


def describe_escalation(row, actions, now):
    row["actions"] = actions
    row["deadline_at"] = local_time(row["deadline"])
    row["overdue"] = row["status"] == "open" and row["deadline_at"] < now
    row["done_count"] = sum(1 for a in actions if a["done_at"])
    if row.get("date_of_birth"):
        row["child_age"] = describe_age(row["date_of_birth"], now.date())
    return row


def actions_for(db, escalation_ids):
    return grouped_rows(
        db, "SELECT a.*, p.display_name AS done_by_name FROM escalation_actions a"
        " LEFT JOIN practitioners p ON p.id = a.done_by WHERE a.escalation_id IN ({ids})"
        " ORDER BY a.escalation_id, a.position", escalation_ids, "escalation_id")


def late_records(db, families_sql, params, now, partnership):
    """Visits past their recording deadline with no record yet, and records that arrived late."""
    missing = []
    for row in db.query(
        "SELECT s.id, s.family_id, s.due_at, s.visit_type, f.name AS family_name, p.display_name AS practitioner_name"
        " FROM scheduled_visits s JOIN families f ON f.id = s.family_id JOIN practitioners p ON p.id = s.practitioner_id"
        f" WHERE s.status = 'scheduled' AND s.due_at < :now AND s.family_id IN ({families_sql}) ORDER BY s.due_at",
        dict(params, now=now.isoformat(timespec="minutes"))):
        row["deadline"] = record_deadline(datetime.fromisoformat(row["due_at"]), partnership, critical=False)
        if row["deadline"] < now:
            missing.append(row)
    since = (now - timedelta(days=partnership["late_records_days_back"])).isoformat(timespec="minutes")
    arrived_late = []
    for row in db.query(
        "SELECT v.id, v.family_id, v.happened_at, v.received_at, v.child_alone, f.name AS family_name,"
        " p.display_name AS practitioner_name,"
        " EXISTS (SELECT 1 FROM escalations e WHERE e.origin_kind = 'visit' AND e.origin_id = v.id) AS escalated"
        " FROM visit_records v JOIN families f ON f.id = v.family_id JOIN practitioners p ON p.id = v.practitioner_id"
        f" WHERE v.happened_at >= :since AND v.family_id IN ({families_sql}) ORDER BY v.happened_at DESC",
        dict(params, since=since)):
        critical = bool(row["escalated"]) or row["child_alone"] != "no"
        row["deadline"] = record_deadline(datetime.fromisoformat(row["happened_at"]), partnership, critical)
        row["critical"] = critical
        if local_time(row["received_at"]) > row["deadline"]:
            arrived_late.append(row)
    return missing, arrived_late


def team_children(db, practitioner, today, partnership):
    children = children_of(db, access.visible_family_ids(db, practitioner))
    return children_with_status(db, children, today, partnership)


def dashboard_data(db, practitioner, now):
    partnership = settings.load(db)
    families_sql, params = access.visible_families_sql(practitioner)
    children = team_children(db, practitioner, now.date(), partnership)
    missing, arrived_late = late_records(db, families_sql, params, now, partnership)
    return {
        "escalations": open_escalations(db, families_sql, params, now),
        "concerns": concerns.open_concerns(db, families_sql, params),
        "overdue": sorted([c for c in children if c["overdue_working_days"] > 0],
                          key=lambda c: (-c["overdue_working_days"], c["date_of_birth"])),
        "not_seen_alone": [c for c in children if c["seen_alone_rule"] and c["seen_alone_rule"]["missed"]],
        "bedroom_not_seen": [c for c in children if c["bedroom_rule"] and c["bedroom_rule"]["missed"]],
        "no_visit_since_plan": [c for c in children if c["no_visit_since_plan_start"]],
        "missing_records": missing,
        "late_records": arrived_late,
        "children": children,
        "partnership": partnership,
    }


def raised_by(db, origin_kind, origin_id, now):
    """Escalations a record raised, with their actions (for the record's own page)."""
    rows = list(db.query("SELECT * FROM escalations WHERE origin_kind = ? AND origin_id = ? ORDER BY id",
                         [origin_kind, str(origin_id)]))
    actions = actions_for(db, [row["id"] for row in rows])
    return [describe_escalation(row, actions.get(row["id"], []), now) for row in rows]


def practitioner_name(db, practitioner_id):
    """The display name of a practitioner (who closed an escalation), or None."""
    row = db.execute("SELECT display_name FROM practitioners WHERE id = ?", [practitioner_id]).fetchone()
    return row[0] if row else None
