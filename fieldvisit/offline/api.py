"""The sync API (docs/sync-protocol.md): a thin JSON layer over the sync engine.

Pushes go through `records.engine`, the same engine and appliers as the HTML forms,
so a record replayed from a device's outbox meets the same validation and domain
functions as one posted online. The API is exempt from the form CSRF token (tokens
expire while a tablet is offline) and instead accepts only JSON from this origin.
"""
import base64
import json
import sqlite3
from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, current_app, g, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from fieldvisit import access, audit, records, settings
from fieldvisit.offline import queries
from fieldvisit.auth.views import login_required
from fieldvisit.db import get_db
from fieldvisit.families import queries as families
from fieldvisit.offline import sealed
from fieldvisit.offline.domain import issue_device_secret
from fieldvisit.today.queries import upcoming_visits
from fieldvisit.visits import domain as visit_records
from fieldvisit.devices import domain as devices
from sync import BatchTooLarge, Unavailable, UnsupportedSchemaVersion, is_uuid

bp = Blueprint("sync_api", __name__, url_prefix="/api")

MAX_BATCH_BYTES = 2 * 1024 * 1024
RETRY_AFTER_SECONDS = 5
# The latest visit records of each family in the pack, with their amendment and AUDIT forms. Kept small:
# the pack is fetched and encrypted page by page on the tablet (docs/sync-protocol.md, "The pack").
PACK_VISITS = 3
# Where the app keeps the areas' providers of more pack pages (`register_pack_pages`).
PACK_PAGES = "fieldvisit.pack_pages"


class ApiError(Exception):
    def __init__(self, status, error, message):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@bp.record_once
def load_central_key(state):
    sealed.init_app(state.app)


@bp.errorhandler(ApiError)
def api_error(error):
    return {"error": error.error, "message": error.message}, error.status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    return {"error": "too_large",
            "message": f"A batch may be at most {MAX_BATCH_BYTES // (1024 * 1024)} MB: send fewer items at a time."}, 413


@bp.before_request
def same_origin_only():
    """A request a browser made from another site's page carries that site's Origin: refuse it."""
    origin = request.headers.get("Origin")
    own = f"{request.scheme}://{request.host}".lower()
    if origin is not None and origin.rstrip("/").lower() != own:
        raise ApiError(403, "wrong_origin", "This API only answers Fieldvisit's own pages.")


@bp.after_request
def not_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def json_body():
    """The request's JSON body, read within the batch limit; ApiError when it is not JSON."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send JSON, with Content-Type: application/json.")
    if request.content_length is not None and request.content_length > MAX_BATCH_BYTES:
        raise RequestEntityTooLarge()
    raw = request.stream.read(MAX_BATCH_BYTES + 1)
    if len(raw) > MAX_BATCH_BYTES:
        raise RequestEntityTooLarge()
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ApiError(400, "malformed", f"The body is not valid JSON ({str(error)[:200]}).")


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def device_id_of(body):
    device_id = body.get("device_id")
    if not is_uuid(device_id):
        raise ApiError(400, "malformed", "device_id must be this device's id, a UUID in lower case.")
    return device_id


REVOKED_MESSAGE = ("This device has been revoked by an administrator. What it keeps readable is wiped; records "
                   "waiting on it are not accepted from it. Sign in on another device, and tell your team lead.")


def contact_from(device_id):
    """Register this contact from the device; a revoked device gets `device_revoked` (the client
    wipes its kept pages and keys, and keeps its queued items, which are not accepted)."""
    db = get_db()
    try:
        return devices.register_contact(db, device_id, g.practitioner["id"],
                                        request.headers.get("X-Fieldvisit-App-Version", ""),
                                        request.user_agent.string)
    except devices.DeviceRevoked:
        audit.record(db, g.practitioner["id"], "denied", "device", device_id, request.path)
        raise ApiError(403, "device_revoked", REVOKED_MESSAGE)


@bp.post("/sync/push")
@login_required
def push():
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "malformed", "The body must be a JSON object with device_id, schema_version and items.")
    device_id = device_id_of(body)
    if "schema_version" not in body:
        raise ApiError(400, "malformed", "schema_version is missing.")
    try:
        records.engine.check_schema_version(body["schema_version"])
    except UnsupportedSchemaVersion as unsupported:
        raise ApiError(400, "unsupported_schema_version", str(unsupported))
    items = body.get("items")
    if not isinstance(items, list):
        raise ApiError(400, "malformed", "items must be a list of records.")
    context = {"author_id": g.practitioner["id"], "author": g.practitioner,
               "device_id": device_id, "route": request.path}
    try:
        contact_from(device_id)
    except ApiError as refused:
        if refused.error != "device_revoked":
            raise
        return kept_from_revoked_device(items, context, body["schema_version"], refused)
    try:
        receipts = records.engine.push(get_db(), items, context, schema_version=body["schema_version"],
                                       unseal=sealed.central_key(current_app).unseal)
    except BatchTooLarge as too_many:
        raise ApiError(413, "too_large", str(too_many))
    except Unavailable:
        return ({"error": "unavailable",
                 "message": "The central record is busy. Your records are kept on this device and will be sent again."},
                503, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return {"server_time": records.engine.clock(), "receipts": [receipt.as_dict() for receipt in receipts]}


def kept_from_revoked_device(items, context, schema_version, refused):
    """A revoked device's push (issue 14, item 5): 403 `device_revoked` (the tablet wipes what it keeps
    readable), with one receipt per item: each is kept aside, unapplied, for a team lead of the family's
    team (`conflict`: kept for review), so its records are neither lost nor accepted blindly."""
    if len(items) > records.engine.max_items:
        raise ApiError(413, "too_large", f"Send at most {records.engine.max_items} items at a time, not {len(items)}.")
    try:
        receipts = records.keep_from_revoked_device(get_db(), items, context, sealed.central_key(current_app).unseal,
                                                    schema_version)
    except sqlite3.Error:
        return ({"error": "unavailable",
                 "message": "The central record is busy. Your records are kept on this device and will be sent again."},
                503, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return {"error": refused.error, "message": refused.message, "server_time": records.engine.clock(),
            "receipts": [receipt.as_dict() for receipt in receipts]}, 403


def register_pack_pages(app, provider):
    """Add `provider(db, practitioner, family_ids) -> [path, ...]` to this app's pack: more pages of
    today's pack (for example the body-map pages of the families' children). The app factory calls
    this with each area's provider, so this module imports no area's views (issue 9)."""
    app.extensions.setdefault(PACK_PAGES, []).append(provider)


def page(endpoint, **values):
    """The path of a page, or None when that area of the app is not part of this instance."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def today_pack(db, practitioner, on):
    """The families with this practitioner's visits from `on` for today_days_ahead days (the
    Today page's window), and the pages a device needs in the home for them: family and child
    pages, the record forms, and the latest visit records with their amendment and AUDIT forms."""
    if practitioner["role"] not in access.RECORDING_ROLES:
        return [], []
    visible = access.visible_family_ids(db, practitioner)
    visits = [visit for visit in upcoming_visits(db, practitioner, on, settings.load(db)["today_days_ahead"])
              if visit["family_id"] in visible]
    family_ids = list(dict.fromkeys(visit["family_id"] for visit in visits))
    pages = [page("today.today")]
    for family_id in family_ids:
        pages.append(page("families.show_family", family_id=family_id))
        pages.append(page("visits.record_visit", family_id=family_id))
        pages.extend(page("visits.record_visit", family_id=family_id, scheduled=visit["id"])
                     for visit in visits if visit["family_id"] == family_id)
        for child_id in families.child_ids(db, family_id):
            pages.append(page("families.show_child", child_id=child_id))
            pages.append(page("was_not_brought.record_was_not_brought", child_id=child_id))
        for visit_id in visit_records.latest_visit_ids(db, family_id, PACK_VISITS):
            pages.append(page("visits.show_visit", visit_id=visit_id))
            pages.append(page("visits.amend_visit", visit_id=visit_id))
            pages.append(page("alcohol.record_alcohol_audit", visit_id=visit_id))
    for provider in current_app.extensions.get(PACK_PAGES, ()):
        pages.extend(provider(db, practitioner, family_ids))
    return family_ids, [path for path in dict.fromkeys(pages) if path]


@bp.get("/sync/pack")
@login_required
def pack():
    device_id = request.headers.get("X-Fieldvisit-Device")
    if device_id is not None:
        if not is_uuid(device_id):
            raise ApiError(400, "malformed", "X-Fieldvisit-Device must be this device's id, a UUID in lower case.")
        contact_from(device_id)
    db = get_db()
    family_ids, pages = today_pack(db, g.practitioner, date.today())
    practitioner = g.practitioner
    # The largest read of family data (issue 14, "Audit gaps"): the pack itself, from which device,
    # and each family it names, in one transaction with the rest of the answer's writes.
    with db.atomic():
        audit.record(db, practitioner["id"], "read", "offline_pack", device_id or "unregistered", request.path)
        audit.record_many(db, practitioner["id"], "read", "family", family_ids, request.path)
    return {"server_time": records.engine.clock(),
            "practitioner": {"id": practitioner["id"], "username": practitioner["username"],
                             "display_name": practitioner["display_name"]},
            "pages": pages, "families": family_ids,
            # The pages' rules and warnings are rendered with the partnership's settings: when this
            # changes, the tablet fetches every page of the pack again (issue 10).
            "settings_version": settings.settings_version(db),
            # Issue 14: the tablet locks its offline pages after this many hours without contact.
            "offline_lock_hours": settings.load(db)["offline_lock_hours"]}


# "My records" lists today's records and the last 7 days' (issue 12, item 4).
MY_RECORDS_DAYS = 7


@bp.get("/sync/my-records")
@login_required
def my_records():
    """The records I sent that the central record holds, for the tablet to show beside its outbox."""
    db = get_db()
    since = (datetime.now(timezone.utc).date() - timedelta(days=MY_RECORDS_DAYS)).isoformat()
    found = queries.my_recent_records(db, g.practitioner, since)
    audit.record(db, g.practitioner["id"], "read", "my_records", g.practitioner["id"], request.path)
    return {"server_time": records.engine.clock(), "since": since, "records": found}


@bp.get("/sync/public-key")
def public_key():
    return sealed.central_key(current_app).public_key_document()


@bp.post("/device/secret")
@login_required
def device_secret():
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "malformed", "The body must be a JSON object with device_id.")
    device_id = device_id_of(body)
    db = get_db()
    registered = contact_from(device_id)  # the secret goes only to a registered device that is not revoked
    now = records.engine.clock()
    practitioner_id = g.practitioner["id"]
    with db.atomic():
        secret, created = issue_device_secret(db, practitioner_id, device_id, now)
        if created or registered:
            audit.record(db, practitioner_id, "write", "device", device_id, request.path)
        audit.record(db, practitioner_id, "read", "device_secret", device_id, request.path)
    return {"device_secret": base64.b64encode(secret).decode("ascii")}


@bp.get("/openapi.json")
def openapi():
    return OPENAPI


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


UUID = {"type": "string", "format": "uuid", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}
B64 = {"type": "string", "contentEncoding": "base64"}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "Fieldvisit sync API",
        "version": "1.0.0",
        "description": "How a device's outbox reaches the central record exactly once, and what the device "
                       "should hold offline. The contract in full: docs/sync-protocol.md. Authentication is "
                       "the practitioner's session cookie; a signed-out or idle-expired session gets 401 "
                       "(the device pauses its queue and asks to sign in again). Requests carrying an Origin "
                       "header other than this server's get 403. POST bodies must be application/json.",
    },
    "servers": [{"url": "/"}],
    "security": [{"session": []}],
    "paths": {
        "/api/sync/push": {
            "post": {
                "operationId": "push",
                "summary": "Send a batch of queued records; one receipt per item, in order.",
                "description": "Each item is applied on its own, in one transaction with its receipt. The "
                               "same id with the same content is acknowledged as `duplicate`; the same id with "
                               "other content is a `conflict`, kept for review and never applied; an invalid "
                               "item is `rejected` with the form's errors and leaves nothing on the server, so "
                               "it may be corrected and sent again with the same id. A batch with a bad item "
                               "applies the good ones. An item leaves the device's outbox only on `stored` or "
                               "`duplicate`.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PushRequest"}}}},
                "responses": {
                    "200": {"description": "A receipt for every item, in the order sent.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushResponse"}}}},
                    "400": _error("The body is not a push (`malformed`), or its schema_version is not accepted "
                                  "(`unsupported_schema_version`). Nothing was applied."),
                    "401": _error("Signed out (`signed_out`): sign in again, then send."),
                    "403": {"description": "The request came from another site's page (`wrong_origin`), or this "
                                           "device was revoked (`device_revoked`): wipe what is kept readable. A "
                                           "revoked device's answer also carries `server_time` and a receipt per item "
                                           "(issue 14): `conflict` = kept aside, unapplied, for a team lead to review "
                                           "(the server has it), `duplicate` = already stored, `rejected` = unreadable.",
                            "content": {"application/json": {"schema": {"allOf": [
                                {"$ref": "#/components/schemas/Error"},
                                {"type": "object", "properties": {
                                    "server_time": {"type": "string", "format": "date-time"},
                                    "receipts": {"type": "array",
                                                 "items": {"$ref": "#/components/schemas/Receipt"}}}}]}}}},
                    "413": _error("More than 100 items or more than 2 MB (`too_large`). Nothing was applied."),
                    "415": _error("The body is not application/json (`unsupported_media_type`)."),
                    "503": _error("The central record is busy (`unavailable`); retry after Retry-After seconds. "
                                  "Items already stored are acknowledged as duplicates when sent again."),
                },
            },
        },
        "/api/sync/pack": {
            "get": {
                "operationId": "pack",
                "summary": "Today's pack: the pages the device should hold offline for this practitioner.",
                "description": "The families with this practitioner's scheduled visits from today to the "
                               "partnership's today_days_ahead setting (only those families), with their family, "
                               "child, visit-record and record-form pages. Fetched at sign-in and at every sync.",
                "parameters": [{"name": "X-Fieldvisit-Device", "in": "header", "required": False,
                                "description": "This device's id: the contact is registered, and a revoked device "
                                               "is answered `device_revoked`.", "schema": UUID}],
                "responses": {
                    "200": {"description": "The pack.", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Pack"}}}},
                    "400": _error("X-Fieldvisit-Device is not a device id (`malformed`)."),
                    "401": _error("Signed out (`signed_out`)."),
                    "403": _error("Another site's page (`wrong_origin`), or a revoked device (`device_revoked`)."),
                },
            },
        },
        "/api/sync/my-records": {
            "get": {
                "operationId": "myRecords",
                "summary": "My records the central record holds, received today and in the last 7 days.",
                "description": "For 'My records' on the device, beside its outbox: each record's id, kind, "
                               "when it was recorded and received, and, where the practitioner may still see "
                               "the family, the family's name, when the visit happened and a link to it.",
                "responses": {
                    "200": {"description": "The records, newest first.", "content": {"application/json": {
                        "schema": {"type": "object", "required": ["server_time", "since", "records"], "properties": {
                            "server_time": {"type": "string"}, "since": {"type": "string", "format": "date"},
                            "records": {"type": "array", "items": {"type": "object", "properties": {
                                "id": {"type": "string"}, "kind": {"type": "string"},
                                "recorded_at": {"type": "string"}, "received_at": {"type": "string"},
                                "family": {"type": ["string", "null"]}, "happened_at": {"type": ["string", "null"]},
                                "href": {"type": ["string", "null"]}}}}}}}}},
                    "401": _error("Signed out (`signed_out`)."),
                    "403": _error("Another site's page (`wrong_origin`)."),
                },
            },
        },
        "/api/sync/public-key": {
            "get": {
                "operationId": "publicKey",
                "summary": "The central record's public key, to seal items to.",
                "security": [],
                "responses": {"200": {"description": "The key.", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PublicKey"}}}},
                    "403": _error("Another site's page (`wrong_origin`).")},
            },
        },
        "/api/device/secret": {
            "post": {
                "operationId": "deviceSecret",
                "summary": "This practitioner's secret for this device (the same on every call).",
                "description": "Combined on the device with the PIN to wrap the device's data key; never stored "
                               "on the device in clear (docs/offline-security.md).",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/DeviceSecretRequest"}}}},
                "responses": {
                    "200": {"description": "The secret.", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/DeviceSecret"}}}},
                    "400": _error("No device_id (`malformed`)."),
                    "401": _error("Signed out (`signed_out`)."),
                    "403": _error("Another site's page (`wrong_origin`), or a revoked device (`device_revoked`): "
                                  "no secret is given to it."),
                    "413": _error("Body over 2 MB (`too_large`)."),
                    "415": _error("The body is not application/json (`unsupported_media_type`)."),
                },
            },
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {
                    "schema": {"type": "object"}}}}},
            },
        },
    },
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "fieldvisit_session",
                        "description": "The practitioner's signed-in session."},
        },
        "schemas": {
            "PushRequest": {
                "type": "object",
                "required": ["device_id", "schema_version", "items"],
                "properties": {
                    "device_id": UUID,
                    "schema_version": {"type": "integer", "enum": [1],
                                       "description": "The payload schema; the server accepts the current one and the previous one."},
                    "items": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/Item"}},
                },
            },
            "Item": {"oneOf": [{"$ref": "#/components/schemas/PlainItem"}, {"$ref": "#/components/schemas/SealedItem"}]},
            "PlainItem": {
                "type": "object",
                "required": ["id", "kind", "payload", "recorded_at"],
                "properties": {
                    "id": UUID,
                    "kind": {"type": "string", "examples": ["visit", "amendment"],
                             "description": "A kind registered in fieldvisit/records.py."},
                    "payload": {"$ref": "#/components/schemas/Payload"},
                    "recorded_at": {"type": "string", "description": "ISO 8601 time on the device when it was saved."},
                    "clock_offset_ms": {"type": "integer", "description": "Optional (issue 14): the central "
                                        "record's time minus the device's, in ms, as the device measured it at its "
                                        "last sync before saving the item. \"In the future\" and \"before the visit\" "
                                        "are judged by the device's clock too; a value that is not an integer, or more "
                                        "than 400 days, is ignored. Not part of the item's content."},
                    "schema_version": {"type": "integer", "description": "Optional: the item's own payload schema, "
                                                                         "when it differs from the batch's."},
                },
            },
            "SealedItem": {
                "type": "object",
                "required": ["id", "kind", "sealed", "recorded_at"],
                "properties": {
                    "id": UUID,
                    "kind": {"type": "string"},
                    "sealed": {"$ref": "#/components/schemas/Sealed"},
                    "recorded_at": {"type": "string"},
                    "clock_offset_ms": {"type": "integer", "description": "Optional (issue 14): the central "
                                        "record's time minus the device's, in ms, as the device measured it at its "
                                        "last sync before saving the item. \"In the future\" and \"before the visit\" "
                                        "are judged by the device's clock too; a value that is not an integer, or more "
                                        "than 400 days, is ignored. Not part of the item's content."},
                    "schema_version": {"type": "integer"},
                },
            },
            "Sealed": {
                "type": "object",
                "required": ["alg", "wrapped_key", "iv", "ciphertext"],
                "description": "ciphertext = AES-256-GCM(UTF-8 JSON of the payload, random 256-bit key, 12-byte iv, "
                               "additional data = UTF-8 of the item id); wrapped_key = RSA-OAEP (SHA-256) of the "
                               "raw AES key under the central record's public key.",
                "properties": {"alg": {"const": "RSA-OAEP-256+A256GCM"}, "wrapped_key": B64, "iv": B64, "ciphertext": B64},
            },
            "Payload": {
                "type": "object",
                "required": ["fields"],
                "description": "The form's context object (data-record-context) plus its fields.",
                "properties": {"fields": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}}}},
                "additionalProperties": True,
            },
            "PushResponse": {
                "type": "object",
                "required": ["server_time", "receipts"],
                "properties": {"server_time": {"type": "string", "format": "date-time"},
                               "receipts": {"type": "array", "items": {"$ref": "#/components/schemas/Receipt"}}},
            },
            "Receipt": {
                "type": "object",
                "required": ["id", "status", "ref", "errors", "server_time"],
                "properties": {
                    "id": {"type": ["string", "null"], "description": "The item's id (null if it had no usable id)."},
                    "status": {"enum": ["stored", "duplicate", "conflict", "rejected"]},
                    "ref": {"type": ["string", "null"], "description": "The stored record's id."},
                    "errors": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "Field name to message, for rejected and conflict."},
                    "server_time": {"type": "string", "format": "date-time"},
                },
            },
            "Pack": {
                "type": "object",
                "required": ["server_time", "practitioner", "pages", "families"],
                "properties": {
                    "server_time": {"type": "string", "format": "date-time"},
                    "practitioner": {"type": "object", "required": ["id", "username", "display_name"], "properties": {
                        "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"}}},
                    "pages": {"type": "array", "items": {"type": "string"}},
                    "families": {"type": "array", "items": {"type": "integer"}},
                    "settings_version": {"type": "string", "description": (
                        "A fingerprint of the partnership's settings in force; when it differs from the last "
                        "pack's, the device fetches every page again (their rules are rendered with the settings).")},
                    "offline_lock_hours": {"type": "integer", "minimum": 1, "description": (
                        "After this many hours without a signed-in contact with the central record, the device "
                        "shows no kept page and no readable copy until the practitioner signs in with signal; "
                        "queued items stay sealed and are still sent.")},
                },
            },
            "PublicKey": {
                "type": "object",
                "required": ["alg", "spki"],
                "properties": {"alg": {"const": "RSA-OAEP-256"},
                               "spki": dict(B64, description="DER SubjectPublicKeyInfo, base64.")},
            },
            "DeviceSecretRequest": {"type": "object", "required": ["device_id"], "properties": {"device_id": UUID}},
            "DeviceSecret": {"type": "object", "required": ["device_secret"],
                             "properties": {"device_secret": dict(B64, description="32 bytes, base64.")}},
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
