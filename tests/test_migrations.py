"""The schema comes only from numbered migrations: a fresh database reaches the latest
version, an upgrade keeps the data, a second upgrade changes nothing, and every
connection has WAL and foreign keys on."""
import sqlite3
import sys
import types

import pytest

from fieldvisit import create_app, migrations
from fieldvisit import audit
from fieldvisit.db import connect
from fieldvisit.migrations import available, current_version, upgrade

NUMBERS = [number for number, _ in available()]
LATEST = NUMBERS[-1]


def schema(db):
    """Every table, index and trigger as SQLite stores it."""
    return sorted((row[0], row[1], row[2] or "") for row in db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall())


def versions(db):
    return [tuple(row) for row in db.execute("SELECT version, name, applied_at FROM schema_version ORDER BY version")]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "fieldvisit.db"


def test_migrations_are_numbered_once_each_from_one():
    # A gap is allowed (numbers are handed out before the migrations are written); a shared
    # number is not: the second would never run, or fail on the schema_version key.
    assert NUMBERS[0] == 1
    assert len(set(NUMBERS)) == len(NUMBERS), "Two migrations share a number: each engineer uses exactly the number given"
    names = [name for _, name in available()]
    assert len(set(names)) == len(names)


def test_a_fresh_database_reaches_the_latest_version(path):
    db = connect(path)
    assert current_version(db) == 0
    assert upgrade(db) == LATEST
    assert [row[:2] for row in versions(db)] == available()
    tables = set(db.table_names())
    for table in ("agencies", "teams", "practitioners", "families", "children", "adults", "assignments",
                  "scheduled_visits", "visit_records", "visit_children", "visit_adults",
                  "visit_home_conditions", "amendments", "audit_log", "partnership_settings",
                  "sync_receipts", "sync_conflicts", "escalations", "escalation_actions"):
        assert table in tables, table
    db.close()


def test_upgrading_twice_is_a_no_op(path):
    db = connect(path)
    upgrade(db)
    before_schema, before_versions = schema(db), versions(db)
    assert upgrade(db) == LATEST
    assert schema(db) == before_schema
    assert versions(db) == before_versions  # not re-applied: the times are the first ones
    db.close()


def test_one_migration_at_a_time_gives_the_same_schema_as_all_at_once(tmp_path):
    stepwise = connect(tmp_path / "stepwise.db")
    for number in NUMBERS:
        assert upgrade(stepwise, target=number) == number
    at_once = connect(tmp_path / "at_once.db")
    upgrade(at_once)
    assert schema(stepwise) == schema(at_once)


def test_a_target_stops_the_upgrade_there(path):
    db = connect(path)
    assert upgrade(db, target=1) == 1
    assert "sync_receipts" not in db.table_names()
    assert upgrade(db, target=1) == 1
    assert upgrade(db) == LATEST


# Rows written with the columns of the first migration, which every later version must keep.
FOUNDATION_ROWS = [
    ("agencies", {"id": 1, "name": "Council", "kind": "childrens_social_care"}),
    ("teams", {"id": 1, "name": "Team A", "agency_id": 1}),
    ("practitioners", {"id": 1, "username": "worker", "display_name": "Worker", "role": "family_support_worker",
                       "team_id": 1, "password_hash": "hash", "active": 1}),
    ("families", {"id": 1, "name": "Family A", "address": "1 Street", "postcode": "NF1 1AA", "team_id": 1,
                  "created_at": "2026-01-01"}),
    ("children", {"id": 1, "family_id": 1, "first_name": "Ava", "last_name": "A", "date_of_birth": "2026-06-01",
                  "independently_mobile": 0, "mobility_note": "Not yet rolling", "plan": "child_protection",
                  "plan_category": "neglect", "plan_start_date": "2026-07-01"}),
    ("adults", {"id": 1, "family_id": 1, "name": "Kerry A", "relationship": "Mother", "lives_in_household": 1}),
    ("assignments", {"family_id": 1, "practitioner_id": 1}),
    ("scheduled_visits", {"id": 1, "family_id": 1, "practitioner_id": 1, "visit_type": "planned",
                          "due_at": "2026-11-20T10:00", "status": "scheduled", "joint": 0, "version": 1,
                          "created_by": 1, "created_at": "2026-11-01"}),
    ("visit_records", {"id": "3f1c1f9e-8d8b-4c1e-9a53-2b8d0e3f4a10", "family_id": 1, "scheduled_visit_id": 1,
                       "practitioner_id": 1, "agency_id": 1, "visit_type": "planned",
                       "happened_at": "2026-11-20T10:00", "duration_minutes": 45, "outcome": "completed",
                       "regular_visitors": "", "alcohol_containers": "[]", "alcohol_smell": 0,
                       "intoxication_observed": 0, "intoxication_details": "", "other_substances": "",
                       "parent_alcohol_account": "", "child_alone": "no", "child_alone_details": "",
                       "analysis": "All well", "actions": "", "next_visit_due": None,
                       "recorded_at": "2026-11-20T11:00", "received_at": "2026-11-20T11:00"}),
    ("visit_children", {"visit_id": "3f1c1f9e-8d8b-4c1e-9a53-2b8d0e3f4a10", "child_id": 1, "seen": 1,
                        "seen_alone": 0, "bedroom_seen": 1, "found_alone": 0, "presentation": "",
                        "words": "", "demeanour": "Settled"}),
    ("amendments", {"id": "0b6a8f2c-1111-4a4a-8b8b-123456789abc", "visit_id": "3f1c1f9e-8d8b-4c1e-9a53-2b8d0e3f4a10",
                    "field": "analysis", "original_value": "All well", "amended_value": "Mostly well",
                    "reason": "Typo", "practitioner_id": 1, "recorded_at": "2026-11-21T09:00",
                    "received_at": "2026-11-21T09:00"}),
    ("audit_log", {"id": 1, "at": "2026-11-20T11:00", "practitioner_id": 1, "action": "write",
                   "entity": "visit", "entity_id": "3f1c1f9e-8d8b-4c1e-9a53-2b8d0e3f4a10", "route": "/x"}),
    ("partnership_settings", {"key": "today_days_ahead", "value": "5"}),
]


def chained(db, table, row):
    """From m0036 the audit log is a hash chain (issue 14): an entry is written as the next link."""
    if table != "audit_log" or "hash" not in db["audit_log"].columns_dict:
        return row
    prev = audit.head(db)[1]
    fields = [row["id"], row["at"], row["practitioner_id"], row["action"], row["entity"], row["entity_id"],
              row["route"], prev]
    return dict(row, prev_hash=prev, hash=audit.entry_hash(*fields))


def read_back(db):
    return {table: list(db.query(f"SELECT {', '.join(row)} FROM {table}")) for table, row in FOUNDATION_ROWS}


PREVIOUS = dict(zip(NUMBERS[1:], NUMBERS))


@pytest.mark.parametrize("number", NUMBERS[1:])
def test_an_upgrade_from_the_previous_version_keeps_the_data(path, number):
    db = connect(path)
    assert upgrade(db, target=PREVIOUS[number]) == PREVIOUS[number]
    with db.atomic():
        for table, row in FOUNDATION_ROWS:
            db[table].insert(chained(db, table, row))
    before = read_back(db)
    assert upgrade(db) == LATEST
    assert read_back(db) == before
    assert before["visit_records"][0]["analysis"] == "All well"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_the_latest_upgrade_from_the_previous_version_keeps_the_data(path):
    """Named for the issue: upgrade(db, target=N-1), insert data, then upgrade(db)
    (N-1 being the migration before the latest)."""
    if LATEST == 1:
        pytest.skip("only one migration")
    test_an_upgrade_from_the_previous_version_keeps_the_data(path, LATEST)


def test_a_failing_migration_changes_nothing(path, monkeypatch):
    db = connect(path)
    upgrade(db)
    before = schema(db)
    broken = types.ModuleType("fieldvisit.migrations.m9999_broken")

    def fail(database):
        database.execute("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        database.execute("ALTER TABLE families ADD COLUMN half_done TEXT")
        raise RuntimeError("migration failed half way")

    broken.upgrade = fail
    monkeypatch.setitem(sys.modules, "fieldvisit.migrations.m9999_broken", broken)
    monkeypatch.setattr(migrations, "available", lambda: available() + [(9999, "m9999_broken")])
    with pytest.raises(RuntimeError, match="half way"):
        upgrade(db)
    assert schema(db) == before
    assert current_version(db) == LATEST
    assert not db.conn.in_transaction
    db.close()


def test_a_migration_applied_meanwhile_by_another_process_is_not_applied_again(path, monkeypatch):
    """Two processes starting on a new database (say `serve` and `demo`) must not both apply
    migration 1: the second used to fail with 'table agencies already exists'."""
    first, second = connect(path), connect(path)
    real_current_version = migrations.current_version
    raced = []

    def current_version_then_lose_the_race(db):
        version = real_current_version(db)
        if db is second and not raced:
            raced.append(version)
            upgrade(first)  # the other process applies everything just after we looked
        return version

    monkeypatch.setattr(migrations, "current_version", current_version_then_lose_the_race)
    upgrade(second)
    assert raced == [0]
    monkeypatch.undo()
    assert current_version(second) == LATEST
    assert [row[0] for row in versions(second)] == NUMBERS
    first.close()
    second.close()


def test_connections_have_wal_and_foreign_keys_on(path):
    db = connect(path)
    upgrade(db)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db["teams"].insert({"name": "Orphan team", "agency_id": 999})
    db.close()
    # Another connection to the same file: WAL is a property of the file, foreign keys of the connection.
    again = connect(path)
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert again.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert again.conn.isolation_level is None
    again.close()


def test_an_in_memory_database_also_enforces_foreign_keys():
    db = connect(":memory:")
    upgrade(db)
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        db["children"].insert({"family_id": 42, "first_name": "X", "last_name": "Y", "date_of_birth": "2020-01-01",
                                "independently_mobile": 1})


def test_creating_the_app_upgrades_its_database(path, tmp_path):
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True})
    db = connect(app.config["DATABASE"])
    assert current_version(db) == LATEST
    db.close()


def test_the_app_makes_its_secret_key_once_in_the_instance_folder(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("FIELDVISIT_INSTANCE", str(instance))
    monkeypatch.setenv("FIELDVISIT_DB", str(tmp_path / "env.db"))
    first = create_app()
    second = create_app()
    key_file = instance / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 64
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert first.config["DATABASE"] == str(tmp_path / "env.db")
