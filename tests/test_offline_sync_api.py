"""The sync API through Flask's test client: each error case, sealed items, the pack, the device
secret and the OpenAPI document."""
import base64
import json
import os
import re
import uuid
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization

from fieldvisit import create_app, records, settings
from fieldvisit.offline import sealed
from fieldvisit.today.queries import upcoming_visits
from sync import Unavailable
from tests.conftest import DEMO_PASSWORD
from tests.sync_fakes import families_of, visit_item
from tests.test_auth import set_last_active

DEVICE = "5f0c3f4e-1d2a-4b3c-8d9e-0a1b2c3d4e5f"
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture
def app(tmp_path, seeded_db_file):
    """The app on a copy of the seeded database, with its own central key."""
    path = tmp_path / "fieldvisit.db"
    path.write_bytes(seeded_db_file.read_bytes())
    return create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "SYNC_PRIVATE_KEY_FILE": str(tmp_path / "central.pem")})


@pytest.fixture
def worker(client, auth, db):
    """Signed in as demo-worker; their families and the children of each."""
    auth.sign_in("demo-worker")
    _, families = families_of(db, "demo-worker")
    return families


def a_visit(families, **overrides):
    family_id = sorted(families)[0]
    return visit_item(family_id, families[family_id], day=YESTERDAY, **overrides)


def push(client, items, **body):
    envelope = {"device_id": DEVICE, "schema_version": 1, "items": items}
    envelope.update(body)
    return client.post("/api/sync/push", json=envelope)


def counts(db):
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("visit_records", "visit_children", "amendments", "sync_receipts", "sync_conflicts")}


# -- pushing ----------------------------------------------------------------------------------

def test_a_pushed_visit_is_stored_once_with_the_device_and_author_on_its_receipt(client, worker, db):
    item = a_visit(worker)
    response = push(client, [item])
    assert response.status_code == 200
    body = response.get_json()
    [receipt] = body["receipts"]
    assert (receipt["id"], receipt["status"], receipt["ref"], receipt["errors"]) == (item["id"], "stored", item["id"], {})
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", receipt["server_time"])
    assert body["server_time"] >= receipt["server_time"]
    row = db.execute("SELECT author_id, device_id, recorded_at FROM sync_receipts WHERE item_id = ?",
                     [item["id"]]).fetchone()
    worker_id = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    assert row == (worker_id, DEVICE, item["recorded_at"])
    again = push(client, [item]).get_json()["receipts"][0]
    assert (again["status"], again["ref"]) == ("duplicate", item["id"])
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [item["id"]]).fetchone()[0] == 1
    assert response.headers["Cache-Control"] == "no-store"


def test_same_id_with_different_content_is_a_conflict_kept_for_review(client, worker, db):
    item = a_visit(worker)
    push(client, [item])
    other = a_visit(worker, item_id=item["id"], analysis="Another account of the same visit.")
    [receipt] = push(client, [other]).get_json()["receipts"]
    assert receipt["status"] == "conflict" and "already received" in receipt["errors"]["id"]
    assert db.execute("SELECT analysis FROM visit_records WHERE id = ?", [item["id"]]).fetchone()[0] \
        == "Mismatch between the bottles and the account."
    kept = db.execute("SELECT payload, device_id FROM sync_conflicts WHERE item_id = ?", [item["id"]]).fetchone()
    assert "Another account of the same visit." in kept[0] and kept[1] == DEVICE


def test_a_batch_with_one_bad_item_applies_the_good_ones_and_reports_the_bad_one(client, worker, db):
    good, bad, also_good = a_visit(worker), a_visit(worker, analysis="", duration_minutes="-5"), a_visit(worker)
    amendment_id = str(uuid.uuid4())
    amendment = {"id": amendment_id, "kind": "amendment", "recorded_at": f"{YESTERDAY}T12:00:00",
                 "payload": {"visit_id": good["id"], "fields": {
                     "record_id": [amendment_id], "field": ["analysis"],
                     "amended_value": ["Corrected analysis."], "reason": ["Typed in a hurry."]}}}
    receipts = push(client, [good, bad, also_good, amendment]).get_json()["receipts"]
    assert [r["status"] for r in receipts] == ["stored", "rejected", "stored", "stored"]
    assert receipts[1]["id"] == bad["id"]
    # The same form validation as the page: the same messages.
    assert receipts[1]["errors"]["analysis"] == "Enter your analysis of the visit"
    assert receipts[1]["errors"]["duration_minutes"] == "Enter a length from 1 to 720 minutes"
    assert db.execute("SELECT count(*) FROM visit_records WHERE id IN (?, ?, ?)",
                      [good["id"], bad["id"], also_good["id"]]).fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM sync_receipts WHERE item_id = ?", [bad["id"]]).fetchone()[0] == 0
    # The author fixes it and sends it again with the same id.
    fixed = a_visit(worker, item_id=bad["id"])
    assert push(client, [fixed]).get_json()["receipts"][0]["status"] == "stored"


def test_the_page_and_the_api_give_the_same_errors_for_the_same_fields(client, worker):
    item = a_visit(worker, analysis="", visit_type="", **{"children-0-seen": ""})
    family_id = item["payload"]["family_id"]
    [receipt] = push(client, [item]).get_json()["receipts"]
    form = {name: values[0] for name, values in item["payload"]["fields"].items()}
    page = client.post(f"/families/{family_id}/visits/new", data=form).get_data(as_text=True)
    assert receipt["status"] == "rejected" and receipt["errors"]
    for message in receipt["errors"].values():
        assert message.replace("'", "&#39;") in page


@pytest.mark.parametrize("make_payload, field, message", [
    (lambda family_id: {"family_id": str(family_id), "fields": {}}, "family_id", "not assigned"),
    (lambda family_id: {"family_id": True, "fields": {}}, "family_id", "not assigned"),
    (lambda family_id: {"family_id": 999999, "fields": {}}, "family_id", "not assigned"),
    (lambda family_id: {"fields": {}}, "family_id", "not assigned"),
    (lambda family_id: {"family_id": family_id, "fields": "visit_type=planned"}, "fields", "no form fields"),
    (lambda family_id: {"family_id": family_id}, "fields", "no form fields"),
    (lambda family_id: {"family_id": family_id, "fields": {"visit_type": [1]}}, "visit_type", "must be text"),
    (lambda family_id: {"family_id": family_id, "fields": {"visit_type": [None]}}, "visit_type", "must be text"),
    (lambda family_id: {"family_id": family_id, "fields": {"visit_type": {"a": "b"}}}, "visit_type", "must be text"),
])
def test_wrongly_typed_payloads_are_rejected_with_a_clear_message(client, worker, db, make_payload, field, message):
    before = counts(db)
    item = {"id": str(uuid.uuid4()), "kind": "visit", "recorded_at": f"{YESTERDAY}T10:00:00",
            "payload": make_payload(sorted(worker)[0])}
    [receipt] = push(client, [item]).get_json()["receipts"]
    assert receipt["status"] == "rejected" and message in receipt["errors"][field], receipt
    assert counts(db) == before


def test_someone_elses_family_is_rejected_and_nothing_stored(client, auth, db):
    auth.sign_in("demo-worker")
    _, mine = families_of(db, "demo-worker")
    _, theirs = families_of(db, "demo-health-visitor")
    family_id = next(f for f in sorted(theirs) if f not in mine)
    before = counts(db)
    item = visit_item(family_id, theirs[family_id], day=YESTERDAY)
    [receipt] = push(client, [item]).get_json()["receipts"]
    assert receipt["status"] == "rejected" and receipt["errors"] == {"family_id": records.NOT_YOURS}
    assert counts(db) == before


def envelope_cases(families):
    item = a_visit(families)
    return [
        (b"{not json", "malformed", "not valid JSON"),
        (b"\xff\xfe", "malformed", "not valid JSON"),
        (b'{"device_id": NaN}', "malformed", "not valid JSON"),
        (b"[]", "malformed", "JSON object"),
        (json.dumps({"schema_version": 1, "items": [item]}).encode(), "malformed", "device_id"),
        (json.dumps({"device_id": "tablet-1", "schema_version": 1, "items": [item]}).encode(), "malformed", "device_id"),
        (json.dumps({"device_id": DEVICE, "items": [item]}).encode(), "malformed", "schema_version"),
        (json.dumps({"device_id": DEVICE, "schema_version": 2, "items": [item]}).encode(),
         "unsupported_schema_version", "schema version 1"),
        (json.dumps({"device_id": DEVICE, "schema_version": "1", "items": [item]}).encode(),
         "unsupported_schema_version", "not '1'"),
        (json.dumps({"device_id": DEVICE, "schema_version": 1, "items": {"0": item}}).encode(), "malformed", "items"),
        (json.dumps({"device_id": DEVICE, "schema_version": 1}).encode(), "malformed", "items"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed", "not valid JSON"),
    ]


def test_a_malformed_body_is_400_with_a_clear_message_and_changes_nothing(client, worker, db):
    before = counts(db)
    for body, error, message in envelope_cases(worker):
        response = client.post("/api/sync/push", data=body, content_type="application/json")
        assert response.status_code == 400, body[:80]
        assert response.get_json()["error"] == error and message in response.get_json()["message"], body[:80]
    assert counts(db) == before


def test_over_the_limits_is_413_and_changes_nothing(client, worker, db):
    before = counts(db)
    too_many = push(client, [a_visit(worker) for _ in range(101)])
    assert too_many.status_code == 413 and too_many.get_json()["error"] == "too_large"
    assert "at most 100" in too_many.get_json()["message"]
    huge = a_visit(worker, analysis="x" * (2 * 1024 * 1024))
    too_big = push(client, [huge])
    assert too_big.status_code == 413 and "2 MB" in too_big.get_json()["message"]
    assert counts(db) == before
    assert len(push(client, [a_visit(worker) for _ in range(100)]).get_json()["receipts"]) == 100


def test_a_body_that_is_not_json_is_415(client, worker, db):
    response = client.post("/api/sync/push", data={"items": "[]"})
    assert response.status_code == 415 and response.get_json()["error"] == "unsupported_media_type"
    response = client.post("/api/device/secret", data="{}", content_type="text/plain")
    assert response.status_code == 415


def test_signed_out_is_401_so_the_queue_pauses(client, db):
    for response in (push(client, []), client.get("/api/sync/pack"),
                     client.post("/api/device/secret", json={"device_id": DEVICE})):
        assert response.status_code == 401
        assert response.get_json()["error"] == "signed_out"


def test_an_idle_session_is_401_and_sends_again_after_signing_in(app, client, auth, db):
    auth.sign_in("demo-worker")
    _, families = families_of(db, "demo-worker")
    set_last_active(client, settings.DEFAULTS["session_idle_minutes"] * 60 + 1, db)
    item = a_visit(families)
    assert push(client, [item]).status_code == 401
    assert counts(db)["sync_receipts"] == 0
    auth.sign_in("demo-worker")
    assert push(client, [item]).get_json()["receipts"][0]["status"] == "stored"


def test_a_foreign_origin_is_403_and_changes_nothing(client, worker, db):
    before = counts(db)
    for origin in ("https://evil.example", "null", "http://localhost.evil.example", "http://localhost:8080"):
        response = client.post("/api/sync/push", json={"device_id": DEVICE, "schema_version": 1,
                                                         "items": [a_visit(worker)]}, headers={"Origin": origin})
        assert response.status_code == 403 and response.get_json()["error"] == "wrong_origin", origin
    assert counts(db) == before
    own = client.post("/api/sync/push", json={"device_id": DEVICE, "schema_version": 1, "items": [a_visit(worker)]},
                      headers={"Origin": "http://localhost"})
    assert own.status_code == 200 and own.get_json()["receipts"][0]["status"] == "stored"


def test_the_api_needs_no_form_token_even_with_csrf_on(tmp_path, seeded_db_file, db):
    path = tmp_path / "csrf.db"
    path.write_bytes(seeded_db_file.read_bytes())
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True,
                      "SYNC_PRIVATE_KEY_FILE": str(tmp_path / "central.pem")})
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD,
                                         "csrf_token": token}).status_code == 302
    assert client.post("/sign-out").status_code == 400  # forms still need their token
    _, families = families_of(db, "demo-worker")
    assert push(client, [a_visit(families)]).get_json()["receipts"][0]["status"] == "stored"


def test_a_busy_central_record_is_503_with_retry_after(client, worker, monkeypatch):
    def busy(*args, **kwargs):
        raise Unavailable("database is locked")
    monkeypatch.setattr(records.engine, "push", busy)
    response = push(client, [a_visit(worker)])
    assert response.status_code == 503 and response.get_json()["error"] == "unavailable"
    assert response.headers["Retry-After"] == "5"


def test_a_fault_in_one_applier_does_not_lose_the_rest_of_the_batch(client, worker, db, monkeypatch):
    def broken(db, item, context):
        db.execute("INSERT INTO audit_log (at, practitioner_id, action, entity, entity_id, route)"
                   " VALUES ('now', NULL, 'write', 'test', 'x', 'x')")
        raise KeyError("a bug")
    monkeypatch.setitem(records.engine.appliers, "broken", broken)
    audit_before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    first, last = a_visit(worker), a_visit(worker)
    item = {"id": str(uuid.uuid4()), "kind": "broken", "recorded_at": f"{YESTERDAY}T10:00:00", "payload": {}}
    receipts = push(client, [first, item, last]).get_json()["receipts"]
    assert [r["status"] for r in receipts] == ["stored", "rejected", "stored"]
    assert "error on the server" in receipts[1]["errors"]["item"]
    assert db.execute("SELECT count(*) FROM audit_log WHERE entity = 'test'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] > audit_before


# -- sealed items -----------------------------------------------------------------------------

def public_key(client):
    document = client.get("/api/sync/public-key").get_json()
    assert document["alg"] == "RSA-OAEP-256"
    return base64.b64decode(document["spki"])


def sealed_item(spki, item):
    return {"id": item["id"], "kind": item["kind"], "recorded_at": item["recorded_at"],
            "sealed": sealed.seal(spki, item["id"], item["payload"])}


def test_a_sealed_item_is_opened_and_ingested_like_a_plain_one(client, worker, db):
    spki = public_key(client)
    item = a_visit(worker)
    receipts = push(client, [sealed_item(spki, item), item, sealed_item(spki, item)]).get_json()["receipts"]
    assert [r["status"] for r in receipts] == ["stored", "duplicate", "duplicate"]
    assert db.execute("SELECT analysis FROM visit_records WHERE id = ?", [item["id"]]).fetchone()[0] \
        == "Mismatch between the bottles and the account."
    invalid = a_visit(worker, analysis="")
    [receipt] = push(client, [sealed_item(spki, invalid)]).get_json()["receipts"]
    assert receipt["errors"] == {"analysis": "Enter your analysis of the visit"}


def b64(data):
    return base64.b64encode(data).decode()


def test_a_sealed_item_that_cannot_be_opened_is_rejected_clearly_and_the_batch_goes_on(client, worker, db):
    spki = public_key(client)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def variant(change):
        item = a_visit(worker)
        wrapped = sealed_item(spki, item)
        change(wrapped)
        return wrapped

    def flip_ciphertext(w):
        data = bytearray(base64.b64decode(w["sealed"]["ciphertext"]))
        data[0] ^= 1
        w["sealed"]["ciphertext"] = b64(bytes(data))

    def other_id(w):  # the AAD binds the item id: a sealed payload cannot move to another id
        w["id"] = str(uuid.uuid4())

    def other_server(w):
        w["sealed"] = sealed.seal(other_key, w["id"], {"family_id": 1, "fields": {}})

    def not_json(w):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.serialization import load_der_public_key
        key, iv = os.urandom(32), os.urandom(12)
        w["sealed"]["wrapped_key"] = b64(load_der_public_key(spki).encrypt(key, sealed.OAEP))
        w["sealed"]["iv"] = b64(iv)
        w["sealed"]["ciphertext"] = b64(AESGCM(key).encrypt(iv, b"not json", w["id"].encode()))

    cases = [
        (flip_ciphertext, "altered"),
        (other_id, "does not match its id"),
        (other_server, "not sealed to this server's current public key"),
        (not_json, "not JSON"),
        (lambda w: w["sealed"].update(alg="RSA1_5+A128CBC"), "RSA-OAEP-256+A256GCM"),
        (lambda w: w["sealed"].update(iv=b64(b"short")), "iv must be 12 bytes"),
        (lambda w: w["sealed"].update(wrapped_key="***"), "not valid base64"),
        (lambda w: w["sealed"].pop("ciphertext"), "ciphertext must be base64 text"),
        (lambda w: w.update(sealed="opaque"), "must carry an object"),
    ]
    good = a_visit(worker)
    items = [variant(change) for change, _ in cases] + [sealed_item(spki, good)]
    receipts = push(client, items).get_json()["receipts"]
    for (change, message), receipt in zip(cases, receipts):
        assert receipt["status"] == "rejected" and message in receipt["errors"]["sealed"], (change, receipt)
    assert receipts[-1]["status"] == "stored"
    assert db.execute("SELECT count(*) FROM sync_receipts").fetchone()[0] == 1


def test_the_central_key_is_made_once_private_to_the_server_and_kept(tmp_path, seeded_db_file, app, client):
    key_file = tmp_path / "central.pem"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    spki = public_key(client)
    again = create_app(dict(app.config, SYNC_PRIVATE_KEY_FILE=str(key_file))).test_client()
    assert public_key(again) == spki
    key = serialization.load_der_public_key(spki)
    assert key.key_size == 3072


# -- the pack ---------------------------------------------------------------------------------

def test_the_pack_holds_the_families_with_visits_in_the_coming_days_and_every_page_opens(client, worker, db):
    response = client.get("/api/sync/pack")
    pack = response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert pack["practitioner"]["username"] == "demo-worker"
    practitioner = dict(db.query("SELECT * FROM practitioners WHERE username = 'demo-worker'").__iter__().__next__())
    expected = list(dict.fromkeys(v["family_id"] for v in upcoming_visits(
        db, practitioner, date.today(), settings.load(db)["today_days_ahead"])))
    assert pack["families"] == expected and expected
    pages = pack["pages"]
    assert pages[0] == "/today" and len(pages) == len(set(pages))
    for family_id in expected:
        assert f"/families/{family_id}" in pages and f"/families/{family_id}/visits/new" in pages
        for (child_id,) in db.execute("SELECT id FROM children WHERE family_id = ?", [family_id]):
            assert f"/children/{child_id}" in pages
    not_in_pack = set(worker) - set(expected)
    for family_id in not_in_pack:
        assert not any(page.startswith(f"/families/{family_id}") for page in pages)
    assert any("?scheduled=" in page for page in pages) and any(page.startswith("/visits/") for page in pages)
    # Every record form that opens from these pages, where that area of the app is present.
    for endpoint, fragment in [("was_not_brought.record_was_not_brought", "/was-not-brought/new"),
                               ("alcohol.record_alcohol_audit", "/alcohol-audit/new"),
                               ("bodymap.new_body_map", "/body-map/new"), ("visits.amend_visit", "/amend")]:
        if endpoint in client.application.view_functions:
            assert any(page.endswith(fragment) for page in pages), endpoint
    first_families = pages[:pages.index(f"/families/{expected[2]}")] if len(expected) > 2 else pages
    for page in first_families:  # every kind of page, for whole families
        assert client.get(page).status_code == 200, page


def test_the_pack_holds_only_what_the_home_needs(client, worker, db):
    """Today, each family's page and visit forms, each child's page, Was Not Brought form and body map for a
    visit saved on the tablet, and the latest 3 visit records with their amendment and AUDIT forms: nothing else
    (no body-map history, appointment lists or body maps of earlier visits)."""
    pack = client.get("/api/sync/pack").get_json()
    expected = ["/today"]
    scheduled = {}
    practitioner = next(iter(db.query("SELECT * FROM practitioners WHERE username = 'demo-worker'")))
    for visit in upcoming_visits(db, practitioner, date.today(), settings.load(db)["today_days_ahead"]):
        scheduled.setdefault(visit["family_id"], []).append(visit["id"])
    for family_id in pack["families"]:
        expected += [f"/families/{family_id}", f"/families/{family_id}/visits/new"]
        expected += [f"/families/{family_id}/visits/new?scheduled={s}" for s in scheduled[family_id]]
        for (child_id,) in db.execute("SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth",
                                      [family_id]):
            expected += [f"/children/{child_id}", f"/children/{child_id}/was-not-brought/new"]
        latest = [row[0] for row in db.execute(
            "SELECT id FROM visit_records WHERE family_id = ? ORDER BY happened_at DESC", [family_id])][:3]
        for visit_id in latest:
            expected += [f"/visits/{visit_id}", f"/visits/{visit_id}/amend", f"/visits/{visit_id}/alcohol-audit/new"]
    for family_id in pack["families"]:  # the body maps for visits saved on the tablet, family by family
        expected += [f"/children/{child_id}/body-map/new" for (child_id,) in db.execute(
            "SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id])]
    assert pack["pages"] == expected
    assert max(db.execute("SELECT count(*) FROM visit_records WHERE family_id IN (%s) GROUP BY family_id"
                          % ",".join("?" * len(pack["families"])), pack["families"]).fetchall())[0] > 3
    for page in pack["pages"]:
        if "/body-map/new" in page:
            assert client.get(page).status_code == 200, page


def test_the_pack_follows_the_today_days_ahead_setting(client, worker, db):
    settings.save(db, "today_days_ahead", 1)
    practitioner = next(iter(db.query("SELECT * FROM practitioners WHERE username = 'demo-worker'")))
    expected = list(dict.fromkeys(v["family_id"] for v in upcoming_visits(db, practitioner, date.today(), 1)))
    assert client.get("/api/sync/pack").get_json()["families"] == expected


def test_an_admin_gets_an_empty_pack(client, auth):
    auth.sign_in("demo-admin")
    pack = client.get("/api/sync/pack").get_json()
    assert (pack["families"], pack["pages"]) == ([], [])


# -- the device secret ------------------------------------------------------------------------

def test_the_device_secret_is_32_bytes_kept_per_practitioner_and_device(client, auth, db):
    auth.sign_in("demo-worker")
    first = client.post("/api/device/secret", json={"device_id": DEVICE})
    secret = base64.b64decode(first.get_json()["device_secret"])
    assert first.status_code == 200 and len(secret) == 32 and first.headers["Cache-Control"] == "no-store"
    assert client.post("/api/device/secret", json={"device_id": DEVICE}).get_json() == first.get_json()
    other_device = client.post("/api/device/secret", json={"device_id": str(uuid.uuid4())}).get_json()
    assert other_device != first.get_json()
    auth.sign_in("demo-social-worker")
    assert client.post("/api/device/secret", json={"device_id": DEVICE}).get_json() != first.get_json()
    assert db.execute("SELECT count(*) FROM device_secrets").fetchone()[0] == 3
    for body in ({}, {"device_id": "tablet"}, {"device_id": 5}):
        response = client.post("/api/device/secret", json=body)
        assert response.status_code == 400 and "device_id" in response.get_json()["message"]
    foreign = client.post("/api/device/secret", json={"device_id": DEVICE}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403


# -- the OpenAPI document ---------------------------------------------------------------------

def test_the_openapi_document_is_valid_31_and_every_path_exists(app, client):
    from openapi_spec_validator import validate
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = json.loads(response.get_data())
    assert document["openapi"].startswith("3.1")
    validate(document)
    routes = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), set()).update(rule.methods)
    for path, operations in document["paths"].items():
        assert path in routes, f"{path} is documented but not served"
        for method in operations:
            assert method.upper() in routes[path], f"{method.upper()} {path} is documented but not served"
    served = {path for path in routes if path.startswith("/api/")}
    assert served <= set(document["paths"]), f"undocumented: {served - set(document['paths'])}"
