"""Sessions kept on the server (issue 14, "Sign-out does not end the session"): a cookie copied
before sign-out, "sign out everywhere", deactivation or the absolute limit no longer works."""
from datetime import datetime, timedelta, timezone

from fieldvisit import settings
from fieldvisit.auth import sessions
from tests.conftest import DEMO_PASSWORD

COOKIE = "fieldvisit_session"


def copied_cookie(client):
    return client.get_cookie(COOKIE).value


def a_thief_with(app, cookie):
    """Another browser holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def sign_in(client, username="demo-worker"):
    response = client.post("/sign-in", data={"username": username, "password": DEMO_PASSWORD},
                           headers={"User-Agent": f"Tablet of {username}"})
    assert response.status_code == 302
    return response


def test_the_cookie_carries_only_a_random_session_id(app, client, db):
    sign_in(client)
    with client.session_transaction() as session:
        assert set(session) <= {"sid", "_permanent", "csrf_token", "_flashes"}
        token = session["sid"]
    assert len(token) >= 40
    row = dict(next(db.query("SELECT * FROM sessions WHERE id = ?", [sessions.key_of(token)])))
    assert row["ended_at"] is None and row["device"] == "Tablet of demo-worker"
    # The table keeps a hash of the token, never the token itself.
    assert db.execute("SELECT count(*) FROM sessions WHERE id = ?", [token]).fetchone()[0] == 0


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(app, client, db):
    sign_in(client)
    cookie = copied_cookie(client)
    assert a_thief_with(app, cookie).get("/today").status_code == 200
    client.post("/sign-out")
    thief = a_thief_with(app, cookie)
    response = thief.get("/today")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert thief.post("/api/sync/push", json={}).status_code == 401
    ended = db.execute("SELECT ended_why FROM sessions").fetchall()
    assert [tuple(r) for r in ended] == [("signed_out",)]


def test_sign_out_everywhere_ends_every_session_of_that_person_only(app, db):
    tablet, laptop, lead = app.test_client(), app.test_client(), app.test_client()
    sign_in(tablet)
    sign_in(laptop)
    sign_in(lead, "demo-lead")
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Where you are signed in" in page and "2 signed in" in page and "This device" in page
    assert "Tablet of demo-worker" in page and "demo-lead" not in page
    response = laptop.post("/account/sessions/sign-out-everywhere")
    assert response.status_code == 302
    assert "You have signed out everywhere (2 sessions ended)" in laptop.get(response.headers["Location"]).get_data(as_text=True)
    assert laptop.get("/today").status_code == 302
    gone = tablet.get("/today")
    assert gone.status_code == 302
    assert "someone signed out everywhere as you" in tablet.get(gone.headers["Location"]).get_data(as_text=True)
    assert lead.get("/today").status_code == 200
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'sign_out' AND route = ?",
                      ["/account/sessions/sign-out-everywhere"]).fetchone()[0] == 1


def test_the_sessions_page_is_reachable_from_every_page(client):
    sign_in(client)
    assert 'href="/account/sessions"' in client.get("/today").get_data(as_text=True)


def test_deactivating_an_account_ends_its_sessions_at_once(app, client, db):
    sign_in(client)
    cookie = copied_cookie(client)
    db.execute("UPDATE practitioners SET active = 0 WHERE username = 'demo-worker'")
    assert [tuple(r) for r in db.execute("SELECT ended_why FROM sessions")] == [("deactivated",)]
    # Made active again, the old cookie still does not come back to life.
    db.execute("UPDATE practitioners SET active = 1 WHERE username = 'demo-worker'")
    assert a_thief_with(app, cookie).get("/today").status_code == 302
    assert client.get("/today").status_code == 302


def backdate_start(db, client, hours):
    with client.session_transaction() as session:
        key = sessions.key_of(session["sid"])
    moment = (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat(timespec="seconds")
    db.execute("UPDATE sessions SET created_at = ? WHERE id = ?", [moment, key])


def test_a_session_ends_at_the_absolute_limit_however_busy(client, db):
    sign_in(client)
    backdate_start(db, client, settings.DEFAULTS["session_absolute_hours"] - 0.1)
    assert client.get("/today").status_code == 200  # just used: not idle
    backdate_start(db, client, settings.DEFAULTS["session_absolute_hours"] + 0.01)
    response = client.get("/today")
    assert response.status_code == 302
    assert "signed in more than 10 hours ago" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.execute("SELECT ended_why FROM sessions").fetchone()[0] == "absolute_limit"


def test_the_absolute_limit_is_a_setting(client, db):
    settings.save(db, "session_absolute_hours", 2)
    sign_in(client)
    backdate_start(db, client, 2.01)
    assert client.get("/today").status_code == 302


def test_an_idle_session_is_ended_on_the_server_too(app, client, db):
    from tests.test_auth import set_last_active
    sign_in(client)
    cookie = copied_cookie(client)
    set_last_active(client, settings.DEFAULTS["session_idle_minutes"] * 60 + 1, db)
    assert client.get("/today").status_code == 302
    assert db.execute("SELECT ended_why FROM sessions").fetchone()[0] == "idle"
    db.execute("UPDATE sessions SET last_seen_at = ?", [datetime.now(timezone.utc).isoformat(timespec="seconds")])
    assert a_thief_with(app, cookie).get("/today").status_code == 302  # an ended session stays ended


def test_signing_in_again_replaces_the_previous_session(client, db):
    sign_in(client)
    old = copied_cookie(client)
    sign_in(client, "demo-lead")
    assert copied_cookie(client) != old
    rows = [tuple(r) for r in db.execute("SELECT ended_why FROM sessions ORDER BY created_at, rowid")]
    assert rows == [("replaced",), (None,)]


def test_a_forged_or_unknown_session_id_is_signed_out(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "not-a-session"
    assert client.get("/today").status_code == 302
    with client.session_transaction() as session:
        session["sid"] = 12345
    assert client.get("/today").status_code == 302
