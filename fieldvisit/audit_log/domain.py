"""Searching the audit log: who viewed or changed a child's records, what a user looked at, when.

A team lead sees entries about the children, families and visit records of the families they
may see (need to know); an admin sees every entry but no family data: record numbers, never names.
"""
import json
from datetime import datetime, time, timedelta, timezone

from fieldvisit import access

LIMIT = 500

# What was looked at, for entries about a child: the child itself, its family, or a visit record
# that includes it (a visit page shows each child's details).
ABOUT_CHILD_SQL = """
    ((a.entity = 'child' AND a.entity_id = :child_key)
     OR (a.entity = 'family' AND a.entity_id = (SELECT CAST(family_id AS TEXT) FROM children WHERE id = :child_id))
     OR (a.entity = 'visit' AND a.entity_id IN (SELECT visit_id FROM visit_children WHERE child_id = :child_id)))"""

# Entries about records of the families the lead may see.
VISIBLE_SQL = """
    ((a.entity = 'family' AND a.entity_id IN (SELECT CAST(family_id AS TEXT) FROM ({visible})))
     OR (a.entity = 'child' AND a.entity_id IN (SELECT CAST(id AS TEXT) FROM children
                                                 WHERE family_id IN ({visible})))
     OR (a.entity = 'visit' AND a.entity_id IN (SELECT id FROM visit_records WHERE family_id IN ({visible}))))"""


def day_bounds(day_from, day_to):
    """UTC bounds of whole days on England's clock (the log's times are UTC)."""
    start = day_from and datetime.combine(day_from, time.min).astimezone(timezone.utc).isoformat(timespec="seconds")
    end = day_to and datetime.combine(day_to + timedelta(days=1), time.min).astimezone(timezone.utc) \
        .isoformat(timespec="seconds")
    return start, end


def search(db, viewer, child_id=None, practitioner_id=None, day_from=None, day_to=None, limit=LIMIT):
    """The latest entries matching every criterion given, as the viewer may see them."""
    conditions, params = [], {}
    if viewer["role"] != "admin":
        visible, visible_params = access.visible_families_sql(viewer)
        conditions.append(VISIBLE_SQL.format(visible=visible))
        params.update(visible_params)
    if child_id is not None:
        conditions.append(ABOUT_CHILD_SQL)
        params.update(child_id=child_id, child_key=str(child_id))
    if practitioner_id is not None:
        conditions.append("a.practitioner_id = :who")
        params["who"] = practitioner_id
    start, end = day_bounds(day_from, day_to)
    if start:
        conditions.append("a.at >= :start")
        params["start"] = start
    if end:
        conditions.append("a.at < :end")
        params["end"] = end
    where = " AND ".join(conditions) or "1"
    return list(db.query(
        "SELECT a.id, a.at, a.action, a.entity, a.entity_id, a.route, p.display_name, p.username, p.role"
        f" FROM audit_log a LEFT JOIN practitioners p ON p.id = a.practitioner_id WHERE {where}"
        f" ORDER BY a.id DESC LIMIT {int(limit)}", params))


def names_of_records(db, entries):
    """{(entity, id): words} for the children, families and visits in the entries (for a lead only)."""
    ids = {"child": set(), "family": set(), "visit": set()}
    for entry in entries:
        if entry["entity"] in ids:
            ids[entry["entity"]].add(entry["entity_id"])
    names = {}
    for row in _rows_in(db, "SELECT CAST(id AS TEXT) AS id, first_name || ' ' || last_name AS name FROM children",
                        ids["child"]):
        names[("child", row["id"])] = row["name"]
    for row in _rows_in(db, "SELECT CAST(id AS TEXT) AS id, name FROM families", ids["family"]):
        names[("family", row["id"])] = row["name"] + " family"
    for row in _rows_in(db, "SELECT id, 'Visit record of ' || substr(happened_at, 1, 10) AS name FROM visit_records",
                        ids["visit"]):
        names[("visit", row["id"])] = row["name"]
    return names


def _rows_in(db, select, ids):
    if not ids:
        return []
    return db.query(f"SELECT * FROM ({select}) WHERE id IN (SELECT value FROM json_each(?))", [_json(ids)])


def _json(values):
    return json.dumps(sorted(values))


def children_named(db, viewer, words):
    """Children of the viewer's visible families whose name contains the words (a lead's search)."""
    visible, params = access.visible_families_sql(viewer)
    return list(db.query(
        "SELECT c.id, c.first_name, c.last_name, c.date_of_birth, f.name AS family_name FROM children c"
        f" JOIN families f ON f.id = c.family_id WHERE c.family_id IN ({visible})"
        " AND (c.first_name || ' ' || c.last_name) LIKE :words ORDER BY c.last_name, c.first_name LIMIT 50",
        dict(params, words=f"%{words}%")))


def child_visible_to(db, viewer, child_id):
    """The child row if the viewer may search its entries: any child for an admin (who sees no names),
    a child of a visible family for a lead; None otherwise."""
    row = db.execute("SELECT id, family_id, first_name, last_name FROM children WHERE id = ?", [child_id]).fetchone()
    if row is None:
        return None
    if viewer["role"] == "admin":
        return {"id": row[0], "name": None}
    if not access.can_see_family(db, viewer, row[1]):
        return None
    return {"id": row[0], "name": f"{row[2]} {row[3]}"}


def practitioner_named(db, username):
    row = db.execute("SELECT id, display_name FROM practitioners WHERE username = ?", [username]).fetchone()
    return {"id": row[0], "display_name": row[1]} if row else None
