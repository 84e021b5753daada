"""The kinds of record a practitioner sends, each applied by the sync engine exactly once.

A record arrives as an item {id, kind, payload, recorded_at}; the payload holds the
form's fields as posted. The HTML routes and the sync API both hand items to
`ingest`, so the same form validation and domain functions run for a record made
online and one replayed from a device's outbox.
"""
from werkzeug.datastructures import MultiDict

from fieldvisit import access, alcohol_audit, audit, settings, was_not_brought
from fieldvisit.alcohol_audit_forms import AlcoholAuditForm, to_alcohol_audit
from fieldvisit.bodymap import domain as bodymap
from fieldvisit.bodymap.forms import CompletionForm, MarkAmendmentForm, MarkForm, to_mark, to_mark_amendment
from fieldvisit.visits import domain
from fieldvisit.visits.forms import AmendmentForm, VisitRecordForm, to_amendment, to_visit
from fieldvisit.was_not_brought_forms import AppointmentEventForm, to_appointment_event
from sync import Rejected, SyncEngine

engine = SyncEngine()
NOT_YOURS = "You are not assigned to this family, or it does not exist."


def form_fields(formdata):
    """The posted fields an item carries: every field but the CSRF token, as lists."""
    return {key: formdata.getlist(key) for key in formdata.keys() if key != "csrf_token"}


def form_errors(form):
    """A flat {field name: first message} of a WTForms form, subforms included, in page order."""
    flat = {}

    def walk(field):
        if field.type == "FieldList":
            own = [error for error in field.errors if isinstance(error, str)]
            if own:
                flat[field.name] = own[0]
            for entry in field.entries:
                walk(entry)
        elif field.type == "FormField":
            for sub in field.form:
                walk(sub)
        elif field.errors:
            flat[field.name] = field.errors[0]

    for field in form:
        walk(field)
    return flat


def household(db, family_id):
    children = list(db.query(
        "SELECT * FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id]))
    adults = list(db.query(
        "SELECT * FROM adults WHERE family_id = ? ORDER BY id", [family_id]))
    return children, adults


def apply_visit(db, item, context):
    author = context["author"]
    payload = item["payload"]
    family_id = payload.get("family_id")
    if not is_row_id(family_id) or not access.can_see_family(db, author, family_id):
        raise Rejected({"family_id": NOT_YOURS})
    form = VisitRecordForm(formdata=MultiDict(_pairs(payload.get("fields"))), meta={"csrf": False})
    if not form.validate():
        raise Rejected(form_errors(form))
    visit = to_visit(form, family_id, item.get("recorded_at") or context["received_at"])
    if visit["id"] != item["id"]:
        raise Rejected({"record_id": "The record id does not match the item id."})
    try:
        domain.record_visit(db, visit, author, context["received_at"])
    except domain.VisitInvalid as invalid:
        raise Rejected(invalid.errors)
    audit.record(db, author["id"], "write", "visit", visit["id"], context["route"])
    return visit["id"]


def apply_amendment(db, item, context):
    author = context["author"]
    payload = item["payload"]
    visit_id = payload.get("visit_id")
    row = db.execute("SELECT family_id FROM visit_records WHERE id = ?", [str(visit_id)]).fetchone()
    if row is None or not access.can_see_family(db, author, row[0]):
        raise Rejected({"visit_id": "That visit record does not exist or is not one you can see."})
    form = AmendmentForm(formdata=MultiDict(_pairs(payload.get("fields"))), meta={"csrf": False})
    if not form.validate():
        raise Rejected(form_errors(form))
    amendment = to_amendment(form, visit_id, item.get("recorded_at") or context["received_at"])
    if amendment["id"] != item["id"]:
        raise Rejected({"record_id": "The record id does not match the item id."})
    try:
        domain.amend_visit(db, amendment, author, context["received_at"])
    except domain.VisitInvalid as invalid:
        raise Rejected(invalid.errors)
    audit.record(db, author["id"], "write", "amendment", amendment["id"], context["route"])
    return amendment["id"]


def is_row_id(value):
    """A row id from a payload: a positive integer SQLite can hold (a larger one overflows the
    query), and not JSON's true/false (which Python counts as 1/0)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _pairs(fields):
    """(name, value) pairs from {name: [values]}; anything else is not a form."""
    if not isinstance(fields, dict):
        raise Rejected({"fields": "The record has no form fields."})
    pairs = []
    for name, values in fields.items():
        values = values if isinstance(values, list) else [values]
        if not all(isinstance(value, str) for value in values):
            raise Rejected({name: "Every form value must be text."})
        pairs.extend((name, value) for value in values)
    return pairs


engine.register("visit", apply_visit)
engine.register("amendment", apply_amendment)


def apply_was_not_brought(db, item, context):
    """A missed, cancelled or re-arranged appointment of one child (rules 8-9)."""
    author = context["author"]
    child_id = item["payload"].get("child_id")
    row = db.execute("SELECT family_id FROM children WHERE id = ?", [child_id]).fetchone() \
        if is_row_id(child_id) else None
    if row is None or not access.can_see_family(db, author, row[0]):
        raise Rejected({"child_id": "That child does not exist or is not one you can see."})
    form = AppointmentEventForm(formdata=MultiDict(_pairs(item["payload"].get("fields"))), meta={"csrf": False})
    if not form.validate():
        raise Rejected(form_errors(form))
    event = to_appointment_event(form, child_id, item.get("recorded_at") or context["received_at"])
    if event["id"] != item["id"]:
        raise Rejected({"record_id": "The record id does not match the item id."})
    try:
        was_not_brought.record_appointment_event(db, event, author, context["received_at"])
    except was_not_brought.AppointmentInvalid as invalid:
        raise Rejected(invalid.errors)
    audit.record(db, author["id"], "write", "appointment_event", event["id"], context["route"])
    return event["id"]


def apply_alcohol_audit(db, item, context):
    """An AUDIT-C (and AUDIT) self-assessment done with a parent on a visit (rule 14)."""
    author = context["author"]
    visit_id = item["payload"].get("visit_id")
    row = db.execute("SELECT family_id FROM visit_records WHERE id = ?", [str(visit_id)]).fetchone()
    if row is None or not access.can_see_family(db, author, row[0]):
        raise Rejected({"visit_id": "That visit record does not exist or is not one you can see."})
    form = AlcoholAuditForm(formdata=MultiDict(_pairs(item["payload"].get("fields"))), meta={"csrf": False})
    if not form.validate():
        raise Rejected(form_errors(form))
    assessment = to_alcohol_audit(form, visit_id, item.get("recorded_at") or context["received_at"])
    if assessment["id"] != item["id"]:
        raise Rejected({"record_id": "The record id does not match the item id."})
    try:
        alcohol_audit.record_alcohol_audit(db, assessment, author, context["received_at"])
    except alcohol_audit.AuditInvalid as invalid:
        raise Rejected(invalid.errors)
    audit.record(db, author["id"], "write", "alcohol_audit", assessment["id"], context["route"])
    return assessment["id"]


engine.register("was_not_brought", apply_was_not_brought)
engine.register("alcohol_audit", apply_alcohol_audit)


def apply_bodymap_mark(db, item, context):
    """A mark on a child's body map at a visit; the injury rules fire as it arrives (rules 1-5)."""
    author = context["author"]
    payload = item["payload"]
    visit_id, child_id = payload.get("visit_id"), payload.get("child_id")
    row = db.execute("SELECT family_id FROM visit_records WHERE id = ?", [str(visit_id)]).fetchone()
    if row is None or not access.can_see_family(db, author, row[0]):
        raise Rejected({"visit_id": "That visit record does not exist or is not one you can see."})
    if not is_row_id(child_id):
        raise Rejected({"child_id": "That child is not part of this visit."})
    form = MarkForm(formdata=MultiDict(_pairs(payload.get("fields"))), meta={"csrf": False})
    if not form.validate():
        raise Rejected(form_errors(form))
    mark = to_mark(form, str(visit_id), child_id, item.get("recorded_at") or context["received_at"])
    if mark["id"] != item["id"]:
        raise Rejected({"record_id": "The record id does not match the item id."})
    try:
        stored = bodymap.record_mark(db, mark, author, context["received_at"])
    except bodymap.MarkInvalid as invalid:
        raise Rejected(invalid.errors)
    bodymap.raise_escalations(db, stored, db["children"].get(child_id), settings.load(db), author["id"],
                              context["received_at"])
    audit.record(db, author["id"], "write", "bodymap_mark", mark["id"], context["route"])
    return mark["id"]


def apply_bodymap_mark_amendment(db, item, context):
    """A correction of a body-map mark that keeps the original; the rules run again on the mark as amended."""
    author = context["author"]
    mark_id = item["payload"].get("mark_id")
    row = db.execute("SELECT b.family_id, m.child_id FROM body_map_marks m JOIN body_maps b ON b.id = m.body_map_id"
                     " WHERE m.id = ?", [str(mark_id)]).fetchone()
    if row is None or not access.can_see_family(db, author, row[0]):
        raise Rejected({"mark_id": "That mark does not exist or is not one you can see."})
    form = MarkAmendmentForm(formdata=MultiDict(_pairs(item["payload"].get("fields"))), meta={"csrf": False})
    if not form.validate():
        raise Rejected(form_errors(form))
    amendment = to_mark_amendment(form, str(mark_id), item.get("recorded_at") or context["received_at"])
    if amendment["id"] != item["id"]:
        raise Rejected({"record_id": "The record id does not match the item id."})
    try:
        amended, _ = bodymap.amend_mark(db, amendment, author, context["received_at"])
    except bodymap.MarkInvalid as invalid:
        raise Rejected(invalid.errors)
    bodymap.raise_escalations(db, amended, db["children"].get(row[1]), settings.load(db), author["id"],
                              context["received_at"])
    audit.record(db, author["id"], "write", "bodymap_mark_amendment", amendment["id"], context["route"])
    return amendment["id"]


def apply_bodymap_completion(db, item, context):
    """Completing a body map locks it: every later change is an amendment."""
    author = context["author"]
    payload = item["payload"]
    visit_id, child_id = payload.get("visit_id"), payload.get("child_id")
    row = db.execute("SELECT family_id FROM visit_records WHERE id = ?", [str(visit_id)]).fetchone()
    if row is None or not access.can_see_family(db, author, row[0]):
        raise Rejected({"visit_id": "That visit record does not exist or is not one you can see."})
    if not is_row_id(child_id):
        raise Rejected({"child_id": "That child is not part of this visit."})
    form = CompletionForm(formdata=MultiDict(_pairs(payload.get("fields"))), meta={"csrf": False})
    if not form.validate():
        raise Rejected(form_errors(form))
    completion = {"id": form.record_id.data.lower(), "visit_id": str(visit_id), "child_id": child_id}
    if completion["id"] != item["id"]:
        raise Rejected({"record_id": "The record id does not match the item id."})
    try:
        body_map_id = bodymap.complete_body_map(db, completion, author, context["received_at"])
    except bodymap.MarkInvalid as invalid:
        raise Rejected(invalid.errors)
    audit.record(db, author["id"], "write", "body_map", body_map_id, context["route"])
    return completion["id"]


engine.register("bodymap_mark", apply_bodymap_mark)
engine.register("bodymap_mark_amendment", apply_bodymap_mark_amendment)
engine.register("bodymap_completion", apply_bodymap_completion)


def ingest(db, item, author, route, device_id=""):
    """Apply one item for this practitioner; returns the engine's receipt."""
    return engine.ingest(db, item, {"author_id": author["id"], "author": author,
                                    "device_id": device_id, "route": route})
