"""A real `fieldvisit serve` for the sync tests, and a device talking to it over HTTP (loopback only)."""
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from tests.browser.conftest import LiveServer
from tests.conftest import DEMO_PASSWORD


class SyncServer(LiveServer):
    """LiveServer whose log goes to a file: a pipe nobody reads fills after a few hundred requests
    and then blocks the server."""

    def start(self):
        env = dict(os.environ, FIELDVISIT_DB=str(self.db_path), FIELDVISIT_INSTANCE=str(self.instance_dir))
        self.log = open(self.instance_dir / "server.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fieldvisit.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/sign-in", timeout=1)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("server exited: " + (self.instance_dir / "server.log").read_text())
                time.sleep(0.1)
        raise RuntimeError("server did not answer within 30 seconds")

    def freeze(self):
        """SIGSTOP: the server stops where it is (inside a transaction or between two) until killed.
        A batch of 100 visits takes a server about 50 ms (issue 13), less than a test can take to
        notice the first items stored and send SIGKILL, so a test freezes it first."""
        self.process.send_signal(signal.SIGSTOP)

    def kill(self):
        """SIGKILL: no clean-up of any kind, as when the power goes or the OOM killer strikes."""
        self.process.kill()
        self.process.wait()
        self.process = None

    def stop(self):
        super().stop()
        if getattr(self, "log", None):
            self.log.close()


class Device:
    """One signed-in session, as a tablet has: its own cookies."""

    def __init__(self, server, device_id, timeout=60):
        self.server, self.device_id, self.timeout = server, device_id, timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def sign_in(self, username, password=DEMO_PASSWORD):
        page = self.opener.open(self.server.url + "/sign-in", timeout=self.timeout).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
        response = self.opener.open(self.server.url + "/sign-in", data=data, timeout=self.timeout)
        assert response.geturl().endswith("/today"), f"{username} could not sign in"
        return self

    def push(self, items, schema_version=1):
        """(status, JSON body) of a push; raises OSError on network failure."""
        body = json.dumps({"device_id": self.device_id, "schema_version": schema_version, "items": items}).encode()
        request = urllib.request.Request(self.server.url + "/api/sync/push", data=body, method="POST", headers={
            "Content-Type": "application/json", "Origin": self.server.url})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, {"error": "not_json", "message": text[:200].decode(errors="replace")}
