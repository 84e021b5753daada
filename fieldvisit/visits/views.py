"""Pages to record a visit, read a visit record, and amend it."""
import uuid
from datetime import date, datetime

from flask import Blueprint, g, redirect, render_template, request, url_for

from fieldvisit import access, audit, records, settings
from fieldvisit.auth.views import login_required, roles_required
from fieldvisit import device_clock
from fieldvisit.conflicts.domain import clock_correction_of
from fieldvisit.db import get_db
from fieldvisit.families import queries as families
from fieldvisit.children_alone import rules as children_alone
from fieldvisit.safe_sleep import rules as safe_sleep
from fieldvisit.visits import domain
from fieldvisit.visits.forms import AmendmentForm, VisitRecordForm, is_row_id_text

bp = Blueprint("visits", __name__)
RECORDERS = tuple(access.RECORDING_ROLES)


def sleep_asked_for(children, on, partnership):
    """Rule 12: the ids (as posted) of the babies the form asks about sleep."""
    return {str(child["id"]) for child in children if safe_sleep.asked_about(child, on, partnership)}


def blank_visit_form(db, family_id, children, adults):
    """A new visit form: a fresh record id, a row per child and per adult of the household."""
    scheduled = None
    scheduled_id = request.args.get("scheduled", "")
    if is_row_id_text(scheduled_id):
        scheduled = domain.open_scheduled_visit(db, int(scheduled_id), family_id)
    now = datetime.now()
    asked = sleep_asked_for(children, now.date(), settings.load(db))
    return VisitRecordForm(formdata=None, data={
        "record_id": str(uuid.uuid4()),
        "scheduled_visit_id": str(scheduled[0]) if scheduled else "",
        "visit_type": scheduled[1] if scheduled else None,
        "visit_date": now.date(),
        "visit_time": now.replace(second=0, microsecond=0).time(),
        "children": [{"child_id": str(child["id"]), "sleep_asked": "1" if str(child["id"]) in asked else ""}
                     for child in children],
        "adults": [{"full_name": adult["name"], "relationship": adult["relationship"]} for adult in adults]
        + [{}, {}],
        "containers": [{}, {}, {}],
    })


def name_the_child(errors, form, children_by_id):
    """'Say whether the child was seen' three times cannot be told apart in the error summary:
    each message about a child starts with the child's name."""
    named = {}
    for name, message in errors.items():
        parts = name.split("-")
        child = None
        if parts[0] == "children" and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) < len(form.children):
            child = children_by_id.get(form.children[int(parts[1])].child_id.data)
        named[name] = f"{child['first_name']}: {message}" if child else message
    return named


@bp.route("/families/<int:family_id>/visits/new", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def record_visit(family_id):
    db = get_db()
    family = access.family_or_404(db, g.practitioner, family_id)
    children, adults = families.household(db, family_id)
    form = VisitRecordForm() if request.method == "POST" else blank_visit_form(db, family_id, children, adults)
    errors = {}
    if request.method == "POST":
        receipt, errors = records.submit_form(db, form, "visit", {"family_id": family_id}, g.practitioner,
                                              request.form, request.path)
        if receipt and receipt.status in ("stored", "duplicate"):
            return redirect(url_for("visits.show_visit", visit_id=receipt.ref, saved=1))
        if receipt and receipt.status == "conflict":
            return render_template("visits/conflict.html", receipt=receipt, family=family), 409
    # The form, blank or shown again with errors, lists the family's children: a read.
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    children_by_id = {str(child["id"]): child for child in children}
    errors = name_the_child(errors, form, children_by_id)
    # Rule 10 on the tablet: the escalation for each child, shown the moment the visit is saved, no signal needed.
    alone_previews = [dict(children_alone.child_alone_escalation(child, alone, date.today()), child_id=child["id"],
                           kind="alone" if alone else "unsuitable_carer")
                      for child in children for alone in (True, False)]
    partnership = settings.load(db)
    sleep_previews = [safe_sleep.tablet_preview(child, date.today(), partnership) for child in children
                      if safe_sleep.asked_about(child, date.today(), partnership)]
    return render_template("visits/record.html", form=form, family=family, errors=errors,
                           children_by_id=children_by_id, alone_previews=alone_previews,
                           sleep_previews=sleep_previews), 400 if errors else 200


@bp.get("/visits/<visit_id>")
@login_required
def show_visit(visit_id):
    db = get_db()
    family_id = access.visit_or_404(db, g.practitioner, visit_id)
    visit = domain.visit_record(db, visit_id)
    family = families.family(db, family_id)
    audit.record(db, g.practitioner["id"], "read", "visit", visit_id, request.path)
    return render_template("visits/visit.html", visit=visit, family=family,
                           safe_sleep=safe_sleep.for_visit(db, visit_id),
                           saved=request.args.get("saved"), amended=request.args.get("amended"),
                           clock_correction=clock_correction(db, visit_id))


def clock_correction(db, visit_id):
    """Issue 14: the visit was saved on a tablet whose clock was noticeably off (shown beside its times)."""
    row = clock_correction_of(db, visit_id, device_clock.NOTICEABLE_MS)
    return row and dict(row, words=device_clock.describe(row["clock_offset_ms"]))


@bp.get("/visits/<visit_id>/print")
@login_required
def print_visit(visit_id):
    """The visit record on A4, marked OFFICIAL-SENSITIVE, with no navigation (issue 12)."""
    db = get_db()
    family_id = access.visit_or_404(db, g.practitioner, visit_id)
    visit = domain.visit_record(db, visit_id)
    family = families.family(db, family_id)
    audit.record(db, g.practitioner["id"], "read", "visit", visit_id, request.path)
    return render_template("visits/print.html", visit=visit, family=family, saved=None, amended=None,
                           safe_sleep=safe_sleep.for_visit(db, visit_id),
                           printed_at=datetime.now().isoformat(timespec="seconds"))


@bp.route("/visits/<visit_id>/amend", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def amend_visit(visit_id):
    db = get_db()
    family_id = access.visit_or_404(db, g.practitioner, visit_id)
    visit = domain.visit_record(db, visit_id)
    form = AmendmentForm() if request.method == "POST" else AmendmentForm(
        formdata=None, data={"record_id": str(uuid.uuid4()), "field": request.args.get("field")})
    errors = {}
    if request.method == "POST":
        receipt, errors = records.submit_form(db, form, "amendment", {"visit_id": visit_id}, g.practitioner,
                                              request.form, request.path)
        if receipt and receipt.status in ("stored", "duplicate"):
            return redirect(url_for("visits.show_visit", visit_id=visit_id, amended=1))
        if receipt and receipt.status == "conflict":
            family = families.family(db, family_id)
            return render_template("visits/conflict.html", receipt=receipt, family=family), 409
    audit.record(db, g.practitioner["id"], "read", "visit", visit_id, request.path)
    return render_template("visits/amend.html", form=form, visit=visit, errors=errors,
                           family=families.family(db, family_id)), 400 if errors else 200
