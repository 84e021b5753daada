"""The family page (children, plans, mobility, recent visits and amendments) and the child page;
team leads (their team's families) and admins (any) create and keep families right (issue 10)."""
import json
from datetime import date, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from fieldvisit import access, audit, settings
from fieldvisit.auth.views import login_required, roles_required
from fieldvisit.families import cases, imports
from fieldvisit.families.domain import (MOBILITY, PLAN_CATEGORIES, PLAN_END_REASONS, PLANS,
                                        children_with_status, find_families)
from fieldvisit.families.forms import posted, shown
from fieldvisit.db import get_db
from fieldvisit.families import queries
from fieldvisit.safe_sleep import rules as safe_sleep
from fieldvisit.today.queries import upcoming_visits

bp = Blueprint("families", __name__)


@bp.get("/families")
@roles_required(*access.RECORDING_ROLES)  # an admin sees no family, so has no list of them (issue 12)
def my_families():
    db = get_db()
    sql, params = access.visible_families_sql(g.practitioner)
    query = request.args.get("q", "").strip()[:100]
    if query:  # find a family among those I may see (issue 12)
        families = find_families(db, sql, params, query)
    else:
        families = queries.visible_families(db, sql, params)
    # The families whose pages the tablet keeps (those of the visits on Today), to find with no signal.
    kept = sorted({visit["family_id"] for visit in upcoming_visits(
        db, g.practitioner, date.today(), settings.load(db)["today_days_ahead"])})
    audit.record_many(db, g.practitioner["id"], "read", "family", sorted({f["id"] for f in families} | set(kept)),
                      request.path)
    return render_template("families/list.html", families=families, query=query,
                           index=queries.search_index(db, kept))


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
                           assigned=assigned, visits=queries.recent_visits(db, family_id),
                           may_manage=cases.may_manage(g.practitioner, family),
                           changes=cases.change_history(db, family_id, limit=20))


@bp.get("/children/<int:child_id>")
@login_required
def show_child(child_id):
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    family = queries.family(db, child["family_id"])
    [child] = children_with_status(db, [child], date.today(), settings.load(db))
    visits = queries.child_visits(db, child_id)
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template("families/child.html", child=child, family=family, visits=visits,
                           may_manage=cases.may_manage(g.practitioner, family),
                           mobility_history=cases.mobility_history(db, child_id),
                           plans=cases.plan_history(db, child_id),
                           changes=cases.change_history(db, family["id"], "child", child_id, limit=30),
                           sleep_flags=safe_sleep.flags_for_child(db, child_id))


# --- keeping families right: team leads (their team's families) and admins (any) -------------------

MANAGERS = ("team_lead", "admin")


def managed(family_id):
    db = get_db()
    return db, access.managed_family_or_404(db, g.practitioner, family_id)


def managed_child(child_id):
    db = get_db()
    family_id = cases.family_of(db, "child", child_id)
    if family_id is None:
        abort(404)
    family = access.managed_family_or_404(db, g.practitioner, family_id)
    return db, family, db["children"].get(child_id)


def team_choices(db):
    return [(str(t["id"]), f"{t['name']} ({t['agency_name']})") for t in cases.teams(db)]


def page(template, errors=None, **context):
    """A form page; 400 when it is shown again with errors (GOV.UK error summary at the top)."""
    errors = errors or {}
    return render_template(template, errors=errors, **context), 400 if errors else 200


def saved(message, endpoint, **values):
    flash(message)
    return redirect(url_for(endpoint, **values))


def now_and_today():
    now = datetime.now()
    return now, now.date()


def store_posted(db, entity, store, entity_id=None):
    """Store what a form posted and audit the write, in one transaction: `store(now, today)` returns
    the id of the `entity` written (or give `entity_id`). Returns (the id, {}) or (None, the errors
    to show with the form)."""
    now, today = now_and_today()
    try:
        with db.atomic():
            written = store(now, today)
            entity_id = written if entity_id is None else entity_id
            audit.record(db, g.practitioner["id"], "write", entity, entity_id, request.path)
    except cases.CaseInvalid as invalid:
        return None, invalid.errors
    return entity_id, {}


def managed_adult(adult_id):
    db = get_db()
    family_id = cases.family_of(db, "adult", adult_id)
    if family_id is None:
        abort(404)
    family = access.managed_family_or_404(db, g.practitioner, family_id)
    return db, family, db["adults"].get(adult_id)


def child_form(db, family, child, values, errors):
    return page("families/child_form.html", errors, values=values, family=family, child=child, mobility=MOBILITY,
                non_mobile_under_months=settings.load(db)["non_mobile_under_months"])


def adult_form(family, adult, values, errors):
    return page("families/adult_form.html", errors, values=values, family=family, adult=adult, lives=cases.LIVES)


@bp.get("/families/manage")
@roles_required(*MANAGERS)
def manage_families():
    """The families this lead's team holds (or, for an admin, every team's), open and closed."""
    db = get_db()
    families = cases.managed_families(db, g.practitioner)
    audit.record_many(db, g.practitioner["id"], "read", "family", [f["id"] for f in families], request.path)
    return render_template("families/manage_list.html", families=families)


@bp.route("/families/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_family():
    db = get_db()
    errors, values = {}, shown(None, "family")
    if g.practitioner["role"] == "team_lead":
        values["team_id"] = str(g.practitioner["team_id"])
    if request.method == "POST":
        values = posted(request.form, "family")
        if g.practitioner["role"] == "team_lead":
            values["team_id"] = str(g.practitioner["team_id"])  # a lead adds families to their own team
        family_id, errors = store_posted(
            db, "family", lambda now, today: cases.create_family(db, values, g.practitioner["id"], now))
        if not errors:
            return saved(f"{values['name']} is added. Now add the children.", "families.new_child", family_id=family_id)
    return page("families/family_form.html", errors, values=values, family=None, teams=team_choices(db))


@bp.get("/families/<int:family_id>/manage")
@roles_required(*MANAGERS)
def manage_family(family_id):
    db, family = managed(family_id)
    children, adults = cases.household(db, family_id)
    team = db["teams"].get(family["team_id"])
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    audit.record_many(db, g.practitioner["id"], "read", "child", [c["id"] for c in children], request.path)
    return render_template("families/manage.html", family=family, team=team, children=children, adults=adults,
                           assigned=cases.current_assignments(db, family_id),
                           changes=cases.change_history(db, family_id), today=date.today())


@bp.route("/families/<int:family_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_family(family_id):
    db, family = managed(family_id)
    errors, values = {}, shown(family, "family")
    if request.method == "POST":
        values = dict(posted(request.form, "family"), team_id=str(family["team_id"]))
        _, errors = store_posted(db, "family", lambda now, today: cases.update_family(
            db, family_id, values, g.practitioner["id"], now), family_id)
        if not errors:
            return saved("The family's details are saved.", "families.manage_family", family_id=family_id)
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    return page("families/family_form.html", errors, values=values, family=family, teams=team_choices(db))


@bp.route("/families/<int:family_id>/close", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def close_family(family_id):
    db, family = managed(family_id)
    errors, values = {}, {"closed_on": date.today().isoformat(), "reason": ""}
    if request.method == "POST":
        values = posted(request.form, "close")
        _, errors = store_posted(db, "family", lambda now, today: cases.close_family(
            db, family_id, values, g.practitioner["id"], now, today), family_id)
        if not errors:
            return saved(f"{family['name']}'s case is closed. Its records are kept.", "families.manage_family",
                         family_id=family_id)
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    return page("families/close.html", errors, values=values, family=family)


@bp.route("/families/<int:family_id>/transfer", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def transfer_family(family_id):
    db, family = managed(family_id)
    errors, values = {}, {"team_id": "", "reason": ""}
    if request.method == "POST":
        values = posted(request.form, "transfer")
        _, errors = store_posted(db, "family", lambda now, today: cases.transfer_family(
            db, family_id, values, g.practitioner["id"], now), family_id)
        if not errors:
            flash(f"{family['name']} has moved to another team.")
            if g.practitioner["role"] == "admin":
                return redirect(url_for("families.manage_family", family_id=family_id))
            return redirect(url_for("families.manage_families"))
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    teams = [choice for choice in team_choices(db) if choice[0] != str(family["team_id"])]
    return page("families/transfer.html", errors, values=values, family=family, teams=teams)


@bp.route("/families/<int:family_id>/children/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_child(family_id):
    db, family = managed(family_id)
    errors, values = {}, shown({"last_name": family["name"].removesuffix(" household")}, "child")
    if request.method == "POST":
        values = posted(request.form, "child")
        _, errors = store_posted(db, "child", lambda now, today: cases.add_child(
            db, family_id, values, g.practitioner["id"], now, today))
        if not errors:
            return saved(f"{values['first_name']} is added.", "families.manage_family", family_id=family_id)
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    return child_form(db, family, None, values, errors)


@bp.route("/children/<int:child_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_child(child_id):
    db, family, child = managed_child(child_id)
    errors, values = {}, shown(child, "child")
    if request.method == "POST":
        values = posted(request.form, "child")
        _, errors = store_posted(db, "child", lambda now, today: cases.update_child(
            db, child_id, values, g.practitioner["id"], now, today), child_id)
        if not errors:
            return saved(f"{values['first_name']}'s details are saved.", "families.manage_family", family_id=family["id"])
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return child_form(db, family, child, values, errors)


@bp.route("/families/<int:family_id>/adults/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_adult(family_id):
    db, family = managed(family_id)
    errors, values = {}, shown(None, "adult")
    if request.method == "POST":
        values = posted(request.form, "adult")
        _, errors = store_posted(db, "adult", lambda now, today: cases.add_adult(
            db, family_id, values, g.practitioner["id"], now))
        if not errors:
            return saved(f"{values['name']} is added.", "families.manage_family", family_id=family_id)
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    return adult_form(family, None, values, errors)


@bp.route("/adults/<int:adult_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_adult(adult_id):
    db, family, adult = managed_adult(adult_id)
    errors, values = {}, shown(adult, "adult")
    if request.method == "POST":
        values = posted(request.form, "adult")
        _, errors = store_posted(db, "adult", lambda now, today: cases.update_adult(
            db, adult_id, values, g.practitioner["id"], now), adult_id)
        if not errors:
            return saved(f"{values['name']}'s details are saved.", "families.manage_family", family_id=family["id"])
    audit.record(db, g.practitioner["id"], "read", "family", family["id"], request.path)
    return adult_form(family, adult, values, errors)


def plan_page(db, family, child, errors=None, values=None, end_values=None):
    plan = cases.current_plan(db, child["id"])
    if values is None:
        values = {"plan": plan["plan"], "category": plan["category"] or "", "start_date": plan["start_date"],
                  "review_date": plan["review_date"] or ""} if plan else shown(None, "plan")
    end_values = end_values or dict(shown(None, "plan_end"), end_date=date.today().isoformat())
    return page("families/plan.html", errors, family=family, child=child, plan=plan, values=values,
                end_values=end_values, plans={k: v for k, v in PLANS.items() if k != "none"},
                categories=PLAN_CATEGORIES, end_reasons=PLAN_END_REASONS, history=cases.plan_history(db, child["id"]))


@bp.route("/children/<int:child_id>/plan", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def child_plan(child_id):
    """Start a plan, or correct the one in force (category, start or review date)."""
    db, family, child = managed_child(child_id)
    if request.method == "POST":
        values = posted(request.form, "plan")

        def store(now, today):
            change = cases.update_plan if cases.current_plan(db, child_id) else cases.start_plan
            change(db, child_id, values, g.practitioner["id"], now, today)
        _, errors = store_posted(db, "child", store, child_id)
        if errors:
            return plan_page(db, family, child, errors, values=values)
        return saved(f"{child['first_name']}'s plan is saved.", "families.manage_family", family_id=family["id"])
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return plan_page(db, family, child)


@bp.route("/children/<int:child_id>/plan/end", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def end_child_plan(child_id):
    """End the plan in force with the date and why; a step down starts the next plan."""
    db, family, child = managed_child(child_id)
    if request.method == "GET":
        return redirect(url_for("families.child_plan", child_id=child_id))
    values = posted(request.form, "plan_end")
    _, errors = store_posted(db, "child", lambda now, today: cases.end_plan(
        db, child_id, values, g.practitioner["id"], now, today), child_id)
    if errors:
        return plan_page(db, family, child, errors, end_values=values)
    return saved(f"{child['first_name']}'s plan has ended.", "families.manage_family", family_id=family["id"])


@bp.route("/children/<int:child_id>/mobility", methods=["GET", "POST"])
@roles_required(*access.RECORDING_ROLES)
def record_mobility(child_id):
    """How the child moves about now (rule 1), recorded by whoever sees the child, e.g. on a visit."""
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    visit_id = request.args.get("visit") or None
    if visit_id and access.visit_or_404(db, g.practitioner, visit_id) != child["family_id"]:
        abort(404)
    errors, values = {}, {"mobility": child["mobility"] or "", "recorded_on": date.today().isoformat(), "note": ""}
    if request.method == "POST":
        values = posted(request.form, "mobility")
        _, errors = store_posted(db, "child", lambda now, today: cases.record_mobility(
            db, child_id, values, g.practitioner["id"], now, today, visit_id=visit_id), child_id)
        if not errors:
            flash(f"{child['first_name']}'s mobility is recorded.")
            if visit_id:
                return redirect(url_for("visits.show_visit", visit_id=visit_id))
            return redirect(url_for("families.show_child", child_id=child_id))
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return page("families/mobility.html", errors, values=values, child=child, mobility=MOBILITY,
                non_mobile_under_months=settings.load(db)["non_mobile_under_months"], visit_id=visit_id,
                history=cases.mobility_history(db, child_id))


def assignments_page(db, family, errors=None, values=None):
    people = cases.assignable_practitioners(db, family["id"])
    choices = [(str(p["id"]), f"{p['display_name']}, {p['role'].replace('_', ' ')} ({p['agency_name'] or 'no agency'})")
               for p in people if p["id"] != g.practitioner["id"]]
    return page("families/assignments.html", errors, family=family, values=values or {"practitioner_id": ""},
                may_manage=cases.may_manage(g.practitioner, family),
                choices=choices, assigned=cases.current_assignments(db, family["id"]),
                ended=cases.ended_assignments(db, family["id"]))


@bp.route("/families/<int:family_id>/assignments", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def family_assignments(family_id):
    """Who works with the family (the multi-agency core group): assign a practitioner of any agency.

    A lead who sees another team's family (one of their team is assigned to it) sees who is
    assigned, and is told that only its own team's lead assigns; any other family is a 404."""
    db = get_db()
    if g.practitioner["role"] == "admin":
        family = access.managed_family_or_404(db, g.practitioner, family_id)
    else:
        family = access.family_or_404(db, g.practitioner, family_id)
    if request.method == "POST":
        values = posted(request.form, "assign")
        _, errors = store_posted(db, "assignment", lambda now, today: cases.assign(
            db, family_id, values, g.practitioner, now, today))
        if errors:
            return assignments_page(db, family, errors, values)
        return saved("The practitioner is assigned: they see the family from now on.",
                     "families.family_assignments", family_id=family_id)
    audit.record(db, g.practitioner["id"], "read", "family", family_id, request.path)
    return assignments_page(db, family)


@bp.post("/families/<int:family_id>/assignments/<int:practitioner_id>/end")
@roles_required(*MANAGERS)
def end_assignment(family_id, practitioner_id):
    db, family = managed(family_id)
    values = posted(request.form, "end_assignment")
    _, errors = store_posted(db, "assignment", lambda now, today: cases.end_assignment(
        db, family_id, practitioner_id, values, g.practitioner["id"], now, today), f"{family_id}/{practitioner_id}")
    if errors:
        abort(404)
    return saved("The assignment has ended: the practitioner no longer sees the family, and their tablet drops it"
                 " at its next sync.", "families.family_assignments", family_id=family_id)


@bp.route("/families/import", methods=["GET", "POST"])
@roles_required("admin")
def import_families():
    """Upload a case system's export: a dry run first, then apply the same file."""
    report, apply = None, False
    if request.method == "POST":
        upload = request.files.get("file")
        apply = request.form.get("apply") == "yes"
        if upload is None or not upload.filename:
            return page("families/import.html", {"file": "Choose a CSV file to upload"}, report=None, apply=False,
                        columns=imports.COLUMNS)
        db = get_db()
        report = imports.import_families(db, upload.read(), apply=apply, actor_id=g.practitioner["id"],
                                         route=request.path)
    return render_template("families/import.html", errors={}, report=report, apply=apply, columns=imports.COLUMNS)
