"""The escalations dashboard: the team lead's home page. Open escalations from every rule with
their required actions (who did each and when), concerns to acknowledge, children overdue a
visit, late visit records (rule 18), children not seen alone or whose bedroom was not seen on
their last visits (rule 15), and children with no visit since their plan started."""
from datetime import date, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from fieldvisit import access, audit, device_clock, settings
from fieldvisit.auth.views import login_required, roles_required
from fieldvisit.conflicts.domain import team_clock_corrections, team_conflicts, team_kept_items
from fieldvisit.db import get_db
from fieldvisit.escalations import concerns
from fieldvisit.escalations import domain as escalations
from fieldvisit.escalations.guidance import what_to_do
from fieldvisit.escalations.queries import dashboard_data, describe_escalation, practitioner_name, raised_by
from fieldvisit.families import queries as families
from fieldvisit.families.domain import describe_age
from fieldvisit.visits.forms import clean_text

bp = Blueprint("escalations", __name__)


class NoteForm(FlaskForm):
    note = TextAreaField("Note (optional)", filters=[clean_text], validators=[
        Length(max=2000, message="The note must be 2,000 characters or fewer")])


class CloseForm(FlaskForm):
    rationale = TextAreaField("Why you are closing it", filters=[clean_text], validators=[
        Length(max=4000, message="The rationale must be 4,000 characters or fewer")])


# --- pages ---------------------------------------------------------------------------------

@bp.app_context_processor
def escalation_helpers():
    return {"escalations_raised_by": lambda kind, origin_id: raised_by(get_db(), kind, origin_id, datetime.now())}


@bp.get("/dashboard")
@roles_required("team_lead")
def dashboard():
    db = get_db()
    data = dashboard_data(db, g.practitioner, datetime.now())
    for escalation in data["escalations"]:  # "What to do" on each entry (issue 12)
        escalation["what_to_do"] = what_to_do(escalation["rule"], data["partnership"])
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in data["children"]], request.path)
    return render_template("escalations/dashboard.html", now=datetime.now(),
                           open_conflicts=team_conflicts(db, g.practitioner, open_only=True),
                           open_kept=team_kept_items(db, g.practitioner, access.visible_family_ids(db, g.practitioner),
                                                     open_only=True),
                           clock_corrections=team_clock_corrections(db, g.practitioner, device_clock.NOTICEABLE_MS, 50),
                           **data)


def escalation_or_404(db, escalation_id):
    """The escalation with its actions if this practitioner may see its family; otherwise 404."""
    row = escalations.escalation_with_actions(db, escalation_id)
    if row is None or not access.can_see_family(db, g.practitioner, row["family_id"]):
        abort(404)
    return row


@bp.get("/dashboard/escalations/<int:escalation_id>")
@login_required
def show_escalation(escalation_id):
    db = get_db()
    escalation = escalation_or_404(db, escalation_id)
    family = families.family(db, escalation["family_id"])
    child = families.child(db, escalation["child_id"]) if escalation["child_id"] else None
    describe_escalation(escalation, escalation["actions"], datetime.now())
    if child:
        escalation["child_age"] = describe_age(child["date_of_birth"], date.today())
    closed_by = practitioner_name(db, escalation["closed_by"]) if escalation["closed_by"] else None
    audit.record(db, g.practitioner["id"], "read", "escalation", escalation_id, request.path)
    return render_template("escalations/escalation.html", escalation=escalation, family=family, child=child,
                           closed_by=closed_by, note_form=NoteForm(),
                           what_to_do=what_to_do(escalation["rule"], settings.load(db)),
                           close_form=CloseForm(), errors={})


@bp.post("/dashboard/escalations/<int:escalation_id>/actions/<int:action_id>")
@roles_required(*access.RECORDING_ROLES)
def mark_action_done(escalation_id, action_id):
    db = get_db()
    escalation = escalation_or_404(db, escalation_id)
    if action_id not in {a["id"] for a in escalation["actions"]}:
        abort(404)
    form = NoteForm()
    if not form.validate():
        flash(next(iter(form.note.errors), "The note could not be saved."))
        return redirect(url_for("escalations.show_escalation", escalation_id=escalation_id))
    try:
        with db.atomic():
            escalations.mark_action_done(db, action_id, g.practitioner["id"],
                                         datetime.now().isoformat(timespec="minutes"), form.note.data)
            audit.record(db, g.practitioner["id"], "write", "escalation", escalation_id, request.path)
    except escalations.EscalationInvalid as invalid:
        flash(next(iter(invalid.errors.values())))
    if request.form.get("back") == "dashboard":
        return redirect(url_for("escalations.dashboard") + f"#escalation-{escalation_id}")
    return redirect(url_for("escalations.show_escalation", escalation_id=escalation_id))


@bp.post("/dashboard/escalations/<int:escalation_id>/close")
@roles_required("team_lead")
def close_escalation(escalation_id):
    db = get_db()
    escalation = escalation_or_404(db, escalation_id)
    form = CloseForm()
    errors = {}
    if form.validate():
        try:
            with db.atomic():
                escalations.close_escalation(db, escalation_id, g.practitioner["id"],
                                             datetime.now().isoformat(timespec="minutes"), form.rationale.data)
                audit.record(db, g.practitioner["id"], "write", "escalation", escalation_id, request.path)
            flash(f"Escalation closed: {escalation['title']}")
            return redirect(url_for("escalations.dashboard"))
        except escalations.EscalationInvalid as invalid:
            errors = invalid.errors
    else:
        errors = {"rationale": form.rationale.errors[0]}
    family = families.family(db, escalation["family_id"])
    child = families.child(db, escalation["child_id"]) if escalation["child_id"] else None
    describe_escalation(escalation, escalation["actions"], datetime.now())
    return render_template("escalations/escalation.html", escalation=escalation, family=family, child=child,
                           closed_by=None, note_form=NoteForm(), close_form=form, errors=errors,
                           what_to_do=what_to_do(escalation["rule"], settings.load(db))), 400


@bp.post("/dashboard/concerns/<int:concern_id>/acknowledge")
@roles_required("team_lead")
def acknowledge_concern(concern_id):
    db = get_db()
    row = concerns.family_and_title(db, concern_id)
    if row is None or not access.can_see_family(db, g.practitioner, row[0]):
        abort(404)
    form = NoteForm()
    if form.validate():
        with db.atomic():
            concerns.acknowledge_concern(db, concern_id, g.practitioner["id"],
                                         datetime.now().isoformat(timespec="minutes"), form.note.data)
            audit.record(db, g.practitioner["id"], "write", "concern", concern_id, request.path)
        flash(f"Acknowledged: {row[1]}")
    else:
        flash(form.note.errors[0])
    return redirect(url_for("escalations.dashboard") + "#concerns")
