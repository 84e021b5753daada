"""Guards around the record: sign-in throttling, secure cookies, and evidence that cannot be rewritten."""
import sqlite3

import pytest

from fieldvisit import create_app
from tests.conftest import DEMO_PASSWORD


def test_five_failed_sign_ins_pause_that_username_even_with_the_right_password(client, auth, db):
    for _ in range(5):
        assert auth.sign_in("demo-worker", "wrong password").status_code == 400
    response = auth.sign_in("demo-worker", DEMO_PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert client.get("/today").status_code == 302  # still signed out
    # Another practitioner on the same tablet is not affected.
    assert auth.sign_in("demo-lead", DEMO_PASSWORD).status_code == 302


def test_unknown_usernames_are_paused_the_same_way(client, auth):
    for _ in range(5):
        auth.sign_in("nobody-here", "guess")
    assert auth.sign_in("nobody-here", "guess").status_code == 429


def test_failed_sign_ins_are_in_the_audit_log(client, auth, db):
    auth.sign_in("demo-worker", "wrong password")
    row = db.execute("SELECT action, entity, entity_id, route FROM audit_log WHERE entity = 'sign_in'").fetchone()
    assert tuple(row) == ("denied", "sign_in", "demo-worker", "/sign-in")


def test_secure_cookies_when_served_over_https(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDVISIT_SECURE_COOKIES", "1")
    app = create_app({"DATABASE": str(tmp_path / "x.db"), "SECRET_KEY": "t"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


EVIDENCE = ["visit_children", "visit_adults", "visit_home_conditions", "amendments", "audit_log", "sync_receipts",
            "body_map_mark_amendments", "alcohol_audits", "scheduled_visit_changes", "visiting_rules",
            "conflict_reviews"]


def trigger_exists(db, name):
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]).fetchone()


@pytest.mark.parametrize("table", EVIDENCE)
def test_evidence_rows_are_never_deleted(db, table):
    assert trigger_exists(db, f"{table}_never_deleted")
    if db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            db.execute(f"DELETE FROM {table}")


@pytest.mark.parametrize("table, column", [("visit_children", "words"), ("visit_adults", "name"),
                                           ("visit_home_conditions", "note"), ("sync_receipts", "ref")])
def test_evidence_rows_are_never_changed(db, table, column):
    assert trigger_exists(db, f"{table}_append_only")
    if db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
        with pytest.raises(sqlite3.IntegrityError, match="never changed"):
            db.execute(f"UPDATE {table} SET {column} = 'rewritten'")


def test_a_deleted_visit_child_row_is_refused(client, auth, db):
    """The demo's history has rows: removing one of them is refused and it stays."""
    before = db.execute("SELECT count(*) FROM visit_children").fetchone()[0]
    assert before
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM visit_children WHERE rowid = (SELECT min(rowid) FROM visit_children)")
    assert db.execute("SELECT count(*) FROM visit_children").fetchone()[0] == before
