"""Registered devices (issue 14, item 5, and the defect "Device secret to any session"): each tablet
that syncs is registered to a practitioner with first and last contact and its app version; the
admin lists and revokes them; a revoked device gets `device_revoked` at its next contact, its items
are not accepted (they stay on it), and the device secret goes only to a registered, unrevoked
device, each time in the audit log."""
import uuid

import pytest

from tests.sync_fakes import families_of, visit_item
from tests.test_access import SessionAuth

DEVICE = "5f0c3f4e-1d2a-4b3c-8d9e-0a1b2c3d4e5f"


@pytest.fixture
def auth(client, app):
    return SessionAuth(client, app)


def secret(client, device_id=DEVICE):
    return client.post("/api/device/secret", json={"device_id": device_id})


def push(client, items, device_id=DEVICE, version=None):
    headers = {"X-Fieldvisit-App-Version": version} if version else {}
    return client.post("/api/sync/push", json={"device_id": device_id, "schema_version": 1, "items": items},
                       headers=headers)


def a_visit(db):
    _, families = families_of(db, "demo-worker")
    family_id = sorted(families)[0]
    return visit_item(family_id, families[family_id])


def devices(db):
    return [dict(r) for r in db.query("SELECT d.*, p.username FROM devices d JOIN practitioners p"
                                      " ON p.id = d.practitioner_id ORDER BY p.username")]


def test_a_tablet_is_registered_at_its_first_contact_with_its_version(client, auth, db):
    auth.sign_in("demo-worker")
    assert secret(client).status_code == 200
    [row] = devices(db)
    assert (row["device_id"], row["username"], row["revoked_at"]) == (DEVICE, "demo-worker", None)
    assert row["first_seen_at"] == row["last_seen_at"]
    assert push(client, [], version="v-abc123").status_code == 200
    assert devices(db)[0]["app_version"] == "v-abc123"
    assert client.get("/api/sync/pack", headers={"X-Fieldvisit-Device": DEVICE}).status_code == 200


def test_a_shared_tablet_is_registered_to_each_practitioner(client, auth, db):
    auth.sign_in("demo-worker")
    secret(client)
    auth.sign_in("demo-lead")
    secret(client)
    assert [d["username"] for d in devices(db)] == ["demo-lead", "demo-worker"]


def test_every_secret_given_is_in_the_audit_log(client, auth, db):
    auth.sign_in("demo-worker")
    secret(client)
    secret(client)
    rows = [tuple(r) for r in db.execute("SELECT action, entity, entity_id, route FROM audit_log"
                                         " WHERE entity IN ('device', 'device_secret') ORDER BY id")]
    assert rows == [("write", "device", DEVICE, "/api/device/secret"),
                    ("read", "device_secret", DEVICE, "/api/device/secret"),
                    ("read", "device_secret", DEVICE, "/api/device/secret")]


def test_the_admin_lists_devices_and_revokes_one(client, auth, db):
    auth.sign_in("demo-worker")
    secret(client)
    push(client, [], version="v-1")
    auth.sign_in("demo-admin")
    page = client.get("/devices").get_data(as_text=True)
    assert DEVICE[:8] in page and "demo-worker" in page and "v-1" in page and ">Revoke<" in page
    response = client.post(f"/devices/{DEVICE}/revoke")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The device is revoked" in page and "Revoked" in page and ">Revoke<" not in page
    assert devices(db)[0]["revoked_at"] is not None
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'device'"
                      " AND route = ?", [f"/devices/{DEVICE}/revoke"]).fetchone()[0] == 1


def test_a_revoked_device_is_told_to_wipe_and_nothing_it_sends_is_accepted(client, auth, db):
    auth.sign_in("demo-worker")
    assert secret(client).status_code == 200
    auth.sign_in("demo-admin")
    client.post(f"/devices/{DEVICE}/revoke")
    auth.sign_in("demo-worker")
    before = db.execute("SELECT count(*) FROM sync_receipts").fetchone()[0]
    item = a_visit(db)
    for response in (push(client, [item]), secret(client),
                     client.get("/api/sync/pack", headers={"X-Fieldvisit-Device": DEVICE})):
        assert response.status_code == 403
        assert response.get_json()["error"] == "device_revoked"
        assert "revoked" in response.get_json()["message"]
    assert db.execute("SELECT count(*) FROM sync_receipts").fetchone()[0] == before  # not accepted blindly
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity = 'device'").fetchone()[0] == 3
    # Another practitioner signing in on the revoked tablet gets no secret either.
    auth.sign_in("demo-lead")
    assert secret(client).get_json()["error"] == "device_revoked"
    # The same items from the practitioner's good device are accepted.
    auth.sign_in("demo-worker")
    assert push(client, [item], device_id=str(uuid.uuid4())).get_json()["receipts"][0]["status"] == "stored"


@pytest.mark.parametrize("username", ["demo-worker", "demo-lead", "demo-social-worker"])
def test_only_admins_have_the_devices_page(client, auth, username):
    auth.sign_in(username)
    assert client.get("/devices").status_code == 404
    assert client.post(f"/devices/{DEVICE}/revoke").status_code == 404


@pytest.mark.parametrize("device_id", ["not-a-uuid", "0b7c2d61-93aa-4c51-b1e4-2f3f6d2f9a10", "5F0C3F4E-1D2A-4B3C-8D9E-0A1B2C3D4E5F"])
def test_revoking_an_unknown_device_is_a_404(client, auth, device_id):
    auth.sign_in("demo-admin")
    assert client.post(f"/devices/{device_id}/revoke").status_code == 404


def test_a_malformed_device_header_on_the_pack_is_refused(client, auth):
    auth.sign_in("demo-worker")
    response = client.get("/api/sync/pack", headers={"X-Fieldvisit-Device": "nope"})
    assert response.status_code == 400 and response.get_json()["error"] == "malformed"


def test_last_seen_is_written_at_most_once_a_minute_unless_the_app_changed(db):
    """Issue 13: every sync push paid a write for 'last seen'; within a minute, nothing is written."""
    from fieldvisit.devices import domain
    worker = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    device = str(uuid.uuid4())
    assert domain.register_contact(db, device, worker, "v1", "Tablet browser") is True
    writes = []
    db.conn.set_trace_callback(lambda sql: writes.append(sql) if sql.startswith(("INSERT", "UPDATE")) else None)
    try:
        assert domain.register_contact(db, device, worker, "v1", "Tablet browser") is False
        assert domain.register_contact(db, device, worker, "", "") is False
        assert writes == []
        assert domain.register_contact(db, device, worker, "v2", "Tablet browser") is False
        assert len(writes) == 1
    finally:
        db.conn.set_trace_callback(None)
    db.execute("UPDATE devices SET last_seen_at = '2026-01-01T00:00:00+00:00' WHERE device_id = ?", [device])
    domain.register_contact(db, device, worker, "v2", "Tablet browser")
    row = db.execute("SELECT app_version, last_seen_at FROM devices WHERE device_id = ?", [device]).fetchone()
    assert row[0] == "v2" and row[1] > "2026-01-01T00:00:00+00:00"
