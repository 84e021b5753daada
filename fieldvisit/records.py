"""The kinds of record a practitioner sends, each applied by the sync engine exactly once.

A record arrives as an item {id, kind, payload, recorded_at}; the payload holds the
form's fields as posted. The HTML routes and the sync API both hand items to
`ingest`, so the same form validation and domain functions run for a record made
online and one replayed from a device's outbox.
"""
import functools
import json
from datetime import datetime

from werkzeug.datastructures import MultiDict

from fieldvisit import access, audit, device_clock
from sync import Receipt, Rejected, SyncEngine

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


def is_row_id(value):
    """A row id from a payload: a positive integer SQLite can hold (a larger one overflows the
    query), and not JSON's true/false (which Python counts as 1/0)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def posted_values(fields):
    """{name: [values]} from an item's fields ({name: [values]} or {name: value}); anything else
    is not a form."""
    if not isinstance(fields, dict):
        raise Rejected({"fields": "The record has no form fields."})
    posted = {}
    for name, values in fields.items():
        values = values if isinstance(values, list) else [values]
        if not all(isinstance(value, str) for value in values):
            raise Rejected({name: "Every form value must be text."})
        posted[name] = values
    return posted


@functools.cache
def form_check(form_class):
    """The check of an item's posted values by a page's WTForms form: the form, validated, or Rejected."""
    def check(posted):
        form = form_class(formdata=MultiDict([(name, value) for name, values in posted.items() for value in values]),
                          meta={"csrf": False})
        if not form.validate():
            raise Rejected(form_errors(form))
        return form
    return check


# --- the steps every applier takes -----------------------------------------------------

def visible_family_of(db, author, sql, key, value, message):
    """The family a payload's id belongs to, if the author may see it; otherwise Rejected."""
    row = db.execute(sql, [value]).fetchone() if value is not None else None
    if row is None or not access.can_see_family(db, author, row[0]):
        raise Rejected({key: message})
    return row


def family_of_visit(db, author, visit_id):
    return visible_family_of(db, author, "SELECT family_id FROM visit_records WHERE id = ?", "visit_id",
                             str(visit_id), "That visit record does not exist or is not one you can see.")


class _FormChecked(Exception):
    """How `apply_form` hands its checked fields (or their errors) back to `prepare_form`."""

    def __init__(self, checked=None, errors=None):
        super().__init__("form checked")
        self.checked, self.errors = checked, errors


def _checked_fields(item, check):
    # Issue 14: "in the future" is judged by the tablet's clock too.
    with device_clock.judging_with(device_clock.offset_of(item)):
        return check(posted_values(item["payload"].get("fields")))


def apply_form(db, item, context, check, to_record, store, invalid, entity):
    """Check the item's fields, build the plain record, store it through the domain function and
    audit the write. Returns the record's id (the receipt's ref).

    `check(posted values)` returns what `to_record(checked, recorded_at)` builds the record from,
    or raises Rejected: a page's form through `form_check(FormClass)`, or a kind's own plain check
    (visits/checks.py). The fields were usually checked already, outside the write lock
    (`prepare_form`); what that gave is then taken from `context["prepared"]`, not made again."""
    if context.get("preparing"):
        try:
            raise _FormChecked(checked=(check, _checked_fields(item, check)))
        except Rejected as rejected:
            raise _FormChecked(errors=rejected.errors) from None
    offset = device_clock.offset_of(item)
    prepared = context.get("prepared")
    with device_clock.judging_with(offset):
        checked = prepared[1] if isinstance(prepared, tuple) and prepared[0] is check else _checked_fields(item, check)
        record = to_record(checked, item.get("recorded_at") or context["received_at"])
        if record["id"] != item["id"]:
            raise Rejected({"record_id": "The record id does not match the item id."})
        try:
            store(record)
        except invalid as error:
            raise Rejected(error.errors)
    if offset is not None and item.get("recorded_at"):
        keep_clock_offset(db, item, context, offset)
    audit.record(db, context["author"]["id"], "write", entity, record["id"], context["route"])
    return record["id"]


def prepare_form(applier):
    """The engine's `prepare` step for an applier that ends in `apply_form`: checks the item's
    fields before the write lock is taken (a WTForms form is most of a record's CPU time, issue
    13), so the lock is held only for the writes.

    The applier runs as far as `apply_form` on a connection the engine made read-only, so its checks that
    read the database run but nothing is written. An item whose form is invalid is rejected there
    (the form looks at nothing but the posted fields). A check that fails before the form (the
    family not visible, the visit not received yet - it may come earlier in the same batch) is
    not final here: nothing is prepared and the applier checks again under the lock."""
    def prepare(db, item, context):
        try:
            applier(db, item, dict(context, preparing=True))
        except _FormChecked as checked:
            if checked.errors is not None:
                raise Rejected(checked.errors) from None
            return checked.checked
        except Exception:  # noqa: BLE001 - not final: the applier runs again under the lock
            return None
        return None
    return prepare


def register_kinds(kinds):
    """Hand the engine each area's record kinds ({kind: applier}); the app factory calls this
    once per app with every area's KINDS, so this module imports no area (issue 9)."""
    for kind, applier in kinds.items():
        engine.register(kind, applier, prepare_form(applier))


# --- the tablet's clock (issue 14, "A wrong tablet clock") -------------------------------------

def keep_clock_offset(db, item, context, offset):
    """Issue 14, "A wrong tablet clock": keep the offset and the corrected time beside the tablet's own (evidence: both kept)."""
    db.execute(
        "INSERT OR IGNORE INTO sync_clock_offsets (item_id, kind, author_id, device_id, clock_offset_ms,"
        " device_recorded_at, corrected_recorded_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [item["id"], item["kind"], context["author_id"], context.get("device_id") or "", offset,
         item["recorded_at"], device_clock.corrected(item["recorded_at"], offset), context["received_at"]])


# A body map recorded on a tablet for a visit saved there too is sent after the visit; if the visit
# was not accepted, the mark waits under "Needs your attention" until the visit has been sent.
VISIT_NOT_RECEIVED = ("The visit this belongs to has not reached the central record, or is not one you can see. "
                      "If you recorded the visit on this tablet, send it first (it may need your attention), "
                      "then save this again.")


def child_of_visit_payload(db, author, payload):
    """(visit id, child id) of an item about one child at a visit the author may see."""
    visit_id, child_id = payload.get("visit_id"), payload.get("child_id")
    visible_family_of(db, author, "SELECT family_id FROM visit_records WHERE id = ?", "visit_id",
                      str(visit_id), VISIT_NOT_RECEIVED)
    if not is_row_id(child_id):
        raise Rejected({"child_id": "That child is not part of this visit."})
    return str(visit_id), child_id


def submit_form(db, form, kind, context, author, formdata, route):
    """A record form posted from the page goes the way the outbox sends it: validated, then
    ingested as an item. Returns (receipt or None, errors to show with the form)."""
    if not form.validate():
        return None, form_errors(form)
    receipt = ingest(db, {
        "id": form.record_id.data.lower(), "kind": kind,
        "recorded_at": datetime.now().isoformat(timespec="seconds"),
        "payload": dict(context, fields=form_fields(formdata)),
    }, author, route)
    return receipt, receipt.errors if receipt.status == "rejected" else {}


def ingest(db, item, author, route, device_id=""):
    """Apply one item for this practitioner; returns the engine's receipt."""
    return engine.ingest(db, item, {"author_id": author["id"], "author": author,
                                    "device_id": device_id, "route": route})


# --- items from a revoked device (issue 14, item 5) ---------------------------------------------

REVOKED_DEVICE = "revoked_device"
KEPT_FROM_REVOKED = ("This tablet has been revoked, so the central record did not add this record. It is kept, "
                     "unchanged, for a team lead of the family's team to review: they may accept it or set it aside.")
# The family an item is about, from its payload's context (docs/sync-protocol.md, item kinds).
FAMILY_OF_CONTEXT = [
    ("family_id", "SELECT id FROM families WHERE id = ?"),
    ("visit_id", "SELECT family_id FROM visit_records WHERE id = ?"),
    ("child_id", "SELECT family_id FROM children WHERE id = ?"),
    ("mark_id", "SELECT b.family_id FROM body_map_marks m JOIN body_maps b ON b.id = m.body_map_id WHERE m.id = ?"),
]


def family_of_payload(db, payload):
    """The family an item's payload is about, or None when the central record does not know it."""
    for key, sql in FAMILY_OF_CONTEXT:
        value = payload.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and len(str(value)) <= 100:
            row = db.execute(sql, [value]).fetchone()
            if row is not None:
                return row[0]
    return None


def keep_from_revoked_device(db, items, context, unseal=None, schema_version=None):
    """Keep each item aside, unapplied, for a team lead (a `conflict` receipt: "kept for review");
    an item already stored with the same content is a `duplicate`; an unreadable one `rejected`.
    Committed before the receipts are returned, so the tablet may let kept items go."""
    receipts = []
    with db.atomic():
        for item in items[:engine.max_items]:
            item_id = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
            try:
                checked, digest = engine.opened(item, unseal, schema_version)
            except Rejected as rejected:
                receipts.append(Receipt(item_id, "rejected", engine.clock(), errors=rejected.errors))
                continue
            ref = engine.stored_ref(db, checked["id"], digest)
            if ref is not None:
                receipts.append(Receipt(checked["id"], "duplicate", engine.clock(), ref=ref))
                continue
            now = engine.clock()
            db.execute(
                "INSERT OR IGNORE INTO sync_conflicts (item_id, kind, content_hash, payload, author_id, device_id,"
                " received_at, reason, recorded_at, clock_offset_ms, family_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [checked["id"], checked["kind"], digest, json.dumps(checked["payload"], sort_keys=True),
                 context["author_id"], context.get("device_id") or "", now, REVOKED_DEVICE, checked["recorded_at"],
                 device_clock.offset_of(item), family_of_payload(db, checked["payload"])])
            audit.record(db, context["author_id"], "write", "sync_conflict", checked["id"], context["route"])
            receipts.append(Receipt(checked["id"], "conflict", now, errors={"id": KEPT_FROM_REVOKED}))
    return receipts


def accept_kept_item(db, kept, author, route):
    """A team lead accepts an item kept from a revoked device: it is applied through the engine as
    its author sent it (same validation, same safeguarding rules, same receipt); returns the receipt."""
    item = {"id": kept["item_id"], "kind": kept["kind"], "payload": json.loads(kept["payload"]),
            "recorded_at": kept["recorded_at"]}
    if kept["clock_offset_ms"] is not None:
        item["clock_offset_ms"] = kept["clock_offset_ms"]
    return ingest(db, item, author, route, device_id=kept["device_id"])
