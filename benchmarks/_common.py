"""What the benchmarks share: their own scratch folder (they refuse any other database), a real
`fieldvisit serve` (waitress) on it, signed-in HTTP clients, and percentiles."""
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MARKER = ".fieldvisit-benchmark-scratch"
# A benchmark stopped with SIGTERM (e.g. by `timeout`) still stops its servers and removes its scratch folder.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
PASSWORD = "benchmark-password"


def scratch_folder(parent=None):
    """A new folder of this benchmark's own, marked as such."""
    folder = Path(tempfile.mkdtemp(prefix="fieldvisit-bench-", dir=parent))
    (folder / MARKER).write_text("made by a Fieldvisit benchmark; deleted when it ends\n")
    return folder


def own_scratch(path):
    """Refuse (exit) unless `path` is a database in a scratch folder a benchmark made."""
    path = Path(path).resolve()
    if not (path.parent / MARKER).exists():
        sys.exit(f"Refusing to run against {path}: a benchmark writes only to its own scratch copy "
                 f"(a folder it made, holding {MARKER}).")
    return path


def copy_into(source, folder, name):
    """A consistent copy of a demo database (read through SQLite's backup, the source untouched)."""
    source = Path(source).resolve()
    if not source.exists():
        sys.exit(f"{source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        usernames = {row[0] for row in src.execute("SELECT username FROM practitioners")}
        if "demo-worker" not in usernames or any(not re.match(r"(demo|county)-", u) for u in usernames
                                                 if "." not in u):
            sys.exit(f"Refusing {source}: it is not a demo database (fieldvisit demo [--scale county]).")
        target = folder / name
        dst = sqlite3.connect(str(target))
        src.backup(dst)
        # The copy's sign-ins take the benchmark's password (the source keeps its own).
        from fieldvisit.passwords import hash_password
        dst.execute("UPDATE practitioners SET password_hash = ?", [hash_password(PASSWORD)])
        dst.commit()
        dst.close()
    finally:
        src.close()
    return own_scratch(target)


def seeded_small(folder, name="small.db"):
    from fieldvisit import create_app
    from fieldvisit.db import connect
    from fieldvisit.demo import seed
    path = folder / name
    create_app({"DATABASE": str(path), "SECRET_KEY": "benchmark", "TESTING": True,
                "SYNC_PRIVATE_KEY_FILE": str(folder / "key.pem")})
    db = connect(path)
    seed(db, PASSWORD)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return own_scratch(path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`fieldvisit serve` (the production command) on a scratch database."""

    def __init__(self, db_path, folder):
        self.db_path, self.folder = own_scratch(db_path), folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        instance = self.folder / "instance"
        instance.mkdir(exist_ok=True)
        env = dict(os.environ, FIELDVISIT_DB=str(self.db_path), FIELDVISIT_INSTANCE=str(instance))
        self.log = open(self.folder / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "fieldvisit.cli", "serve", "--port", str(self.port)],
                                        cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/sign-in", timeout=2)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError((self.folder / f"server-{self.port}.log").read_text()[-2000:])
                time.sleep(0.2)
        raise RuntimeError("the server did not answer")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(20)
        self.log.close()


class Client:
    """One signed-in session, as a tablet has."""

    def __init__(self, url, device_id, timeout=300):
        self.url, self.device_id, self.timeout = url, device_id, timeout
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def sign_in(self, username, password=PASSWORD):
        page = self.opener.open(self.url + "/sign-in", timeout=self.timeout).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
        self.opener.open(urllib.request.Request(self.url + "/sign-in", data=data), timeout=self.timeout).read()
        return self

    def push(self, items):
        body = json.dumps({"device_id": self.device_id, "schema_version": 1, "items": items}).encode()
        request = urllib.request.Request(self.url + "/api/sync/push", data=body,
                                         headers={"Content-Type": "application/json"})
        with self.opener.open(request, timeout=self.timeout) as response:
            return response.status, json.loads(response.read())


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def machine():
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()},"
            f" SQLite {sqlite3.sqlite_version}, load average {load:.1f} at start")


def remove(folder):
    if (Path(folder) / MARKER).exists():
        shutil.rmtree(folder, ignore_errors=True)
