"""Today: my visits today and in the next days, with each child's days since last seen."""
from datetime import date

from flask import Blueprint, g, redirect, render_template, request, url_for

from fieldvisit import access, audit, settings
from fieldvisit.auth.views import login_required
from fieldvisit.db import get_db
from fieldvisit.families.domain import children_with_status
from fieldvisit.families.queries import children_of, search_index
from fieldvisit.today.queries import upcoming_visits

bp = Blueprint("today", __name__)


def overdue_first(children):
    return sorted(children, key=lambda c: (-c["overdue_working_days"], c["date_of_birth"]))


@bp.get("/")
def home():
    if g.practitioner is None:
        return redirect(url_for("auth.sign_in"))
    if g.practitioner["role"] == "admin":
        return redirect(url_for("admin.practitioners"))
    if g.practitioner["role"] == "team_lead":
        return redirect(url_for("escalations.dashboard"))  # the lead's home: escalations first
    return redirect(url_for("today.today"))


@bp.get("/today")
@login_required
def today():
    db = get_db()
    if g.practitioner["role"] == "admin":
        return redirect(url_for("admin.practitioners"))
    partnership = settings.load(db)
    on = date.today()
    visits = upcoming_visits(db, g.practitioner, on, partnership["today_days_ahead"])
    family_ids = access.visible_family_ids(db, g.practitioner)
    children = children_with_status(db, children_of(db, family_ids), on, partnership)
    by_family = {}
    for child in overdue_first(children):
        by_family.setdefault(child["family_id"], []).append(child)
    for visit in visits:
        visit["children"] = by_family.get(visit["family_id"], [])
        visit["overdue"] = max((c["overdue_working_days"] for c in visit["children"]), default=0)
        visit["day"] = visit["due_at"][:10]
    overdue = [c for c in overdue_first(children) if c["overdue_working_days"] > 0]
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in children], request.path)
    shown = sorted({v["family_id"] for v in visits} | {c["family_id"] for c in overdue})
    audit.record_many(db, g.practitioner["id"], "read", "family", shown, request.path)
    days = {}
    for visit in sorted(visits, key=lambda v: (v["day"], -v["overdue"], v["due_at"])):
        days.setdefault(visit["day"], []).append(visit)
    # Whether this browser is set up for no signal, as its cookies say (static/js/offline-setup.js):
    # the offer to set it up is drawn at once, so Today does not move when the script confirms it.
    ready = request.cookies.get("fv_offline_ready") == str(g.practitioner["id"])
    return render_template("today/today.html", days=days, overdue=overdue,
                           today=on.isoformat(), offline_ready=ready,
                           # the families whose pages the tablet keeps (the pack's), to find with no signal
                           index=search_index(db, sorted({v["family_id"] for v in visits})),
                           offline_later=request.cookies.get("fv_offline_later") == "1")
