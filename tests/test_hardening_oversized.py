"""Oversized bodies are refused early, with 413, on every POST route (generated from the URL map),
signed in or not, before any form is read or anything is stored."""
import re
import uuid

import pytest

from fieldvisit import create_app
from tests.conftest import DEMO_PASSWORD

ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def post_rules():
    app = create_app({"DATABASE": ":memory:", "SECRET_KEY": "routes", "TESTING": True})
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static" and "POST" in rule.methods)


def fill(rule):
    def value(match):
        return "999999" if match.group(1) == "int" else str(uuid.uuid4())
    return ARGUMENT.sub(value, rule)


def oversized(app):
    return b"a=" + b"x" * app.config["MAX_CONTENT_LENGTH"]


@pytest.fixture
def csrf_app(tmp_path, seeded_db_file):
    """CSRF on, as served: the refusal must come before the CSRF check reads the form."""
    path = tmp_path / "fieldvisit.db"
    path.write_bytes(seeded_db_file.read_bytes())
    return create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True,
                       "SYNC_PRIVATE_KEY_FILE": str(tmp_path / "key.pem")})


def test_there_are_post_routes_to_check():
    assert "/api/sync/push" in post_rules() and "/sign-in" in post_rules()


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
def test_every_post_route_refuses_an_oversized_body_with_413(csrf_app, signed_in):
    client = csrf_app.test_client()
    if signed_in:
        page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD,
                                               "csrf_token": token})
        assert answer.status_code == 302 and answer.location.endswith("/today")
    body = oversized(csrf_app)
    refused = {}
    for rule in post_rules():
        url = fill(rule)
        content_type = "application/json" if rule.startswith("/api/") else "application/x-www-form-urlencoded"
        answer = client.post(url, data=body, content_type=content_type,
                             headers={"Origin": "http://localhost"})
        refused[rule] = answer.status_code
        if answer.status_code == 413 and rule.startswith("/api/"):
            assert answer.get_json()["error"] == "too_large"
        elif answer.status_code == 413:
            assert "larger than" in answer.get_data(as_text=True) or "too large" in answer.get_data(as_text=True).lower()
    assert {rule: code for rule, code in refused.items() if code != 413} == {}
    if signed_in:  # still signed in: the refusal ended nothing
        assert client.get("/today").status_code == 200


def test_a_body_just_under_the_limit_is_not_refused_as_too_large(csrf_app):
    client = csrf_app.test_client()
    answer = client.post("/sign-in", data=b"a=" + b"x" * 1000, content_type="application/x-www-form-urlencoded")
    assert answer.status_code != 413
