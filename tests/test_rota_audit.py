"""The rota's reads and writes of family data are in the audit log (issue 14, "Audit gaps"):
the team's week, scheduling, changing and cancelling a visit, shown or shown again with errors."""
from tests.test_rota_views import NEXT_WEEK, a_scheduled_visit, person, schedule_data, team_id, worker_family


def audit_since(db, last_id):
    return [tuple(row) for row in db.execute(
        "SELECT practitioner_id, action, entity, entity_id, route FROM audit_log WHERE id > ? ORDER BY id",
        [last_id]).fetchall()]


def last_audit_id(db):
    return db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def test_the_teams_week_audits_each_family_on_the_grid(client, auth, db):
    auth.sign_in("demo-lead")
    a_scheduled_visit(client, db)
    lead, family, team = person(db, "demo-lead"), worker_family(db), team_id(db, "demo-lead")
    start = last_audit_id(db)
    url = f"/teams/{team}/rota"
    assert client.get(f"{url}?week={NEXT_WEEK.isoformat()}").status_code == 200
    assert (lead, "read", "family", str(family), url) in audit_since(db, start)


def test_the_schedule_form_is_a_read_shown_or_refused_and_saving_is_a_write(client, auth, db):
    auth.sign_in("demo-lead")
    lead, family = person(db, "demo-lead"), worker_family(db)
    url = f"/families/{family}/rota/schedule"
    start = last_audit_id(db)
    assert client.get(url).status_code == 200
    assert audit_since(db, start) == [(lead, "read", "family", str(family), url)]
    start = last_audit_id(db)
    assert client.post(url, data=schedule_data(db, due_time="")).status_code == 400
    assert audit_since(db, start) == [(lead, "read", "family", str(family), url)]
    start = last_audit_id(db)
    assert client.post(url, data=schedule_data(db)).status_code == 302
    scheduled = db.execute("SELECT max(id) FROM scheduled_visits").fetchone()[0]
    assert (lead, "write", "scheduled_visit", str(scheduled), url) in audit_since(db, start)


def test_the_change_and_cancel_forms_are_reads_and_their_posts_writes(client, auth, db):
    auth.sign_in("demo-worker")
    worker, family = person(db, "demo-worker"), worker_family(db)
    visit = a_scheduled_visit(client, db)
    for action in ("change", "cancel"):
        url = f"/rota/visits/{visit}/{action}"
        start = last_audit_id(db)
        assert client.get(url).status_code == 200
        assert audit_since(db, start) == [(worker, "read", "scheduled_visit", str(visit), url),
                                          (worker, "read", "family", str(family), url)]
    url = f"/rota/visits/{visit}/change"
    change = {"base_version": "1", "practitioner_id": str(worker), "due_date": NEXT_WEEK.isoformat(),
              "due_time": "15:00", "reason": "Family asked"}
    start = last_audit_id(db)
    assert client.post(url, data=dict(change, reason="")).status_code == 400  # shown again: a read
    assert (worker, "read", "scheduled_visit", str(visit), url) in audit_since(db, start)
    start = last_audit_id(db)
    assert client.post(url, data=change).status_code == 302
    assert (worker, "write", "scheduled_visit", str(visit), url) in audit_since(db, start)
    start = last_audit_id(db)
    assert client.post(url, data=dict(change, due_time="16:00")).status_code == 409  # a conflict shows the visit
    assert (worker, "read", "scheduled_visit", str(visit), url) in audit_since(db, start)
    url = f"/rota/visits/{visit}/cancel"
    start = last_audit_id(db)
    assert client.post(url, data={"base_version": "2", "reason": "On holiday"}).status_code == 302
    assert (worker, "write", "scheduled_visit", str(visit), url) in audit_since(db, start)


def test_another_teams_rota_pages_write_no_read(client, auth, db):
    auth.sign_in("demo-worker")
    other = db.execute("SELECT id, family_id FROM scheduled_visits WHERE family_id IN"
                       " (SELECT id FROM families WHERE team_id != ?) LIMIT 1", [team_id(db, "demo-lead")]).fetchone()
    start = last_audit_id(db)
    for url in (f"/rota/visits/{other[0]}/change", f"/rota/visits/{other[0]}/cancel",
                f"/families/{other[1]}/rota/schedule"):
        assert client.get(url).status_code == 404
    assert [row for row in audit_since(db, start) if row[1] == "read"] == []
