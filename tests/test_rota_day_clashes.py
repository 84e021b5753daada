"""Issue 12, item 6: a clash with another agency is shown while the date is chosen (a partial with
its own URL), and the unannounced proposals come first, for someone of the lead's own agency."""
from datetime import date, timedelta

from tests.test_rota_views import other_team_family, person, worker_family

NEXT_TUESDAY = date.today() + timedelta(days=7 - date.today().weekday() + 1)


def health_visit_on(db, family_id, day):
    db["scheduled_visits"].insert({
        "family_id": family_id, "practitioner_id": person(db, "demo-health-visitor"), "visit_type": "planned",
        "due_at": f"{day.isoformat()}T11:00", "status": "scheduled", "joint": 0, "version": 1,
        "created_by": person(db, "demo-health-visitor"), "created_at": date.today().isoformat()})
    db.conn.commit()


def test_choosing_a_day_another_agency_visits_warns_at_once(client, auth, db):
    family = worker_family(db)
    health_visit_on(db, family, NEXT_TUESDAY)
    auth.sign_in("demo-lead")
    worker = person(db, "demo-worker")
    clash = client.get(f"/families/{family}/rota/day?due_date={NEXT_TUESDAY.isoformat()}&practitioner_id={worker}")
    page = clash.get_data(as_text=True)
    assert clash.status_code == 200 and 'data-fv-clash="yes"' in page
    assert "Another agency is visiting" in page and "Community Health" in page and "11:00" in page
    assert "<html" not in page  # a partial, whoever asks for it (no reliance on HX-Request)
    free = client.get(f"/families/{family}/rota/day?due_date={(NEXT_TUESDAY + timedelta(days=1)).isoformat()}"
                      f"&practitioner_id={worker}").get_data(as_text=True)
    assert 'data-fv-clash="no"' in free
    # The health visitor's own agency is not a clash for them.
    own = client.get(f"/families/{family}/rota/day?due_date={NEXT_TUESDAY.isoformat()}"
                     f"&practitioner_id={person(db, 'demo-health-visitor')}").get_data(as_text=True)
    assert 'data-fv-clash="no"' in own
    # A proposal's date field (proposals-N-due_date) asks the same URL.
    named = client.get(f"/families/{family}/rota/day?proposals-2-due_date={NEXT_TUESDAY.isoformat()}"
                       f"&practitioner_id={worker}").get_data(as_text=True)
    assert 'data-fv-clash="yes"' in named
    assert client.get(f"/families/{family}/rota/day?due_date=not-a-date").status_code == 200


def test_the_schedule_page_shows_the_clash_for_its_date_without_javascript(client, auth, db):
    family = worker_family(db)
    health_visit_on(db, family, NEXT_TUESDAY)
    auth.sign_in("demo-lead")
    response = client.post(f"/families/{family}/rota/schedule", data={
        "practitioner_id": str(person(db, "demo-worker")), "visit_type": "unannounced",
        "due_date": NEXT_TUESDAY.isoformat(), "due_time": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'data-fv-clash="yes"' in page
    assert f'hx-get="/families/{family}/rota/day"' in page


def test_the_day_partial_is_need_to_know_and_audited(client, auth, db):
    auth.sign_in("demo-worker")
    assert client.get(f"/families/{other_team_family(db)}/rota/day?due_date={NEXT_TUESDAY}").status_code == 404
    family = worker_family(db)
    client.get(f"/families/{family}/rota/day?due_date={NEXT_TUESDAY}")
    assert db.execute("SELECT count(*) FROM audit_log WHERE route = ? AND entity = 'family'",
                      [f"/families/{family}/rota/day"]).fetchone()[0] == 1


def test_the_proposals_come_first_for_someone_of_the_leads_agency(client, auth, db):
    auth.sign_in("demo-lead")
    family = worker_family(db)
    page = client.get(f"/families/{family}/rota/unannounced").get_data(as_text=True)
    assert page.index('name="proposals-0-due_date"') < page.index('<select')
    chosen = page.split('name="practitioner_id" value="', 1)[1].split('"', 1)[0]
    lead_agency = db.execute("SELECT t.agency_id FROM practitioners p JOIN teams t ON t.id = p.team_id"
                             " WHERE p.username = 'demo-lead'").fetchone()[0]
    assert db.execute("SELECT t.agency_id FROM practitioners p JOIN teams t ON t.id = p.team_id WHERE p.id = ?",
                      [int(chosen)]).fetchone()[0] == lead_agency
    assert 'data-fv-clash="no"' in page  # each proposal says its day is clear
