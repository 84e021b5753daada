"""Rota pages: the team's week, a family's rota, scheduling, changing and cancelling with a kept
history and conflicts shown, visiting rules, proposed unannounced visits, and who may not see what."""
import re
from datetime import date, datetime, timedelta

import pytest

from fieldvisit.filters import date_time


def team_id(db, username):
    return db.execute("SELECT team_id FROM practitioners WHERE username = ?", [username]).fetchone()[0]


def person(db, username):
    return db.execute("SELECT id FROM practitioners WHERE username = ?", [username]).fetchone()[0]


def worker_family(db):
    """A family of demo-lead's team, assigned to demo-worker, with a child on a child protection plan."""
    return db.execute(
        "SELECT f.id FROM families f JOIN assignments a ON a.family_id = f.id JOIN children c ON c.family_id = f.id"
        " WHERE a.practitioner_id = ? AND c.plan = 'child_protection' ORDER BY f.id LIMIT 1",
        [person(db, "demo-worker")]).fetchone()[0]


def other_team_family(db):
    return db.execute("SELECT id FROM families WHERE team_id != ? ORDER BY id LIMIT 1",
                      [team_id(db, "demo-lead")]).fetchone()[0]


NEXT_WEEK = (date.today() + timedelta(days=7 - date.today().weekday() + 1))  # a Tuesday next week


def test_the_lead_sees_the_teams_week_with_the_due_list(client, auth, db):
    auth.sign_in("demo-lead")
    response = client.get("/rota", follow_redirects=True)
    assert response.request.path == f"/teams/{team_id(db, 'demo-lead')}/rota"
    page = response.get_data(as_text=True)
    assert "Children overdue or due a visit this week" in page and "Who visits when" in page
    for name in ("Sam Demo-Worker", "Owen Placeholder", "Morgan Demo-Lead"):
        assert name in page  # every practitioner of the team has a row
    assert "Overdue by" in page


def test_a_worker_sees_only_their_own_families_on_the_rota(client, auth, db):
    auth.sign_in("demo-worker")
    page = client.get(f"/teams/{team_id(db, 'demo-worker')}/rota?week={date.today().isoformat()}").get_data(as_text=True)
    mine = {row[0] for row in db.execute("SELECT f.name FROM families f JOIN assignments a ON a.family_id = f.id"
                                         " WHERE a.practitioner_id = ?", [person(db, "demo-worker")])}
    shown = set(re.findall(r'\d\d:\d\d ([A-Z][a-z]+ household)</a>', page))
    assert shown and shown <= mine
    assert "Owen Placeholder" not in page or "(another team)" in page


@pytest.mark.parametrize("username", ["demo-lead", "demo-worker"])
def test_another_teams_rota_does_not_exist(client, auth, db, username):
    auth.sign_in(username)
    other = db.execute("SELECT id FROM teams WHERE id != ? LIMIT 1", [team_id(db, username)]).fetchone()[0]
    assert client.get(f"/teams/{other}/rota").status_code == 404
    family = other_team_family(db)
    for url in (f"/families/{family}/rota", f"/families/{family}/rota/schedule",
                f"/families/{family}/rota/unannounced", f"/families/{family}/rota/letter"):
        assert client.get(url).status_code == 404, url
    visit = db.execute("SELECT id FROM scheduled_visits WHERE family_id = ? LIMIT 1", [family]).fetchone()[0]
    assert client.get(f"/rota/visits/{visit}/change").status_code == 404
    before = db["scheduled_visits"].get(visit)
    assert client.post(f"/rota/visits/{visit}/cancel", data={"base_version": "1", "reason": "x"}).status_code == 404
    assert db["scheduled_visits"].get(visit) == before


def test_admin_has_no_rota(client, auth, db):
    auth.sign_in("demo-admin")
    assert client.get("/rota").status_code == 404
    assert client.get(f"/families/{worker_family(db)}/rota").status_code == 404


def schedule_data(db, **fields):
    data = {"practitioner_id": str(person(db, "demo-worker")), "visit_type": "planned",
            "due_date": NEXT_WEEK.isoformat(), "due_time": "10:30", "reason": "Plan visit"}
    data.update(fields)
    return data


def test_the_lead_schedules_a_visit_and_it_shows_with_its_history(client, auth, db):
    auth.sign_in("demo-lead")
    family = worker_family(db)
    response = client.post(f"/families/{family}/rota/schedule", data=schedule_data(db))
    assert response.status_code == 302
    row = db.execute("SELECT id, due_at, version FROM scheduled_visits WHERE family_id = ? ORDER BY id DESC LIMIT 1",
                     [family]).fetchone()
    assert row[1] == f"{NEXT_WEEK.isoformat()}T10:30" and row[2] == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="scheduled-{row[0]}"' in page and "scheduled</strong> by Morgan Demo-Lead" in page
    week = client.get(f"/rota?week={NEXT_WEEK.isoformat()}", follow_redirects=True).get_data(as_text=True)
    assert "10:30" in week


@pytest.mark.parametrize("fields, message", [
    ({"due_date": (date.today() - timedelta(days=1)).isoformat()}, "The visit must be in the future"),
    ({"practitioner_id": "__other__"}, "Choose a practitioner in the family&#39;s team or assigned to the family"),
    ({"practitioner_id": "__admin__"}, "Choose a practitioner in the family&#39;s team or assigned to the family"),
    ({"due_time": ""}, "Enter the time of the visit"),
])
def test_scheduling_in_the_past_or_someone_outside_the_team_is_refused(client, auth, db, fields, message):
    auth.sign_in("demo-lead")
    if fields.get("practitioner_id") == "__other__":
        fields["practitioner_id"] = str(person(db, "hannah.madeup"))  # another team's lead, not on the family
    if fields.get("practitioner_id") == "__admin__":
        fields["practitioner_id"] = str(person(db, "demo-admin"))
    before = db.execute("SELECT count(*) FROM scheduled_visits").fetchone()[0]
    response = client.post(f"/families/{worker_family(db)}/rota/schedule", data=schedule_data(db, **fields))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM scheduled_visits").fetchone()[0] == before


def a_scheduled_visit(client, db):
    family = worker_family(db)
    client.post(f"/families/{family}/rota/schedule", data=schedule_data(db))
    return db.execute("SELECT id FROM scheduled_visits WHERE family_id = ? ORDER BY id DESC LIMIT 1", [family]).fetchone()[0]


def test_reassigning_keeps_who_when_why_and_a_stale_form_is_a_conflict(client, auth, db):
    auth.sign_in("demo-lead")
    visit = a_scheduled_visit(client, db)
    page = client.get(f"/rota/visits/{visit}/change").get_data(as_text=True)
    assert 'name="base_version" value="1"' in page
    change = {"base_version": "1", "practitioner_id": str(person(db, "owen.placeholder")),
              "due_date": NEXT_WEEK.isoformat(), "due_time": "14:00", "reason": "Sam on leave"}
    assert client.post(f"/rota/visits/{visit}/change", data=change).status_code == 302
    row = db["scheduled_visits"].get(visit)
    assert (row["practitioner_id"], row["due_at"][11:], row["version"]) == (person(db, "owen.placeholder"), "14:00", 2)
    # A second tab still holding version 1 tries to move it: a conflict, shown, nothing overwritten.
    stale = dict(change, due_time="16:00", reason="Other tab")
    response = client.post(f"/rota/visits/{visit}/change", data=stale)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "changed by someone else" in text and "Sam on leave" in text
    assert db["scheduled_visits"].get(visit)["due_at"][11:] == "14:00"
    history = client.get(f"/rota/visits/{visit}/change").get_data(as_text=True)
    assert "reassigned from Sam Demo-Worker to Owen Placeholder" in history and "Why: Sam on leave" in history


def test_cancelling_needs_a_reason_and_keeps_the_visit_in_the_history(client, auth, db):
    auth.sign_in("demo-worker")  # a practitioner may change their own family's visits
    visit = a_scheduled_visit(client, db)
    assert client.post(f"/rota/visits/{visit}/cancel", data={"base_version": "1", "reason": ""}).status_code == 400
    assert db["scheduled_visits"].get(visit)["status"] == "scheduled"
    assert client.post(f"/rota/visits/{visit}/cancel", data={"base_version": "1", "reason": "Family on holiday"}).status_code == 302
    row = db["scheduled_visits"].get(visit)
    assert (row["status"], row["version"]) == ("cancelled", 2)
    assert client.post(f"/rota/visits/{visit}/cancel", data={"base_version": "1", "reason": "again"}).status_code == 409


def test_a_clash_with_another_agency_is_shown(client, auth, db):
    auth.sign_in("demo-lead")
    family = db.execute(
        "SELECT a.family_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id"
        " JOIN families f ON f.id = a.family_id WHERE p.username = 'demo-health-visitor' AND f.team_id = ? LIMIT 1",
        [team_id(db, "demo-lead")]).fetchone()[0]
    worker = db.execute("SELECT a.practitioner_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id"
                        " WHERE a.family_id = ? AND p.team_id = ?", [family, team_id(db, "demo-lead")]).fetchone()[0]
    client.post(f"/families/{family}/rota/schedule", data=schedule_data(db, practitioner_id=str(worker)))
    response = client.post(f"/families/{family}/rota/schedule", data=schedule_data(
        db, practitioner_id=str(person(db, "demo-health-visitor")), due_time="15:00"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "same day as another agency" in page and "Clash: another agency the same day" in page
    joint = client.post(f"/families/{family}/rota/schedule", data=schedule_data(
        db, practitioner_id=str(worker), due_date=(NEXT_WEEK + timedelta(days=1)).isoformat(), joint="y"))
    assert joint.status_code == 302


def test_the_lead_sets_a_plans_visiting_rules_and_frequency_zero_is_refused(client, auth, db):
    auth.sign_in("demo-lead")
    child = db.execute("SELECT id FROM children WHERE family_id = ? AND plan = 'child_protection' LIMIT 1",
                       [worker_family(db)]).fetchone()[0]
    bad = {"every_working_days": "0", "seen_alone_every_visits": "2", "bedroom_seen_every_visits": "2",
           "unannounced": "yes", "reason": "Conference"}
    response = client.post(f"/children/{child}/visiting-rules", data=bad)
    assert response.status_code == 400 and "from 1 to 120" in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM visiting_rules").fetchone()[0] == 0
    assert client.post(f"/children/{child}/visiting-rules", data=dict(bad, every_working_days="5")).status_code == 302
    assert db.execute("SELECT every_working_days, unannounced FROM visiting_rules WHERE child_id = ?", [child]).fetchone() == (5, 1)
    auth.sign_out()
    auth.sign_in("demo-worker")
    assert client.get(f"/children/{child}/visiting-rules").status_code == 404


def test_the_lead_schedules_proposed_unannounced_visits_and_the_family_letter_never_shows_them(client, auth, db):
    auth.sign_in("demo-lead")
    family = worker_family(db)
    page = client.get(f"/families/{family}/rota/unannounced").get_data(as_text=True)
    dates = re.findall(r'name="proposals-(\d+)-due_date" type="date" value="([\d-]+)"', page)
    times = dict(re.findall(r'name="proposals-(\d+)-due_time" type="time" value="([\d:]+)"', page))
    assert len(dates) >= 2
    data = {"practitioner_id": str(person(db, "demo-worker"))}
    for index, day in dates[:2]:
        data.update({f"proposals-{index}-include": "y", f"proposals-{index}-due_date": day,
                     f"proposals-{index}-due_time": times[index]})
    data["proposals-1-due_time"] = "18:15"  # the lead changes one
    before = db.execute("SELECT count(*) FROM scheduled_visits WHERE family_id = ? AND visit_type = 'unannounced'",
                        [family]).fetchone()[0]
    assert client.post(f"/families/{family}/rota/unannounced", data=data).status_code == 302
    rows = list(db.query("SELECT due_at FROM scheduled_visits WHERE family_id = ? AND visit_type = 'unannounced'"
                         " ORDER BY id DESC LIMIT 2", [family]))
    assert len(rows) == 2 and before + 2 == db.execute(
        "SELECT count(*) FROM scheduled_visits WHERE family_id = ? AND visit_type = 'unannounced'", [family]).fetchone()[0]
    assert any(r["due_at"].endswith("18:15") for r in rows)
    client.get(f"/families/{family}/rota")  # reads the "on the rota" message
    letter = client.get(f"/families/{family}/rota/letter").get_data(as_text=True)
    planned = db.execute("SELECT due_at FROM scheduled_visits WHERE family_id = ? AND visit_type = 'planned'"
                         " AND status = 'scheduled' AND due_at > ?", [family, datetime.now().isoformat()]).fetchall()
    for (due_at,) in planned:
        assert date_time(due_at) in letter
    for row in rows:
        assert date_time(row["due_at"]) not in letter
    assert "nannounced" not in letter


def test_proposals_in_the_past_or_none_ticked_are_refused(client, auth, db):
    auth.sign_in("demo-lead")
    family = worker_family(db)
    base = {"practitioner_id": str(person(db, "demo-worker")), "proposals-0-due_date": NEXT_WEEK.isoformat(),
            "proposals-0-due_time": "10:00"}
    response = client.post(f"/families/{family}/rota/unannounced", data=base)
    assert response.status_code == 400 and "Tick at least one visit" in response.get_data(as_text=True)
    past = dict(base, **{"proposals-0-include": "y", "proposals-0-due_date": "2020-01-01",
                         "proposals-1-include": "y", "proposals-1-due_date": NEXT_WEEK.isoformat(),
                         "proposals-1-due_time": "11:00"})
    before = db.execute("SELECT count(*) FROM scheduled_visits").fetchone()[0]
    response = client.post(f"/families/{family}/rota/unannounced", data=past)
    assert response.status_code == 400 and "must be in the future" in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM scheduled_visits").fetchone()[0] == before  # not even the good one


def test_the_family_rota_shows_each_childs_rules_and_status(client, auth, db):
    auth.sign_in("demo-worker")
    page = client.get(f"/families/{worker_family(db)}/rota").get_data(as_text=True)
    assert "Every 10 working days; seen alone at least every 2 visits" in page
    assert "The partnership's defaults" in page and "Last seen" in page and "Was not brought:" in page
    assert "Change<span" not in page  # only the lead changes visiting rules


def test_a_ticked_proposal_without_a_date_or_time_is_refused(client, auth, db):
    auth.sign_in("demo-lead")
    family = worker_family(db)
    before = db.execute("SELECT count(*) FROM scheduled_visits").fetchone()[0]
    response = client.post(f"/families/{family}/rota/unannounced", data={
        "practitioner_id": str(person(db, "demo-worker")), "proposals-0-include": "y",
        "proposals-0-due_date": "", "proposals-0-due_time": "",
        "proposals-1-include": "y", "proposals-1-due_date": NEXT_WEEK.isoformat(), "proposals-1-due_time": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the date of the visit" in page and "Enter the time of the visit" in page
    assert db.execute("SELECT count(*) FROM scheduled_visits").fetchone()[0] == before


def test_a_change_with_a_mangled_version_is_refused_not_a_crash(client, auth, db):
    auth.sign_in("demo-lead")
    family = worker_family(db)
    slot = db.execute("SELECT id FROM scheduled_visits WHERE family_id = ? AND status = 'scheduled'", [family]).fetchone()
    if slot is None:
        pytest.skip("no scheduled visit for this family in the demo")
    response = client.post(f"/rota/visits/{slot[0]}/change", data={
        "base_version": "²", "practitioner_id": str(person(db, "demo-worker")),
        "due_date": NEXT_WEEK.isoformat(), "due_time": "10:00", "reason": "Test"})
    assert response.status_code in (400, 404)
