"""Rule 8: the running Was Not Brought count shows on every page that shows a child, from one partial
(templates/was_not_brought/_count.html). One page at a time, for a baby not brought to one appointment."""
import re
import uuid
from datetime import date, timedelta

import pytest

from fieldvisit.was_not_brought.domain import record_appointment_event
from tests.test_bodymap_routes import a_visit, health_visitors_baby, practitioner, save_a_bruise


@pytest.fixture
def world(app, db):
    baby = health_visitors_baby(db)
    for event_id in [row[0] for row in db.execute("SELECT id FROM appointment_events WHERE child_id = ?", [baby["id"]])]:
        raise AssertionError(f"the seeded baby already has missed appointments ({event_id})")
    day = (date.today() - timedelta(days=3)).isoformat()
    with app.app_context():
        record_appointment_event(db, {
            "id": str(uuid.uuid4()), "child_id": baby["id"], "event": "was_not_brought", "appointment": "Hearing test",
            "service": "hospital", "appointment_date": day, "rearranged_to": None, "note": "",
            "recorded_at": day + "T17:00"}, practitioner(db, "demo-health-visitor"), day + "T17:00:00")
    visit_id = a_visit(db, baby["family_id"])
    return {"baby": baby, "visit_id": visit_id}


def shows_the_count(page, baby):
    """The baby's own count: 'Was not brought: 1', with the child's name for screen readers when it is a link."""
    pattern = rf'Was not brought: 1(<span class="govuk-visually-hidden"> \({re.escape(baby["first_name"])}\)</span>)?'
    return re.search(pattern, page) is not None and "fv-wnb" in page


HEALTH_VISITOR_PAGES = {
    "visit form": "/families/{family}/visits/new",
    "visit page": "/visits/{visit}",
    "body map": "/visits/{visit}/children/{child}/body-map",
    "body map (printable)": "/visits/{visit}/children/{child}/body-map/print",
    # a visit saved on the tablet and not yet on the central record (one on it redirects to its body map)
    "body map for a visit saved on the tablet": "/children/{child}/body-map/new?visit=" + str(uuid.uuid4()),
    "body map history": "/children/{child}/body-map-history",
    "child": "/children/{child}",
    "family": "/families/{family}",
    "record a missed appointment": "/children/{child}/was-not-brought/new",
}
LEAD_PAGES = {
    "dashboard": "/dashboard",
    "family rota": "/families/{family}/rota",
    "visiting rules": "/children/{child}/visiting-rules",
}


def url(template, world):
    return template.format(family=world["baby"]["family_id"], visit=world["visit_id"], child=world["baby"]["id"])


@pytest.mark.parametrize("page", list(HEALTH_VISITOR_PAGES))
def test_every_page_a_health_visitor_sees_of_the_child_shows_the_count(client, auth, world, page):
    auth.sign_in("demo-health-visitor")
    response = client.get(url(HEALTH_VISITOR_PAGES[page], world))
    assert response.status_code == 200
    assert shows_the_count(response.get_data(as_text=True), world["baby"]), page


@pytest.mark.parametrize("page", list(LEAD_PAGES))
def test_every_page_a_team_lead_sees_of_the_child_shows_the_count(client, auth, world, page):
    auth.sign_in("demo-lead")
    response = client.get(url(LEAD_PAGES[page], world))
    assert response.status_code == 200
    assert shows_the_count(response.get_data(as_text=True), world["baby"]), page


def test_the_childs_missed_appointments_page_shows_it_largest(client, auth, world):
    auth.sign_in("demo-health-visitor")
    page = client.get(url("/children/{child}/was-not-brought", world)).get_data(as_text=True)
    assert '<span data-testid="wnb-total">1</span>' in page


def test_the_mark_amendment_and_the_escalation_pages_show_it_too(client, auth, db, world):
    auth.sign_in("demo-health-visitor")
    assert save_a_bruise(client, world["visit_id"], world["baby"]["id"]).status_code == 302
    mark_id = db.execute("SELECT id FROM body_map_marks").fetchone()[0]
    escalation_id = db.execute("SELECT id FROM escalations WHERE origin_kind = 'body_map'").fetchone()[0]
    for path in (f"/body-map-marks/{mark_id}/amend", f"/dashboard/escalations/{escalation_id}"):
        response = client.get(path)
        assert response.status_code == 200 and shows_the_count(response.get_data(as_text=True), world["baby"]), path
    auth.sign_out()
    auth.sign_in("demo-lead")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    entry = re.search(rf'<li class="fv-escalation[^"]*" id="escalation-{escalation_id}">(.*?)</li>', dashboard, re.S)
    assert entry and shows_the_count(entry.group(1), world["baby"])
