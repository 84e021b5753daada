"""Fixtures as in Flask's tutorial: `app`, `client`, `runner`, and signing in as a role."""
from datetime import date

import pytest

from argon2 import PasswordHasher

from fieldvisit import create_app, passwords, use_local_time
from fieldvisit.db import connect
from fieldvisit.demo import seed

DEMO_PASSWORD = "correct-horse-battery"

# The app's local time (create_app does the same): set before any test module is imported, so
# that a date a module works out when it is imported (tests/clock.py) is England's date, as the
# app's is, even between midnight in England and midnight UTC.
use_local_time("Europe/London")

# Passwords made by the tests are hashed with Argon2id at its lowest cost: verifying one with the
# production parameters takes a tenth of a second, and the suite signs in thousands of times. The
# algorithm and the code are the production ones (fieldvisit/passwords.py): a hash carries its own
# parameters, so any server, the tests' live ones included, verifies it as it is.
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory):
    """One seeded demo database, copied for each test that needs it (seeding hashes passwords)."""
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True})
    db = connect(app.config["DATABASE"])
    seed(db, DEMO_PASSWORD)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def app(tmp_path, seeded_db_file):
    path = tmp_path / "fieldvisit.db"
    path.write_bytes(seeded_db_file.read_bytes())
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def sign_in(self, username="demo-worker", password=DEMO_PASSWORD):
        return self._client.post("/sign-in", data={"username": username, "password": password})

    def sign_out(self):
        return self._client.post("/sign-out")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def today():
    """The day the test runs, read once from the clock the app reads too (see tests/clock.py)."""
    return date.today()


# Under libfaketime (scripts/test.sh runs the domain and route tests with the clock moved) a
# library thread can wait for ever on a lock at interpreter exit, after every test has run and
# the summary is printed: leave at once with pytest's own exit status instead.
_exit_status = {}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    import os
    import sys
    if os.environ.get("FAKETIME") and not hasattr(config, "workerinput") and "code" in _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status["code"])
