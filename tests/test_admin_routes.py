"""The admin's pages (issue 10): practitioners, teams, one-time codes, partnership settings and the
practitioners import, through the Flask test client on the demo data. Who may not reach them is in
tests/test_access.py."""
import html
import io
import re
from datetime import date
from pathlib import Path

import pytest

from fieldvisit import cli, settings
from fieldvisit.db import connect
from tests.conftest import DEMO_PASSWORD
from tests.test_access import SessionAuth

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


@pytest.fixture
def admin(client, app):
    SessionAuth(client, app).sign_in("demo-admin")
    return client


def ids(db):
    agency = db.execute("SELECT id FROM agencies WHERE kind = 'health'").fetchone()[0]
    team = db.execute("SELECT id FROM teams WHERE agency_id = ?", [agency]).fetchone()[0]
    return agency, team


def new_health_visitor(db, **changes):
    agency, team = ids(db)
    form = {"display_name": "Nia Newcomer", "username": "nia.newcomer", "role": "health_visitor",
            "agency_id": str(agency), "team_id": str(team), "staff_id": "", "email": "", "phone": "07700 900 982",
            "registration_body": "NMC", "registration_number": "12A3456E"}
    form.update(changes)
    return form


def error_summary(page):
    """{anchor: message} of the GOV.UK error summary."""
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert summary, "no error summary"
    return {anchor: html.unescape(message)
            for anchor, message in re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary.group(0))}


def text(response):
    return response.get_data(as_text=True)


def words(response):
    """The page's text with its HTML entities read (an apostrophe is &#39; in the page)."""
    return html.unescape(text(response))


# --- practitioners -------------------------------------------------------------------------

def test_an_admin_adds_a_practitioner_who_has_no_password_yet(admin, db):
    response = admin.post("/admin/practitioners/new", data=new_health_visitor(db))
    assert response.status_code == 302
    practitioner_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = text(admin.get(f"/admin/practitioners/{practitioner_id}"))
    assert "Nia Newcomer" in page and "12A3456E" in page and "Not set yet" in page
    assert "Nia Newcomer" in text(admin.get("/admin/practitioners"))
    assert db.execute("SELECT password_hash FROM practitioners WHERE username = 'nia.newcomer'").fetchone()[0] == ""


@pytest.mark.parametrize("changes, anchor, words", [
    ({"username": "demo-worker"}, "username", "This username is already taken"),
    ({"display_name": ""}, "display_name", "Enter the practitioner's name"),
    ({"role": ""}, "role", "Choose a role"),
    ({"registration_number": "NMC12"}, "registration_number", "right format"),
    ({"registration_number": "", "registration_body": ""}, "registration_number", "must be registered"),
])
def test_bad_practitioner_details_get_an_error_summary_and_keep_what_was_typed(admin, db, changes, anchor, words):
    before = db.execute("SELECT count(*) FROM practitioners").fetchone()[0]
    response = admin.post("/admin/practitioners/new", data=new_health_visitor(db, **changes))
    assert response.status_code == 400
    page = text(response)
    assert words in error_summary(page)[anchor]
    assert f'id="{anchor}"' in page  # the summary's link lands on the field
    assert "07700 900 982" in page  # what was typed is kept
    assert db.execute("SELECT count(*) FROM practitioners").fetchone()[0] == before


def test_an_admin_changes_a_practitioners_team_and_cannot_take_their_own_admin_role(admin, db):
    worker = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    page = text(admin.get(f"/admin/practitioners/{worker}/edit"))
    assert 'value="demo-worker"' in page
    council_team = db.execute("SELECT t.id, t.agency_id FROM teams t WHERE name = 'Safeguarding and Assessment Team'"
                              ).fetchone()
    form = {"display_name": "Sam Demo-Worker", "username": "demo-worker", "role": "family_support_worker",
            "agency_id": str(council_team[1]), "team_id": str(council_team[0]), "phone": "01632 960 001"}
    assert admin.post(f"/admin/practitioners/{worker}/edit", data=form).status_code == 302
    assert db.execute("SELECT team_id, phone FROM practitioners WHERE id = ?", [worker]).fetchone() == (
        council_team[0], "01632 960 001")
    me = db.execute("SELECT id, agency_id FROM practitioners WHERE username = 'demo-admin'").fetchone()
    response = admin.post(f"/admin/practitioners/{me[0]}/edit", data={
        "display_name": "Alex Admin", "username": "demo-admin", "role": "team_lead", "agency_id": str(me[1]),
        "team_id": str(council_team[0])})
    assert response.status_code == 400 and "own admin role" in error_summary(text(response))["role"]


def test_a_deactivated_practitioner_is_signed_out_at_their_next_step_and_cannot_sign_in(app, admin, db):
    worker_client = app.test_client()
    assert worker_client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD}).status_code == 302
    assert worker_client.get("/today").status_code == 200
    worker = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    visits = db.execute("SELECT count(*) FROM visit_records WHERE practitioner_id = ?", [worker]).fetchone()[0]
    assert admin.post(f"/admin/practitioners/{worker}/deactivate").status_code == 302
    assert worker_client.get("/today").headers["Location"].startswith("/sign-in")
    assert worker_client.get("/api/sync/pack").status_code == 401
    refused = worker_client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD})
    assert refused.status_code == 400
    assert db.execute("SELECT count(*) FROM visit_records WHERE practitioner_id = ?", [worker]).fetchone()[0] == visits
    assert "Deactivated" in text(admin.get("/admin/practitioners"))
    assert admin.post(f"/admin/practitioners/{worker}/reactivate").status_code == 302
    assert worker_client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD}).status_code == 302


def test_an_admin_cannot_deactivate_their_own_account(admin, db):
    me = db.execute("SELECT id FROM practitioners WHERE username = 'demo-admin'").fetchone()[0]
    admin.post(f"/admin/practitioners/{me}/deactivate")
    assert db.execute("SELECT active FROM practitioners WHERE id = ?", [me]).fetchone()[0] == 1


def test_a_one_time_code_is_shown_once_and_the_practitioner_sets_a_password_and_signs_in(app, admin, db):
    response = admin.post("/admin/practitioners/new", data=new_health_visitor(db))
    practitioner_id = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = text(admin.post(f"/admin/practitioners/{practitioner_id}/reset-code"))
    code = re.search(r"data-fv-reset-code>([A-Z0-9-]+)<", shown).group(1)
    assert code not in text(admin.get(f"/admin/practitioners/{practitioner_id}"))  # shown once only
    assert "Issued, not used yet" in text(admin.get(f"/admin/practitioners/{practitioner_id}"))
    assert code not in str(db.execute("SELECT * FROM password_resets").fetchall())
    newcomer = app.test_client()
    assert "Set your password" in text(newcomer.get("/set-password"))
    mismatch = newcomer.post("/set-password", data={"username": "nia.newcomer", "code": code,
                                                    "password": "correct staple lantern", "confirm": "correct staple"})
    assert mismatch.status_code == 400 and "not the same" in error_summary(text(mismatch))["confirm"]
    assert "correct staple lantern" not in text(mismatch)  # a password is never sent back
    short = newcomer.post("/set-password", data={"username": "nia.newcomer", "code": code,
                                                 "password": "too short", "confirm": "too short"})
    assert "at least 12 characters" in error_summary(text(short))["password"]
    wrong = newcomer.post("/set-password", data={"username": "nia.newcomer", "code": "ABCD-EFGH-JKMN-PQRS",
                                                 "password": "tulip marble kettle", "confirm": "tulip marble kettle"})
    assert "not right" in error_summary(text(wrong))["code"]
    done = newcomer.post("/set-password", data={"username": "nia.newcomer", "code": code,
                                                "password": "tulip marble kettle", "confirm": "tulip marble kettle"})
    assert done.status_code == 302 and done.headers["Location"] == "/sign-in"
    signed_in = newcomer.post("/sign-in", data={"username": "nia.newcomer", "password": "tulip marble kettle"})
    assert signed_in.status_code == 302
    again = app.test_client().post("/set-password", data={"username": "nia.newcomer", "code": code,
                                                          "password": "another long one", "confirm": "another long one"})
    assert again.status_code == 400


def test_set_password_with_nothing_filled_in_lists_every_field(client):
    response = client.post("/set-password", data={})
    assert response.status_code == 400
    assert set(error_summary(text(response))) == {"username", "code", "password"}


# --- teams ---------------------------------------------------------------------------------

def test_an_admin_creates_and_renames_a_team_with_a_lead(admin, db):
    agency, _ = ids(db)
    lead = db.execute("SELECT id FROM practitioners WHERE username = 'dev.invented'").fetchone()[0]
    assert admin.post("/admin/teams/new", data={"name": "School Nursing Team", "agency_id": str(agency),
                                                "lead_id": str(lead)}).status_code == 302
    team_id = db.execute("SELECT id FROM teams WHERE name = 'School Nursing Team'").fetchone()[0]
    assert db.execute("SELECT lead_id FROM teams WHERE id = ?", [team_id]).fetchone()[0] == lead
    assert "School Nursing Team" in text(admin.get("/admin/teams"))
    assert admin.post(f"/admin/teams/{team_id}/edit", data={"name": "School Nursing (North)", "agency_id": str(agency),
                                                            "lead_id": str(lead)}).status_code == 302
    assert db.execute("SELECT name FROM teams WHERE id = ?", [team_id]).fetchone()[0] == "School Nursing (North)"
    taken = admin.post("/admin/teams/new", data={"name": "health visiting team", "agency_id": str(agency)})
    assert taken.status_code == 400 and "already has a team" in error_summary(text(taken))["name"]
    assert admin.get("/admin/teams/999999/edit").status_code == 404


# --- partnership settings ------------------------------------------------------------------

def test_the_settings_page_shows_every_setting_with_its_default(admin):
    page = text(admin.get("/admin/settings"))
    for key in settings.DEFAULTS:
        assert f'data-fv-setting="{key}"' in page
        assert admin.get(f"/admin/settings/{key}").status_code == 200
    assert page.count("Default:") == len(settings.DEFAULTS)
    assert admin.get("/admin/settings/no_such_setting").status_code == 404


@pytest.mark.parametrize("form, anchor, words", [
    ({"value": "3", "reason": "Why not"}, "value", "between 6 and 36"),
    ({"value": "twelve", "reason": "Why not"}, "value", "whole number"),
    ({"value": "12", "reason": "  "}, "reason", "Give the reason for the change"),
    ({"value": "6", "reason": "No change"}, "value", "already in force"),
    ({"value": "12", "reason": "x" * 1001}, "reason", "1,000 characters or fewer"),
])
def test_a_bad_setting_change_gets_an_error_summary_and_changes_nothing(admin, db, form, anchor, words):
    response = admin.post("/admin/settings/non_mobile_under_months", data=form)
    assert response.status_code == 400
    assert words in error_summary(text(response))[anchor]
    assert settings.load(db)["non_mobile_under_months"] == 6
    assert db.execute("SELECT count(*) FROM settings_history").fetchone()[0] == 0


def test_a_pathway_and_a_json_setting_are_changed_through_their_fields(admin, db):
    form = {"reason": "Local procedure 2026"}
    for rule, pathway in settings.DEFAULTS["bodymap_pathways"].items():
        form[f"{rule}-deadline_hours"] = str(pathway["deadline_hours"])
        form[f"{rule}-actions"] = "\n".join(pathway["actions"])
    form["suspect_maltreatment-actions"] += "\nTell the designated safeguarding lead"
    assert admin.post("/admin/settings/bodymap_pathways", data=form).status_code == 302
    assert settings.load(db)["bodymap_pathways"]["suspect_maltreatment"]["actions"][-1] == \
        "Tell the designated safeguarding lead"
    bad_json = admin.post("/admin/settings/audit_bands", data={"value": "[[0, 'x']", "reason": "r"})
    assert bad_json.status_code == 400 and "JSON" in error_summary(text(bad_json))["value"]
    bands = '[[0, "Lower risk"], [8, "Increasing risk"], [15, "Higher risk"], [20, "Possible dependence"]]'
    assert admin.post("/admin/settings/audit_bands", data={"value": bands, "reason": "r"}).status_code == 302
    assert settings.load(db)["audit_bands"][2] == [15, "Higher risk"]


def a_crawling_baby_the_health_visitor_sees(db):
    """An 8-month-old recorded as independently mobile, in a family demo-health-visitor is assigned to."""
    me = db.execute("SELECT id FROM practitioners WHERE username = 'demo-health-visitor'").fetchone()[0]
    family_id = db.execute("SELECT family_id FROM assignments WHERE practitioner_id = ?", [me]).fetchone()[0]
    today = date.today()
    born = date(today.year - (1 if today.month <= 8 else 0), (today.month - 9) % 12 + 1, 1)
    return db["children"].insert({"family_id": family_id, "first_name": "Crawly", "last_name": "Example",
                                  "date_of_birth": born.isoformat(), "independently_mobile": 1,
                                  "plan": "none"}).last_pk


def test_a_changed_non_mobile_age_changes_the_body_map_at_once(app, admin, db):
    child_id = a_crawling_baby_the_health_visitor_sees(db)
    health_visitor = app.test_client()
    SessionAuth(health_visitor, app).sign_in("demo-health-visitor")
    warning = "Crawly is not independently mobile"
    assert warning not in text(health_visitor.get(f"/children/{child_id}/body-map/new"))
    response = admin.post("/admin/settings/non_mobile_under_months",
                          data={"value": "12", "reason": "Partnership decision, 1 December"})
    assert response.status_code == 302
    assert warning in text(health_visitor.get(f"/children/{child_id}/body-map/new"))
    page = text(admin.get("/admin/settings"))
    assert "Robin Demo-Admin: Partnership decision, 1 December" in page
    [change] = settings.history(db)
    assert (change["before"], change["after"], change["reason"]) == (6, 12, "Partnership decision, 1 December")


def test_the_pack_carries_the_settings_version_which_changes_with_a_setting(app, admin, db):
    worker = app.test_client()
    SessionAuth(worker, app).sign_in("demo-worker")
    before = worker.get("/api/sync/pack").get_json()["settings_version"]
    assert before == worker.get("/api/sync/pack").get_json()["settings_version"]
    admin.post("/admin/settings/today_days_ahead", data={"value": "3", "reason": "Smaller packs"})
    after = worker.get("/api/sync/pack").get_json()["settings_version"]
    assert after != before and after == settings.settings_version(db)


# --- importing practitioners ---------------------------------------------------------------

def upload(client, path_or_bytes, **extra):
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return client.post("/admin/import/practitioners", data={"file": (io.BytesIO(data), "staff.csv"), **extra},
                       content_type="multipart/form-data")


def test_an_import_is_checked_first_then_applied_then_changes_nothing_the_second_time(admin, db):
    before = db.execute("SELECT count(*) FROM practitioners").fetchone()[0]
    checked = text(upload(admin, EXAMPLES / "practitioners.csv"))
    assert "It would create 3, update 1 and leave 0 unchanged; 0 refused." in checked
    assert db.execute("SELECT count(*) FROM practitioners").fetchone()[0] == before
    content = re.search(r'<textarea name="content"[^>]*>(.*?)</textarea>', checked, re.S).group(1)
    applied = text(admin.post("/admin/import/practitioners", data={"apply": "yes", "content": html.unescape(content)}))
    assert "Created 3, updated 1, unchanged 0." in applied
    assert db.execute("SELECT count(*) FROM practitioners").fetchone()[0] == before + 3
    again = text(upload(admin, EXAMPLES / "practitioners.csv", apply="yes"))
    assert "Created 0, updated 0, unchanged 4." in again


def test_an_import_with_refused_rows_reports_each_and_applies_nothing(admin, db):
    before = db.execute("SELECT count(*) FROM practitioners").fetchone()[0]
    page = text(upload(admin, EXAMPLES / "practitioners-with-errors.csv", apply="yes"))
    summary = error_summary(page)
    assert len(summary) == 7
    assert "more than one line" in summary["line-2"] and "Unknown role" in summary["line-4"]
    assert "create the team first" in summary["line-5"] and "spreadsheet formula" in summary["line-6"]
    assert "Apply the import" not in page
    assert db.execute("SELECT count(*) FROM practitioners").fetchone()[0] == before


@pytest.mark.parametrize("data, words", [
    ("username,display_name\nx,y\n".encode(), "no role, agency, team columns"),
    ("staff_id,username,display_name,role,agency,team\n1,zoë,Zoë,Social worker,A,B\n".encode("latin-1"), "not UTF-8"),
    (b"", "Choose a CSV file"),
])
def test_a_file_with_a_structural_error_is_refused_whole(admin, data, words):
    response = upload(admin, data) if data else admin.post("/admin/import/practitioners", data={})
    assert response.status_code == 400
    assert words in error_summary(text(response))["file"]


# --- the command line ----------------------------------------------------------------------

def test_the_import_command_is_a_dry_run_until_apply(app, db, monkeypatch, capsys):
    monkeypatch.setenv("FIELDVISIT_DB", app.config["DATABASE"])
    monkeypatch.setenv("FIELDVISIT_INSTANCE", app.instance_path)
    before = db.execute("SELECT count(*) FROM practitioners").fetchone()[0]
    example = str(EXAMPLES / "practitioners.csv")
    assert cli.main(["import", "practitioners", example]) == 0
    out = capsys.readouterr().out
    assert "line 3: create jo.sampleton" in out and "Dry run, nothing changed: 3 to create, 1 to update" in out
    assert db.execute("SELECT count(*) FROM practitioners").fetchone()[0] == before
    assert cli.main(["import", "practitioners", example, "--apply"]) == 0
    assert "Imported: 3 created, 1 updated, 0 unchanged." in capsys.readouterr().out
    assert cli.main(["import", "practitioners", example, "--apply"]) == 0
    assert "Imported: 0 created, 0 updated, 4 unchanged." in capsys.readouterr().out
    assert db.execute("SELECT count(*) FROM practitioners").fetchone()[0] == before + 3
    assert cli.main(["import", "practitioners", str(EXAMPLES / "practitioners-with-errors.csv"), "--apply"]) == 1
    captured = capsys.readouterr()
    assert "line 6: refuse cy.formula" in captured.out and "nothing was imported" in captured.err
    assert cli.main(["import", "practitioners", "/no/such/file.csv"]) == 2


def test_issuing_a_code_ends_the_practitioners_open_sessions_and_a_new_password_works_at_once(app, admin, db):
    worker_client = app.test_client()
    assert worker_client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD}).status_code == 302
    assert worker_client.get("/today").status_code == 200
    worker = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    code = re.search(r"data-fv-reset-code>([A-Z0-9-]+)<",
                     text(admin.post(f"/admin/practitioners/{worker}/reset-code"))).group(1)
    assert worker_client.get("/today").headers["Location"].startswith("/sign-in")  # perhaps someone else's session
    assert worker_client.post("/set-password", data={"username": "demo-worker", "code": code,
                                                     "password": "quiet harbour lamp", "confirm": "quiet harbour lamp"}
                              ).status_code == 302
    assert worker_client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD}).status_code == 400
    assert worker_client.post("/sign-in", data={"username": "demo-worker", "password": "quiet harbour lamp"}
                              ).status_code == 302
    assert worker_client.get("/today").status_code == 200
