"""The escalations dashboard, the team lead's home: open escalations with their actions, who did
each and when, closing only with every action done or a rationale; a child found alone and a
young carer raise escalations from the visit; late records; who may not see what."""
import re
from datetime import datetime, timedelta

import pytest

from fieldvisit.escalations.domain import record_deadline
from fieldvisit import settings
from tests.test_visits import full_visit, visit_form
from tests.clock import days_ago, days_ahead, iso


def lead_team_family(db):
    """A family of demo-lead's team that demo-worker is assigned to."""
    return db.execute(
        "SELECT f.id FROM families f JOIN assignments a ON a.family_id = f.id"
        " JOIN practitioners p ON p.id = a.practitioner_id"
        " WHERE p.username = 'demo-worker' ORDER BY f.id LIMIT 1").fetchone()[0]


def other_team_escalation(db):
    """An escalation on a family of another team (safeguarding), raised directly."""
    from fieldvisit.escalations.domain import raise_escalation
    family, child = db.execute(
        "SELECT f.id, c.id FROM families f JOIN children c ON c.family_id = f.id JOIN teams t ON t.id = f.team_id"
        " WHERE t.name = 'Safeguarding and Assessment Team' LIMIT 1").fetchone()
    return raise_escalation(db, family_id=family, child_id=child, rule="test", title="Other team's escalation",
                            source="test", actions=["Do it"], deadline=iso(days_ahead(30), "00:00"), origin_kind="test",
                            origin_id="1", raised_by=None, raised_at=iso(days_ago(1), "00:00"))


def test_the_team_leads_home_is_the_dashboard_with_the_open_escalation(client, auth):
    auth.sign_in("demo-lead")
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/dashboard"
    page = response.get_data(as_text=True)
    assert "was found alone at home" in page and "Overdue" in page
    assert "Try to rouse the carer" in page and "Phone the parent" in page
    assert "Children overdue a visit" in page and "fv-row--overdue" in page
    assert "(child protection plan) was not brought to" in page  # a concern from the demo


def test_practitioners_and_admins_cannot_open_the_dashboard(client, auth):
    for username in ("demo-worker", "demo-health-visitor", "demo-admin"):
        auth.sign_in(username)
        assert client.get("/dashboard").status_code == 404, username
        auth.sign_out()
    assert client.get("/dashboard").status_code == 302  # signed out: sign in first


def open_escalation(db):
    return db.execute("SELECT id FROM escalations WHERE rule = 'child_found_alone' AND status = 'open'").fetchone()[0]


def test_marking_actions_done_keeps_who_and_when_and_closing_needs_all_or_a_rationale(client, auth, db):
    auth.sign_in("demo-lead")
    escalation_id = open_escalation(db)
    actions = [row[0] for row in db.execute(
        "SELECT id FROM escalation_actions WHERE escalation_id = ? ORDER BY position", [escalation_id])]
    response = client.post(f"/dashboard/escalations/{escalation_id}/close", data={"rationale": ""})
    assert response.status_code == 400 and "are not done" in response.get_data(as_text=True)
    assert db.execute("SELECT status FROM escalations WHERE id = ?", [escalation_id]).fetchone()[0] == "open"
    first = client.post(f"/dashboard/escalations/{escalation_id}/actions/{actions[0]}",
                        data={"note": "Mother phoned, came home", "back": "dashboard"})
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/dashboard#escalation-{escalation_id}")
    done = db.execute("SELECT done_at, done_by, note FROM escalation_actions WHERE id = ?", [actions[0]]).fetchone()
    lead_id = db.execute("SELECT id FROM practitioners WHERE username = 'demo-lead'").fetchone()[0]
    assert done[0] and done[1] == lead_id and done[2] == "Mother phoned, came home"
    page = client.get(f"/dashboard/escalations/{escalation_id}").get_data(as_text=True)
    assert "Done</strong> by Morgan Demo-Lead" in page
    for action_id in actions[1:]:
        client.post(f"/dashboard/escalations/{escalation_id}/actions/{action_id}", data={})
    closed = client.post(f"/dashboard/escalations/{escalation_id}/close", data={"rationale": ""})
    assert closed.status_code == 302
    assert db.execute("SELECT status FROM escalations WHERE id = ?", [escalation_id]).fetchone()[0] == "closed"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "was found alone at home" not in page[page.index('id="escalations"'):]


def test_closing_with_actions_outstanding_keeps_the_rationale(client, auth, db):
    auth.sign_in("demo-lead")
    escalation_id = open_escalation(db)
    response = client.post(f"/dashboard/escalations/{escalation_id}/close",
                           data={"rationale": "Police attended; strategy discussion held instead."})
    assert response.status_code == 302
    row = db.execute("SELECT status, closing_rationale FROM escalations WHERE id = ?", [escalation_id]).fetchone()
    assert tuple(row) == ("closed", "Police attended; strategy discussion held instead.")


def test_the_worker_on_the_family_can_mark_an_action_but_not_close(client, auth, db):
    auth.sign_in("demo-worker")
    escalation_id = open_escalation(db)
    action = db.execute("SELECT id FROM escalation_actions WHERE escalation_id = ? ORDER BY position",
                        [escalation_id]).fetchone()[0]
    assert client.get(f"/dashboard/escalations/{escalation_id}").status_code == 200
    assert client.post(f"/dashboard/escalations/{escalation_id}/actions/{action}", data={}).status_code == 302
    assert client.post(f"/dashboard/escalations/{escalation_id}/close", data={"rationale": "x"}).status_code == 404


def test_another_teams_escalation_does_not_exist_for_the_lead(client, auth, db):
    escalation_id = other_team_escalation(db)
    action = db.execute("SELECT id FROM escalation_actions WHERE escalation_id = ?", [escalation_id]).fetchone()[0]
    auth.sign_in("demo-lead")
    assert client.get(f"/dashboard/escalations/{escalation_id}").status_code == 404
    assert client.post(f"/dashboard/escalations/{escalation_id}/actions/{action}", data={}).status_code == 404
    assert client.post(f"/dashboard/escalations/{escalation_id}/close", data={"rationale": "x"}).status_code == 404
    assert "Other team's escalation" not in client.get("/dashboard").get_data(as_text=True)
    assert db.execute("SELECT done_at FROM escalation_actions WHERE id = ?", [action]).fetchone()[0] is None


def test_an_action_of_another_escalation_is_404(client, auth, db):
    other = other_team_escalation(db)
    foreign_action = db.execute("SELECT id FROM escalation_actions WHERE escalation_id = ?", [other]).fetchone()[0]
    auth.sign_in("demo-lead")
    assert client.post(f"/dashboard/escalations/{open_escalation(db)}/actions/{foreign_action}", data={}).status_code == 404


def test_the_lead_acknowledges_a_concern(client, auth, db):
    auth.sign_in("demo-lead")
    concern_id = db.execute("SELECT id FROM concerns WHERE acknowledged_at IS NULL LIMIT 1").fetchone()[0]
    assert client.post(f"/dashboard/concerns/{concern_id}/acknowledge", data={"note": "Discussed"}).status_code == 302
    row = db.execute("SELECT acknowledged_at, acknowledged_note FROM concerns WHERE id = ?", [concern_id]).fetchone()
    assert row[0] and row[1] == "Discussed"
    auth.sign_out()
    auth.sign_in("demo-worker")
    assert client.post(f"/dashboard/concerns/{concern_id}/acknowledge", data={}).status_code == 404


# --- rules 10 and 11 from a recorded visit ------------------------------------------------------

def an_hour_ago():
    """A visit that began an hour ago (at 09:00 today it was in the future before nine in the morning)."""
    began = datetime.now() - timedelta(hours=1)
    return {"visit_date": began.date().isoformat(), "visit_time": began.strftime("%H:%M")}


def test_a_child_found_alone_raises_an_escalation_with_the_steps_and_the_childs_age(client, auth, db):
    auth.sign_in("demo-worker")
    family_id = lead_team_family(db)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids, child_alone="alone", child_alone_details="Alone at 4pm.",
                      **an_hour_ago())
    data["children-0-found_alone"] = "y"
    response = client.post(f"/families/{family_id}/visits/new", data=data)
    assert response.status_code == 302
    [escalation] = db.query("SELECT * FROM escalations WHERE origin_id = ?", [record_id])
    assert escalation["rule"] == "child_found_alone" and ", aged " in escalation["title"]
    steps = [r[0] for r in db.execute("SELECT description FROM escalation_actions WHERE escalation_id = ? ORDER BY position",
                                      [escalation["id"]])]
    assert steps[0].startswith("Try to rouse the carer") and steps[1] == "Phone the parent" and "police" in steps[2]
    visit_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Escalations raised by this visit" in visit_page and "Try to rouse the carer" in visit_page
    auth.sign_out()
    auth.sign_in("demo-lead")
    assert escalation["title"] in client.get("/dashboard").get_data(as_text=True)


def test_an_older_sibling_caring_prompts_a_young_carers_assessment(client, auth, db):
    auth.sign_in("demo-worker")
    family_id = db.execute(
        "SELECT c.family_id FROM children c JOIN assignments a ON a.family_id = c.family_id"
        " JOIN practitioners p ON p.id = a.practitioner_id WHERE p.username = 'demo-worker'"
        " GROUP BY c.family_id HAVING count(*) >= 2 LIMIT 1").fetchone()[0]
    record_id, child_ids = visit_form(client, family_id)
    oldest = db.execute("SELECT id, first_name FROM children WHERE family_id = ? ORDER BY date_of_birth LIMIT 1",
                        [family_id]).fetchone()
    index = child_ids.index(str(oldest[0]))
    data = full_visit(record_id, child_ids, **an_hour_ago())
    data[f"children-{index}-looking_after"] = "y"
    assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302
    [escalation] = db.query("SELECT * FROM escalations WHERE origin_id = ? AND rule = 'young_carer'", [record_id])
    actions = [r[0] for r in db.execute("SELECT description FROM escalation_actions WHERE escalation_id = ?", [escalation["id"]])]
    assert any("young carer's needs assessment" in a and "s17ZA" in a for a in actions)
    assert any(f"what if {oldest[1]} were not here?" in a for a in actions)
    assert db.execute("SELECT child_id FROM visit_young_carers WHERE visit_id = ?", [record_id]).fetchone()[0] == oldest[0]
    # Replaying the same record raises nothing twice.
    assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302
    assert db.execute("SELECT count(*) FROM escalations WHERE origin_id = ?", [record_id]).fetchone()[0] == 1


# --- late records (rule 18) ---------------------------------------------------------------------

def test_the_recording_deadline_is_working_days_or_24_hours_for_a_critical_event():
    friday = datetime(2026, 12, 24, 15, 0)  # Christmas Eve, a Thursday: then 25, 28 are holidays
    assert record_deadline(friday, settings.DEFAULTS, critical=False) == datetime(2026, 12, 30, 15, 0)
    assert record_deadline(friday, settings.DEFAULTS, critical=True) == datetime(2026, 12, 25, 15, 0)


def test_late_and_missing_records_show_on_the_dashboard(client, auth, db):
    from fieldvisit.visits.domain import record_visit
    from tests.factories import child_entry, visit_data
    family_id = lead_team_family(db)
    worker = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    ten_days_ago = (datetime.now() - timedelta(days=10)).replace(hour=10, minute=0)
    db["scheduled_visits"].insert({"family_id": family_id, "practitioner_id": worker, "visit_type": "planned",
                                   "due_at": ten_days_ago.isoformat(timespec="minutes"), "status": "scheduled",
                                   "joint": 0, "version": 1, "created_by": worker, "created_at": iso(days_ago(30))})
    children = [child_entry(row[0]) for row in db.execute("SELECT id FROM children WHERE family_id = ?", [family_id])]
    late = visit_data(family_id, children, happened_at=ten_days_ago.isoformat(timespec="minutes"))
    record_visit(db, late, {"id": worker, "agency_id": None}, (ten_days_ago + timedelta(days=7)).isoformat())
    auth.sign_in("demo-lead")
    page = client.get("/dashboard").get_data(as_text=True)
    section = page[page.index('id="late-records"'):page.index('id="not-seen-alone"')]
    assert "Visits with no record yet" in section and "Record due" in section
    assert "Records made late" in section and f'href="/visits/{late["id"]}"' in section
