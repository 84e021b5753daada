"""Issue 12, item 4: "My records" lists what the central record holds of my last 7 days' records,
for the tablet to show beside its outbox; only my own, named only where I may see the family."""
from datetime import date, timedelta

from fieldvisit.offline import queries
from tests.test_visits import first_family_of, full_visit, visit_form


def record_a_visit(client):
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids, visit_date=date.today().isoformat(), visit_time="08:00")
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
