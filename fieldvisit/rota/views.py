"""Rota pages: the team's week, a family's visits, scheduling, changing and cancelling a
visit, a plan's visiting rules, and proposed unannounced visits. Team leads see their team's
families; practitioners see and schedule their own families' visits. Anything else is 404."""
import random
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from fieldvisit import access, audit, records, settings
from fieldvisit.auth.views import roles_required
from fieldvisit.db import get_db
from fieldvisit.families import queries as families
from fieldvisit.families.domain import children_with_status
from fieldvisit.rota import domain
from fieldvisit.rota.forms import (CancelForm, ChangeForm, ProposalsForm, ScheduleForm, VisitingRulesForm,
                                   when)

bp = Blueprint("rota", __name__)
RECORDERS = tuple(access.RECORDING_ROLES)


def monday_of(value):
    try:
        day = date.fromisoformat(value) if value else date.today()
    except ValueError:
        day = date.today()
    return day - timedelta(days=day.weekday())


def practitioner_choices(db, family_id):
    return [(p["id"], f"{p['display_name']} ({p['agency_name']})") for p in domain.eligible_practitioners(db, family_id)]


# --- the team's week ---------------------------------------------------------------------

@bp.get("/rota")
@roles_required(*RECORDERS)
def my_rota():
    return redirect(url_for("rota.team_week", team_id=g.practitioner["team_id"], week=request.args.get("week")))


def week_grid(db, practitioner, start):
    """Rows of practitioners (the team's, and anyone else visiting its families), columns of days."""
    families_sql, params = access.visible_families_sql(practitioner)
    visits = domain.visits_between(db, families_sql, params, start, start + timedelta(days=7))
    clashes = domain.clashing_ids(visits)
    if practitioner["role"] == "team_lead":
        people = domain.team_members(db, practitioner["team_id"])
    else:
        people = [{"id": practitioner["id"], "display_name": practitioner["display_name"],
                   "role": practitioner["role"], "agency_name": practitioner["agency_name"]}]
    known = {p["id"] for p in people}
    for visit in visits:
        if visit["practitioner_id"] not in known:
            known.add(visit["practitioner_id"])
            people.append({"id": visit["practitioner_id"], "display_name": visit["practitioner_name"],
                           "role": None, "agency_name": visit["agency_name"],
                           "other_team": visit["practitioner_team_id"] != practitioner["team_id"]})
    days = [start + timedelta(days=n) for n in range(5)]
    days += [d for d in (start + timedelta(days=5), start + timedelta(days=6))
             if any(v["due_at"][:10] == d.isoformat() for v in visits)]
    cells = {}
    for visit in visits:
        visit["clash"] = visit["id"] in clashes
        cells.setdefault((visit["practitioner_id"], visit["due_at"][:10]), []).append(visit)
    return {"people": people, "days": days, "cells": cells, "visits": visits, "clash_count": len(clashes)}


@bp.get("/teams/<int:team_id>/rota")
@roles_required(*RECORDERS)
def team_week(team_id):
    if team_id != g.practitioner["team_id"]:
        abort(404)  # another team's rota does not exist for you
    db = get_db()
    start = monday_of(request.args.get("week"))
    partnership = settings.load(db)
    grid = week_grid(db, g.practitioner, start)
    today = date.today()
    children = children_with_status(db, families.children_of(db, access.visible_family_ids(db, g.practitioner)),
                                    today, partnership)
    due = domain.due_this_week(children, max(start + timedelta(days=4), today))
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in due], request.path)
    # The grid names each visited family (issue 14, "Audit gaps"): a read of each.
    audit.record_many(db, g.practitioner["id"], "read", "family",
                      list(dict.fromkeys(v["family_id"] for v in grid["visits"])), request.path)
    return render_template("rota/week.html", start=start, due=due, today=today,
                           previous_week=(start - timedelta(days=7)).isoformat(),
                           next_week=(start + timedelta(days=7)).isoformat(), **grid)


# --- one family's visits -------------------------------------------------------------------

@bp.get("/families/<int:family_id>/rota")
@roles_required(*RECORDERS)
def family_rota(family_id):
    db = get_db()
    family = access.family_or_404(db, g.practitioner, family_id)
    partnership = settings.load(db)
    children = children_with_status(db, families.children_of_family(db, family_id), date.today(), partnership)
    visits = domain.family_visits(db, family_id)
    clashes = domain.clashing_ids(visits)
    changes = domain.changes_for(db, [v["id"] for v in visits])
    now = datetime.now().isoformat(timespec="minutes")
    for visit in visits:
        visit["clash"] = visit["id"] in clashes
        visit["changes"] = changes.get(visit["id"], [])
    upcoming = sorted([v for v in visits if v["status"] == "scheduled" and v["due_at"] >= now], key=lambda v: v["due_at"])
    past = [v for v in visits if v not in upcoming]
    names = domain.practitioner_names(db)
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in children], request.path)
    return render_template("rota/family.html", family=family, children=children, upcoming=upcoming, past=past,
                           names=names)


def render_schedule(family, form, errors, status=200):
    db = get_db()
    day = day_for(db, family["id"], form.due_date.data, form.practitioner_id.data)
    # The form shows the family (and, shown again, what was typed about it): a read (issue 14).
    audit.record(db, g.practitioner["id"], "read", "family", family["id"], request.path)
    return render_template("rota/schedule.html", family=family, form=form, errors=errors, day=day), status


def agency_of(db, practitioner_id):
    """The agency of the practitioner who will visit (the one signed in until one is chosen)."""
    return domain.agency_of_practitioner(db, practitioner_id) or g.practitioner["agency_id"]


def day_for(db, family_id, day, practitioner_id):
    """What the clash warning under a date says: the day and other agencies' visits on it."""
    if not isinstance(day, date):
        return None
    return {"day": day, "others": domain.other_agencies_on_day(db, family_id, day, agency_of(db, practitioner_id))}


@bp.get("/families/<int:family_id>/rota/day")
@roles_required(*RECORDERS)
def day_clashes(family_id):
    """The partial under a date being chosen: other agencies' visits to the family that day
    (issue 12: a clash is shown while choosing, not after "Put it on the rota")."""
    db = get_db()
    access.family_or_404(db, g.practitioner, family_id)
    value = request.args.get("due_date") or next(
        (v for k, v in request.args.items() if k.endswith("due_date")), "")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    return render_template("rota/_day.html", day=day_for(db, family_id, day, request.args.get("practitioner_id", type=int)))


@bp.route("/families/<int:family_id>/rota/schedule", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def schedule_visit(family_id):
    db = get_db()
    family = access.family_or_404(db, g.practitioner, family_id)
    form = ScheduleForm() if request.method == "POST" else ScheduleForm(formdata=None, data={
        "visit_type": request.args.get("type", "planned"), "practitioner_id": g.practitioner["id"]})
    form.practitioner_id.choices = practitioner_choices(db, family_id)
    if request.method == "GET":
        return render_schedule(family, form, {})
    if not form.validate():
        return render_schedule(family, form, records.form_errors(form), 400)
    try:
        with db.atomic():
            scheduled_id = domain.schedule_visit(
                db, family_id=family_id, practitioner_id=form.practitioner_id.data, visit_type=form.visit_type.data,
                due_at=when(form), joint=form.joint.data, reason=form.reason.data,
                author_id=g.practitioner["id"], now=datetime.now())
            audit.record(db, g.practitioner["id"], "write", "scheduled_visit", scheduled_id, request.path)
    except domain.RotaInvalid as invalid:
        return render_schedule(family, form, invalid.errors, 400)
    flash_clash(db, family_id, scheduled_id)
    return redirect(url_for("rota.family_rota", family_id=family_id, saved=scheduled_id))


def flash_clash(db, family_id, scheduled_id):
    """Say so at once when a visit lands on a day another agency is visiting (rule 16)."""
    visit = domain.scheduled_visit(db, scheduled_id)
    same_day = domain.same_day_visits(db, family_id, visit["due_at"][:10])
    if visit["id"] in domain.clashing_ids(same_day):
        flash("This visit is on the same day as another agency's visit to the family. Mark both as joint "
              "visits if that is intended, or move one of them.")
    else:
        flash("The visit is on the rota.")


def scheduled_or_404(db, scheduled_id):
    visit = domain.scheduled_visit(db, scheduled_id)
    if visit is None:
        abort(404)
    family = access.family_or_404(db, g.practitioner, visit["family_id"])
    return visit, family


@bp.route("/rota/visits/<int:scheduled_id>/change", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def change_visit(scheduled_id):
    db = get_db()
    visit, family = scheduled_or_404(db, scheduled_id)
    due = datetime.fromisoformat(visit["due_at"])
    form = ChangeForm() if request.method == "POST" else ChangeForm(formdata=None, data={
        "base_version": str(visit["version"]), "practitioner_id": visit["practitioner_id"],
        "due_date": due.date(), "due_time": due.time(), "joint": bool(visit["joint"])})
    form.practitioner_id.choices = practitioner_choices(db, visit["family_id"])
    errors = {}
    if request.method == "POST":
        if form.validate():
            try:
                with db.atomic():
                    domain.change_visit(db, scheduled_id, base_version=int(form.base_version.data),
                                        practitioner_id=form.practitioner_id.data, due_at=when(form),
                                        joint=form.joint.data, reason=form.reason.data,
                                        author_id=g.practitioner["id"], now=datetime.now())
                    audit.record(db, g.practitioner["id"], "write", "scheduled_visit", scheduled_id, request.path)
                flash_clash(db, visit["family_id"], scheduled_id)
                return redirect(url_for("rota.family_rota", family_id=visit["family_id"]))
            except domain.RotaConflict as conflict:
                return render_conflict(family, conflict, form, "change")
            except domain.RotaInvalid as invalid:
                errors = invalid.errors
        else:
            errors = records.form_errors(form)
    names = domain.practitioner_names(db)
    audit_visit_read(db, visit)
    return render_template("rota/change.html", family=family, visit=visit, form=form, errors=errors, names=names,
                           changes=domain.changes_for(db, [scheduled_id]).get(scheduled_id, [])), 400 if errors else 200


@bp.route("/rota/visits/<int:scheduled_id>/cancel", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def cancel_visit(scheduled_id):
    db = get_db()
    visit, family = scheduled_or_404(db, scheduled_id)
    form = CancelForm() if request.method == "POST" else CancelForm(formdata=None, data={
        "base_version": str(visit["version"])})
    errors = {}
    if request.method == "POST":
        if form.validate():
            try:
                with db.atomic():
                    domain.cancel_visit(db, scheduled_id, base_version=int(form.base_version.data),
                                        reason=form.reason.data, author_id=g.practitioner["id"], now=datetime.now())
                    audit.record(db, g.practitioner["id"], "write", "scheduled_visit", scheduled_id, request.path)
                flash("The visit is cancelled. It stays in the family's rota history.")
                return redirect(url_for("rota.family_rota", family_id=visit["family_id"]))
            except domain.RotaConflict as conflict:
                return render_conflict(family, conflict, form, "cancel")
            except domain.RotaInvalid as invalid:
                errors = invalid.errors
        else:
            errors = records.form_errors(form)
    audit_visit_read(db, visit)
    return render_template("rota/cancel.html", family=family, visit=visit, form=form,
                           errors=errors), 400 if errors else 200


def audit_visit_read(db, visit):
    """A change or cancel form shows the scheduled visit and its family (issue 14, "Audit gaps")."""
    audit.record(db, g.practitioner["id"], "read", "scheduled_visit", visit["id"], request.path)
    audit.record(db, g.practitioner["id"], "read", "family", visit["family_id"], request.path)


def render_conflict(family, conflict, form, attempted):
    """Someone changed the visit since this form was opened: show both, change nothing."""
    db = get_db()
    audit.record(db, g.practitioner["id"], "read", "scheduled_visit", conflict.current["id"], request.path)
    audit.record(db, g.practitioner["id"], "read", "family", family["id"], request.path)
    return render_template("rota/conflict.html", family=family, current=conflict.current,
                           changes=conflict.changes, form=form, attempted=attempted), 409


# --- a plan's visiting rules (rule 15) ---------------------------------------------------

@bp.route("/children/<int:child_id>/visiting-rules", methods=["GET", "POST"])
@roles_required("team_lead")
def visiting_rules(child_id):
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    if child["plan"] == "none":
        abort(404)
    family = families.family(db, child["family_id"])
    [child] = children_with_status(db, [child], date.today(), settings.load(db))
    rules = child["rules"]
    form = VisitingRulesForm() if request.method == "POST" else VisitingRulesForm(formdata=None, data={
        "every_working_days": rules["every_working_days"], "seen_alone_every_visits": rules["seen_alone_every_visits"],
        "bedroom_seen_every_visits": rules["bedroom_seen_every_visits"],
        "unannounced": "yes" if rules["unannounced"] else "no"})
    errors = {}
    if request.method == "POST":
        if form.validate():
            try:
                with db.atomic():
                    domain.set_visiting_rules(db, child_id, {
                        "every_working_days": form.every_working_days.data,
                        "seen_alone_every_visits": form.seen_alone_every_visits.data,
                        "bedroom_seen_every_visits": form.bedroom_seen_every_visits.data,
                        "unannounced": form.unannounced.data == "yes", "reason": form.reason.data,
                    }, g.practitioner["id"], datetime.now())
                    audit.record(db, g.practitioner["id"], "write", "child", child_id, request.path)
                flash(f"{child['first_name']}'s visiting rules are saved.")
                return redirect(url_for("rota.family_rota", family_id=family["id"]))
            except domain.RotaInvalid as invalid:
                errors = invalid.errors
        else:
            errors = records.form_errors(form)
    else:
        audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template("rota/rules.html", child=child, family=family, form=form, errors=errors,
                           history=domain.visiting_rules_history(db, child_id)), 400 if errors else 200


# --- proposed unannounced visits (rule 16) -------------------------------------------------

def proposals_for(db, family_id, practitioner_id, children, partnership):
    today = date.today()
    until = today + timedelta(weeks=partnership["unannounced_proposal_weeks"])
    inputs = domain.family_proposal_inputs(db, family_id, practitioner_id, children, today, until)
    if not inputs["every"]:
        return [], inputs
    proposals = domain.propose_unannounced(
        today=today, every=inputs["every"], last_visit=inputs["last_visit"], until=until,
        rng=random.SystemRandom(), fixed_days=inputs["fixed_days"], history=inputs["history"],
        practitioner_busy=inputs["practitioner_busy"], hours=tuple(partnership["unannounced_visit_hours"]))
    return proposals, inputs


@bp.route("/families/<int:family_id>/rota/unannounced", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def propose_unannounced(family_id):
    db = get_db()
    family = access.family_or_404(db, g.practitioner, family_id)
    partnership = settings.load(db)
    children = children_with_status(db, families.children_of_family(db, family_id), date.today(), partnership)
    choices = practitioner_choices(db, family_id)
    errors = {}
    inputs = None
    if request.method == "POST":
        form = ProposalsForm()
        form.practitioner_id.choices = choices
        form.late = set()
        if form.validate():
            try:
                with db.atomic():
                    for index, entry in enumerate(form.proposals):
                        if not entry.include.data:
                            continue
                        try:
                            scheduled_id = domain.schedule_visit(
                                db, family_id=family_id, practitioner_id=form.practitioner_id.data,
                                visit_type="unannounced", due_at=when(entry.form), joint=False,
                                reason="Unannounced visit, from the rota's proposals", author_id=g.practitioner["id"],
                                now=datetime.now())
                        except domain.RotaInvalid as invalid:
                            raise domain.RotaInvalid({f"proposals-{index}-{key}" if key.startswith("due") else key: message
                                                      for key, message in invalid.errors.items()})
                        audit.record(db, g.practitioner["id"], "write", "scheduled_visit", scheduled_id, request.path)
                count = sum(1 for entry in form.proposals if entry.include.data)
                flash(f"{count} unannounced visit{'s are' if count != 1 else ' is'} on the rota.")
                return redirect(url_for("rota.family_rota", family_id=family_id))
            except domain.RotaInvalid as invalid:
                errors = invalid.errors
        else:
            errors = records.form_errors(form)
    else:
        practitioner_id = request.args.get("practitioner_id", type=int)
        if practitioner_id not in {c[0] for c in choices}:
            practitioner_id = default_practitioner(db, family_id, choices)
        proposals, inputs = proposals_for(db, family_id, practitioner_id, children, partnership)
        form = ProposalsForm(formdata=None, data={"practitioner_id": practitioner_id, "proposals": [
            {"include": True, "due_date": p.day, "due_time": p.at} for p in proposals]})
        form.practitioner_id.choices = choices
        form.late = {index for index, p in enumerate(proposals) if p.late}
        audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    days = [day_for(db, family_id, entry.due_date.data, form.practitioner_id.data) for entry in form.proposals]
    return render_template("rota/unannounced.html", family=family, form=form, errors=errors, inputs=inputs,
                           children=children, partnership=partnership, days=days), 400 if errors else 200


def default_practitioner(db, family_id, choices):
    """The family's assigned practitioner from the lead's team, else the first who may visit."""
    assigned = domain.assigned_in_team(db, family_id, g.practitioner["team_id"])
    allowed = [c[0] for c in choices]
    if g.practitioner["id"] in allowed and g.practitioner["role"] != "team_lead":
        return g.practitioner["id"]
    # Never another agency's practitioner by default (issue 12): the lead's own agency first.
    own_agency = [p["id"] for p in domain.eligible_practitioners(db, family_id)
                  if p["agency_id"] == g.practitioner["agency_id"] and p["id"] in allowed]
    return next((p for p in assigned if p in allowed), own_agency[0] if own_agency else allowed[0] if allowed else None)


# --- what the family may see ---------------------------------------------------------------

@bp.get("/families/<int:family_id>/rota/letter")
@roles_required(*RECORDERS)
def family_letter(family_id):
    """The visits arranged with the family, to give them. Never an unannounced visit (rule 16)."""
    db = get_db()
    family = access.family_or_404(db, g.practitioner, family_id)
    visits = domain.planned_visits_from(db, family_id, datetime.now().isoformat(timespec="minutes"))
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    return render_template("rota/letter.html", family=family, visits=visits)
