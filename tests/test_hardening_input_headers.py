"""Issue 14: control and invisible characters refused with a clear message, bidirectional overrides
shown inert, the headers (Permissions-Policy, COOP, HSTS over HTTPS, Allow on 405, no-store on every
answer with family data, no Server version) and durable commits."""
import urllib.request
import uuid

import pytest

from fieldvisit import create_app
from fieldvisit.db import connect
from fieldvisit.filters import inert_bidi
from fieldvisit.visits.forms import clean_text
from tests.test_access import SessionAuth
from tests.test_visits import first_family_of, full_visit, visit_form


@pytest.fixture
def auth(client, app):
    return SessionAuth(client, app)


# --- characters -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, what", [
    ("Seen in the kitchen\x00", "a control character (U+0000"),
    ("Mum said \x1b[2J it was fine", "a control character (U+001B"),
    ("Bruise \x85 on arm", "a control character (U+0085"),
    ("Dad\u202e said no", "override (U+202E"),
    ("Name \u2067hidden\u2069", "isolate (U+2067"),
    ("re\u200bferral", "zero-width space (U+200B"),
])
def test_hidden_characters_are_refused_with_a_clear_message(text, what):
    with pytest.raises(ValueError, match="cannot be stored") as refused:
        clean_text(text)
    assert what in str(refused.value)


@pytest.mark.parametrize("text", ["Ayesha said: \u0645\u06cc\u06ba \u0679\u06be\u06cc\u06a9 \u06c1\u0648\u06ba",
                                  "\u0633\u0644\u0627\u0645 Ahmed", "line one\nline two\ttabbed",
                                  "Zo\u00eb and Anya-Lee", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"])
def test_right_to_left_text_newlines_and_tabs_are_kept(text):
    assert clean_text(text) == text.strip()


def test_a_visit_with_a_right_to_left_override_is_refused_on_the_page_and_nothing_is_stored(client, auth, db):
    auth.sign_in("demo-worker")
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids)
    words_field = next(key for key in data if key.endswith("words"))
    data[words_field] = "I am happy at home\u202e emoh ta ton"
    before = db.execute("SELECT count(*) FROM visit_records").fetchone()[0]
    response = client.post(f"/families/{family_id}/visits/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "override (U+202E" in page
    assert db.execute("SELECT count(*) FROM visit_records").fetchone()[0] == before
    assert "\u202e" not in page  # shown back inert


def test_a_visit_pushed_by_a_tablet_with_a_nul_is_rejected_with_the_message(client, auth, db):
    from tests.sync_fakes import families_of, visit_item
    auth.sign_in("demo-worker")
    _, families = families_of(db, "demo-worker")
    family_id = sorted(families)[0]
    item = visit_item(family_id, families[family_id])
    fields = item["payload"]["fields"]
    key = next(k for k in (fields if isinstance(fields, dict) else dict(fields)) if k.endswith("words"))
    if isinstance(fields, dict):
        fields[key] = "fine\x00"
    response = client.post("/api/sync/push", json={"device_id": str(uuid.uuid4()), "schema_version": 1, "items": [item]})
    receipt = response.get_json()["receipts"][0]
    assert receipt["status"] == "rejected"
    assert "control character (U+0000" in str(receipt["errors"])


def test_overrides_already_stored_are_shown_inert():
    from markupsafe import Markup
    assert inert_bidi("abc\u202edef\u2066x\u2069") == "abcdefx"
    assert inert_bidi("\u0633\u0644\u0627\u0645") == "\u0633\u0644\u0627\u0645"
    assert isinstance(inert_bidi(Markup("<b>\u202ex</b>")), Markup)
    assert inert_bidi(5) == 5


def test_a_stored_override_never_reaches_a_page(app, client, auth, db):
    family = db.execute("SELECT f.id FROM families f JOIN assignments a ON a.family_id = f.id"
                        " JOIN practitioners p ON p.id = a.practitioner_id WHERE p.username = 'demo-worker'").fetchone()[0]
    db.execute("UPDATE families SET name = ? WHERE id = ?", ["Smith\u202eSIHT", family])
    auth.sign_in("demo-worker")
    page = client.get(f"/families/{family}").get_data(as_text=True)
    assert "SmithSIHT" in page and "\u202e" not in page


# --- headers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/sign-in", "/today", "/families", "/api/sync/pack", "/families/999999"])
def test_every_answer_carries_the_new_headers(client, auth, path):
    auth.sign_in("demo-worker")
    response = client.get(path)
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP (a test, or a tablet on loopback)


def test_json_with_family_data_is_not_cached(client, auth):
    auth.sign_in("demo-worker")
    response = client.get("/api/sync/pack")
    assert response.is_json and response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    assert client.get("/static/vendor/htmx/htmx.min.js").headers.get("Cache-Control") != "no-store"


def test_hsts_when_served_over_https(client):
    response = client.get("/sign-in", base_url="https://fieldvisit.council.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_when_secure_cookies_are_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDVISIT_SECURE_COOKIES", "1")
    app = create_app({"DATABASE": str(tmp_path / "x.db"), "SECRET_KEY": "t"})
    assert "Strict-Transport-Security" in app.test_client().get("/sign-in").headers


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/sign-out", "OPTIONS, POST"), ("DELETE", "/today", "GET, HEAD, OPTIONS"),
    ("GET", "/api/sync/push", "OPTIONS, POST"), ("PUT", "/sign-in", "GET, HEAD, OPTIONS, POST"),
])
def test_a_405_says_which_methods_are_allowed(client, auth, method, path, allowed):
    auth.sign_in("demo-worker")
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed


def test_the_server_gives_no_version_banner(tmp_path, seeded_db_file):
    from tests.sync_live import SyncServer
    db = tmp_path / "live.db"
    db.write_bytes(seeded_db_file.read_bytes())
    (tmp_path / "instance").mkdir()
    server = SyncServer(db, tmp_path / "instance").start()
    try:
        with urllib.request.urlopen(server.url + "/sign-in", timeout=10) as response:
            assert response.headers["Server"] == "Fieldvisit"
    finally:
        server.stop()


# --- durability -------------------------------------------------------------------------------

def test_every_connection_commits_durably(app, client, auth):
    """Every writer (web forms, the sync engine, the audit log, sessions) goes through db.connect."""
    db = connect(app.config["DATABASE"])
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    seen = []
    from flask import g

    @app.after_request
    def note(response):
        if "db" in g:
            seen.append(g.db.execute("PRAGMA synchronous").fetchone()[0])
        return response
    auth.sign_in("demo-worker")
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    assert client.post(f"/families/{family_id}/visits/new", data=full_visit(record_id, child_ids)).status_code == 302
    assert seen and set(seen) == {2}


def test_behind_a_proxy_the_forwarded_address_and_scheme_are_used(tmp_path, seeded_db_file):
    """FIELDVISIT_PROXIES: the address limit counts each client, and HSTS follows the client's HTTPS."""
    path = tmp_path / "proxied.db"
    path.write_bytes(seeded_db_file.read_bytes())
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "PROXIES": 1})
    client = app.test_client()
    for number in range(20):
        client.post("/sign-in", data={"username": f"x{number}", "password": "guess"},
                    headers={"X-Forwarded-For": "203.0.113.9"})
    assert client.post("/sign-in", data={"username": "x", "password": "guess"},
                       headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    assert client.post("/sign-in", data={"username": "x", "password": "guess"},
                       headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 400
    secure = client.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in secure.headers
