"""The family page (children, plans, mobility, recent visits and amendments) and the child page."""
import json
from datetime import date

from flask import Blueprint, g, render_template, request

from fieldvisit import access, audit, settings
from fieldvisit.auth.views import login_required, roles_required
from fieldvisit.families.domain import children_with_status, find_families
from fieldvisit.db import get_db
from fieldvisit.visits.domain import amendments_for

bp = Blueprint("families", __name__)
RECENT_VISITS = 20


def recent_visits(db, family_id, limit=RECENT_VISITS):
    """The family's latest visit records with who made them and which children were seen."""
    visits = list(db.query(
        "SELECT v.id, v.happened_at, v.visit_type, v.outcome, v.alcohol_containers, v.alcohol_smell,"
        " v.intoxication_observed, v.parent_alcohol_account, v.child_alone,"
        " p.display_name AS practitioner_name, a.name AS agency_name"
        " FROM visit_records v JOIN practitioners p ON p.id = v.practitioner_id"
        " LEFT JOIN agencies a ON a.id = v.agency_id"
        " WHERE v.family_id = ? ORDER BY v.happened_at DESC LIMIT ?", [family_id, limit]))
    ids = [visit["id"] for visit in visits]
    seen = {}
    if ids:
        placeholders = ", ".join("?" for _ in ids)
        for row in db.query(
            "SELECT vc.visit_id, c.first_name, vc.seen, vc.seen_alone FROM visit_children vc"
            f" JOIN children c ON c.id = vc.child_id WHERE vc.visit_id IN ({placeholders})"
            " ORDER BY c.date_of_birth", ids):
            seen.setdefault(row["visit_id"], []).append(row)
    amendments = amendments_for(db, ids)
    for visit in visits:
        visit["alcohol_containers"] = json.loads(visit["alcohol_containers"])
        visit["children_seen"] = seen.get(visit["id"], [])
        visit["amendments"] = amendments.get(visit["id"], [])
    return visits


def family_household(db, family_id, today):
    children = list(db.query(
        "SELECT * FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id]))
    adults = list(db.query("SELECT * FROM adults WHERE family_id = ? ORDER BY id", [family_id]))
    assigned = list(db.query(
        "SELECT p.display_name, p.role, t.name AS team_name, ag.name AS agency_name"
        " FROM assignments s JOIN practitioners p ON p.id = s.practitioner_id"
        " LEFT JOIN teams t ON t.id = p.team_id LEFT JOIN agencies ag ON ag.id = t.agency_id"
        " WHERE s.family_id = ? ORDER BY p.display_name", [family_id]))
    return children_with_status(db, children, today, settings.load(db)), adults, assigned


@bp.get("/families")
@roles_required(*access.RECORDING_ROLES)  # an admin sees no family, so has no list of them (issue 12)
def my_families():
    db = get_db()
    sql, params = access.visible_families_sql(g.practitioner)
    query = request.args.get("q", "").strip()[:100]
    if query:  # find a family among those I may see (issue 12)
        families = find_families(db, sql, params, query)
    else:
        families = list(db.query(
            f"SELECT f.id, f.name, f.postcode, (SELECT count(*) FROM children c WHERE c.family_id = f.id)"
            f" AS children FROM families f WHERE f.id IN ({sql}) ORDER BY f.name", params))
    audit.record_many(db, g.practitioner["id"], "read", "family", [f["id"] for f in families], request.path)
    return render_template("families/list.html", families=families, query=query)


@bp.get("/families/<int:family_id>")
@login_required
def show_family(family_id):
    db = get_db()
    family = access.family_or_404(db, g.practitioner, family_id)
    today = date.today()
    children, adults, assigned = family_household(db, family_id, today)
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in children], request.path)
    return render_template("families/family.html", family=family, children=children, adults=adults,
                           assigned=assigned, visits=recent_visits(db, family_id))


@bp.get("/children/<int:child_id>")
@login_required
def show_child(child_id):
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    family = db["families"].get(child["family_id"])
    [child] = children_with_status(db, [child], date.today(), settings.load(db))
    visits = list(db.query(
        "SELECT v.id, v.happened_at, v.visit_type, v.outcome, vc.seen, vc.seen_alone, vc.bedroom_seen,"
        " vc.presentation, vc.words, vc.demeanour, p.display_name AS practitioner_name"
        " FROM visit_children vc JOIN visit_records v ON v.id = vc.visit_id"
        " JOIN practitioners p ON p.id = v.practitioner_id"
        " WHERE vc.child_id = ? ORDER BY v.happened_at DESC LIMIT 50", [child_id]))
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template("families/child.html", child=child, family=family, visits=visits)
