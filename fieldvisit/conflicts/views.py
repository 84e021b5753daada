"""Sync conflicts for the team lead to review: a record id that arrived twice with different
content. The first copy is on the record; the second is kept here, never applied and never
lost (OFFLINE.md: enketo #1405, kpi #5047)."""
from datetime import datetime, timezone

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from fieldvisit import access, audit, device_clock, records
from fieldvisit.auth.views import roles_required
from fieldvisit.conflicts.domain import (author_of, record_decision, record_review, team_clock_corrections,
                                         team_conflicts, team_kept_items)
from fieldvisit.db import get_db
from fieldvisit.visits.forms import clean_text

bp = Blueprint("conflicts", __name__)


class ReviewForm(FlaskForm):
    note = TextAreaField("What you decided", filters=[clean_text], validators=[
        DataRequired("Say what you decided, for example 'the second copy adds nothing' or 'asked the worker to amend the record'"),
        Length(max=2000, message="The note must be 2,000 characters or fewer")])


def record_link(conflict):
    """Where the first copy can be read, for the kinds that have their own page."""
    if conflict["kind"] == "visit" and conflict["ref"]:
        return url_for("visits.show_visit", visit_id=conflict["ref"])
    return None


@bp.get("/conflicts")
@roles_required("team_lead")
def list_conflicts():
    db = get_db()
    conflicts = team_conflicts(db, g.practitioner)
    audit.record_many(db, g.practitioner["id"], "read", "sync_conflict", [c["id"] for c in conflicts], request.path)
    return render_template("conflicts/list.html", conflicts=conflicts, form=ReviewForm(), record_link=record_link)


@bp.post("/conflicts/<int:conflict_id>/review")
@roles_required("team_lead")
def review_conflict(conflict_id):
    db = get_db()
    conflicts = {c["id"]: c for c in team_conflicts(db, g.practitioner)}
    if conflict_id not in conflicts:
        abort(404)
    form = ReviewForm()
    if not form.validate():
        return render_template("conflicts/list.html", conflicts=list(conflicts.values()), form=form,
                               failed_id=conflict_id, record_link=record_link), 400
    with db.atomic():
        if conflicts[conflict_id]["reviewed_at"] is None:
            record_review(db, conflict_id, g.practitioner["id"],
                          datetime.now(timezone.utc).isoformat(timespec="seconds"), form.note.data)
            audit.record(db, g.practitioner["id"], "write", "sync_conflict", conflict_id, request.path)
    flash("Your review of the second copy has been saved. Both copies are kept.")
    return redirect(url_for("conflicts.list_conflicts"))


# --- records kept from a revoked device (issue 14, item 5) -----------------------------------------

DECISIONS = {"accept": "accepted", "set_aside": "set_aside"}


class DecisionForm(FlaskForm):
    note = TextAreaField("Why", filters=[clean_text], validators=[
        Length(max=2000, message="The reason must be 2,000 characters or fewer")])


def kept_items(db, open_only=False):
    return team_kept_items(db, g.practitioner, access.visible_family_ids(db, g.practitioner), open_only)


@bp.get("/conflicts/revoked-devices")
@roles_required("team_lead")
def list_kept():
    db = get_db()
    kept = kept_items(db)
    audit.record_many(db, g.practitioner["id"], "read", "sync_conflict", [k["id"] for k in kept], request.path)
    return render_template("conflicts/kept.html", kept=kept, form=DecisionForm(), record_link=kept_record_link)


def kept_record_link(kept):
    if kept["stored_ref"] and kept["kind"] == "visit":
        return url_for("visits.show_visit", visit_id=kept["stored_ref"])
    return None


@bp.post("/conflicts/kept/<int:conflict_id>/decide")
@roles_required("team_lead")
def decide_kept(conflict_id):
    """Accept a kept record (applied through the sync engine as its author sent it, so every rule fires)
    or set it aside with a reason. Both are audited; the kept copy stays either way."""
    db = get_db()
    kept = {k["id"]: k for k in kept_items(db)}
    if conflict_id not in kept:
        abort(404)
    item, form = kept[conflict_id], DecisionForm()
    decision = DECISIONS.get(request.form.get("decision"))
    errors = {}
    if decision is None:
        errors[f"note-{conflict_id}"] = "Choose whether to accept the record or set it aside"
    elif not form.validate():
        errors[f"note-{conflict_id}"] = form.note.errors[0]
    elif decision == "set_aside" and not form.note.data:
        errors[f"note-{conflict_id}"] = "Say why you are setting this record aside"
    if not errors and item["reviewed_at"] is None and decision == "accepted":
        author = author_of(db, item["author_id"])
        receipt = records.accept_kept_item(db, item, author, request.path)
        if receipt.status not in ("stored", "duplicate"):
            problems = "; ".join(f"{message}" for message in receipt.errors.values()) or receipt.status
            errors[f"note-{conflict_id}"] = (f"The central record could not add this record: {problems}. "
                                             "Set it aside with a reason, and ask its author to record it again.")
    if errors:
        return render_template("conflicts/kept.html", kept=list(kept.values()), form=form, errors=errors,
                               failed_id=conflict_id, record_link=kept_record_link), 400
    with db.atomic():
        if item["reviewed_at"] is None:
            record_decision(db, conflict_id, g.practitioner["id"], datetime.now(timezone.utc).isoformat(timespec="seconds"),
                            form.note.data or "", decision)
            audit.record(db, g.practitioner["id"], "write", "sync_conflict", conflict_id, request.path)
    flash("The record was accepted and added to the central record." if decision == "accepted"
          else "The record was set aside. It is kept, with your reason.")
    return redirect(url_for("conflicts.list_kept"))


# --- times corrected for a tablet's clock (issue 14, "A wrong tablet clock") ---------------------

@bp.get("/conflicts/clock-corrections")
@roles_required("team_lead")
def list_clock_corrections():
    db = get_db()
    corrected = team_clock_corrections(db, g.practitioner, device_clock.NOTICEABLE_MS)
    audit.record_many(db, g.practitioner["id"], "read", "sync_receipt", [c["item_id"] for c in corrected], request.path)
    return render_template("conflicts/clock_corrections.html", corrected=corrected, describe=device_clock.describe,
                           record_link=record_link_of_receipt)


def record_link_of_receipt(row):
    if row["kind"] == "visit":
        return url_for("visits.show_visit", visit_id=row["ref"])
    return None
