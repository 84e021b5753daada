"""The audit log page (/audit-log): team leads and admins search who viewed or changed a child's
records, by child, by user and by date (issue 14). Searching is itself audited."""
from flask import Blueprint, g, render_template, request

from fieldvisit import audit
from fieldvisit.audit_log import domain
from fieldvisit.audit_log.forms import AuditSearchForm, errors_of
from fieldvisit.auth.views import roles_required
from fieldvisit.db import get_db

bp = Blueprint("audit_log", __name__)

ACTIONS = {"read": "Viewed", "write": "Recorded or changed", "sign_in": "Signed in", "sign_out": "Signed out",
           "denied": "Refused"}
ENTITIES = {"child": "Child", "family": "Family", "visit": "Visit record"}


def find_child(db, form, errors):
    """The child searched for, or None (with an error said, or several children to choose from)."""
    words = form.child.data
    if words.isdigit():  # a child's number (too long or not ASCII digits: no such child, not a 500)
        if not (words.isascii() and len(words) <= 18):
            errors["child"] = "There is no child with that number among the families you can see"
            return None, []
        child = domain.child_visible_to(db, g.practitioner, int(words))
        if child is None:
            errors["child"] = "There is no child with that number among the families you can see"
        return child, []
    if g.practitioner["role"] == "admin":
        errors["child"] = "Enter the child's number (admins do not see children's names)"
        return None, []
    matches = domain.children_named(db, g.practitioner, words)
    if not matches:
        errors["child"] = "No child of the families you can see has that name"
    elif len(matches) == 1:
        return {"id": matches[0]["id"], "name": f"{matches[0]['first_name']} {matches[0]['last_name']}"}, []
    return None, matches


@bp.get("/audit-log")
@roles_required("team_lead", "admin")
def search():
    db = get_db()
    form = AuditSearchForm(request.args)
    form.validate()
    errors = errors_of(form)
    child, choices, person = None, [], None
    if form.child.data and "child" not in errors:
        child, choices = find_child(db, form, errors)
    if form.user.data and "user" not in errors:
        person = domain.practitioner_named(db, form.user.data)
        if person is None:
            errors["user"] = "There is no one with that username"
    entries, names = [], {}
    if not errors and not choices:
        entries = domain.search(db, g.practitioner, child_id=child and child["id"],
                                practitioner_id=person and person["id"],
                                day_from=form.date_from.data, day_to=form.date_to.data)
        if g.practitioner["role"] != "admin":
            names = domain.names_of_records(db, entries)
        if child is not None:
            audit.record(db, g.practitioner["id"], "read", "child", child["id"], request.path)
        if any(e["entity"] in ENTITIES for e in entries):
            audit.record(db, g.practitioner["id"], "read", "audit_log", request.full_path.rstrip("?")[:200],
                         request.path)
    return render_template("audit_log/search.html", form=form, errors=errors, entries=entries, names=names,
                           child=child, person=person, choices=choices, actions=ACTIONS, entities=ENTITIES,
                           limit=domain.LIMIT), 400 if errors else 200
