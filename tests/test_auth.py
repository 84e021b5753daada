"""Signing in and out, the idle timeout, `next`, CSRF and the security headers."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from fieldvisit import create_app
from fieldvisit.db import connect
from fieldvisit import settings
from fieldvisit.auth import sessions
from tests.conftest import DEMO_PASSWORD

WRONG = "The username or password is not right. Check them and try again."


def audit_rows(db, action):
    return list(db.query(
        "SELECT a.practitioner_id, a.action, a.entity, a.entity_id, a.route, p.username"
        " FROM audit_log a LEFT JOIN practitioners p ON p.id = a.practitioner_id WHERE a.action = ?"
        " ORDER BY a.id", [action]))


def practitioner_of_session(db, token):
    row = db.execute("SELECT practitioner_id FROM sessions WHERE id = ? AND ended_at IS NULL",
                     [sessions.key_of(token)]).fetchone()
    return row and row[0]


def without_token(html):
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


# --- the sign-in page ----------------------------------------------------------------------

def test_the_sign_in_page_asks_for_username_and_password(client):
    response = client.get("/sign-in")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<label class="govuk-label " for="username">Username</label>' in page
    assert '<label class="govuk-label " for="password">Password</label>' in page
    assert ">Sign in</button>" in page
    assert 'autocomplete="current-password"' in page and 'type="password"' in page


@pytest.mark.parametrize("username", ["demo-worker", "demo-social-worker", "demo-health-visitor",
                                      "demo-lead", "demo-admin"])
def test_each_demo_sign_in_works_and_is_audited(client, auth, db, username):
    response = auth.sign_in(username)
    assert response.status_code == 302
    expected = "/admin/practitioners" if username == "demo-admin" else "/today"
    assert client.get(response.headers["Location"], follow_redirects=True).request.path == expected
    with client.session_transaction() as session:
        practitioner_id = practitioner_of_session(db, session["sid"])
    assert db.execute("SELECT username FROM practitioners WHERE id = ?", [practitioner_id]).fetchone()[0] == username
    assert [(r["username"], r["entity"], r["entity_id"], r["route"]) for r in audit_rows(db, "sign_in")] == \
        [(username, "practitioner", str(practitioner_id), "/sign-in")]


def test_a_username_with_surrounding_spaces_still_signs_in(client, auth):
    assert auth.sign_in("  demo-worker ").status_code == 302


def test_a_wrong_password_and_an_unknown_username_get_the_same_answer(client, auth, db):
    wrong_password = auth.sign_in("demo-worker", "not-the-password")
    unknown_user = auth.sign_in("no-such-person", "not-the-password")
    assert wrong_password.status_code == unknown_user.status_code == 400
    wrong_page = wrong_password.get_data(as_text=True)
    unknown_page = unknown_user.get_data(as_text=True)
    assert WRONG in wrong_page
    assert "There is a problem" in wrong_page and 'href="#username"' in wrong_page
    # Nothing but the username typed differs, so the page does not say which usernames exist.
    assert without_token(wrong_page).replace("demo-worker", "NAME") == \
        without_token(unknown_page).replace("no-such-person", "NAME")
    with client.session_transaction() as session:
        assert "sid" not in session
    assert audit_rows(db, "sign_in") == []


def test_a_failed_sign_in_keeps_the_username_but_never_echoes_the_password(client, auth):
    page = auth.sign_in("demo-worker", "s3cret-guess").get_data(as_text=True)
    assert 'value="demo-worker"' in page
    assert "s3cret-guess" not in page


def test_an_account_that_is_not_active_cannot_sign_in(client, auth, db):
    db.execute("UPDATE practitioners SET active = 0 WHERE username = 'demo-worker'")
    response = auth.sign_in("demo-worker", DEMO_PASSWORD)
    assert response.status_code == 400
    assert WRONG in response.get_data(as_text=True)


def test_empty_fields_say_what_to_enter(client):
    response = client.post("/sign-in", data={"username": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your username" in page and "Enter your password" in page


def test_over_long_input_is_refused_clearly(client):
    response = client.post("/sign-in", data={"username": "x" * 101, "password": "y" * 201})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Username must be 100 characters or fewer" in page
    assert "Password must be 200 characters or fewer" in page


def test_passwords_are_stored_as_argon2id_hashes(db):
    hashes = [row[0] for row in db.execute("SELECT password_hash FROM practitioners")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(DEMO_PASSWORD not in h for h in hashes)


# --- signing out ---------------------------------------------------------------------------

def test_sign_out_ends_the_session_and_says_so(client, auth, db):
    auth.sign_in()
    assert client.get("/today").status_code == 200
    response = auth.sign_out()
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert "You have signed out." in client.get(response.headers["Location"]).get_data(as_text=True)
    with client.session_transaction() as session:
        assert "sid" not in session
    assert client.get("/today").status_code == 302
    assert [(r["username"], r["route"]) for r in audit_rows(db, "sign_out")] == [("demo-worker", "/sign-out")]


def test_sign_out_is_a_post_only(client, auth):
    auth.sign_in()
    assert client.get("/sign-out").status_code == 405
    assert client.get("/today").status_code == 200


def test_signing_in_as_someone_else_replaces_the_session(client, auth):
    auth.sign_in("demo-worker")
    auth.sign_in("demo-lead")
    assert "Morgan Demo-Lead" in client.get("/today").get_data(as_text=True)


# --- the idle timeout ----------------------------------------------------------------------

def set_last_active(client, seconds_ago, db=None):
    """Make the signed-in session look last used `seconds_ago` (on the server, where it is kept)."""
    with client.session_transaction() as session:
        token = session["sid"]
    database = db or connect(client.application.config["DATABASE"])
    moment = (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).isoformat(timespec="seconds")
    database.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", [moment, sessions.key_of(token)])
    if db is None:
        database.close()


def last_seen(client):
    with client.session_transaction() as session:
        token = session["sid"]
    database = connect(client.application.config["DATABASE"])
    value = database.execute("SELECT last_seen_at FROM sessions WHERE id = ?", [sessions.key_of(token)]).fetchone()[0]
    database.close()
    return datetime.fromisoformat(value)


IDLE_MINUTES = settings.DEFAULTS["session_idle_minutes"]


def test_an_idle_session_is_signed_out_with_a_message(client, auth):
    auth.sign_in()
    set_last_active(client, IDLE_MINUTES * 60 + 5)
    response = client.get("/families")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/families"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not used Fieldvisit for a while." in page
    with client.session_transaction() as session:
        assert "sid" not in session
    # Signing in again goes back to where they were.
    again = client.post("/sign-in?next=/families", data={"username": "demo-worker", "password": DEMO_PASSWORD})
    assert again.headers["Location"] == "/families"


def test_an_idle_session_cannot_post(client, auth, db):
    auth.sign_in()
    set_last_active(client, 31 * 60)
    family_id = db.execute("SELECT family_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id"
                           " WHERE p.username = 'demo-worker'").fetchone()[0]
    response = client.post(f"/families/{family_id}/visits/new", data={"record_id": "x"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_activity_within_the_timeout_keeps_the_session_alive(client, auth):
    auth.sign_in()
    set_last_active(client, IDLE_MINUTES * 60 - 60)
    assert client.get("/today").status_code == 200
    assert datetime.now(timezone.utc) - last_seen(client) < timedelta(seconds=5)


def test_the_idle_timeout_is_a_setting(client, auth, db):
    settings.save(db, "session_idle_minutes", 1)
    auth.sign_in()
    set_last_active(client, 50)
    assert client.get("/today").status_code == 200
    set_last_active(client, 61)
    assert client.get("/today").status_code == 302


def test_an_account_made_inactive_is_signed_out_at_its_next_request(client, auth, db):
    auth.sign_in()
    db.execute("UPDATE practitioners SET active = 0 WHERE username = 'demo-worker'")
    assert client.get("/today").status_code == 302
    with client.session_transaction() as session:
        assert "sid" not in session


# --- where to go after signing in ----------------------------------------------------------

def test_a_signed_out_visitor_comes_back_to_the_page_they_asked_for(client):
    response = client.get("/families?sort=name")
    assert response.headers["Location"] == "/sign-in?next=/families?sort%3Dname"
    signed_in = client.post(response.headers["Location"],
                            data={"username": "demo-worker", "password": DEMO_PASSWORD})
    assert signed_in.headers["Location"] == "/families?sort=name"


@pytest.mark.parametrize("target", ["/families", "/families/3", "/today?x=1"])
def test_next_may_be_a_local_path(client, target):
    response = client.post("/sign-in", query_string={"next": target},
                           data={"username": "demo-worker", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", " //evil.example",
    "/ /evil.example", "http:/evil.example", "/\x00/evil.example", "",
])
def test_next_never_leaves_the_site(client, target):
    response = client.post("/sign-in", query_string={"next": target},
                           data={"username": "demo-worker", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/today"


# --- CSRF -----------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(tmp_path, seeded_db_file):
    path = tmp_path / "csrf.db"
    path.write_bytes(seeded_db_file.read_bytes())
    return create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True, "WTF_CSRF_ENABLED": True})


def token_from(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_sign_in_without_a_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "sid" not in session


def test_sign_in_with_the_token_works_and_sign_out_needs_it_too(csrf_app):
    client = csrf_app.test_client()
    token = token_from(client, "/sign-in")
    response = client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/sign-out").status_code == 400
    assert client.get("/today").status_code == 200  # still signed in
    token = token_from(client, "/today")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/today").status_code == 302


def test_the_session_cookie_set_at_sign_in_already_carries_a_new_form_token(csrf_app):
    # Background requests (the service worker's app shell, the pack) started with the sign-in
    # answer's cookie are answered with it again; were the form token made only by the next page,
    # an answer arriving after that page would drop the token and the page's forms would fail.
    client = csrf_app.test_client()
    token = token_from(client, "/sign-in")
    with client.session_transaction() as session:
        before = session["csrf_token"]
    client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD, "csrf_token": token})
    with client.session_transaction() as session:
        assert session["csrf_token"] and session["csrf_token"] != before
        assert session["sid"]


def test_a_wrong_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    token_from(client, "/sign-in")
    response = client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD,
                                             "csrf_token": "forged"})
    assert response.status_code == 400


def test_a_visit_posted_without_a_csrf_token_is_refused_and_nothing_is_stored(csrf_app):
    from tests.test_visits import first_family_of, full_visit, visit_form
    client = csrf_app.test_client()
    token = token_from(client, "/sign-in")
    client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD, "csrf_token": token})
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    db = connect(csrf_app.config["DATABASE"])
    before = db.execute("SELECT count(*) FROM visit_records").fetchone()[0]
    response = client.post(f"/families/{family_id}/visits/new", data=full_visit(record_id, child_ids))
    assert response.status_code == 400
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM visit_records").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM sync_receipts WHERE item_id = ?", [record_id]).fetchone()[0] == 0
    # The same form with its token is stored.
    data = full_visit(record_id, child_ids, csrf_token=token_from(client, f"/families/{family_id}/visits/new"))
    assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302
    assert db.execute("SELECT count(*) FROM visit_records").fetchone()[0] == before + 1
    db.close()


# --- headers and cookies -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/sign-in", "/today", "/families", "/families/999999",
                                  "/static/vendor/htmx/htmx.min.js"])
def test_security_headers_are_on_every_response(client, auth, path):
    auth.sign_in()
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if response.mimetype == "text/html":
        assert response.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_http_only_and_same_site(client, auth):
    response = auth.sign_in()
    cookies = response.headers.getlist("Set-Cookie")
    cookie = next(c for c in cookies if c.startswith("fieldvisit_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The device cookie (sign-in throttling, issue 14) is kept from scripts too.
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
