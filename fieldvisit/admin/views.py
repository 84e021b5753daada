"""Admin: the practitioners and teams of the instance, the partnership's settings, and importing
practitioners from a staff directory. Admins see no family records; for anyone else these pages
do not exist (404)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from fieldvisit import audit, settings
from fieldvisit.access import ROLES
from fieldvisit.admin import domain, practitioners_import
from fieldvisit.admin.forms import (ConfirmForm, ImportForm, PractitionerForm, SettingForm, TeamForm,
                                    setting_fields, setting_from_form, shown)
from fieldvisit.auth import second_factor
from fieldvisit.auth.views import roles_required
from fieldvisit.db import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")
# A form posted after its token expired (flask-wtf refuses it): say so, and keep what was typed.
EXPIRED = "The form had expired: check the details and save again"


@bp.app_template_filter("setting_shown")
def setting_shown(value):
    return shown(value)


@bp.app_template_filter("setting_label")
def setting_label(key):
    return settings.schema_of(key)["label"]


def errors_of(form):
    """The form's own errors (length limits), first message per field."""
    return {name: messages[0] for name, messages in form.errors.items() if messages and name != "csrf_token"}


# --- practitioners -------------------------------------------------------------------------

@bp.get("/practitioners")
@roles_required("admin")
def practitioners():
    return render_template("admin/practitioners.html", practitioners=domain.practitioners(get_db()), roles=ROLES)


def practitioner_or_404(db, practitioner_id):
    found = domain.practitioner(db, practitioner_id)
    if found is None:
        abort(404)
    return found


def render_practitioner_form(db, form, errors, practitioner=None):
    form.fill_choices(domain.agencies(db), domain.teams(db))
    return render_template("admin/practitioner_form.html", form=form, errors=errors, practitioner=practitioner,
                           registers=domain.REGISTRATION_BODIES), 400 if errors else 200


def posted_practitioner(db, form, practitioner_id=None):
    """(values, errors) of the practitioner form as posted: the form's own errors (or an expired page)
    first; an admin editing their own account cannot take away their admin role."""
    if not form.validate_on_submit():
        return None, errors_of(form) or {"display_name": EXPIRED}
    values = domain.clean_practitioner(request.form)
    if practitioner_id is not None and practitioner_id == g.practitioner["id"] and values["role"] != "admin":
        return values, {"role": "You cannot take away your own admin role: ask another admin"}
    return values, domain.practitioner_errors(db, values, practitioner_id)


@bp.route("/practitioners/new", methods=["GET", "POST"])
@roles_required("admin")
def new_practitioner():
    db = get_db()
    form = PractitionerForm()
    errors = {}
    if request.method == "POST":
        values, errors = posted_practitioner(db, form)
        if not errors:
            practitioner_id = domain.create_practitioner(db, values, g.practitioner["id"], request.path)
            flash(f"{values['display_name']}'s account is made. Issue a one-time code for them to set a password.")
            return redirect(url_for("admin.show_practitioner", practitioner_id=practitioner_id))
    return render_practitioner_form(db, form, errors)


@bp.get("/practitioners/<int:practitioner_id>")
@roles_required("admin")
def show_practitioner(practitioner_id):
    db = get_db()
    practitioner = practitioner_or_404(db, practitioner_id)
    audit.record(db, g.practitioner["id"], "read", "practitioner", practitioner_id, request.path)
    return render_template("admin/practitioner.html", practitioner=practitioner, roles=ROLES, form=ConfirmForm(),
                           registers=domain.REGISTRATION_BODIES, pending_code=domain.pending_reset(db, practitioner_id),
                           has_second_factor=second_factor.is_enrolled(db, practitioner_id))


@bp.route("/practitioners/<int:practitioner_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_practitioner(practitioner_id):
    db = get_db()
    practitioner = practitioner_or_404(db, practitioner_id)
    if request.method == "GET":
        data = {name: "" if practitioner[name] is None else str(practitioner[name]) for name in domain.FIELDS}
        form = PractitionerForm(formdata=None, data=data)
        return render_practitioner_form(db, form, {}, practitioner)
    form = PractitionerForm()
    values, errors = posted_practitioner(db, form, practitioner_id)
    if not errors:
        domain.update_practitioner(db, practitioner_id, values, g.practitioner["id"], request.path)
        flash(f"{values['display_name']}'s details are saved.")
        return redirect(url_for("admin.show_practitioner", practitioner_id=practitioner_id))
    return render_practitioner_form(db, form, errors, practitioner)


def change_active(practitioner_id, active):
    """Deactivate or reactivate an account once the page's ConfirmForm is confirmed; back to its page.
    An admin cannot deactivate their own account."""
    db = get_db()
    practitioner = practitioner_or_404(db, practitioner_id)
    if ConfirmForm().validate_on_submit():
        if not active and practitioner_id == g.practitioner["id"]:
            flash("You cannot deactivate your own account: ask another admin.")
        else:
            domain.set_active(db, practitioner_id, active, g.practitioner["id"], request.path)
            flash(f"{practitioner['display_name']} is active again." if active else
                  f"{practitioner['display_name']} is deactivated: they can no longer sign in. Their records stay.")
    return redirect(url_for("admin.show_practitioner", practitioner_id=practitioner_id))


@bp.post("/practitioners/<int:practitioner_id>/deactivate")
@roles_required("admin")
def deactivate_practitioner(practitioner_id):
    return change_active(practitioner_id, False)


@bp.post("/practitioners/<int:practitioner_id>/reactivate")
@roles_required("admin")
def reactivate_practitioner(practitioner_id):
    return change_active(practitioner_id, True)


@bp.post("/practitioners/<int:practitioner_id>/reset-code")
@roles_required("admin")
def issue_reset_code(practitioner_id):
    """Issue a one-time code and show it this once (the page is not cached: HTML is no-store)."""
    db = get_db()
    practitioner = practitioner_or_404(db, practitioner_id)
    if not practitioner["active"] or not ConfirmForm().validate_on_submit():
        flash("A code can only be issued for an active account.")
        return redirect(url_for("admin.show_practitioner", practitioner_id=practitioner_id))
    code, expires = domain.issue_reset_code(db, practitioner_id, g.practitioner["id"], request.path)
    return render_template("admin/reset_code.html", practitioner=practitioner, code=code, expires=expires,
                           hours=domain.RESET_CODE_HOURS)


@bp.post("/practitioners/<int:practitioner_id>/reset-second-factor")
@roles_required("admin")
def reset_second_factor(practitioner_id):
    """Remove someone's authenticator app (issue 14): they set up a new one (audited)."""
    db = get_db()
    practitioner_or_404(db, practitioner_id)
    if ConfirmForm().validate_on_submit() and domain.reset_second_factor(db, practitioner_id, g.practitioner["id"],
                                                                         request.path):
        flash("Their code is reset. They set up an authenticator app again when they next sign in, and they have "
              "been signed out everywhere.")
    else:
        flash("They had no code to reset.")
    return redirect(url_for("admin.show_practitioner", practitioner_id=practitioner_id))


# --- teams ---------------------------------------------------------------------------------

@bp.get("/teams")
@roles_required("admin")
def teams():
    return render_template("admin/teams.html", teams=domain.teams(get_db()))


def render_team_form(db, form, errors, team=None):
    form.fill_choices(domain.agencies(db), domain.team_leads(db))
    return render_template("admin/team_form.html", form=form, errors=errors, team=team), 400 if errors else 200


def save_team_from(db, form, team_id=None):
    if not form.validate_on_submit():
        return None, errors_of(form) or {"name": EXPIRED}
    values = domain.clean_team(request.form)
    errors = domain.team_errors(db, values, team_id)
    if errors:
        return None, errors
    domain.save_team(db, values, g.practitioner["id"], request.path, team_id)
    flash(f"The team {values['name']} is saved.")
    return redirect(url_for("admin.teams")), {}


@bp.route("/teams/new", methods=["GET", "POST"])
@roles_required("admin")
def new_team():
    db = get_db()
    form = TeamForm()
    errors = {}
    if request.method == "POST":
        done, errors = save_team_from(db, form)
        if done:
            return done
    return render_team_form(db, form, errors)


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_team(team_id):
    db = get_db()
    team = domain.team(db, team_id)
    if team is None:
        abort(404)
    if request.method == "GET":
        form = TeamForm(formdata=None, data={"name": team["name"], "agency_id": str(team["agency_id"]),
                                             "lead_id": str(team["lead_id"] or "")})
        return render_team_form(db, form, {}, team)
    form = TeamForm()
    done, errors = save_team_from(db, form, team_id)
    return done or render_team_form(db, form, errors, team)


# --- partnership settings ------------------------------------------------------------------

@bp.get("/settings")
@roles_required("admin")
def partnership_settings():
    db = get_db()
    current = settings.load(db)
    rows = [{"key": key, "schema": settings.schema_of(key), "value": current[key], "default": default,
             "changed": current[key] != default} for key, default in settings.DEFAULTS.items()]
    return render_template("admin/settings.html", rows=rows, history=settings.history(db),
                           saved=request.args.get("saved"))


@bp.route("/settings/<key>", methods=["GET", "POST"])
@roles_required("admin")
def change_setting(key):
    if key not in settings.DEFAULTS:
        abort(404)
    db = get_db()
    current = settings.load(db)[key]
    form = SettingForm()
    errors, fields = {}, setting_fields(key, current)
    if request.method == "POST":
        validated = form.validate_on_submit()
        value, errors = setting_from_form(key, request.form, settings.DEFAULTS[key])
        errors.update(errors_of(form))
        if not validated and not errors:
            errors["reason"] = "The form had expired: check the value and save again"
        if not (form.reason.data or "").strip():
            errors["reason"] = "Give the reason for the change"
        if not errors:
            problems = settings.problems(key, value)
            if problems:
                errors[fields[0]["name"]] = " ".join(problems)
            elif value == current:
                errors[fields[0]["name"]] = "This is the value already in force: change it, or go back"
        if not errors:
            settings.change(db, key, value, form.reason.data, g.practitioner["id"], domain.now_utc().isoformat())
            audit.record(db, g.practitioner["id"], "write", "partnership_setting", key, request.path)
            return redirect(url_for("admin.partnership_settings", saved=key) + f"#{key}")
        typed = {name: request.form.get(name, "") for name in request.form}
        fields = [dict(field, value=typed.get(field["name"], field["value"])) for field in fields]
    return render_template("admin/setting.html", key=key, schema=settings.schema_of(key), fields=fields,
                           default=settings.DEFAULTS[key], current=current, form=form, errors=errors,
                           history=settings.history(db, key)), 400 if errors else 200


# --- importing practitioners ---------------------------------------------------------------

@bp.route("/import/practitioners", methods=["GET", "POST"])
@roles_required("admin")
def import_practitioners():
    """Upload a staff directory export: a dry run first, then the same file applied."""
    db = get_db()
    form = ImportForm()
    if request.method == "GET":
        return render_template("admin/import.html", form=form, columns=practitioners_import.COLUMNS, errors={})
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form, columns=practitioners_import.COLUMNS,
                               errors={"file": "The form had expired: choose the file again"}), 400
    applying = request.form.get("apply") == "yes"
    upload = request.files.get("file")
    data = upload.read() if upload and upload.filename else (form.content.data or "").encode("utf-8")
    if not data:
        return render_template("admin/import.html", form=form, columns=practitioners_import.COLUMNS,
                               errors={"file": "Choose a CSV file"}), 400
    try:
        report = practitioners_import.import_practitioners(db, data, applying, request.path, g.practitioner["id"])
    except practitioners_import.StructuralError as error:
        return render_template("admin/import.html", form=form, columns=practitioners_import.COLUMNS,
                               errors={"file": str(error)}), 400
    counts = practitioners_import.summary(report)
    applied = applying and not counts["refuse"]
    return render_template("admin/import_report.html", report=report, counts=counts, applied=applied,
                           content=data.decode("utf-8-sig"), form=form, roles=ROLES)
