"""A practitioner changes their own password (issue 14): the current password first, the NCSC rules
for the new one, clear errors, and every other session of that person ends."""
import re

import pytest

from fieldvisit.auth import accounts
from fieldvisit.passwords import check_password
from tests.conftest import DEMO_PASSWORD
from tests.test_auth_sessions import a_thief_with, copied_cookie, sign_in

NEW_PASSWORD = "kettle orchard lantern"


def change(client, current=DEMO_PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/account/password", data={"current": current, "password": new,
                                                  "confirm": new if confirm is None else confirm})


def password_hash(db, username="demo-worker"):
    return db.execute("SELECT password_hash FROM practitioners WHERE username = ?", [username]).fetchone()[0]


def test_the_sessions_page_links_to_changing_the_password(client):
    sign_in(client)
    page = client.get("/account/sessions").get_data(as_text=True)
    assert 'href="/account/password"' in page
    form = client.get("/account/password").get_data(as_text=True)
    assert 'autocomplete="current-password"' in form and form.count('autocomplete="new-password"') == 2


def test_changing_the_password_ends_the_other_sessions_only_and_is_audited(app, client, db):
    sign_in(client)
    other_tablet = app.test_client()
    sign_in(other_tablet)
    stolen = copied_cookie(other_tablet)
    lead = app.test_client()
    sign_in(lead, "demo-lead")
    response = change(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account/sessions"
    assert "Your password is changed" in client.get("/account/sessions").get_data(as_text=True)
    assert check_password(password_hash(db), NEW_PASSWORD)
    assert client.get("/today").status_code == 200  # this device stays signed in
    gone = other_tablet.get("/today")
    assert gone.status_code == 302
    assert "password was changed on another device" in other_tablet.get(gone.headers["Location"]).get_data(as_text=True)
    assert a_thief_with(app, stolen).get("/today").status_code == 302
    assert lead.get("/today").status_code == 200  # someone else's session is untouched
    worker_id = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    assert db.execute("SELECT count(*) FROM audit_log WHERE practitioner_id = ? AND action = 'write'"
                      " AND entity = 'password' AND route = '/account/password'", [worker_id]).fetchone()[0] == 1
    # The old password no longer signs in; the new one does.
    fresh = app.test_client()
    assert fresh.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD}).status_code == 400
    assert fresh.post("/sign-in", data={"username": "demo-worker", "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize("data, field, message", [
    ({"current": ""}, "current", "Enter your current password"),
    ({"current": "not my password at all"}, "current", "Your current password is not right"),
    ({"new": ""}, "password", "Enter a new password"),
    ({"confirm": "kettle orchard lanterns"}, "confirm", "The two new passwords are not the same"),
    ({"new": "short one"}, "password", "at least 12 characters"),
    ({"new": "password1234"}, "password", "too common"),
    ({"new": "i am demo-worker now"}, "password", "must not contain your username"),
    ({"new": DEMO_PASSWORD}, "password", "must be different from your current one"),
])
def test_a_refused_change_says_why_beside_the_field_and_changes_nothing(client, db, data, field, message):
    sign_in(client)
    before = password_hash(db)
    response = change(client, **data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and f'href="#{field}"' in page and message in page
    assert f'id="{field}-error"' in page
    assert password_hash(db) == before
    # A password typed is never sent back in the page.
    assert not re.search(r'value="[^"]+"[^>]*type="password"|type="password"[^>]*value="[^"]+"', page)
    assert client.get("/today").status_code == 200


def test_wrong_current_passwords_are_audited_and_paused(app, client, db):
    sign_in(client)
    limit = app.config["SIGN_IN_ATTEMPTS"]
    for _ in range(limit):
        assert change(client, current="a wrong guess here").status_code == 400
    paused = change(client)  # even the right one waits: someone may be guessing on a tablet left open
    assert paused.status_code == 429 and "Too many wrong passwords" in paused.get_data(as_text=True)
    assert not check_password(password_hash(db), NEW_PASSWORD)
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity = 'password'"
                      " AND route = '/account/password'").fetchone()[0] == limit + 1


def test_the_change_password_domain_function_keeps_the_session_in_use(db):
    from fieldvisit.auth import sessions
    worker = db.execute("SELECT id FROM practitioners WHERE username = 'demo-worker'").fetchone()[0]
    mine, other = sessions.start(db, worker, "mine"), sessions.start(db, worker, "other")
    assert accounts.change_password(db, worker, DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD, mine, "/x") == {}
    assert sessions.check(db, mine, 30, 10)[0] == worker
    assert sessions.check(db, other, 30, 10) == (None, "password_changed")
