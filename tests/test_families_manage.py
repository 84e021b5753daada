"""The family pages of issue 10 through the test client: a team lead keeps their team's families
right, an admin any team's; nobody else reaches them (404); bad input is shown again with a GOV.UK
error summary and nothing stored; an ended assignment drops the family from the tablet's next pack."""
import re
from datetime import date, datetime, timedelta

import pytest

from tests.test_access import SessionAuth

TODAY = date.today()


@pytest.fixture
def auth(client, app):
    return SessionAuth(client, app)


def person(db, username):
    return dict(next(db.query("SELECT * FROM practitioners WHERE username = ?", [username])))


def lead_family(db, username="demo-lead"):
    """A family held by this lead's team, and one held by another team."""
    lead = person(db, username)
    own = db.execute("SELECT id FROM families WHERE team_id = ? ORDER BY id", [lead["team_id"]]).fetchone()[0]
    other = db.execute("SELECT id FROM families WHERE team_id != ? ORDER BY id", [lead["team_id"]]).fetchone()[0]
    return lead, own, other


def count(db, sql, params=()):
    return db.execute(f"SELECT count(*) FROM {sql}", params).fetchone()[0]


def error_summary(response):
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    return dict(re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a></li>', page))


def test_a_lead_adds_a_family_with_a_baby_who_rolls(client, auth, db):
    auth.sign_in("demo-lead")
    lead = person(db, "demo-lead")
    response = client.post("/families/new", data={
        "name": "Quenby household", "address": "9 Orchard Way, Northfield", "postcode": "NF4 2RT",
        "known_risks": "Smoker in the home", "lead_agency": "Northfield Children's Services",
        "case_reference": "LL-555", "team_id": "999"})  # a lead's family is their own team's, whatever is posted
    assert response.status_code == 302
    family = dict(next(db.query("SELECT * FROM families WHERE case_reference = 'LL-555'")))
    assert family["team_id"] == lead["team_id"]
    assert response.headers["Location"] == f"/families/{family['id']}/children/new"
    born = (TODAY - timedelta(days=122)).isoformat()
    response = client.post(f"/families/{family['id']}/children/new", data={
        "first_name": "Wren", "last_name": "Quenby", "date_of_birth": born, "sex": "female",
        "nhs_number": "999 000 0026", "mobility": "rolling"})
    assert response.status_code == 302
    child = dict(next(db.query("SELECT * FROM children WHERE family_id = ?", [family["id"]])))
    assert (child["mobility"], child["independently_mobile"], child["nhs_number"]) == ("rolling", 0, "9990000026")
    page = client.get(f"/families/{family['id']}").get_data(as_text=True)
    assert "Known risks at the address: Smoker in the home" in page
    assert "Change history" in page and "Family created" in page
    child_page = client.get(f"/children/{child['id']}").get_data(as_text=True)
    assert "Not independently mobile" in child_page and "(rolling)" in child_page
    assert ("write", "family", str(family["id"])) in db.execute(
        "SELECT action, entity, entity_id FROM audit_log WHERE practitioner_id = ?", [lead["id"]]).fetchall()


@pytest.mark.parametrize("data, field, message", [
    ({"date_of_birth": (TODAY + timedelta(days=1)).isoformat()}, "date_of_birth",
     "The date of birth must be today or in the past"),
    ({"nhs_number": "943 476 5918"}, "nhs_number",
     "Enter a real NHS number: 10 digits, the last a check digit (or leave it empty)"),
])
def test_a_child_with_bad_details_is_shown_again_with_an_error_summary(client, auth, db, data, field, message):
    auth.sign_in("demo-lead")
    _, family_id, _ = lead_family(db)
    before = count(db, "children")
    form = {"first_name": "Wren", "last_name": "Quenby", "sex": "female",
            "date_of_birth": (TODAY - timedelta(days=122)).isoformat()}
    response = client.post(f"/families/{family_id}/children/new", data=dict(form, **data))
    assert response.status_code == 400
    assert error_summary(response) == {field: message}
    page = response.get_data(as_text=True)
    assert f'id="{field}"' in page and 'value="Wren"' in page, "what was typed is kept"
    assert count(db, "children") == before


def test_a_plan_ending_before_it_starts_is_refused_with_an_error_summary(client, auth, db):
    auth.sign_in("demo-lead")
    _, family_id, _ = lead_family(db)
    child_id = db.execute("SELECT id FROM children WHERE family_id = ? AND plan != 'none'", [family_id]).fetchone()
    if child_id is None:
        child_id = db.execute("SELECT c.id FROM children c JOIN families f ON f.id = c.family_id WHERE f.team_id = ?"
                              " AND c.plan != 'none'", [person(db, "demo-lead")["team_id"]]).fetchone()
    child_id = child_id[0]
    start = db.execute("SELECT plan_start_date FROM children WHERE id = ?", [child_id]).fetchone()[0]
    before = date.fromisoformat(start) - timedelta(days=1)
    response = client.post(f"/children/{child_id}/plan/end", data={"end_date": before.isoformat(),
                                                                    "end_reason": "no_longer_needed"})
    assert response.status_code == 400
    assert error_summary(response) == {"end_date": "The plan cannot end before it started"}
    assert count(db, "child_plans WHERE child_id = ? AND end_date IS NOT NULL", [child_id]) == 0
    response = client.post(f"/children/{child_id}/plan/end", data={
        "end_date": TODAY.isoformat(), "end_reason": "step_down", "next_plan": "early_help"})
    assert response.status_code == 302
    assert db.execute("SELECT plan FROM children WHERE id = ?", [child_id]).fetchone()[0] == "early_help"
    child_page = client.get(f"/children/{child_id}").get_data(as_text=True)
    assert "Early help" in child_page and "(stepped down)" in child_page


def test_a_lead_cannot_reach_another_teams_family_or_assign_to_it(client, auth, db):
    auth.sign_in("demo-lead")
    _, _, other = lead_family(db)
    worker = person(db, "demo-worker")
    before = count(db, "assignments")
    for url in (f"/families/{other}/manage", f"/families/{other}/edit", f"/families/{other}/assignments"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/families/{other}/assignments", data={"practitioner_id": worker["id"]}).status_code == 404
    assert count(db, "assignments") == before


def test_a_lead_who_sees_another_teams_family_is_told_only_its_lead_assigns(client, auth, db):
    lead, _, other = lead_family(db)
    member = db.execute("SELECT id FROM practitioners WHERE team_id = ? AND role != 'team_lead'",
                        [lead["team_id"]]).fetchone()[0]
    db.execute("INSERT OR IGNORE INTO assignments (family_id, practitioner_id) VALUES (?, ?)", [other, member])
    auth.sign_in("demo-lead")
    page = client.get(f"/families/{other}/assignments").get_data(as_text=True)
    assert "Another team holds this family" in page and 'name="practitioner_id"' not in page
    before = count(db, "assignments")
    response = client.post(f"/families/{other}/assignments", data={"practitioner_id": person(db, "demo-worker")["id"]})
    assert response.status_code == 400
    assert error_summary(response) == {
        "practitioner_id": "You can only assign practitioners to a family your team holds"}
    assert count(db, "assignments") == before
    assert client.get(f"/families/{other}/manage").status_code == 404


def test_a_lead_cannot_assign_themselves_and_is_told_why(client, auth, db):
    auth.sign_in("demo-lead")
    lead, family_id, _ = lead_family(db)
    response = client.post(f"/families/{family_id}/assignments", data={"practitioner_id": lead["id"]})
    assert response.status_code == 400
    assert error_summary(response) == {
        "practitioner_id": "You cannot assign yourself: ask another team lead or an admin"}


@pytest.mark.parametrize("username", ["demo-worker", "demo-social-worker", "demo-health-visitor"])
def test_practitioners_reach_none_of_the_management_pages_even_for_their_own_families(client, auth, db, username):
    auth.sign_in(username)
    me = person(db, username)
    family_id = db.execute("SELECT family_id FROM assignments WHERE practitioner_id = ?", [me["id"]]).fetchone()[0]
    child_id = db.execute("SELECT id FROM children WHERE family_id = ?", [family_id]).fetchone()[0]
    before = count(db, "assignments")
    for url in ("/families/manage", "/families/new", "/families/import", f"/families/{family_id}/manage",
                f"/families/{family_id}/edit", f"/families/{family_id}/close", f"/families/{family_id}/transfer",
                f"/families/{family_id}/children/new", f"/children/{child_id}/edit", f"/children/{child_id}/plan",
                f"/families/{family_id}/adults/new", f"/families/{family_id}/assignments"):
        assert client.get(url).status_code == 404, url
    # A practitioner cannot assign themselves (or anyone) to a family.
    other = db.execute("SELECT id FROM families WHERE id NOT IN (SELECT family_id FROM assignments"
                       " WHERE practitioner_id = ?)", [me["id"]]).fetchone()[0]
    assert client.post(f"/families/{other}/assignments", data={"practitioner_id": me["id"]}).status_code == 404
    assert client.post(f"/families/{family_id}/assignments/{me['id']}/end").status_code == 404
    assert count(db, "assignments") == before


def test_admins_manage_every_teams_families_but_see_no_family_page(client, auth, db):
    auth.sign_in("demo-admin")
    families = [row[0] for row in db.execute("SELECT id FROM families ORDER BY id")]
    assert '<a class="govuk-header__link fv-nav__link" href="/families/manage">Cases</a>' in \
        client.get("/admin/practitioners").get_data(as_text=True)
    listing = client.get("/families/manage").get_data(as_text=True)
    assert {int(i) for i in re.findall(r'href="/families/(\d+)/manage"', listing)} == set(families)
    for family_id in families[:4]:
        assert client.get(f"/families/{family_id}/manage").status_code == 200
        assert client.get(f"/families/{family_id}/edit").status_code == 200
        assert client.get(f"/families/{family_id}").status_code == 404
    team_b = db.execute("SELECT team_id FROM families WHERE id = ?", [families[1]]).fetchone()[0]
    response = client.post("/families/new", data={"name": "Rook household", "address": "1 Beck View",
                                                  "postcode": "NF3 1AA", "team_id": str(team_b)})
    assert response.status_code == 302
    assert db.execute("SELECT team_id FROM families WHERE name = 'Rook household'").fetchone()[0] == team_b


def test_the_import_page_is_for_admins_and_runs_a_dry_run_then_applies(client, auth, db):
    from pathlib import Path
    example = (Path(__file__).resolve().parents[1] / "docs" / "examples" / "families.csv").read_bytes()
    auth.sign_in("demo-lead")
    assert client.get("/families/import").status_code == 404
    auth.sign_in("demo-admin")
    assert "Case Reference" in client.get("/families/import").get_data(as_text=True)
    before = count(db, "families")
    import io
    response = client.post("/families/import", data={"file": (io.BytesIO(example), "families.csv"), "apply": "no"},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "What the import would do" in page and "4 create" in page
    assert count(db, "families") == before
    response = client.post("/families/import", data={"file": (io.BytesIO(example), "families.csv"), "apply": "yes"},
                           content_type="multipart/form-data")
    assert "Imported" in response.get_data(as_text=True)
    assert count(db, "families") == before + 3
    response = client.post("/families/import", data={"apply": "yes"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert error_summary(response) == {"file": "Choose a CSV file to upload"}


def test_a_practitioner_updates_a_childs_mobility_from_a_visit(client, auth, db):
    auth.sign_in("demo-worker")
    me = person(db, "demo-worker")
    visit_id, family_id = db.execute("SELECT id, family_id FROM visit_records WHERE practitioner_id = ?",
                                     [me["id"]]).fetchone()
    child_id = db.execute("SELECT id FROM children WHERE family_id = ?", [family_id]).fetchone()[0]
    assert f"/children/{child_id}/mobility?visit={visit_id}" in client.get(f"/visits/{visit_id}").get_data(as_text=True)
    response = client.post(f"/children/{child_id}/mobility?visit={visit_id}",
                           data={"mobility": "cruising", "recorded_on": TODAY.isoformat(), "note": "Round the sofa"})
    assert response.status_code == 302 and response.headers["Location"] == f"/visits/{visit_id}"
    row = dict(next(db.query("SELECT * FROM child_mobility WHERE child_id = ? ORDER BY id DESC LIMIT 1", [child_id])))
    assert (row["mobility"], row["recorded_by"], row["visit_id"], row["note"]) == \
        ("cruising", me["id"], visit_id, "Round the sofa")
    response = client.post(f"/children/{child_id}/mobility", data={"mobility": "", "recorded_on": ""})
    assert response.status_code == 400
    assert set(error_summary(response)) == {"mobility", "recorded_on"}


def test_an_ended_assignment_removes_the_family_from_the_next_pack(client, auth, db):
    """Need to know drives the tablet's pack: the practitioner's tablet drops the family at its next sync."""
    worker = person(db, "demo-worker")
    lead = person(db, "demo-lead")
    family_id = db.execute(
        "SELECT s.family_id FROM scheduled_visits s JOIN families f ON f.id = s.family_id"
        " WHERE s.practitioner_id = ? AND f.team_id = ? AND s.status = 'scheduled'"
        " AND s.due_at >= ? ORDER BY s.due_at", [worker["id"], lead["team_id"], TODAY.isoformat()]).fetchone()[0]
    auth.sign_in("demo-worker")
    assert family_id in client.get("/api/sync/pack").get_json()["families"]
    auth.sign_in("demo-lead")
    response = client.post(f"/families/{family_id}/assignments/{worker['id']}/end", data={"reason": "Moved on"})
    assert response.status_code == 302
    auth.sign_in("demo-worker")
    pack = client.get("/api/sync/pack").get_json()
    assert family_id not in pack["families"]
    assert not any(f"/families/{family_id}" in page for page in pack["pages"])
    assert client.get(f"/families/{family_id}").status_code == 404
    ended = db.execute("SELECT ended_on, ended_by, end_reason FROM assignment_history WHERE family_id = ?"
                       " AND practitioner_id = ?", [family_id, worker["id"]]).fetchone()
    assert tuple(ended) == (TODAY.isoformat(), lead["id"], "Moved on")


def test_a_lead_assigns_a_practitioner_and_the_family_is_in_their_list(client, auth, db):
    hv = person(db, "demo-health-visitor")
    _, family_id, _ = lead_family(db)
    db.execute("DELETE FROM assignments WHERE family_id = ? AND practitioner_id = ?", [family_id, hv["id"]])
    auth.sign_in("demo-lead")
    response = client.post(f"/families/{family_id}/assignments", data={"practitioner_id": hv["id"]})
    assert response.status_code == 302
    page = client.get(f"/families/{family_id}/assignments").get_data(as_text=True)
    assert "Jo Demo-Health" in page
    auth.sign_in("demo-health-visitor")
    assert f'href="/families/{family_id}"' in client.get("/families").get_data(as_text=True)


def test_closing_and_transferring_keep_the_family(client, auth, db):
    auth.sign_in("demo-lead")
    lead, family_id, _ = lead_family(db)
    response = client.post(f"/families/{family_id}/close", data={"closed_on": "", "reason": ""})
    assert response.status_code == 400
    assert set(error_summary(response)) == {"closed_on", "reason"}
    response = client.post(f"/families/{family_id}/close", data={"closed_on": TODAY.isoformat(),
                                                                "reason": "Needs met"})
    assert response.status_code == 302
    assert count(db, "assignments WHERE family_id = ?", [family_id]) == 0
    assert "Closed" in client.get(f"/families/{family_id}").get_data(as_text=True)
    other_team = db.execute("SELECT id FROM teams WHERE id != ?", [lead["team_id"]]).fetchone()[0]
    response = client.post(f"/families/{family_id}/transfer", data={"team_id": str(other_team), "reason": "Step down"})
    assert response.status_code == 302
    assert client.get(f"/families/{family_id}/manage").status_code == 404, "now the other team's family"
    assert count(db, "families WHERE id = ?", [family_id]) == 1


def test_pages_of_issue_10_carry_no_inline_script_handlers_or_styles(client, auth, db):
    auth.sign_in("demo-lead")
    _, family_id, _ = lead_family(db)
    child_id = db.execute("SELECT id FROM children WHERE family_id = ?", [family_id]).fetchone()[0]
    adult_id = db.execute("SELECT id FROM adults WHERE family_id = ?", [family_id]).fetchone()[0]
    for url in ("/families/manage", "/families/new", f"/families/{family_id}/manage", f"/families/{family_id}/edit",
                f"/families/{family_id}/close", f"/families/{family_id}/transfer", f"/families/{family_id}/children/new",
                f"/children/{child_id}/edit", f"/children/{child_id}/plan", f"/children/{child_id}/mobility",
                f"/families/{family_id}/adults/new", f"/adults/{adult_id}/edit", f"/families/{family_id}/assignments"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert not re.search(r"\son[a-z]+\s*=", page), url
        assert not re.search(r"\sstyle\s*=", page), url
