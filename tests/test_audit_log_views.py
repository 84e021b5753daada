"""The audit log page (issue 14): team leads and admins search who viewed a child, by child, by
user and by date; a lead sees only entries about their families; an admin sees no names."""
from datetime import date, timedelta

import pytest

from tests.test_access import SessionAuth


@pytest.fixture
def auth(client, app):
    return SessionAuth(client, app)


def lead_child_and_other(db):
    """A child of the demo lead's team, and a child of another team's family."""
    lead = dict(next(db.query("SELECT * FROM practitioners WHERE username = 'demo-lead'")))
    own = dict(next(db.query(
        "SELECT c.* FROM children c JOIN families f ON f.id = c.family_id WHERE f.team_id = ? ORDER BY c.id",
        [lead["team_id"]])))
    other = dict(next(db.query(
        "SELECT c.* FROM children c JOIN families f ON f.id = c.family_id WHERE f.team_id != ?"
        " AND f.id NOT IN (SELECT a.family_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id"
        "                  WHERE p.team_id = ?) ORDER BY c.id", [lead["team_id"], lead["team_id"]])))
    return own, other


def worker_who_can_see(db, child):
    return db.execute("SELECT p.username FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id"
                      " WHERE a.family_id = ? AND p.role != 'team_lead'", [child["family_id"]]).fetchone()[0]


def test_a_lead_sees_who_viewed_a_child_and_the_search_is_audited(client, auth, db):
    own, _ = lead_child_and_other(db)
    viewer = worker_who_can_see(db, own)
    auth.sign_in(viewer)
    assert client.get(f"/children/{own['id']}").status_code == 200
    auth.sign_in("demo-lead")
    child_page = client.get(f"/children/{own['id']}").get_data(as_text=True)
    assert f'href="/audit-log?child={own["id"]}"' in child_page
    response = client.get(f"/audit-log?child={own['id']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Who viewed or changed the records of {own['first_name']} {own['last_name']}" in page
    assert f"({viewer}," in page and "Viewed" in page and f"/children/{own['id']}" in page
    last = db.execute("SELECT action, entity, entity_id, route FROM audit_log a JOIN practitioners p"
                      " ON p.id = a.practitioner_id WHERE p.username = 'demo-lead' AND a.entity = 'child'"
                      " ORDER BY a.id DESC LIMIT 1").fetchone()
    assert tuple(last) == ("read", "child", str(own["id"]), "/audit-log")


def test_a_child_can_be_found_by_name(client, auth, db):
    own, _ = lead_child_and_other(db)
    auth.sign_in("demo-lead")
    page = client.get("/audit-log", query_string={"child": f"{own['first_name']} {own['last_name']}"}).get_data(as_text=True)
    assert f"the records of {own['first_name']} {own['last_name']}" in page


def test_another_teams_child_is_like_one_that_does_not_exist(client, auth, db):
    _, other = lead_child_and_other(db)
    auth.sign_in("demo-lead")
    hidden = client.get(f"/audit-log?child={other['id']}")
    missing = client.get("/audit-log?child=99999999")
    assert hidden.status_code == missing.status_code == 400
    assert "There is no child with that number among the families you can see" in hidden.get_data(as_text=True)
    assert hidden.get_data(as_text=True) == missing.get_data(as_text=True).replace("99999999", str(other["id"]))
    by_name = client.get("/audit-log", query_string={"child": other["first_name"] + " " + other["last_name"]})
    assert other["last_name"] not in by_name.get_data(as_text=True).split("<main")[1].replace(
        f'value="{other["first_name"]} {other["last_name"]}"', "")


def test_a_lead_searching_by_user_sees_only_entries_about_their_own_families(client, auth, db):
    own, other = lead_child_and_other(db)
    other_worker = worker_who_can_see(db, other)
    auth.sign_in(other_worker)
    client.get(f"/children/{other['id']}")
    auth.sign_in("demo-lead")
    page = client.get(f"/audit-log?user={other_worker}").get_data(as_text=True)
    assert f"/children/{other['id']}" not in page and other["first_name"] not in page.split("<main")[1]


def test_search_by_date(client, auth, db):
    own, _ = lead_child_and_other(db)
    auth.sign_in(worker_who_can_see(db, own))
    client.get(f"/children/{own['id']}")
    auth.sign_in("demo-lead")
    today = date.today()
    assert f"/children/{own['id']}" in client.get(
        f"/audit-log?child={own['id']}&date_from={today}&date_to={today}").get_data(as_text=True)
    yesterday = today - timedelta(days=1)
    page = client.get(f"/audit-log?child={own['id']}&date_from={yesterday}&date_to={yesterday}").get_data(as_text=True)
    assert "No entries match." in page


@pytest.mark.parametrize("query, message", [
    ("date_from=2026-02-30", "From date must be a real date"),
    ("date_from=tomorrow", "From date must be a real date"),
    ("date_from=2026-11-30&date_to=2026-11-01", "To date must be the same as or after the from date"),
    ("user=nobody-at-all", "There is no one with that username"),
    ("child=" + "x" * 101, "100 characters or fewer"),
])
def test_bad_searches_are_said_plainly(client, auth, query, message):
    auth.sign_in("demo-lead")
    response = client.get("/audit-log?" + query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page


def test_an_admin_sees_numbers_not_names(client, auth, db):
    own, _ = lead_child_and_other(db)
    auth.sign_in(worker_who_can_see(db, own))
    client.get(f"/children/{own['id']}")
    auth.sign_in("demo-admin")
    page = client.get(f"/audit-log?child={own['id']}").get_data(as_text=True)
    assert f"Who viewed or changed the records of child {own['id']}" in page
    assert own["first_name"] not in page and own["last_name"] not in page
    assert "Enter the child&#39;s number (admins do not see" in client.get("/audit-log?child=Ruby").get_data(as_text=True)


@pytest.mark.parametrize("username", ["demo-worker", "demo-social-worker", "demo-health-visitor"])
def test_practitioners_do_not_have_the_audit_log(client, auth, username):
    auth.sign_in(username)
    assert client.get("/audit-log").status_code == 404
    assert 'href="/audit-log"' not in client.get("/today").get_data(as_text=True)
