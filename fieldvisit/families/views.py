"""The family page (children, plans, mobility, recent visits and amendments) and the child page."""
from datetime import date

from flask import Blueprint, g, render_template, request

from fieldvisit import access, audit, settings
from fieldvisit.auth.views import login_required
from fieldvisit.db import get_db
from fieldvisit.families import queries
from fieldvisit.families.domain import children_with_status

bp = Blueprint("families", __name__)


@bp.get("/families")
@login_required
def my_families():
    db = get_db()
    sql, params = access.visible_families_sql(g.practitioner)
    families = queries.visible_families(db, sql, params)
    audit.record_many(db, g.practitioner["id"], "read", "family", [f["id"] for f in families], request.path)
    return render_template("families/list.html", families=families)


@bp.get("/families/<int:family_id>")
@login_required
def show_family(family_id):
    db = get_db()
    family = access.family_or_404(db, g.practitioner, family_id)
    today = date.today()
    children, adults, assigned = queries.family_household(db, family_id, today, settings.load(db))
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in children], request.path)
    return render_template("families/family.html", family=family, children=children, adults=adults,
                           assigned=assigned, visits=queries.recent_visits(db, family_id))


@bp.get("/children/<int:child_id>")
@login_required
def show_child(child_id):
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    family = queries.family(db, child["family_id"])
    [child] = children_with_status(db, [child], date.today(), settings.load(db))
    visits = queries.child_visits(db, child_id)
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template("families/child.html", child=child, family=family, visits=visits)
