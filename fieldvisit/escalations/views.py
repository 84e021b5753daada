"""The escalations dashboard: the team lead's home page. Open escalations from every rule with
their required actions (who did each and when), concerns to acknowledge, children overdue a
visit, late visit records (rule 18), children not seen alone or whose bedroom was not seen on
their last visits (rule 15), and children with no visit since their plan started."""
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from fieldvisit import access, audit, settings
from fieldvisit.escalations import concerns
from fieldvisit.conflicts import views as conflicts
from fieldvisit.escalations import domain as escalations
from fieldvisit.auth.views import login_required, roles_required
from fieldvisit.families.domain import children_with_status, describe_age
from fieldvisit.db import get_db
from fieldvisit.rows import grouped_rows
from fieldvisit.families.queries import children_of
from fieldvisit.visits.forms import clean_text
from fieldvisit.workdays import add_working_days

bp = Blueprint("escalations", __name__)


class NoteForm(FlaskForm):
    note = TextAreaField("Note (optional)", filters=[clean_text], validators=[
        Length(max=2000, message="The note must be 2,000 characters or fewer")])


class CloseForm(FlaskForm):
    rationale = TextAreaField("Why you are closing it", filters=[clean_text], validators=[
        Length(max=4000, message="The rationale must be 4,000 characters or fewer")])


def local_time(value):
    """A stored time as naive local time: device and server times may carry a zone, visit times do not."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if len(str(value)) == 10:
        moment = moment.replace(hour=23, minute=59)
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


# --- what the dashboard shows ------------------------------------------------------------

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


def record_deadline(happened, partnership, critical):
    """Rule 18: a visit record is due within N working days, or 24 hours for a critical event."""
    if critical:
        return happened + timedelta(hours=partnership["critical_recording_deadline_hours"])
    due = add_working_days(happened.date(), partnership["recording_deadline_working_days"])
    return datetime.combine(due, happened.time())


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


@bp.app_context_processor
def escalation_helpers():
    return {"escalations_raised_by": lambda kind, origin_id: raised_by(get_db(), kind, origin_id, datetime.now())}


# --- pages ---------------------------------------------------------------------------------

@bp.get("/dashboard")
@roles_required("team_lead")
def dashboard():
    db = get_db()
    data = dashboard_data(db, g.practitioner, datetime.now())
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in data["children"]], request.path)
    return render_template("escalations/dashboard.html", now=datetime.now(),
                           open_conflicts=conflicts.team_conflicts(db, g.practitioner, open_only=True), **data)


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
    family = db["families"].get(escalation["family_id"])
    child = db["children"].get(escalation["child_id"]) if escalation["child_id"] else None
    describe_escalation(escalation, escalation["actions"], datetime.now())
    if child:
        escalation["child_age"] = describe_age(child["date_of_birth"], date.today())
    closed_by = (db.execute("SELECT display_name FROM practitioners WHERE id = ?", [escalation["closed_by"]]).fetchone()
                 if escalation["closed_by"] else None)
    audit.record(db, g.practitioner["id"], "read", "escalation", escalation_id, request.path)
    return render_template("escalations/escalation.html", escalation=escalation, family=family, child=child,
                           closed_by=closed_by[0] if closed_by else None, note_form=NoteForm(),
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
    family = db["families"].get(escalation["family_id"])
    child = db["children"].get(escalation["child_id"]) if escalation["child_id"] else None
    describe_escalation(escalation, escalation["actions"], datetime.now())
    return render_template("escalations/escalation.html", escalation=escalation, family=family, child=child,
                           closed_by=None, note_form=NoteForm(), close_form=form, errors=errors), 400


@bp.post("/dashboard/concerns/<int:concern_id>/acknowledge")
@roles_required("team_lead")
def acknowledge_concern(concern_id):
    db = get_db()
    row = db.execute("SELECT family_id, title FROM concerns WHERE id = ?", [concern_id]).fetchone()
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
