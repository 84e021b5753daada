"""Issue 14, item 5: records waiting on a revoked tablet are neither lost nor accepted blindly. The revoked
tablet's push is answered 403 `device_revoked` (it wipes what it keeps readable) with a `conflict` receipt for each
item ("kept for review"); the items are kept aside, unapplied, for the leads of the family's team, who accept each
(applied through the sync engine as its author, so every rule fires) or set it aside with a reason, both audited.
Also the lead's view of records whose times were corrected for a tablet's wrong clock."""
import re
import uuid
from datetime import datetime, timedelta

import pytest

from tests.sync_fakes import families_of, visit_item
from tests.test_access import SessionAuth

DEVICE = "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"
GOOD_DEVICE = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"


@pytest.fixture
def auth(client, app):
    return SessionAuth(client, app)


def push(client, items, device_id=DEVICE):
    return client.post("/api/sync/push", json={"device_id": device_id, "schema_version": 1, "items": items})


def revoke(client, auth, device_id=DEVICE):
    auth.sign_in("demo-admin")
    assert client.post(f"/devices/{device_id}/revoke").status_code == 302


def a_visit(db, **overrides):
    _, families = families_of(db, "demo-worker")
    family_id = sorted(families)[0]
    return family_id, visit_item(family_id, families[family_id], **overrides)


def count(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


@pytest.fixture
def kept(client, auth, db):
    """A visit waiting on demo-worker's tablet, sent after an admin revoked the tablet."""
    auth.sign_in("demo-worker")
    assert push(client, []).status_code == 200  # the tablet's first contact registers it
    revoke(client, auth)
    auth.sign_in("demo-worker")
    family_id, item = a_visit(db, analysis="Sent from the lost tablet.")
    response = push(client, [item])
    return {"response": response, "item": item, "family_id": family_id}


def test_a_revoked_tablets_push_is_told_to_wipe_and_its_items_are_kept_for_review(kept, db):
    response, item = kept["response"], kept["item"]
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "device_revoked" and "revoked" in body["message"] and body["server_time"]
    [receipt] = body["receipts"]
    assert (receipt["id"], receipt["status"]) == (item["id"], "conflict")
    assert "team lead" in receipt["errors"]["id"]
    assert count(db, "SELECT count(*) FROM visit_records WHERE id = ?", [item["id"]]) == 0  # not accepted blindly
    assert count(db, "SELECT count(*) FROM sync_receipts WHERE item_id = ?", [item["id"]]) == 0
    row = db.execute("SELECT reason, family_id, device_id, recorded_at FROM sync_conflicts WHERE item_id = ?",
                     [item["id"]]).fetchone()
    assert tuple(row) == ("revoked_device", kept["family_id"], DEVICE, item["recorded_at"])  # not lost


def test_sending_again_keeps_one_copy_and_a_bad_item_is_rejected(client, auth, kept, db):
    auth.sign_in("demo-worker")
    bad = {"id": "not-a-uuid", "kind": "visit", "recorded_at": "now", "payload": {}}
    response = push(client, [kept["item"], bad])
    assert response.status_code == 403
    assert [r["status"] for r in response.get_json()["receipts"]] == ["conflict", "rejected"]
    assert count(db, "SELECT count(*) FROM sync_conflicts WHERE item_id = ?", [kept["item"]["id"]]) == 1
    assert push(client, [kept["item"]] * 101).status_code == 413


def test_an_item_already_stored_before_the_revocation_is_a_duplicate(client, auth, db):
    auth.sign_in("demo-worker")
    _, item = a_visit(db)
    assert push(client, [item]).get_json()["receipts"][0]["status"] == "stored"
    revoke(client, auth)
    auth.sign_in("demo-worker")
    response = push(client, [item])
    assert response.status_code == 403 and response.get_json()["receipts"][0]["status"] == "duplicate"
    assert count(db, "SELECT count(*) FROM sync_conflicts") == 0


def kept_page(client):
    return client.get("/conflicts/revoked-devices").get_data(as_text=True)


def conflict_id_of(page):
    return int(re.search(r"/conflicts/kept/(\d+)/decide", page).group(1))


def test_the_lead_accepts_a_kept_record_and_it_is_applied_as_its_author(client, auth, kept, db):
    auth.sign_in("demo-lead")
    assert "1 record sent from a revoked tablet" in client.get("/dashboard").get_data(as_text=True)
    page = kept_page(client)
    assert "Sent from the lost tablet." in page and "Sent from a revoked tablet" in page
    conflict_id = conflict_id_of(page)
    assert client.post(f"/conflicts/kept/{conflict_id}/decide", data={"note": ""}).status_code == 400  # no choice
    response = client.post(f"/conflicts/kept/{conflict_id}/decide", data={"decision": "accept", "note": ""})
    assert response.status_code == 302
    item_id = kept["item"]["id"]
    visit = db.execute("SELECT v.analysis, p.username FROM visit_records v JOIN practitioners p"
                       " ON p.id = v.practitioner_id WHERE v.id = ?", [item_id]).fetchone()
    assert tuple(visit) == ("Sent from the lost tablet.", "demo-worker")  # its author's record
    receipt = db.execute("SELECT device_id, recorded_at FROM sync_receipts WHERE item_id = ?", [item_id]).fetchone()
    assert tuple(receipt) == (DEVICE, kept["item"]["recorded_at"])
    assert db.execute("SELECT decision FROM conflict_reviews WHERE conflict_id = ?", [conflict_id]).fetchone()[0] \
        == "accepted"
    assert count(db, "SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'sync_conflict'"
                     " AND entity_id = ?", [str(conflict_id)]) == 1
    assert count(db, "SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'visit' AND entity_id = ?",
                 [item_id]) == 1
    page = kept_page(client)
    assert "Accepted" in page and f"/visits/{item_id}" in page and "decide" not in page
    # Deciding again changes nothing.
    client.post(f"/conflicts/kept/{conflict_id}/decide", data={"decision": "set_aside", "note": "again"})
    assert count(db, "SELECT count(*) FROM conflict_reviews") == 1
    assert "sent from a revoked tablet" not in client.get("/dashboard").get_data(as_text=True)


def test_the_lead_sets_a_kept_record_aside_only_with_a_reason(client, auth, kept, db):
    auth.sign_in("demo-lead")
    conflict_id = conflict_id_of(kept_page(client))
    empty = client.post(f"/conflicts/kept/{conflict_id}/decide", data={"decision": "set_aside", "note": " "})
    assert empty.status_code == 400 and "Say why you are setting this record aside" in empty.get_data(as_text=True)
    done = client.post(f"/conflicts/kept/{conflict_id}/decide",
                       data={"decision": "set_aside", "note": "The worker recorded it again on her new tablet."})
    assert done.status_code == 302
    assert count(db, "SELECT count(*) FROM visit_records WHERE id = ?", [kept["item"]["id"]]) == 0
    assert tuple(db.execute("SELECT decision, note FROM conflict_reviews WHERE conflict_id = ?", [conflict_id])
                 .fetchone()) == ("set_aside", "The worker recorded it again on her new tablet.")
    assert "Set aside" in kept_page(client)
    assert count(db, "SELECT count(*) FROM sync_conflicts") == 1  # kept, with the reason


def test_an_accepted_record_meets_every_rule_and_a_refusal_decides_nothing(client, auth, db):
    auth.sign_in("demo-worker")
    push(client, [])
    revoke(client, auth)
    auth.sign_in("demo-worker")
    future = (datetime.now() + timedelta(days=3)).date().isoformat()
    _, item = a_visit(db, day=future)  # a visit in the future: the form's own rule refuses it
    assert push(client, [item]).get_json()["receipts"][0]["status"] == "conflict"
    auth.sign_in("demo-lead")
    conflict_id = conflict_id_of(kept_page(client))
    response = client.post(f"/conflicts/kept/{conflict_id}/decide", data={"decision": "accept"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "could not add this record" in text and "in the future" in text
    assert count(db, "SELECT count(*) FROM visit_records WHERE id = ?", [item["id"]]) == 0
    assert count(db, "SELECT count(*) FROM conflict_reviews") == 0


@pytest.mark.parametrize("username", ["demo-worker", "demo-social-worker", "demo-health-visitor", "demo-admin"])
def test_only_team_leads_may_open_or_decide(client, auth, kept, db, username):
    conflict_id = db.execute("SELECT id FROM sync_conflicts").fetchone()[0]
    auth.sign_in(username)
    assert client.get("/conflicts/revoked-devices").status_code in (403, 404)
    assert client.post(f"/conflicts/kept/{conflict_id}/decide", data={"decision": "accept"}).status_code in (403, 404)
    assert count(db, "SELECT count(*) FROM visit_records WHERE id = ?", [kept["item"]["id"]]) == 0


def test_the_lead_of_another_team_does_not_see_it(client, auth, kept, db):
    conflict_id = db.execute("SELECT id FROM sync_conflicts").fetchone()[0]
    auth.sign_in("hannah.madeup")  # the lead of another team
    page = kept_page(client)
    assert "None. No revoked tablet has sent a record." in page and "Sent from the lost tablet." not in page
    response = client.post(f"/conflicts/kept/{conflict_id}/decide", data={"decision": "accept"})
    assert response.status_code == 404
    assert count(db, "SELECT count(*) FROM visit_records WHERE id = ?", [kept["item"]["id"]]) == 0
    assert count(db, "SELECT count(*) FROM conflict_reviews") == 0


def test_an_ordinary_conflict_is_not_listed_as_from_a_revoked_tablet(client, auth, kept, db):
    auth.sign_in("demo-lead")
    assert "None. Every record has arrived once." in client.get("/conflicts").get_data(as_text=True)


# --- times corrected for a tablet's clock -------------------------------------------------------

def test_the_lead_sees_records_whose_times_were_corrected(client, auth, db):
    auth.sign_in("demo-worker")
    tablet_now = datetime.now().replace(microsecond=0) - timedelta(days=3)
    _, item = a_visit(db, day=tablet_now.date().isoformat(), recorded_at=tablet_now.isoformat(),
                      visit_time="00:00")
    item["clock_offset_ms"] = 3 * 24 * 3600 * 1000
    _, right = a_visit(db)
    right["clock_offset_ms"] = 2000  # two seconds: not worth a word
    assert [r["status"] for r in push(client, [item, right], GOOD_DEVICE).get_json()["receipts"]] == ["stored"] * 2
    visit_page = client.get(f"/visits/{item['id']}").get_data(as_text=True)
    assert "The tablet's clock was 3 days behind the central record" in visit_page
    assert "Tablet's clock" not in client.get(f"/visits/{right['id']}").get_data(as_text=True)
    auth.sign_in("demo-lead")
    assert "1 record from tablets with a wrong clock" in client.get("/dashboard").get_data(as_text=True)
    page = client.get("/conflicts/clock-corrections").get_data(as_text=True)
    assert "3 days behind the central record" in page and f"/visits/{item['id']}" in page
    assert f"/visits/{right['id']}" not in page
    auth.sign_in("hannah.madeup")
    assert f"/visits/{item['id']}" not in client.get("/conflicts/clock-corrections").get_data(as_text=True)
    auth.sign_in("demo-worker")
    assert client.get("/conflicts/clock-corrections").status_code in (403, 404)


def test_a_revoked_tablets_item_keeps_its_clock_offset_for_when_it_is_accepted(client, auth, db):
    auth.sign_in("demo-worker")
    push(client, [])
    revoke(client, auth)
    auth.sign_in("demo-worker")
    tablet_now = datetime.now().replace(microsecond=0) + timedelta(days=3)
    _, item = a_visit(db, day=tablet_now.date().isoformat(), recorded_at=tablet_now.isoformat(), visit_time="00:00",
                      item_id=str(uuid.uuid4()))
    item["clock_offset_ms"] = -3 * 24 * 3600 * 1000
    assert push(client, [item]).get_json()["receipts"][0]["status"] == "conflict"
    auth.sign_in("demo-lead")
    conflict_id = conflict_id_of(kept_page(client))
    assert client.post(f"/conflicts/kept/{conflict_id}/decide", data={"decision": "accept"}).status_code == 302
    assert count(db, "SELECT clock_offset_ms FROM sync_clock_offsets WHERE item_id = ?", [item["id"]]) == \
        -3 * 24 * 3600 * 1000
