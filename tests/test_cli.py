"""The `fieldvisit` command: `demo` seeds a synthetic local authority, `serve` serves it,
`upgrade` applies migrations; the database is FIELDVISIT_DB when set."""
import re
from datetime import date, timedelta

import pytest

from fieldvisit import cli
from fieldvisit.db import connect
from fieldvisit.migrations import available, current_version
from fieldvisit.passwords import check_password

DEMO_SIGN_INS = {"demo-worker": "family_support_worker", "demo-social-worker": "social_worker",
                 "demo-health-visitor": "health_visitor", "demo-lead": "team_lead", "demo-admin": "admin"}
TABLES = ("agencies", "teams", "practitioners", "families", "children", "adults", "assignments",
          "scheduled_visits", "visit_records", "visit_children", "visit_home_conditions")


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A clean environment: the instance folder and database under tmp_path."""
    monkeypatch.setenv("FIELDVISIT_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("FIELDVISIT_DB", str(tmp_path / "demo.db"))
    monkeypatch.delenv("FIELDVISIT_DEMO_PASSWORD", raising=False)
    return tmp_path


@pytest.fixture
def seeded(env, monkeypatch, capsys):
    monkeypatch.setenv("FIELDVISIT_DEMO_PASSWORD", "demo-pass-123")
    assert cli.main(["demo"]) == 0
    output = capsys.readouterr().out
    db = connect(env / "demo.db")
    yield db, output
    db.close()


def counts(db):
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def test_demo_seeds_three_teams_across_two_agencies(seeded):
    db, _ = seeded
    assert db.execute("SELECT count(*) FROM teams").fetchone()[0] == 3
    assert db.execute("SELECT count(DISTINCT agency_id) FROM teams").fetchone()[0] >= 2
    kinds = {row[0] for row in db.execute("SELECT kind FROM agencies")}
    assert {"childrens_social_care", "health"} <= kinds


def test_demo_seeds_about_twelve_practitioners_of_every_role(seeded):
    db, _ = seeded
    roles = [row[0] for row in db.execute("SELECT role FROM practitioners WHERE active = 1")]
    assert 10 <= len(roles) <= 16
    assert set(roles) == {"family_support_worker", "social_worker", "health_visitor", "team_lead", "admin"}
    # Everyone but the admin works in a team; each team has a lead.
    assert db.execute("SELECT count(*) FROM practitioners WHERE team_id IS NULL AND role != 'admin'").fetchone()[0] == 0
    assert db.execute("SELECT count(DISTINCT team_id) FROM practitioners WHERE role = 'team_lead'").fetchone()[0] == 3


def test_demo_seeds_the_five_sign_ins_with_the_password_from_the_environment(seeded):
    db, output = seeded
    rows = {row[0]: (row[1], row[2]) for row in db.execute(
        "SELECT username, role, password_hash FROM practitioners WHERE username LIKE 'demo-%'")}
    assert {username: role for username, (role, _) in rows.items()} == DEMO_SIGN_INS
    assert all(check_password(password_hash, "demo-pass-123") for _, password_hash in rows.values())
    assert all(not check_password(password_hash, "wrong") for _, password_hash in rows.values())
    for username in DEMO_SIGN_INS:
        assert username in output
    assert "demo-pass-123" not in output  # the password from the environment is not printed
    assert "FIELDVISIT_DEMO_PASSWORD" in output


def test_demo_seeds_about_forty_families_and_eighty_children_with_a_mix(seeded):
    db, _ = seeded
    families = db.execute("SELECT count(*) FROM families").fetchone()[0]
    children = db.execute("SELECT count(*) FROM children").fetchone()[0]
    assert 35 <= families <= 45
    assert 65 <= children <= 100
    plans = dict(db.execute("SELECT plan, count(*) FROM children GROUP BY plan").fetchall())
    assert set(plans) == {"child_protection", "child_in_need", "none"}
    assert all(count >= 5 for count in plans.values())
    assert db.execute("SELECT count(*) FROM children WHERE plan = 'child_protection'"
                      " AND (plan_category IS NULL OR plan_start_date IS NULL)").fetchone()[0] == 0
    mobility = dict(db.execute("SELECT independently_mobile, count(*) FROM children GROUP BY 1").fetchall())
    assert mobility.get(0, 0) >= 3 and mobility.get(1, 0) >= 30
    # An older disabled child who is not mobile counts too (SAFEGUARDING.md rule 1).
    today = date.today()
    older_not_mobile = [row for row in db.execute(
        "SELECT date_of_birth, mobility_note FROM children WHERE independently_mobile = 0")
        if date.fromisoformat(row[0]) < today - timedelta(days=2 * 365)]
    assert older_not_mobile and all(note for _, note in older_not_mobile)
    assert db.execute("SELECT count(*) FROM families f WHERE NOT EXISTS"
                      " (SELECT 1 FROM adults a WHERE a.family_id = f.id)").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM families f WHERE NOT EXISTS"
                      " (SELECT 1 FROM assignments a WHERE a.family_id = f.id)").fetchone()[0] == 0


def test_demo_seeds_a_week_of_scheduled_visits_and_some_history(seeded):
    db, _ = seeded
    today = date.today()
    due = [date.fromisoformat(row[0][:10]) for row in db.execute(
        "SELECT due_at FROM scheduled_visits WHERE status = 'scheduled'")]
    assert len(due) >= 30
    assert all(today <= day <= today + timedelta(days=8) for day in due)
    assert len({day for day in due if day.weekday() < 5}) >= 4
    assert all(day.weekday() < 5 or day == today for day in due)  # nobody is rota'd at the weekend
    worker_today = db.execute(
        "SELECT count(*) FROM scheduled_visits s JOIN practitioners p ON p.id = s.practitioner_id"
        " WHERE p.username = 'demo-worker' AND substr(s.due_at, 1, 10) = ?", [today.isoformat()]).fetchone()[0]
    assert worker_today >= 1, "demo-worker always has a visit today"
    past = [date.fromisoformat(row[0][:10]) for row in db.execute("SELECT happened_at FROM visit_records")]
    assert len(past) >= 40 and all(day < today for day in past)
    # Some children are overdue on purpose: families with no visit at all.
    assert db.execute("SELECT count(*) FROM families f WHERE NOT EXISTS"
                      " (SELECT 1 FROM visit_records v WHERE v.family_id = f.id)").fetchone()[0] >= 1


def test_demo_data_keeps_the_rules_the_app_keeps(seeded):
    db, _ = seeded
    # Each scheduled visit belongs to a practitioner assigned to that family (need to know).
    assert db.execute(
        "SELECT count(*) FROM scheduled_visits s WHERE NOT EXISTS (SELECT 1 FROM assignments a"
        " WHERE a.family_id = s.family_id AND a.practitioner_id = s.practitioner_id)").fetchone()[0] == 0
    # Each visit says, for every child of the household, whether they were seen.
    assert db.execute(
        "SELECT count(*) FROM visit_records v JOIN children c ON c.family_id = v.family_id"
        " WHERE NOT EXISTS (SELECT 1 FROM visit_children vc WHERE vc.visit_id = v.id AND vc.child_id = c.id)"
    ).fetchone()[0] == 0
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # The demo sign-ins have work to show: the worker, social worker and health visitor are assigned families.
    for username in ("demo-worker", "demo-social-worker", "demo-health-visitor"):
        assert db.execute("SELECT count(*) FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id"
                          " WHERE p.username = ?", [username]).fetchone()[0] >= 3, username


def test_running_demo_twice_does_not_duplicate(seeded, monkeypatch, capsys):
    db, _ = seeded
    before = counts(db)
    assert cli.main(["demo"]) == 0
    output = capsys.readouterr().out
    assert "already there" in output
    assert counts(db) == before


def test_without_a_password_in_the_environment_one_is_made_and_printed(env, capsys):
    assert cli.main(["demo"]) == 0
    output = capsys.readouterr().out
    password = re.search(r"Password: (\S+)", output).group(1)
    assert len(password) >= 12
    db = connect(env / "demo.db")
    for (password_hash,) in db.execute("SELECT password_hash FROM practitioners WHERE username LIKE 'demo-%'"):
        assert check_password(password_hash, password)
    # A second run makes a new password for the demo sign-ins, and only for them.
    others = dict(db.execute("SELECT username, password_hash FROM practitioners WHERE username NOT LIKE 'demo-%'"))
    assert cli.main(["demo"]) == 0
    again = re.search(r"Password: (\S+)", capsys.readouterr().out).group(1)
    assert again != password
    worker_hash = db.execute("SELECT password_hash FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    assert check_password(worker_hash, again) and not check_password(worker_hash, password)
    assert dict(db.execute(
        "SELECT username, password_hash FROM practitioners WHERE username NOT LIKE 'demo-%'")) == others
    db.close()


def test_the_demo_sign_ins_work_in_the_app(seeded, env):
    from fieldvisit import create_app
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    assert app.config["DATABASE"] == str(env / "demo.db")
    client = app.test_client()
    for username in DEMO_SIGN_INS:
        response = client.post("/sign-in", data={"username": username, "password": "demo-pass-123"})
        assert response.status_code == 302, username


def test_the_database_is_fieldvisit_db_when_set(env, capsys):
    assert cli.main(["upgrade"]) == 0
    assert str(env / "demo.db") in capsys.readouterr().out
    db = connect(env / "demo.db")
    assert current_version(db) == available()[-1][0]
    db.close()
    assert not (env / "instance" / "fieldvisit.db").exists()


def test_without_fieldvisit_db_the_database_is_in_the_instance_folder(env, monkeypatch, capsys):
    monkeypatch.delenv("FIELDVISIT_DB")
    assert cli.main(["upgrade"]) == 0
    expected = env / "instance" / "fieldvisit.db"
    assert str(expected) in capsys.readouterr().out
    assert expected.exists()
    assert not (env / "demo.db").exists()


def test_serve_help_shows_host_and_port(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--help"])
    assert exited.value.code == 0
    output = capsys.readouterr().out
    assert "--host" in output and "--port" in output


def test_serve_serves_the_app_on_the_host_and_port_given(env, monkeypatch, capsys):
    served = {}

    def fake_serve(app, host, port, **options):
        served.update(host=host, port=port, app=app, options=options)

    # The production server (waitress), never Werkzeug's development server with its debugger.
    monkeypatch.setattr("waitress.serve", fake_serve)
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **k: pytest.fail("development server used"))
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert (served["host"], served["port"]) == ("0.0.0.0", 8123)
    assert served["app"].config["DATABASE"] == str(env / "demo.db")
    assert served["app"].debug is False
    assert served["options"]["threads"] == cli.SERVE_THREADS == 8
    # An idle connection is held so that no request's connection is the last one closed (issue 13).
    assert "fieldvisit_keeper" in served["app"].extensions
    served["app"].extensions["fieldvisit_keeper"].close()
    assert "http://0.0.0.0:8123/" in capsys.readouterr().out


def test_serve_defaults_to_localhost_port_5000(env, monkeypatch, capsys):
    served = {}
    monkeypatch.setattr("waitress.serve",
                        lambda app, host, port, **options: served.update(host=host, port=port))
    cli.main(["serve"])
    assert served == {"host": "127.0.0.1", "port": 5000}


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["serve", "--port", "not-a-number"]])
def test_bad_commands_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert "usage: fieldvisit" in capsys.readouterr().err
