"""Issue 12, item 4: "My records" lists what the central record holds of my last 7 days' records,
for the tablet to show beside its outbox; only my own, named only where I may see the family."""
from datetime import date, timedelta

from fieldvisit.offline import queries
from tests.clock import earlier_today
from tests.test_visits import first_family_of, full_visit, visit_form


def record_a_visit(client):
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    day, at = earlier_today()
    data = full_visit(record_id, child_ids, visit_date=day, visit_time=at)
    assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302
    return record_id, family_id


def test_my_records_lists_the_visit_i_recorded_with_a_link_and_audits_the_read(client, auth, db):
    auth.sign_in()
    record_id, family_id = record_a_visit(client)
    response = client.get("/api/sync/my-records")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert date.fromisoformat(body["since"]) in (date.today() - timedelta(days=days) for days in (6, 7, 8))  # UTC day
    [mine] = [record for record in body["records"] if record["id"] == record_id]
    family_name = db.execute("SELECT name FROM families WHERE id = ?", [family_id]).fetchone()[0]
    assert (mine["kind"], mine["family"], mine["href"]) == ("visit", family_name, f"/visits/{record_id}")
    assert db.execute("SELECT count(*) FROM audit_log WHERE entity = 'my_records' AND route = '/api/sync/my-records'"
                      ).fetchone()[0] == 1


def test_someone_elses_records_are_not_in_my_records(client, auth, db):
    auth.sign_in()
    record_id, _ = record_a_visit(client)
    auth.sign_out()
    auth.sign_in("demo-social-worker")
    ids = {record["id"] for record in client.get("/api/sync/my-records").get_json()["records"]}
    assert record_id not in ids


def test_a_record_received_before_the_window_is_not_listed(client, auth, db):
    auth.sign_in()
    record_id, _ = record_a_visit(client)
    [worker] = db["practitioners"].rows_where("username = 'demo-worker'")
    # Receipts are evidence and never changed: move the window past the record instead.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert record_id not in {r["id"] for r in queries.my_recent_records(db, worker, tomorrow)}
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert record_id in {r["id"] for r in queries.my_recent_records(db, worker, yesterday)}


def test_a_family_i_may_no_longer_see_is_not_named(client, auth, db):
    auth.sign_in()
    record_id, family_id = record_a_visit(client)
    db.execute("DELETE FROM assignments WHERE family_id = ?", [family_id])
    db.conn.commit()
    [mine] = [r for r in client.get("/api/sync/my-records").get_json()["records"] if r["id"] == record_id]
    assert (mine["family"], mine["href"], mine["happened_at"]) == (None, None, None)


def test_signed_out_my_records_is_refused(client):
    assert client.get("/api/sync/my-records").status_code in (302, 401)


def mine(client, record_id):
    [record] = [r for r in client.get("/api/sync/my-records").get_json()["records"] if r["id"] == record_id]
    return record


def test_a_body_map_mark_links_to_its_body_map(client, auth, db):
    from tests.test_bodymap_routes import a_visit, health_visitors_baby, page_url, save_a_bruise
    baby = health_visitors_baby(db)
    visit_id = a_visit(db, baby["family_id"])
    db.conn.commit()
    auth.sign_in("demo-health-visitor")
    html = client.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    from tests.test_bodymap_routes import record_id_of
    record_id = record_id_of(html)
    assert save_a_bruise(client, visit_id, baby["id"], record_id=record_id).status_code in (302, 303)
    record = mine(client, record_id)
    assert (record["kind"], record["href"]) == ("bodymap_mark", page_url(visit_id, baby["id"]))
    assert record["family"] and client.get(record["href"]).status_code == 200


def test_a_was_not_brought_event_links_to_the_childs_was_not_brought_page(client, auth, db):
    from tests.test_was_not_brought import demo_child, wnb_form
    auth.sign_in("demo-worker")
    child_id = demo_child(client)
    data = wnb_form(client, child_id)
    assert client.post(f"/children/{child_id}/was-not-brought/new", data=data).status_code == 302
    record = mine(client, data["record_id"])
    assert (record["kind"], record["href"]) == ("was_not_brought", f"/children/{child_id}/was-not-brought")
    assert record["family"] and client.get(record["href"]).status_code == 200


def test_an_audit_c_links_to_its_visit(client, auth, db):
    from tests.test_alcohol import a_visit_of, audit_form
    auth.sign_in("demo-worker")
    visit_id, _ = a_visit_of(client, db)
    data = audit_form(client, visit_id, q1="1", q2="0", q3="0")
    assert client.post(f"/visits/{visit_id}/alcohol-audit/new", data=data).status_code == 302
    record = mine(client, data["record_id"])
    assert (record["kind"], record["href"]) == ("alcohol_audit", f"/visits/{visit_id}#alcohol-self-assessment")
    assert "AUDIT-C" in client.get(record["href"]).get_data(as_text=True)
