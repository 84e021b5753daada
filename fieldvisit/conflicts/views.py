"""Sync conflicts for the team lead to review: a record id that arrived twice with different
content. The first copy is on the record; the second is kept here, never applied and never
lost (OFFLINE.md: enketo #1405, kpi #5047)."""
from datetime import datetime, timezone

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from fieldvisit import audit
from fieldvisit.auth.views import roles_required
from fieldvisit.conflicts.domain import record_review, team_conflicts
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
