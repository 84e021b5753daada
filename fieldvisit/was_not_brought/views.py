"""Pages to record that a child was not brought to an appointment (or that a parent cancelled or
re-arranged one) and to read a child's missed appointments with their running count."""
import uuid
from datetime import date, timedelta

from flask import Blueprint, g, redirect, render_template, request, url_for

from fieldvisit import access, audit, records, settings
from fieldvisit.escalations import concerns
from fieldvisit.auth.views import login_required, roles_required
from fieldvisit.families.domain import appointment_counts, children_with_status
from fieldvisit.db import get_db
from fieldvisit.families import queries as families
from fieldvisit.was_not_brought.domain import EVENTS, SERVICES, events_for_child
from fieldvisit.was_not_brought.forms import AppointmentEventForm

bp = Blueprint("was_not_brought", __name__)
RECORDERS = tuple(access.RECORDING_ROLES)


@bp.app_template_global("was_not_brought_by_id")
def was_not_brought_by_id(children, key="id"):
    """Rule 8: {child id: the child with their Was Not Brought counts}, for a page that shows these
    children (rows with `key` and first_name), in one query for them all."""
    db = get_db()
    weeks = settings.load(db)["was_not_brought_pattern_weeks"]
    ids = [child[key] for child in children]
    counts = appointment_counts(db, ids, date.today() - timedelta(weeks=weeks))
    return {child[key]: dict(child, id=child[key], was_not_brought_weeks=weeks, **counts[child[key]])
            for child in children}


@bp.app_template_filter("appointment_event")
def appointment_event(code):
    return EVENTS.get(code, code)


@bp.app_template_filter("service")
def service(code):
    return SERVICES.get(code, code)


def child_with_status(db, child):
    [child] = children_with_status(db, [child], date.today(), settings.load(db))
    return child


@bp.get("/children/<int:child_id>/was-not-brought")
@login_required
def child_appointments(child_id):
    db = get_db()
    child = child_with_status(db, access.child_or_404(db, g.practitioner, child_id))
    family = families.family(db, child["family_id"])
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template("was_not_brought/list.html", child=child, family=family, events=events_for_child(db, child_id),
                           concerns=concerns.concerns_for_child(db, child_id), saved=request.args.get("saved"),
                           partnership=settings.load(db))


@bp.route("/children/<int:child_id>/was-not-brought/new", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def record_was_not_brought(child_id):
    db = get_db()
    child = child_with_status(db, access.child_or_404(db, g.practitioner, child_id))
    family = families.family(db, child["family_id"])
    form = AppointmentEventForm() if request.method == "POST" else AppointmentEventForm(
        formdata=None, data={"record_id": str(uuid.uuid4()), "event": request.args.get("event", "was_not_brought")})
    errors = {}
    if request.method == "POST":
        receipt, errors = records.submit_form(db, form, "was_not_brought", {"child_id": child_id}, g.practitioner,
                                              request.form, request.path)
        if receipt and receipt.status in ("stored", "duplicate"):
            return redirect(url_for("was_not_brought.child_appointments", child_id=child_id, saved=1))
        if receipt and receipt.status == "conflict":
            return render_template("visits/conflict.html", receipt=receipt, family=family), 409
    else:
        audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template("was_not_brought/record.html", form=form, child=child, family=family,
                           errors=errors), 400 if errors else 200
