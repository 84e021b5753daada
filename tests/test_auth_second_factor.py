"""A second factor (issue 14): a code from an authenticator app (TOTP), optional for anyone, required for
team leads and admins when the partnership setting is on. Nothing is open until the code is right; a
code is refused when wrong, used before or too far off; wrong codes are paused; an admin resets it."""
import re
import time

import pyotp
import pytest

from fieldvisit import settings
from fieldvisit.auth import second_factor
from tests.conftest import DEMO_PASSWORD

SETTING = "second_factor_required_for_leads_and_admins"


def person(db, username):
    return db.execute("SELECT id FROM practitioners WHERE username = ?", [username]).fetchone()[0]


def password_step(client, username="demo-worker"):
    return client.post("/sign-in?next=/families", data={"username": username, "password": DEMO_PASSWORD})


def enrol(db, username="demo-worker"):
    """Set up as the enrolment page does, confirmed with a code from a step ago (the current one stays unused)."""
    practitioner_id = person(db, username)
    secret = second_factor.setting_up(db, practitioner_id)
    assert second_factor.confirm(db, practitioner_id, pyotp.TOTP(secret).at(time.time() - 30)) == ""
    return secret


def no_session(client):
    with client.session_transaction() as session:
        return "sid" not in session


def sessions_of(db, username):
    return db.execute("SELECT count(*) FROM sessions WHERE practitioner_id = ?", [person(db, username)]).fetchone()[0]


# --- domain ------------------------------------------------------------------------------

def test_a_code_is_accepted_one_step_either_side_and_not_two(db):
    secret = pyotp.random_base32()
    now = 1_800_000_015
    totp = pyotp.TOTP(secret)
    assert second_factor.matching_step(secret, totp.at(now), now) == now // 30
    assert second_factor.matching_step(secret, totp.at(now - 30), now) == now // 30 - 1
    assert second_factor.matching_step(secret, totp.at(now + 30), now) == now // 30 + 1
    assert second_factor.matching_step(secret, totp.at(now - 60), now) is None
    assert second_factor.matching_step(secret, totp.at(now + 60), now) is None
    assert second_factor.matching_step(secret, "12345", now) is None
    assert second_factor.matching_step(secret, "abcdef", now) is None


def test_the_key_is_shown_in_groups_and_as_an_otpauth_uri(db):
    secret = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    assert second_factor.grouped(secret) == "ABCD EFGH IJKL MNOP QRST UVWX YZ23 4567"
    uri = second_factor.provisioning_uri(secret, "demo-lead")
    assert uri.startswith("otpauth://totp/Fieldvisit:demo-lead?") and f"secret={secret}" in uri
    svg = second_factor.qr_svg(uri)
    assert svg.startswith("<svg") and "style" not in svg and "<script" not in svg


def test_a_code_cannot_be_used_twice_nor_an_older_one_after_a_newer(db):
    secret = enrol(db)
    worker = person(db, "demo-worker")
    now = time.time()
    code = pyotp.TOTP(secret).at(now)
    assert second_factor.check(db, worker, code, now) == ""
    assert "used already" in second_factor.check(db, worker, code, now)
    assert "used already" in second_factor.check(db, worker, pyotp.TOTP(secret).at(now - 30), now)


# --- signing in --------------------------------------------------------------------------

def test_without_a_second_factor_the_password_signs_in_as_before(client, db):
    response = password_step(client)
    assert response.status_code == 302 and response.headers["Location"] == "/families"


def test_after_the_password_nothing_is_open_until_the_right_code(app, client, db):
    secret = enrol(db)
    response = password_step(client)
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/code"
    assert no_session(client) and sessions_of(db, "demo-worker") == 0
    assert client.get("/families").headers["Location"].startswith("/sign-in")
    assert client.post("/api/sync/push", json={}).status_code == 401
    page = client.get("/sign-in/code").get_data(as_text=True)
    assert "Enter the code from your authenticator app" in page and 'autocomplete="one-time-code"' in page
    assert secret not in page
    with client.session_transaction() as session:
        assert secret not in str(dict(session))  # the secret stays on the server
    signed_in = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/families"
    assert client.get("/families").status_code == 200
    assert db.execute("SELECT route FROM audit_log WHERE action = 'sign_in' ORDER BY id DESC").fetchone()[0] == \
        "/sign-in/code"


def test_a_wrong_code_is_refused_with_a_clear_error_and_audited(client, db):
    secret = enrol(db)
    password_step(client)
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post("/sign-in/code", data={"code": wrong})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'href="#code"' in page and "The code is not right" in page
    assert no_session(client)
    assert client.post("/sign-in/code", data={"code": "12ab"}).status_code == 400
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'denied' AND entity = 'second_factor'"
                      " AND entity_id = ?", [str(person(db, "demo-worker"))]).fetchone()[0] == 2


def test_a_replayed_code_is_refused(app, client, db):
    secret = enrol(db)
    password_step(client)
    code = pyotp.TOTP(secret).now()
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    someone_else = app.test_client()  # saw the code over a shoulder, and knows the password
    password_step(someone_else)
    response = someone_else.post("/sign-in/code", data={"code": code})
    assert response.status_code == 400 and "used already" in response.get_data(as_text=True)
    assert no_session(someone_else)


def test_wrong_codes_are_paused_even_before_the_right_one(app, client, db):
    secret = enrol(db)
    password_step(client)
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(app.config["SIGN_IN_ATTEMPTS"]):
        assert client.post("/sign-in/code", data={"code": wrong}).status_code == 400
    paused = client.post("/sign-in/code", data={"code": right})
    assert paused.status_code == 429 and "Too many wrong codes" in paused.get_data(as_text=True)
    assert no_session(client)


def test_the_code_step_without_the_password_step_or_too_late_starts_again(client, db):
    enrol(db)
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"
    assert client.post("/sign-in/code", data={"code": "123456"}).headers["Location"] == "/sign-in"
    password_step(client)
    with client.session_transaction() as session:
        pending = session["second_factor_pending"]
        session["second_factor_pending"] = dict(pending, at=pending["at"] - 301)
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"


# --- required for team leads and admins ------------------------------------------------------

def test_a_lead_without_a_code_is_taken_to_set_one_up_before_anything_else(client, db):
    settings.save(db, SETTING, True)
    response = password_step(client, "demo-lead")
    assert response.headers["Location"] == "/sign-in/set-up-code"
    assert no_session(client)
    assert client.get("/today").headers["Location"].startswith("/sign-in")
    page = client.get("/sign-in/set-up-code").get_data(as_text=True)
    assert "Your partnership asks team leads and admins" in page and "<svg" in page
    key = re.search(r'id="second-factor-key">([A-Z2-7 ]+)<', page).group(1)
    assert "otpauth://totp/Fieldvisit:demo-lead?" in page
    secret = key.replace(" ", "")
    assert db.execute("SELECT secret, confirmed_at FROM second_factors WHERE practitioner_id = ?",
                      [person(db, "demo-lead")]).fetchone() == (secret, None)
    wrong = client.post("/sign-in/set-up-code", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000"
                                                      else "111111"})
    assert wrong.status_code == 400 and "The code is not right" in wrong.get_data(as_text=True)
    assert not second_factor.is_enrolled(db, person(db, "demo-lead"))
    done = client.post("/sign-in/set-up-code", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Your recovery codes" in done.get_data(as_text=True)
    assert 'href="/families"' in done.get_data(as_text=True)
    assert second_factor.is_enrolled(db, person(db, "demo-lead"))
    assert client.get("/dashboard").status_code == 200
    # From now on, the code step.
    again = app_client(client)
    assert password_step(again, "demo-lead").headers["Location"] == "/sign-in/code"


def app_client(client):
    return client.application.test_client()


def test_with_the_setting_on_a_practitioner_is_not_asked_for_a_code(client, db):
    settings.save(db, SETTING, True)
    response = password_step(client, "demo-worker")
    assert response.headers["Location"] == "/families"
    assert client.get("/families").status_code == 200


@pytest.mark.parametrize("username", ["demo-lead", "demo-admin"])
def test_with_the_setting_off_leads_and_admins_sign_in_with_the_password(client, db, username):
    assert settings.load(db)[SETTING] is False
    assert password_step(client, username).headers["Location"] == "/families"


# --- turning it on for oneself, and an admin's reset ------------------------------------------

def test_anyone_may_turn_it_on_from_their_account(client, auth, db):
    auth.sign_in("demo-worker")
    assert 'href="/account/second-factor"' in client.get("/account/sessions").get_data(as_text=True)
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'id="second-factor-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert "Your partnership asks" not in page
    # Shown again, the same key (not a new one each time the page is opened).
    assert secret.replace(" ", "") in client.get("/account/second-factor").get_data(as_text=True).replace(" ", "")
    response = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and 'href="/account/second-factor"' in response.get_data(as_text=True)
    assert "You sign in with your password and a code" in client.get("/account/second-factor").get_data(as_text=True)
    worker = person(db, "demo-worker")
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'second_factor'"
                      " AND practitioner_id = ?", [worker]).fetchone()[0] == 1
    client.post("/sign-out")
    assert password_step(client).headers["Location"] == "/sign-in/code"


def test_an_admin_resets_someones_code_audited_and_they_set_it_up_again(app, client, auth, db):
    enrol(db, "demo-lead")
    lead_tablet = app.test_client()
    lead_id = person(db, "demo-lead")
    auth.sign_in("demo-admin")
    enrol(db, "demo-admin")  # else the admin would be asked to set up their own code first
    settings.save(db, SETTING, True)
    page = client.get(f"/admin/practitioners/{lead_id}").get_data(as_text=True)
    assert "Reset their code" in page
    response = client.post(f"/admin/practitioners/{lead_id}/reset-second-factor")
    assert response.status_code == 302
    assert not second_factor.is_enrolled(db, lead_id)
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'second_factor'"
                      " AND entity_id = ? AND practitioner_id = ?",
                      [str(lead_id), person(db, "demo-admin")]).fetchone()[0] == 1
    assert password_step(lead_tablet, "demo-lead").headers["Location"] == "/sign-in/set-up-code"


def test_only_an_admin_may_reset_a_code(client, auth, db):
    enrol(db, "demo-worker")
    auth.sign_in("demo-lead")
    assert client.post(f"/admin/practitioners/{person(db, 'demo-worker')}/reset-second-factor").status_code == 404
    assert second_factor.is_enrolled(db, person(db, "demo-worker"))


# --- one-time recovery codes ------------------------------------------------------------------

def turn_on_and_keep_codes(client, auth, db):
    auth.sign_in("demo-worker")
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'id="second-factor-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    shown = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()}).get_data(as_text=True)
    codes = re.findall(r"<li>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</li>", shown)
    client.post("/sign-out")
    return codes


def test_recovery_codes_are_shown_once_and_kept_only_as_hashes(client, auth, db):
    codes = turn_on_and_keep_codes(client, auth, db)
    assert len(codes) == len(set(codes)) == 10
    stored = [row[0] for row in db.execute("SELECT code_hash FROM recovery_codes WHERE practitioner_id = ?",
                                           [person(db, "demo-worker")])]
    assert len(stored) == 10 and not any(code in stored or code.replace("-", "") in stored for code in codes)
    auth.sign_in("demo-worker")
    assert password_step(client).headers["Location"] == "/sign-in/code"  # signed in again: no codes on any page
    assert not any(code in client.get("/sign-in/code").get_data(as_text=True) for code in codes)


def test_a_recovery_code_signs_in_once(app, client, auth, db):
    codes = turn_on_and_keep_codes(client, auth, db)
    password_step(client)
    response = client.post("/sign-in/code", data={"code": codes[3].lower()})
    assert response.status_code == 302 and response.headers["Location"] == "/families"
    assert "you have 9 left" in client.get("/families").get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'recovery_code'"
                      ).fetchone()[0] == 1
    again = app.test_client()
    password_step(again)
    refused = again.post("/sign-in/code", data={"code": codes[3]})
    assert refused.status_code == 400 and "recovery code is not right, or it has been used" in \
        refused.get_data(as_text=True)
    assert no_session(again)
    assert again.post("/sign-in/code", data={"code": "ABCD-EFGH-JKMN-PQRS"}).status_code == 400


def test_an_admins_reset_removes_the_recovery_codes(client, auth, db):
    turn_on_and_keep_codes(client, auth, db)
    from fieldvisit.admin import domain
    assert domain.reset_second_factor(db, person(db, "demo-worker"), person(db, "demo-admin"), "/x")
    assert second_factor.recovery_codes_left(db, person(db, "demo-worker")) == 0


def test_someone_who_turned_it_on_may_turn_it_off_with_a_code_from_the_app(client, auth, db):
    secret = enrol(db, "demo-worker")
    second_factor.new_recovery_codes(db, person(db, "demo-worker"))
    client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD})
    assert client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Turn it off" in page and 'action="/account/second-factor/off"' in page
    # Without the code (whoever finds the session open), or with a wrong one: still on.
    for code, words in (("", "code"), ("000000", "not right")):
        response = client.post("/account/second-factor/off", data={"code": code})
        assert response.status_code == 400 and words in response.get_data(as_text=True)
        assert second_factor.is_enrolled(db, person(db, "demo-worker"))
    # The code shown a step later (the sign-in used the current one): off, audited, recovery codes gone.
    response = client.post("/account/second-factor/off", data={"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert response.status_code == 302 and response.headers["Location"] == "/account/second-factor"
    worker = person(db, "demo-worker")
    assert not second_factor.is_enrolled(db, worker)
    assert second_factor.recovery_codes_left(db, worker) == 0
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'second_factor'"
                      " AND route = '/account/second-factor/off' AND practitioner_id = ?", [worker]).fetchone()[0] == 1
    assert "turned off" in client.get("/account/second-factor").get_data(as_text=True)
    client.post("/sign-out")
    assert password_step(client).headers["Location"] == "/families"


def test_a_lead_cannot_turn_it_off_while_the_partnership_requires_it(client, db):
    secret = enrol(db, "demo-lead")
    settings.save(db, SETTING, True)
    client.post("/sign-in", data={"username": "demo-lead", "password": DEMO_PASSWORD})
    assert client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "cannot be turned off" in page and 'action="/account/second-factor/off"' not in page
    response = client.post("/account/second-factor/off", data={"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert response.status_code == 400 and "cannot be" in response.get_data(as_text=True)
    assert second_factor.is_enrolled(db, person(db, "demo-lead"))


def test_a_lead_signed_in_before_the_setting_was_turned_on_sets_up_a_code_before_any_other_page(client, auth, db):
    auth.sign_in("demo-lead")
    assert client.get("/dashboard").status_code == 200
    settings.save(db, SETTING, True)  # an admin turns the requirement on while the lead is signed in
    for path in ("/dashboard", "/today", "/families", "/account/sessions"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/second-factor", path
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Your partnership asks team leads and admins" in page
    # The sync API is never held up: a tablet's records still go in.
    assert client.get("/api/sync/pack").status_code == 200
    secret = re.search(r'id="second-factor-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert client.get("/dashboard").status_code == 200
    # A practitioner is not asked, and signing out is never held up.
    client.post("/sign-out")
    auth.sign_in("demo-worker")
    assert client.get("/today").status_code == 200


def test_signing_out_is_never_held_up_by_a_code_not_yet_set_up(client, auth, db):
    auth.sign_in("demo-admin")
    settings.save(db, SETTING, True)
    assert client.get("/admin/practitioners").headers["Location"] == "/account/second-factor"
    assert client.post("/sign-out").status_code == 302
    assert client.get("/today").headers["Location"].startswith("/sign-in")
