"""Guards around the record: sign-in throttling, secure cookies, and evidence that cannot be rewritten."""
import sqlite3

import pytest

from fieldvisit import create_app
from tests.conftest import DEMO_PASSWORD


def test_five_failed_sign_ins_pause_that_username_on_a_browser_that_never_signed_in_as_it(client, auth, db):
    """Issue 14 replaced the old assertion that the account holder's right password then gets 429 from
    anywhere (that was the defect "Anyone can lock anyone out"): the pause holds on the guessing browser."""
    for _ in range(5):
        assert auth.sign_in("demo-worker", "wrong password").status_code == 400
    response = auth.sign_in("demo-worker", DEMO_PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert client.get("/today").status_code == 302  # still signed out
    # Another practitioner on the same tablet is not affected.
    assert auth.sign_in("demo-lead", DEMO_PASSWORD).status_code == 302


def browser(app, address="192.0.2.10"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, username="demo-worker", password=DEMO_PASSWORD):
    return client.post("/sign-in", data={"username": username, "password": password})


def test_a_strangers_wrong_guesses_never_lock_the_account_holder_out_and_they_are_told(app, db):
    own_tablet = browser(app, "192.0.2.10")
    assert sign_in(own_tablet).status_code == 302
    own_tablet.post("/sign-out")
    stranger = browser(app, "198.51.100.7")
    for _ in range(12):
        assert sign_in(stranger, password="guess").status_code in (400, 429)
    assert sign_in(stranger).status_code == 429  # the stranger is paused, even with the right password
    # The holder's own tablet signs in with the right password at once...
    response = sign_in(own_tablet)
    assert response.status_code == 302
    page = own_tablet.get(response.headers["Location"]).get_data(as_text=True)
    # ...and hears of every attempt, the refused ones too (all in the audit log).
    assert "There were 13 failed attempts to sign in as you since you last signed in" in page
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity = 'sign_in'"
                      " AND entity_id = 'demo-worker'").fetchone()[0] == 13
    # The next sign-in says nothing: they have been told.
    own_tablet.post("/sign-out")
    again = sign_in(own_tablet)
    assert "failed attempt" not in own_tablet.get(again.headers["Location"]).get_data(as_text=True)


def test_the_holders_own_wrong_guesses_pause_their_own_tablet(app):
    own_tablet = browser(app)
    assert sign_in(own_tablet).status_code == 302
    own_tablet.post("/sign-out")
    for _ in range(5):
        assert sign_in(own_tablet, password="typo").status_code == 400
    assert sign_in(own_tablet).status_code == 429


def test_one_address_guessing_many_usernames_is_paused(app):
    guesser = browser(app, "203.0.113.5")
    for number in range(20):
        assert sign_in(guesser, f"someone-{number}", "guess").status_code == 400
    response = sign_in(guesser, "demo-lead")
    assert response.status_code == 429
    assert "Too many failed attempts to sign in from this network" in response.get_data(as_text=True)
    # Another address is not paused, and a correct password never counts towards the limit.
    elsewhere = browser(app, "203.0.113.6")
    for _ in range(25):
        assert sign_in(elsewhere, "demo-lead").status_code == 302


def test_a_tablet_that_signed_in_before_is_not_held_back_by_its_networks_limit(app):
    """Colleagues share an office's address: a guesser there must not lock out the others' tablets."""
    colleague = browser(app, "203.0.113.5")
    assert sign_in(colleague, "demo-lead").status_code == 302
    colleague.post("/sign-out")
    guesser = browser(app, "203.0.113.5")
    for number in range(21):
        sign_in(guesser, f"someone-{number}", "guess")
    assert sign_in(guesser, "demo-lead").status_code == 429
    assert sign_in(colleague, "demo-lead").status_code == 302


def test_a_forged_device_cookie_is_not_trusted(app):
    stranger = browser(app)
    stranger.set_cookie("fieldvisit_device", "W1siZGVtby13b3JrZXIiLCJ4Il1d.forged")
    for _ in range(5):
        sign_in(stranger, password="guess")
    assert sign_in(stranger).status_code == 429


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
