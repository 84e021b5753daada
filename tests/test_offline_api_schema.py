"""schemathesis over /api/openapi.json (issue 14 item 8): generated requests, signed in, to every
operation the document describes, through the WSGI transport. No answer is a 5xx and every answer
matches its documented status, content type and schema."""
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from fieldvisit import create_app
from tests.conftest import DEMO_PASSWORD

ORIGIN = "http://localhost"
EXAMPLES = 30  # per operation: bounded, a few seconds each


@pytest.fixture
def signed_in(tmp_path, seeded_db_file):
    """The app as served (CSRF on) and the session cookie of a signed-in practitioner."""
    path = tmp_path / "fieldvisit.db"
    path.write_bytes(seeded_db_file.read_bytes())
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True,
                      "SYNC_PRIVATE_KEY_FILE": str(tmp_path / "key.pem"),
                      # schemathesis's WSGI transport reads bodies as sent: compression (issue 13) is
                      # tested in tests/test_serving.py, the documents' schemas here.
                      "COMPRESS_REGISTER": False})
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD,
                                           "csrf_token": token})
    assert answer.location.endswith("/today")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app, {cookie.key: cookie.value}


def test_the_api_answers_as_documented_with_no_server_error(signed_in):
    """Every operation, a bounded number of generated cases each. (schemathesis's pytest plugin does
    not run under pytest 9 yet, so the operations are driven with hypothesis directly.)"""
    app, cookies = signed_in
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /api/sync/push", "GET /api/sync/pack", "GET /api/sync/public-key", "POST /api/device/secret"}
    answered = set()
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answers_as_documented(case):
            response = case.call_and_validate(cookies=cookies, headers={"Origin": ORIGIN})
            answered.add((case.method.upper(), case.path, response.status_code))

        answers_as_documented()
    # The session was used: the signed-in answers were generated, not only the 401s.
    assert ("GET", "/api/sync/pack", 200) in answered
    assert {status for method, path, status in answered if path == "/api/sync/push"} & {200, 400}
    assert not {path for method, path, status in answered if status == 401}
