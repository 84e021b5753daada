"""People, teams, one-time password codes and partnership settings (issue 10), on a fresh database."""
from datetime import timedelta

import pytest

from fieldvisit import settings
from fieldvisit.admin import domain
from fieldvisit.auth.views import find_practitioner
from fieldvisit.passwords import check_password, password_problem
from tests.factories import build_world, fresh_db


@pytest.fixture
def db():
    database = fresh_db()
    yield database
    database.close()


@pytest.fixture
def world(db):
    return build_world(db)


def details(world, **changes):
    values = {"username": "nia.new", "display_name": "Nia New", "role": "health_visitor",
              "agency_id": str(world["health"]), "team_id": str(world["team_b"]), "staff_id": "HV0001",
              "email": "nia.new@example.gov.uk", "phone": "01632 960 001", "registration_body": "NMC",
              "registration_number": "12A3456E"}
    values.update(changes)
    return domain.clean_practitioner(values)


def create(db, world, **changes):
    values = details(world, **changes)
    assert domain.practitioner_errors(db, values) == {}
    return domain.create_practitioner(db, values, world["admin"]["id"], "/test")


# --- practitioners ------------------------------------------------------------------------

def test_an_admin_creates_a_health_visitor_with_her_nmc_registration_and_no_usable_password(db, world):
    practitioner_id = create(db, world)
    row = domain.practitioner(db, practitioner_id)
    assert {k: row[k] for k in ("username", "display_name", "role", "team_id", "agency_id", "staff_id", "phone",
                                "registration_body", "registration_number", "active", "has_password")} == {
        "username": "nia.new", "display_name": "Nia New", "role": "health_visitor", "team_id": world["team_b"],
        "agency_id": world["health"], "staff_id": "HV0001", "phone": "01632 960 001", "registration_body": "NMC",
        "registration_number": "12A3456E", "active": 1, "has_password": 0}
    stored_hash = db.execute("SELECT password_hash FROM practitioners WHERE id = ?", [practitioner_id]).fetchone()[0]
    assert not check_password(stored_hash, "") and not check_password(stored_hash, "not a real password")
    assert db.execute("SELECT count(*) FROM audit_log WHERE entity = 'practitioner' AND entity_id = ?"
                      " AND action = 'write'", [str(practitioner_id)]).fetchone()[0] == 1


@pytest.mark.parametrize("changes, field, words", [
    ({"username": "worker"}, "username", "already taken"),
    ({"username": "WORKER "}, "username", "already taken"),  # the same name in capitals, with a space
    ({"username": ""}, "username", "Enter a username"),
    ({"username": "has space"}, "username", "lower-case letters"),
    ({"display_name": "  "}, "display_name", "Enter the practitioner's name"),
    ({"role": "wizard"}, "role", "Choose a role"),
    ({"agency_id": ""}, "agency_id", "Choose the agency"),
    ({"team_id": "999"}, "team_id", "Choose a team from the list"),
    ({"agency_id": "1"}, "team_id", "Choose a team of the practitioner's agency"),  # team B is Health's
    ({"team_id": ""}, "team_id", "only an admin may have no team"),
    ({"registration_number": "", "registration_body": ""}, "registration_number", "health visitors must be registered"),
    ({"registration_number": "1234"}, "registration_number", "like 12A3456E"),
    ({"registration_body": "SWE", "registration_number": "SW123"}, "registration_body", "Nursing and Midwifery Council"),
    ({"phone": "call me"}, "phone", "Enter a phone number"),
    ({"phone": "123"}, "phone", "Enter a phone number"),
    ({"email": "not-an-email"}, "email", "right format"),
])
def test_bad_practitioner_details_are_refused_with_a_message_for_the_field(db, world, changes, field, words):
    errors = domain.practitioner_errors(db, details(world, **changes))
    assert field in errors and words in errors[field], errors


def test_a_social_worker_may_give_a_social_work_england_number_and_others_none(db, world):
    social_worker = details(world, role="social_worker", agency_id=str(world["council"]), team_id=str(world["team_a"]),
                            registration_body="SWE", registration_number="sw 123456")
    assert domain.practitioner_errors(db, social_worker) == {}
    assert social_worker["registration_number"] == "SW123456"
    worker = details(world, role="family_support_worker", agency_id=str(world["council"]),
                     team_id=str(world["team_a"]), registration_body="", registration_number="")
    assert domain.practitioner_errors(db, worker) == {}


def test_a_staff_id_belongs_to_one_practitioner(db, world):
    create(db, world)
    errors = domain.practitioner_errors(db, details(world, username="someone.else"))
    assert errors == {"staff_id": "Another practitioner has this staff id"}


def test_editing_keeps_the_own_username_and_changes_the_team(db, world):
    practitioner_id = create(db, world)
    values = details(world, team_id="", role="admin", registration_body="", registration_number="")
    assert domain.practitioner_errors(db, values, practitioner_id) == {}
    domain.update_practitioner(db, practitioner_id, values, world["admin"]["id"], "/test")
    row = domain.practitioner(db, practitioner_id)
    assert (row["role"], row["team_id"], row["username"]) == ("admin", None, "nia.new")


def test_a_deactivated_practitioner_keeps_their_records_and_cannot_be_signed_in(db, world):
    worker = world["worker"]["id"]
    assert find_practitioner(db, worker) is not None
    domain.set_active(db, worker, False, world["admin"]["id"], "/test")
    assert find_practitioner(db, worker) is None  # the session of a deactivated practitioner ends at once
    assert db.execute("SELECT count(*) FROM assignments WHERE practitioner_id = ?", [worker]).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM practitioners WHERE id = ?", [worker]).fetchone()[0] == 1
    domain.set_active(db, worker, True, world["admin"]["id"], "/test")
    assert find_practitioner(db, worker)["username"] == "worker"


def test_a_deactivated_lead_no_longer_leads_their_team(db, world):
    lead = world["lead"]["id"]
    domain.save_team(db, domain.clean_team({"name": "Team A", "agency_id": str(world["council"]),
                                            "lead_id": str(lead)}), world["admin"]["id"], "/test", world["team_a"])
    assert domain.team(db, world["team_a"])["lead_name"] == "Lead"
    domain.set_active(db, lead, False, world["admin"]["id"], "/test")
    assert domain.team(db, world["team_a"])["lead_id"] is None


# --- one-time codes -----------------------------------------------------------------------

def test_a_one_time_code_sets_a_password_once_and_only_its_hash_is_kept(db, world):
    practitioner_id = create(db, world)
    code, expires = domain.issue_reset_code(db, practitioner_id, world["admin"]["id"], "/test")
    assert len(code) == 19 and code.count("-") == 3
    stored = db.execute("SELECT code_hash FROM password_resets").fetchall()
    assert stored == [(domain.hash_code(code),)] and code not in str(stored)
    assert domain.set_password_with_code(db, "nia.new", code.lower().replace("-", " "), "tulip marble kettle",
                                         "/set-password") == {}
    stored_hash = db.execute("SELECT password_hash FROM practitioners WHERE id = ?", [practitioner_id]).fetchone()[0]
    assert check_password(stored_hash, "tulip marble kettle")
    again = domain.set_password_with_code(db, "nia.new", code, "another long password", "/set-password")
    assert "code" in again
    assert check_password(db.execute("SELECT password_hash FROM practitioners WHERE id = ?",
                                      [practitioner_id]).fetchone()[0], "tulip marble kettle")


def test_a_code_does_not_work_after_it_expires_for_another_username_or_once_replaced(db, world):
    practitioner_id = create(db, world)
    now = domain.now_utc()
    old, _ = domain.issue_reset_code(db, practitioner_id, world["admin"]["id"], "/test", now=now)
    new, expires = domain.issue_reset_code(db, practitioner_id, world["admin"]["id"], "/test", now=now)
    assert "code" in domain.set_password_with_code(db, "nia.new", old, "tulip marble kettle", "/t", now=now)
    assert "code" in domain.set_password_with_code(db, "worker", new, "tulip marble kettle", "/t", now=now)
    assert "code" in domain.set_password_with_code(db, "nia.new", new, "tulip marble kettle", "/t",
                                                   now=expires + timedelta(seconds=1))
    assert domain.set_password_with_code(db, "nia.new", new, "tulip marble kettle", "/t",
                                         now=expires - timedelta(minutes=1)) == {}


def test_a_deactivated_account_cannot_use_its_code(db, world):
    practitioner_id = create(db, world)
    code, _ = domain.issue_reset_code(db, practitioner_id, world["admin"]["id"], "/test")
    domain.set_active(db, practitioner_id, False, world["admin"]["id"], "/test")
    assert "code" in domain.set_password_with_code(db, "nia.new", code, "tulip marble kettle", "/t")


@pytest.mark.parametrize("password, words", [
    ("short", "at least 12 characters"),
    ("password1234", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("nia.new-is-my-password", "must not contain your username"),
])
def test_a_weak_password_is_refused_and_the_code_still_works(db, world, password, words):
    practitioner_id = create(db, world)
    code, _ = domain.issue_reset_code(db, practitioner_id, world["admin"]["id"], "/test")
    errors = domain.set_password_with_code(db, "nia.new", code, password, "/t")
    assert words in errors["password"]
    assert domain.set_password_with_code(db, "nia.new", code, "tulip marble kettle", "/t") == {}


def test_no_composition_rules_only_length_and_the_deny_list():
    assert password_problem("all lower case words here") is None
    assert password_problem("x" * 201) is not None


# --- teams ---------------------------------------------------------------------------------

def test_an_admin_creates_a_team_with_a_lead_who_joins_it(db, world):
    values = domain.clean_team({"name": "Early Help Team", "agency_id": str(world["council"]),
                                "lead_id": str(world["lead"]["id"])})
    assert domain.team_errors(db, values) == {}
    team_id = domain.save_team(db, values, world["admin"]["id"], "/test")
    team = domain.team(db, team_id)
    assert (team["name"], team["agency_name"], team["lead_name"], team["members"]) == (
        "Early Help Team", "Council", "Lead", 1)
    assert domain.practitioner(db, world["lead"]["id"])["team_id"] == team_id


def test_a_team_is_renamed_and_moved_to_another_agency_with_its_practitioners(db, world):
    values = domain.clean_team({"name": "Team A (North)", "agency_id": str(world["health"]), "lead_id": ""})
    assert domain.team_errors(db, values, world["team_a"]) == {}
    domain.save_team(db, values, world["admin"]["id"], "/test", world["team_a"])
    assert domain.team(db, world["team_a"])["name"] == "Team A (North)"
    assert domain.practitioner(db, world["worker"]["id"])["agency_id"] == world["health"]


@pytest.mark.parametrize("values, field, words", [
    ({"name": "", "agency_id": "1"}, "name", "Enter the team's name"),
    ({"name": "team a", "agency_id": "1"}, "name", "already has a team with this name"),
    ({"name": "New", "agency_id": ""}, "agency_id", "Choose the team's agency"),
    ({"name": "New", "agency_id": "1", "lead_id": "3"}, "lead_id", "Choose an active team lead"),  # 3 is a worker
])
def test_bad_team_details_are_refused(db, world, values, field, words):
    errors = domain.team_errors(db, domain.clean_team(values))
    assert words in errors[field]


# --- partnership settings -----------------------------------------------------------------

def test_every_setting_has_a_schema_or_falls_back_to_json_of_its_shape():
    for key, default in settings.DEFAULTS.items():
        schema = settings.schema_of(key)
        assert schema["label"] and schema["kind"] in ("int", "int_map", "hours", "pathways", "json")
        assert settings.problems(key, default) == [], key  # every default is valid under its own schema


def test_a_change_takes_effect_at_once_with_its_history(db, world):
    before = settings.settings_version(db)
    settings.change(db, "non_mobile_under_months", 12, "Partnership decision of 1 December", world["admin"]["id"],
                    "2026-12-02T10:00:00+00:00")
    assert settings.load(db)["non_mobile_under_months"] == 12
    assert settings.settings_version(db) != before
    [change] = settings.history(db)
    assert {k: change[k] for k in ("key", "before", "after", "reason", "changed_by", "changed_at")} == {
        "key": "non_mobile_under_months", "before": 6, "after": 12, "reason": "Partnership decision of 1 December",
        "changed_by": "Admin", "changed_at": "2026-12-02T10:00:00+00:00"}
    with pytest.raises(Exception):
        db.execute("DELETE FROM settings_history")


@pytest.mark.parametrize("key, value, words", [
    ("non_mobile_under_months", 3, "between 6 and 36"),
    ("non_mobile_under_months", "6", "same shape"),
    ("visit_every_working_days", {"child_protection": 0, "child_in_need": 20}, "between 1 and 60"),
    ("visit_every_working_days", {"child_protection": 10}, "same shape"),
    ("unannounced_visit_hours", [19, 8], "before the second"),
    ("unannounced_visit_hours", [8, 12, 19], "Give two hours"),
    ("bodymap_figure_from_months", {"toddler": 40, "child": 36, "young_person": 132}, "greater than the one before"),
    ("audit_bands", [[8, "Increasing risk"], [0, "Lower risk"]], "lowest score first"),
    ("audit_bands", [[0, 1]], "same shape"),
])
def test_a_value_out_of_range_or_of_another_shape_is_refused(db, world, key, value, words):
    found = settings.problems(key, value)
    assert any(words in problem for problem in found), found
    with pytest.raises(ValueError):
        settings.change(db, key, value, "A reason", world["admin"]["id"], "2026-12-02T10:00:00+00:00")
    assert settings.load(db)[key] == settings.DEFAULTS[key]


def test_a_change_needs_a_reason(db, world):
    with pytest.raises(ValueError) as refused:
        settings.change(db, "today_days_ahead", 3, "   ", world["admin"]["id"], "2026-12-02T10:00:00+00:00")
    assert "Give the reason for the change." in refused.value.args[0]
    assert settings.history(db) == []


def test_a_setting_added_later_without_a_schema_is_edited_as_json_of_its_shape(monkeypatch):
    monkeypatch.setitem(settings.DEFAULTS, "made_up_later", {"weeks": 4, "words": ["a", "b"]})
    assert settings.schema_of("made_up_later")["kind"] == "json"
    assert settings.problems("made_up_later", {"weeks": 5, "words": []}) == []
    assert settings.problems("made_up_later", {"weeks": "5", "words": []})
    assert settings.problems("made_up_later", {"weeks": 5})


def test_the_changed_non_mobile_age_changes_the_body_map_rule(db, world):
    from datetime import date

    from fieldvisit.bodymap import rules
    from tests.test_bodymap_rules import mark
    today = date.today()
    eight_months_ago = date(today.year - (1 if today.month <= 8 else 0), (today.month - 9) % 12 + 1, 1)
    crawling_baby = {"id": 1, "family_id": 1, "date_of_birth": eight_months_ago.isoformat(),
                     "independently_mobile": 1, "plan": "none"}
    bruise = mark(observed_at=today.isoformat() + "T10:30")
    assert rules.escalations_for_mark(bruise, crawling_baby, settings.load(db)) == []
    settings.change(db, "non_mobile_under_months", 12, "Stricter local procedure", world["admin"]["id"],
                    "2026-12-02T10:00:00+00:00")
    assert rules.not_independently_mobile(crawling_baby, bruise["observed_at"], settings.load(db))
    assert [e["rule"] for e in rules.escalations_for_mark(bruise, crawling_baby, settings.load(db))] == [
        "bruise_not_independently_mobile"]


def test_a_key_added_to_a_default_later_is_shown_and_can_be_set(monkeypatch):
    from fieldvisit.admin.forms import setting_fields, setting_from_form
    monkeypatch.setitem(settings.DEFAULTS, "visit_every_working_days",
                        {"child_protection": 10, "child_in_need": 20, "looked_after": 30})
    saved_before = {"child_protection": 5, "child_in_need": 10}
    fields = setting_fields("visit_every_working_days", saved_before)
    assert [(f["name"], f["value"]) for f in fields] == [
        ("value-child_protection", 5), ("value-child_in_need", 10), ("value-looked_after", 30)]
    value, errors = setting_from_form("visit_every_working_days", {f["name"]: str(f["value"]) for f in fields},
                                      settings.DEFAULTS["visit_every_working_days"])
    assert errors == {} and settings.problems("visit_every_working_days", value) == []
