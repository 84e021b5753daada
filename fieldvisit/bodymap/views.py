"""Body-map pages: record marks on a figure for a child seen on a visit, complete (lock) the
body map, amend a mark, print it, and see a child's earlier marks on the figure."""
import hashlib
import uuid
from datetime import date, datetime

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from fieldvisit import access, audit, records, settings
from fieldvisit.offline import views as offline_views
from fieldvisit.auth.views import login_required, roles_required
from fieldvisit.bodymap import domain, figures, rules
from fieldvisit.bodymap.forms import (CompletionForm, HistoryFilterForm, MarkAmendmentForm, MarkForm,
                                      mark_form_data)
from fieldvisit.db import get_db
from fieldvisit.families import queries as families
from fieldvisit.families.domain import age_in_months, describe_age
from fieldvisit.filters import date_time, long_date
from fieldvisit.visits import domain as visits
from sync import is_uuid

bp = Blueprint("bodymap", __name__)
RECORDERS = tuple(access.RECORDING_ROLES)


def now_local():
    return datetime.now().isoformat(timespec="seconds")


# --- what every body-map page needs ------------------------------------------------------------

def visit_and_child_or_404(db, visit_id, child_id):
    """The visit, child and family of a body map; 404 unless this practitioner may see them together."""
    family_id = access.visit_or_404(db, g.practitioner, visit_id)
    child = access.child_or_404(db, g.practitioner, child_id)
    if child["family_id"] != family_id:
        abort(404)
    visit = domain.visit_for_page(db, visit_id, child_id)
    return visit, child, families.family(db, family_id)


def chosen_figure(child, partnership):
    """The figure asked for, or the one for the child's age today."""
    asked = request.values.get("figure")
    if asked in figures.FIGURES:
        return asked
    return figures.figure_for_age(age_in_months(child["date_of_birth"], date.today()), partnership)


def child_facts(child, partnership, on):
    """The facts the page shows before anything is saved: mobility, plan, age, the TEN-4 prompt."""
    return {
        "age": describe_age(child["date_of_birth"], on),
        "age_months": age_in_months(child["date_of_birth"], on),
        "not_mobile": rules.not_independently_mobile(child, on, partnership),
        "on_protection_plan": child["plan"] == "child_protection",
        "ten4": rules.ten4_prompt_applies(child, on, partnership),
        "non_mobile_pathway": rules.non_mobile_pathway(partnership),
        "protection_plan_pathway": rules.protection_plan_pathway(partnership),
        "maltreatment_pathway": rules.maltreatment_pathway(partnership),
    }


def markers(marks, figure, faded=False):
    """{view key: [marker]} for drawing marks on a figure, wherever on a figure they were recorded."""
    by_view = {}
    for mark in marks:
        x, y = figures.place_on(figure, mark["view"], mark["region"], mark["x"], mark["y"], mark["figure"])
        by_view.setdefault(mark["view"], []).append({
            "label": str(mark["number"]) if not faded else short_date(mark["observed_at"]),
            "number": mark["number"], "x": x, "y": y, "faded": faded, "mark": mark})
    return by_view


def short_date(value):
    """'2026-03-12T10:30' -> '12/3/26', short enough to sit beside a marker."""
    day = date.fromisoformat(value[:10])
    return f"{day.day}/{day.month}/{day.year % 100:02d}"


def pending_marker(form, figure):
    """The marker of a mark being recorded (after an error it is still where it was put)."""
    view_key, region_key = figures.parse_region(form.region.data)
    drawing = figures.view(figure, view_key) if view_key else None
    if drawing is None or drawing.region(region_key) is None:
        return None
    x, y = form.x.data, form.y.data
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        x, y = drawing.spot(region_key)
    return {"view": view_key, "x": x, "y": y}


def ten4_notes(marks, child, partnership):
    """{mark id: [advisory reasons]} for marks with TEN-4-FACESp features (children under 4)."""
    notes = {}
    for mark in marks:
        region = figures.view(mark["figure"], mark["view"]).region(mark["region"])
        reasons = rules.ten4_reasons(mark, TEN4_WORDS.get(region.ten4 if region else "", ""), child, partnership)
        if reasons:
            notes[mark["id"]] = reasons
    return notes


TEN4_WORDS = figures.TEN4_ZONES


def blank_mark_form(visit, figure):
    happened = datetime.fromisoformat(visit["happened_at"])
    return MarkForm(formdata=None, data={"record_id": str(uuid.uuid4()), "figure": figure,
                                         "observed_date": happened.date(), "observed_time": happened.time()})


def blank_completion_form():
    return CompletionForm(formdata=None, data={"record_id": str(uuid.uuid4())})


def render_body_map(db, visit, child, family, mark_form=None, completion_form=None, errors=None, status=200):
    partnership = settings.load(db)
    figure = mark_form.figure.data if mark_form and mark_form.figure.data in figures.FIGURES \
        else chosen_figure(child, partnership)
    body_map = domain.find_body_map(db, visit["id"], child["id"])
    marks = domain.marks_of_body_map(db, body_map["id"]) if body_map else []
    if mark_form is None:
        mark_form = blank_mark_form(visit, figure)
    mark_form.figure.data = figure
    facts = child_facts(child, partnership, date.today())
    saved = request.args.get("saved", type=int)
    raised = domain.escalations_of_body_map(db, body_map["id"]) if body_map else []
    return render_template(
        "bodymap/body_map.html", visit=visit, child=child, family=family, figure=figure, facts=facts,
        body_map=body_map, marks=marks, views=figures.views(figure), markers=markers(marks, figure),
        pending=pending_marker(mark_form, figure) if errors else None,
        region_choices=figures.region_choices(figure), form=mark_form,
        completion_form=completion_form or blank_completion_form(),
        escalations=raised, saved_escalations=[e for e in raised if saved in e["mark_numbers"]],
        ten4=ten4_notes(marks, child, partnership), errors=errors or {}, figure_names=figures.FIGURES,
        saved_mark=next((m for m in marks if m["number"] == saved), None), completed=request.args.get("completed"),
        next_number=len(marks) + 1, figure_for_age=chosen_figure_for_age(child, partnership),
        dashboard=has_endpoint("escalations.show_escalation")), status


def chosen_figure_for_age(child, partnership):
    return figures.figure_for_age(age_in_months(child["date_of_birth"], date.today()), partnership)


def has_endpoint(name):
    return name in current_app.view_functions


def ingest_form(db, kind, form, context, route):
    """Hand a validated form to the sync engine as an item: one path for online posts and replays."""
    return records.ingest(db, {
        "id": form.record_id.data.lower(), "kind": kind, "recorded_at": now_local(),
        "payload": dict(context, fields=records.form_fields(request.form)),
    }, g.practitioner, route)


# --- pages ------------------------------------------------------------------------------------

@bp.get("/visits/<visit_id>/children/<int:child_id>/body-map")
@login_required
def show_body_map(visit_id, child_id):
    db = get_db()
    visit, child, family = visit_and_child_or_404(db, visit_id, child_id)
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    page, status = render_body_map(db, visit, child, family)
    return page, status


@bp.post("/visits/<visit_id>/children/<int:child_id>/body-map")
@roles_required(*RECORDERS)
def record_mark(visit_id, child_id):
    db = get_db()
    visit, child, family = visit_and_child_or_404(db, visit_id, child_id)
    form = MarkForm()
    if not form.validate():
        return render_body_map(db, visit, child, family, mark_form=form, errors=records.form_errors(form), status=400)
    receipt = ingest_form(db, "bodymap_mark", form, {"visit_id": visit_id, "child_id": child_id}, request.path)
    if receipt.status in ("stored", "duplicate"):
        number = domain.mark_number(db, receipt.ref)
        return redirect(url_for("bodymap.show_body_map", visit_id=visit_id, child_id=child_id,
                                figure=form.figure.data, saved=number) + "#marks")
    if receipt.status == "conflict":
        return render_template("visits/conflict.html", receipt=receipt, family=family), 409
    return render_body_map(db, visit, child, family, mark_form=form, errors=receipt.errors, status=400)


@bp.post("/visits/<visit_id>/children/<int:child_id>/body-map/complete")
@roles_required(*RECORDERS)
def complete_body_map(visit_id, child_id):
    db = get_db()
    visit, child, family = visit_and_child_or_404(db, visit_id, child_id)
    form = CompletionForm()
    if not form.validate():
        return render_body_map(db, visit, child, family, completion_form=form,
                               errors=records.form_errors(form), status=400)
    receipt = ingest_form(db, "bodymap_completion", form, {"visit_id": visit_id, "child_id": child_id}, request.path)
    if receipt.status in ("stored", "duplicate"):
        return redirect(url_for("bodymap.show_body_map", visit_id=visit_id, child_id=child_id, completed=1))
    if receipt.status == "conflict":
        return render_template("visits/conflict.html", receipt=receipt, family=family), 409
    return render_body_map(db, visit, child, family, completion_form=form, errors=receipt.errors, status=400)


def mark_or_404(db, mark_id):
    mark = domain.mark_with_amendments(db, mark_id)
    if mark is None:
        abort(404)
    visit, child, family = visit_and_child_or_404(db, mark["visit_id"], mark["child_id"])
    return mark, visit, child, family


@bp.route("/body-map-marks/<mark_id>/amend", methods=["GET", "POST"])
@roles_required(*RECORDERS)
def amend_mark(mark_id):
    db = get_db()
    mark, visit, child, family = mark_or_404(db, mark_id)
    errors = {}
    if request.method == "POST":
        form = MarkAmendmentForm()
        if form.validate():
            receipt = ingest_form(db, "bodymap_mark_amendment", form, {"mark_id": mark_id}, request.path)
            if receipt.status in ("stored", "duplicate"):
                return redirect(url_for("bodymap.show_body_map", visit_id=visit["id"], child_id=child["id"],
                                        figure=form.figure.data, amended=mark["number"]) + f"#mark-{mark['number']}")
            if receipt.status == "conflict":
                return render_template("visits/conflict.html", receipt=receipt, family=family), 409
            errors = receipt.errors
        else:
            errors = records.form_errors(form)
    else:
        form = MarkAmendmentForm(formdata=None, data=dict(mark_form_data(mark), record_id=str(uuid.uuid4())))
        audit.record(db, g.practitioner["id"], "read", "child", child["id"], request.path)
    partnership = settings.load(db)
    figure = form.figure.data if form.figure.data in figures.FIGURES else mark["figure"]
    form.figure.data = figure
    view_key, _ = figures.parse_region(form.region.data)
    return render_template(
        "bodymap/amend.html", mark=mark, visit=visit, child=child, family=family, form=form, errors=errors,
        figure=figure, views=figures.views(figure), pending=pending_marker(form, figure),
        markers={}, region_choices=figures.region_choices(figure), initial_view=view_key,
        facts=child_facts(child, partnership, date.today()), next_number=mark["number"]), 400 if errors else 200


@bp.get("/visits/<visit_id>/children/<int:child_id>/body-map/print")
@login_required
def print_body_map(visit_id, child_id):
    db = get_db()
    visit, child, family = visit_and_child_or_404(db, visit_id, child_id)
    partnership = settings.load(db)
    body_map = domain.find_body_map(db, visit_id, child_id)
    marks = domain.marks_of_body_map(db, body_map["id"]) if body_map else []
    figure = chosen_figure(child, partnership) if request.args.get("figure") else \
        (marks[0]["figure"] if marks else chosen_figure(child, partnership))
    drawn = markers(marks, figure)
    views = [v for v in figures.views(figure) if v.key in ("front", "back") or v.key in drawn]
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template(
        "bodymap/print.html", visit=visit, child=child, family=family, figure=figure, body_map=body_map,
        marks=marks, views=views, markers=drawn, facts=child_facts(child, partnership, date.today()),
        escalations=domain.escalations_of_body_map(db, body_map["id"]) if body_map else [],
        ten4=ten4_notes(marks, child, partnership), recorders=sorted({m["recorder_name"] for m in marks}),
        printed_at=now_local())


@bp.get("/body-maps/<int:body_map_id>")
@login_required
def body_map_by_id(body_map_id):
    """Where an escalation raised by a body map points (its origin): the body map's page."""
    db = get_db()
    row = domain.visit_and_child_of(db, body_map_id)
    if row is None:
        abort(404)
    visit_and_child_or_404(db, row[0], row[1])
    return redirect(url_for("bodymap.show_body_map", visit_id=row[0], child_id=row[1]))


# --- a body map for a visit recorded on the tablet, which the central record may not have yet ---------

VISIT_NEEDED = ("This page does not say which visit the body map is for. Save the visit first, then open "
                "the body map from the visit's saved confirmation.")


def visit_asked_for():
    """(the visit id in the address, in lower case, or None; True when it is there but not a visit id)."""
    raw = request.args.get("visit")
    if raw is None:
        return None, False
    value = raw.strip().lower()
    return (value, False) if is_uuid(value) else (None, True)


def visit_of_child_family(db, visit_id, child):
    """True when the central record has this visit (of the child's family); 404 for another family's visit."""
    family_id = visits.family_of(db, visit_id)
    if family_id is not None and family_id != child["family_id"]:
        abort(404)
    return family_id is not None


def render_new_body_map(db, child, visit_id, form=None, errors=None, status=200, visit_problem=None):
    """The page renders from the child alone (figure, warnings), so the copy kept on the tablet works
    for any visit: the client puts the visit id from the address into the form's context."""
    partnership = settings.load(db)
    figure = form.figure.data if form and form.figure.data in figures.FIGURES else chosen_figure(child, partnership)
    if form is None:
        now = datetime.now().replace(second=0, microsecond=0)
        form = MarkForm(formdata=None, data={"record_id": str(uuid.uuid4()), "figure": figure,
                                             "observed_date": now.date(), "observed_time": now.time()})
    form.figure.data = figure
    errors = dict(errors or {})
    if visit_problem:
        errors = {"visit": visit_problem, **errors}
    context = {"child_id": child["id"]}
    if visit_id:
        context["visit_id"] = visit_id
    return render_template(
        "bodymap/new.html", child=child, family=families.family(db, child["family_id"]), figure=figure,
        facts=child_facts(child, partnership, date.today()), views=figures.views(figure), markers={},
        pending=pending_marker(form, figure) if errors else None, region_choices=figures.region_choices(figure),
        form=form, errors=errors, figure_names=figures.FIGURES, figure_for_age=chosen_figure_for_age(child, partnership),
        next_number=1, visit_id=visit_id, visit_problem=visit_problem, visit_needed=VISIT_NEEDED, context=context,
        show_form=visit_problem is None or request.method == "POST"), status


@bp.get("/children/<int:child_id>/body-map/new")
@roles_required(*RECORDERS)
def new_body_map(child_id):
    """Record marks for a child at a visit saved on this tablet (`?visit=<its record id>`): today's pack
    keeps this page for every child, so it opens with no signal before the visit has been sent."""
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    visit_id, bad = visit_asked_for()
    if visit_id and visit_of_child_family(db, visit_id, child):
        return redirect(url_for("bodymap.show_body_map", visit_id=visit_id, child_id=child_id,
                                **({"figure": request.args["figure"]} if request.args.get("figure") else {})))
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    if bad:
        return render_new_body_map(db, child, None, visit_problem=VISIT_NEEDED, status=400)
    return render_new_body_map(db, child, visit_id)


@bp.post("/children/<int:child_id>/body-map/new")
@roles_required(*RECORDERS)
def record_new_body_map_mark(child_id):
    """The mark form's own post (after the outbox's receipt, or without JavaScript): one path with the outbox."""
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    visit_id, _ = visit_asked_for()
    form = MarkForm()
    valid = form.validate()
    errors = records.form_errors(form) if not valid else {}
    if not visit_id:
        return render_new_body_map(db, child, None, form, errors, 400, visit_problem=VISIT_NEEDED)
    if not visit_of_child_family(db, visit_id, child):
        return render_new_body_map(db, child, visit_id, form, errors, 400, visit_problem=records.VISIT_NOT_RECEIVED)
    if not valid:
        return render_new_body_map(db, child, visit_id, form, errors, 400)
    receipt = ingest_form(db, "bodymap_mark", form, {"visit_id": visit_id, "child_id": child_id}, request.path)
    if receipt.status in ("stored", "duplicate"):
        number = domain.mark_number(db, receipt.ref)
        return redirect(url_for("bodymap.show_body_map", visit_id=visit_id, child_id=child_id,
                                figure=form.figure.data, saved=number) + "#marks")
    if receipt.status == "conflict":
        return render_template("visits/conflict.html", receipt=receipt,
                               family=families.family(db, child["family_id"])), 409
    return render_new_body_map(db, child, visit_id, form, receipt.errors, 400)


def pack_pages(db, practitioner, family_ids):
    """Today's pack: the body-map page of every child of the pack's families, kept without a visit
    so that it opens with no signal for a visit recorded on the tablet (static/js/bodymap-new.js).
    The app factory hands this to the sync API (`offline.api.register_pack_pages`)."""
    if not family_ids or "bodymap.new_body_map" not in current_app.view_functions:
        return []
    order = {family_id: position for position, family_id in enumerate(family_ids)}
    children = families.child_ids_of(db, family_ids)
    return [url_for("bodymap.new_body_map", child_id=child_id)
            for child_id, _ in sorted(children, key=lambda row: order[row[1]])]


# --- a child's earlier marks ------------------------------------------------------------------

def history_data(db, child):
    """The marks of a child within the dates asked for, drawn faded on the figure for the child's age."""
    partnership = settings.load(db)
    form = HistoryFilterForm(MultiDict(request.args))
    valid = form.validate()
    marks = domain.marks_of_child(db, child["id"], form.date_from.data if valid else None,
                                  form.date_to.data if valid else None) if valid else []
    figure = chosen_figure(child, partnership)
    drawn = markers(marks, figure, faded=True)
    views = [v for v in figures.views(figure) if v.key in ("front", "back") or v.key in drawn]
    return {"child": child, "form": form, "errors": records.form_errors(form) if not valid else {},
            "marks": marks, "views": views, "markers": drawn, "figure": figure,
            "body_maps": domain.body_maps_of_child(db, child["id"]),
            "facts": child_facts(child, partnership, date.today())}


@bp.get("/children/<int:child_id>/body-map-history")
@login_required
def child_history(child_id):
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    family = families.family(db, child["family_id"])
    data = history_data(db, child)
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    return render_template("bodymap/history.html", family=family, **data), 400 if data["errors"] else 200


@bp.get("/children/<int:child_id>/body-map-history/figure")
@login_required
def child_history_partial(child_id):
    """The history figure and table alone, for htmx to swap in (the child page and the filter)."""
    db = get_db()
    child = access.child_or_404(db, g.practitioner, child_id)
    data = history_data(db, child)
    audit.record(db, g.practitioner["id"], "read", "child", child_id, request.path)
    response = current_app.make_response(render_template("bodymap/_history.html", **data))
    if request.args.get("push"):
        # The address bar shows the full page with the same filter, so a reload or a shared link works.
        response.headers["HX-Push-Url"] = url_for("bodymap.child_history", child_id=child_id,
                                                  date_from=request.args.get("date_from", ""),
                                                  date_to=request.args.get("date_to", ""))
    return response


# --- words in the templates --------------------------------------------------------------------

@bp.app_context_processor
def birthmark_confirmers():
    """Rule 5: who may confirm a birthmark, for the mark form."""
    return {"health_roles": rules.HEALTH_ROLES, "professions": rules.REGISTERED_HEALTH_PROFESSIONS}


@bp.app_template_filter("mark_value")
def mark_value(value, field):
    """A detail of a mark (as stored) in words."""
    tables = {"mark_type": domain.MARK_TYPES, "shape": domain.SHAPES, "skin_broken": domain.YES_NO_NOT_KNOWN,
              "swelling": domain.YES_NO_NOT_KNOWN, "pain": domain.YES_NO_NOT_KNOWN,
              "explanation_by": domain.EXPLAINED_BY, "consistent": domain.CONSISTENT, "pattern": domain.PATTERNS}
    if field in ("colours", "surface"):
        table = domain.COLOURS if field == "colours" else domain.SURFACE
        return ", ".join(table.get(v, v).lower() for v in value) or "none"
    if field in ("believed_birthmark", "clustered"):
        return "Yes" if value else "No"
    if field in ("length_cm", "width_cm"):
        return f"{value:g} cm" if value else "not recorded"
    if field == "observed_at":
        return date_time(value)
    if field == "birthmark_confirmer_profession":
        return rules.REGISTERED_HEALTH_PROFESSIONS.get(value, value) or "not recorded"
    if field == "birthmark_confirmer_kind":
        return {"fieldvisit_user": "A Fieldvisit health practitioner",
                "outside": "A registered health practitioner outside Fieldvisit"}.get(value, "Nobody yet")
    if field == "birthmark_confirmed_on":
        return long_date(value) if value else "not recorded"
    if value in (None, ""):
        return "not recorded"
    return tables.get(field, {}).get(value, value)


@bp.app_template_filter("figure_name")
def figure_name(key):
    return figures.FIGURES.get(key, key)


@bp.app_template_filter("view_name")
def view_name(key):
    return figures.VIEWS.get(key, key)


@bp.app_template_filter("mark_detail")
def mark_detail(field):
    return domain.DETAILS.get(field, field)


# --- the figures as one cached file (issue 13) -----------------------------------------------------
# The page for recording marks is kept in today's pack for every child; the drawing of every view of
# every figure is served once here instead (about 75 KB a page before), cached for a year under a URL
# with its content's hash, kept by the service worker with the app shell, and drawn into the page by
# static/js/bodymap.js. It holds no one's data: the same for every practitioner.
YEAR = 365 * 24 * 60 * 60
_figures_file = {}


def figures_file():
    """(svg text, version) of the drawings of every view of every figure, rendered once per process."""
    if "svg" not in _figures_file:
        body = render_template("bodymap/figures.svg",
                               views=[view for figure in figures.FIGURES for view in figures.views(figure)])
        _figures_file["svg"] = (body, hashlib.sha256(body.encode()).hexdigest()[:12])
    return _figures_file["svg"]


@bp.app_template_global()
def figure_src(view):
    """The address of one view's drawing: the figures file (versioned) and the view's id in it."""
    return url_for("bodymap.figures_svg", v=figures_file()[1]) + f"#bm-{view.figure}-{view.key}"


def figures_shell_file():
    return [(url_for("bodymap.figures_svg"), figures_file()[0])]


@bp.get("/bodymap/figures.svg")
def figures_svg():
    body, version = figures_file()
    response = current_app.response_class(body, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = (f"public, max-age={YEAR}, immutable" if request.args.get("v") == version
                                         else "no-cache")
    return response


offline_views.shell_files_from(figures_shell_file)
