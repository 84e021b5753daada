"""The offline pack a tablet downloads is the largest read of family data: it is audited, the pack
with the device that asked and each family it names (issue 14, "Audit gaps")."""
import uuid

from tests.test_rota_audit import audit_since, last_audit_id


def worker_id(db):
    return db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]


def test_downloading_the_pack_audits_the_pack_and_each_family(client, auth, db):
    auth.sign_in("demo-worker")
    worker = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    start = last_audit_id(db)
    response = client.get("/api/sync/pack")
    assert response.status_code == 200
    families = response.get_json()["families"]
    assert families, "demo-worker has visits this week: the pack names their families"
    rows = audit_since(db, start)
    assert (worker, "read", "offline_pack", "unregistered", "/api/sync/pack") in rows
    assert {row[3] for row in rows if row[2] == "family"} == {str(f) for f in families}
    assert all(row[:2] == (worker, "read") and row[4] == "/api/sync/pack" for row in rows)


def test_the_pack_audit_names_the_device_that_asked(client, auth, db):
    auth.sign_in("demo-worker")
    device = str(uuid.uuid4())
    start = last_audit_id(db)
    response = client.get("/api/sync/pack", headers={"X-Fieldvisit-Device": device})
    assert response.status_code == 200  # a new device is registered at its first contact
    rows = audit_since(db, start)
    assert (worker_id(db), "read", "offline_pack", device, "/api/sync/pack") in rows


def test_an_admin_has_an_empty_pack_and_the_download_is_still_audited(client, auth, db):
    auth.sign_in("demo-admin")
    start = last_audit_id(db)
    response = client.get("/api/sync/pack")
    assert response.status_code == 200 and response.get_json()["families"] == []
    assert [row[1:4] for row in audit_since(db, start)] == [("read", "offline_pack", "unregistered")]
