"""Browser tests: the real server on a free port (as Datasette's are), driven by Debian's Chromium.

Browsers cannot be downloaded here: Playwright launches /usr/bin/chromium (never
`playwright install`).
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import DEMO_PASSWORD

CHROMIUM = os.environ.get("FIELDVISIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--lang=en-GB"]
TABLET = {"width": 810, "height": 1080}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`fieldvisit serve` in a subprocess; can be stopped and started again on the same port and database."""

    def __init__(self, db_path, instance_dir):
        self.db_path = db_path
        self.instance_dir = instance_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        env = dict(os.environ, FIELDVISIT_DB=str(self.db_path), FIELDVISIT_INSTANCE=str(self.instance_dir))
        # The server's log goes to a file: a pipe nobody reads fills up and hangs the server.
        self.log_path = Path(self.instance_dir) / "server.log"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fieldvisit.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/sign-in", timeout=1)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("server exited: " + self.log_path.read_text(errors="replace")[-4000:])
                time.sleep(0.1)
        raise RuntimeError("server did not answer within 20 seconds")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def live_server(tmp_path, seeded_db_file):
    """A fresh copy of the seeded demo database behind a real server on a free port."""
    db_path = tmp_path / "live.db"
    shutil.copy(seeded_db_file, db_path)
    instance = tmp_path / "instance"
    instance.mkdir()
    server = LiveServer(db_path, instance).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run the test command in the README")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport=TABLET, locale="en-GB", timezone_id="Europe/London")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="Europe/London",
                                  is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def sign_in(page, server, username="demo-worker", password=DEMO_PASSWORD):
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today")


def screenshot(page, name):
    """Save a full-page screenshot under test-artifacts/ to be looked at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_serious_accessibility_violations(page):
    """axe-core through Playwright: no serious or critical violations on this page."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in serious)
