"""`fieldvisit demo --scale county` (issue 13): a made-up county, consistent with what the domain
writes, and never mixed with other records."""
import pytest

from fieldvisit import cli, county
from fieldvisit.db import connect

PASSWORD = "county-pass-123"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDVISIT_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("FIELDVISIT_DB", str(tmp_path / "county.db"))
    monkeypatch.setenv("FIELDVISIT_DEMO_PASSWORD", PASSWORD)
    return tmp_path


def count(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


def test_a_one_team_county_is_consistent(env, capsys):
    assert cli.main(["demo", "--scale", "county", "--teams", "1"]) == 0
    out = capsys.readouterr()
    assert "[" + "#" * 30 + "] 1/1 teams" in out.err  # the progress bar
    db = connect(env / "county.db")
    try:
        # What was asked: one team of 10 (with the demo sign-ins in it) and the admin.
        assert count(db, "SELECT count(*) FROM teams") == 1
        assert count(db, "SELECT count(*) FROM practitioners WHERE team_id = 1") == county.PRACTITIONERS_PER_TEAM
        assert count(db, "SELECT count(*) FROM practitioners") == county.PRACTITIONERS_PER_TEAM + 1
        for username in ("demo-worker", "demo-social-worker", "demo-health-visitor", "demo-lead", "demo-admin"):
            assert count(db, "SELECT count(*) FROM practitioners WHERE username = ?", [username]) == 1
        assert count(db, "SELECT count(*) FROM families") == county.FAMILIES_PER_TEAM
        children = count(db, "SELECT count(*) FROM children")
        assert county.FAMILIES_PER_TEAM <= children <= 3 * county.FAMILIES_PER_TEAM
        visits = count(db, "SELECT count(*) FROM visit_records")
        assert visits > 20 * county.FAMILIES_PER_TEAM  # three years of visits
        span = db.execute("SELECT julianday(max(happened_at)) - julianday(min(happened_at)) FROM visit_records").fetchone()[0]
        assert span > 2.5 * 365
        # Every visit's family and practitioner exist; every child seen belongs to the visit's family.
        assert count(db, "SELECT count(*) FROM visit_records v LEFT JOIN families f ON f.id = v.family_id"
                         " WHERE f.id IS NULL") == 0
        assert count(db, "SELECT count(*) FROM visit_records v LEFT JOIN practitioners p ON p.id = v.practitioner_id"
                         " WHERE p.id IS NULL") == 0
        assert count(db, "SELECT count(*) FROM visit_children vc JOIN visit_records v ON v.id = vc.visit_id"
                         " JOIN children c ON c.id = vc.child_id WHERE c.family_id != v.family_id") == 0
        # The visit's author may see the family (need to know), as the domain requires.
        assert count(db, "SELECT count(*) FROM visit_records v WHERE NOT EXISTS (SELECT 1 FROM assignments a"
                         " WHERE a.family_id = v.family_id AND a.practitioner_id = v.practitioner_id)") == 0
        # As the sync engine writes them: one receipt and one audit line per record.
        records = visits + count(db, "SELECT count(*) FROM body_map_marks") + count(
            db, "SELECT count(*) FROM appointment_events") + count(db, "SELECT count(*) FROM alcohol_audits")
        assert count(db, "SELECT count(*) FROM sync_receipts") == records
        assert count(db, "SELECT count(*) FROM audit_log WHERE action = 'write'") == records
        assert count(db, "SELECT count(*) FROM sync_receipts r LEFT JOIN visit_records v ON v.id = r.item_id"
                         " WHERE r.kind = 'visit' AND v.id IS NULL") == 0
        # Rota entries: recorded ones point at their visit; every family has a coming visit.
        assert count(db, "SELECT count(*) FROM scheduled_visits s WHERE s.status = 'recorded' AND NOT EXISTS"
                         " (SELECT 1 FROM visit_records v WHERE v.scheduled_visit_id = s.id)") == 0
        assert count(db, "SELECT count(DISTINCT family_id) FROM scheduled_visits WHERE status = 'scheduled'"
                         " AND due_at >= date('now', '-1 day')") == county.FAMILIES_PER_TEAM
        assert count(db, "SELECT count(*) FROM scheduled_visit_changes") == count(db, "SELECT count(*) FROM scheduled_visits")
        # Every child found alone raised its escalation (rule 10), with its actions.
        assert count(db, "SELECT count(*) FROM visit_children WHERE found_alone = 1") == count(
            db, "SELECT count(*) FROM escalations WHERE rule = 'child_found_alone'")
        assert count(db, "SELECT count(*) FROM escalations e WHERE NOT EXISTS"
                         " (SELECT 1 FROM escalation_actions a WHERE a.escalation_id = e.id)") == 0
        marks = count(db, "SELECT count(*) FROM body_map_marks m JOIN body_maps b ON b.id = m.body_map_id"
                          " JOIN visit_children vc ON vc.visit_id = b.visit_id AND vc.child_id = m.child_id")
        assert marks == count(db, "SELECT count(*) FROM body_map_marks") > 0
        assert count(db, "SELECT count(*) FROM appointment_events") > 0
        assert count(db, "SELECT count(*) FROM alcohol_audits a JOIN visit_records v ON v.id = a.visit_id"
                         " AND v.family_id = a.family_id") == count(db, "SELECT count(*) FROM alcohol_audits")
        assert count(db, "SELECT count(*) FROM child_visit_history") == count(db, "SELECT count(*) FROM visit_children")
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def test_the_demo_sign_in_works_on_the_county(env, capsys):
    assert cli.main(["demo", "--scale", "county", "--teams", "1"]) == 0
    from fieldvisit import create_app
    app = create_app({"DATABASE": str(env / "county.db"), "SECRET_KEY": "test", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/sign-in", data={"username": "demo-worker", "password": PASSWORD}).status_code == 302
    assert client.get("/today").status_code == 200


def test_a_database_with_records_is_refused_and_force_builds_a_new_file(env, capsys):
    assert cli.main(["demo"]) == 0
    capsys.readouterr()
    db = connect(env / "county.db")
    before = count(db, "SELECT count(*) FROM families")
    db.close()
    assert cli.main(["demo", "--scale", "county", "--teams", "1"]) == 1
    assert "already holds records" in capsys.readouterr().err
    db = connect(env / "county.db")
    assert count(db, "SELECT count(*) FROM families") == before
    db.close()
    assert cli.main(["demo", "--scale", "county", "--teams", "1", "--force"]) == 0
    built = [p for p in env.iterdir() if p.name.startswith("county-county-") and p.suffix == ".db"]
    assert len(built) == 1
    db = connect(built[0])
    assert count(db, "SELECT count(*) FROM families") == county.FAMILIES_PER_TEAM
    db.close()
    db = connect(env / "county.db")
    assert count(db, "SELECT count(*) FROM families") == before  # the first database is untouched
    db.close()


def test_the_builder_refuses_a_database_with_records(tmp_path):
    from fieldvisit.migrations import upgrade
    db = connect(tmp_path / "x.db")
    upgrade(db)
    db["agencies"].insert({"id": 1, "name": "Real", "kind": "health"})
    db["teams"].insert({"id": 1, "name": "Real team", "agency_id": 1})
    db["practitioners"].insert({"username": "real", "display_name": "Real", "role": "admin", "password_hash": "x"})
    with pytest.raises(county.NotEmpty):
        county.build(db, "x", teams=1)
    db.close()


@pytest.mark.parametrize("argv", [["demo", "--teams", "2"], ["demo", "--force"], ["demo", "--scale", "county", "--teams", "0"]])
def test_bad_options_are_refused(env, argv, capsys):
    assert cli.main(argv) == 2
