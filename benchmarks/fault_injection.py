"""Fault injection: randomized sync sessions against the real server while things go wrong.

A seeded demo database in a temporary folder is served by `python -m fieldvisit.cli serve` in its own
process on a free loopback port. Devices (signed-in sessions, as tablets have) talk to it through a
small TCP proxy in this script, and each device keeps its records in an outbox until a receipt says
`stored` or `duplicate`, as the tablet does. Meanwhile:

  kill          the server is killed with SIGKILL at random moments and started again
  drop_before   the proxy cuts a connection before forwarding the request
  drop_after    the proxy forwards the request, reads the answer and cuts the connection
                without passing it on (the server stored the items; the device never hears)
  delay         the proxy holds a request (or its answer) for up to half a second
  duplicate     the same push is sent twice at once
  replay        a push that was already answered is sent again later
  reorder       the outbox is shuffled and sent in two batches, the second first
  expire        the session ends mid-queue (signed out, or its cookie lost); the device signs in again
  disk_full     the disk is full for a moment (the central record cannot grow): pushes, sign-ins and
                pages that write must be answered 503 "try again later", never a receipt or a 500

Afterwards every item any device recorded must be in `visit_records` exactly once with the content the
device generated (its children's and home conditions' rows too), the database must pass
`PRAGMA integrity_check`, and `fieldvisit audit verify` must exit 0 where that command exists.
The disk is filled through the server's fault-injection hook FIELDVISIT_FAULT_DISK_FULL (fieldvisit/db.py):
while the file it names exists, each new connection is limited to the database's present size, so a
write that needs a new page fails with SQLite's "database or disk is full", as on a full disk.

    .venv/bin/python benchmarks/fault_injection.py [--sessions 200] [--seed 1] [--devices 4]
                                                  [--kill-every 6] [--disk-full-every 8] [--max-seconds 600]

It prints the figures and exits non-zero if anything was lost, duplicated, altered or rejected.
Loopback only. Thread scheduling is not seeded: the same seed gives the same sessions and faults,
not the same interleaving.
"""
import argparse
import http.client
import http.cookiejar
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sync_fakes import HEADINGS, families_of, visit_item  # noqa: E402

PASSWORD = "fault-injection-password"
USERS = ("demo-worker", "demo-social-worker", "demo-health-visitor")
FAULT_HEADER = b"x-fault-inject"
PROXY_FAULTS = ("drop_before", "drop_after", "delay")
# Words for the free text: English, Urdu, Polish, quotes and markup-like text, so content is checked
# byte for byte, not just "a row exists".
WORDS = ("child", "seen", "bedroom", "school", "mum", "nan", "tired", "happy", "bruise", "kitchen",
         "بچہ", "اسکول", "dziecko", "szkoła", "O'Brien", '"quoted"', "<b>bold</b>", "5 & 6", "£20", "naïve")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text(rng, low=3, high=25):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


# -- the server ----------------------------------------------------------------------------------

class Server:
    """`fieldvisit serve` in its own process, killed with SIGKILL and started again on the same port."""

    def __init__(self, db_path, instance):
        self.db_path, self.instance = db_path, instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.disk_full_flag = instance / "disk-full"  # exists while the disk is full
        self.env = dict(os.environ, FIELDVISIT_DB=str(db_path), FIELDVISIT_INSTANCE=str(instance),
                        FIELDVISIT_FAULT_DISK_FULL=str(self.disk_full_flag),
                        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def start(self):
        with open(self.instance / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fieldvisit.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        # Under load (a shared machine, `nice`) a start has taken over a minute: wait up to five.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/sign-in", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return  # it answers (a 503 while the disk is full is still an answer)
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("server exited: " + (self.instance / "server.log").read_text(errors="replace")[-3000:])
                time.sleep(0.05)
        raise RuntimeError("server did not answer within 300 seconds")

    def kill(self):
        self.process.kill()  # SIGKILL: no clean-up, as when the power goes
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# -- the proxy that cuts and delays connections ---------------------------------------------------

def read_request(conn):
    """The whole HTTP request (head and body) from a client socket, or None if it went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body


class Proxy:
    """Loopback TCP proxy, one request per connection (the devices send `Connection: close`). A request
    carrying the header X-Fault-Inject names the fault to apply to it; the header is removed before
    the request reaches the server."""

    def __init__(self, upstream_port, seed):
        self.upstream_port = upstream_port
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.running = True
        # catch_a_push(): the next push is held once it has reached the server, until let go
        self.catch_armed = False
        self.caught = threading.Event()
        self.let_go = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def catch_a_push(self, seconds):
        """Hold the next push after the server has it, before its answer is read. True when one was caught
        within `seconds`; the caller then does its worst (a kill) and calls let_go.set()."""
        with self.lock:
            self.caught.clear()
            self.let_go.clear()
            self.catch_armed = True
        caught = self.caught.wait(seconds)
        with self.lock:
            self.catch_armed = False
        return caught

    def hold_if_armed(self, head):
        if not head.startswith(b"POST /api/sync/push"):
            return
        with self.lock:
            if not self.catch_armed:
                return
            self.catch_armed = False
        self.caught.set()
        self.let_go.wait(10)

    def accept(self):
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def pause(self, low, high):
        with self.lock:
            seconds = self.rng.uniform(low, high)
        time.sleep(seconds)

    def handle(self, conn):
        upstream = None
        try:
            conn.settimeout(120)
            request = read_request(conn)
            if request is None:
                return
            head, body = request
            lines = head.split(b"\r\n")
            fault = None
            kept = []
            for line in lines:
                name, _, value = line.partition(b":")
                if name.strip().lower() == FAULT_HEADER:
                    fault = value.strip().decode()
                else:
                    kept.append(line)
            if fault == "drop_before":
                return
            if fault == "delay":
                self.pause(0.02, 0.5)
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=120)
            upstream.sendall(b"\r\n".join(kept) + b"\r\n\r\n" + body)
            self.hold_if_armed(head)
            answer = b""
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                answer += chunk
            if fault == "drop_after":
                return
            if fault == "delay":
                self.pause(0.0, 0.2)
            conn.sendall(answer)
        except OSError as error:
            # the server was killed or is starting: the device sees a cut connection
            if os.environ.get("FAULTS_DEBUG"):
                print("proxy:", repr(error)[:150], flush=True)
        finally:
            conn.close()
            if upstream is not None:
                upstream.close()

    def close(self):
        self.running = False
        self.listener.close()


# -- a device ---------------------------------------------------------------------------------------

class Bug(Exception):
    """Something the central record must never do (a 5xx other than 503, a rejected item)."""


class Device:
    """A tablet: one practitioner's session (its cookies), its device id and its outbox."""

    def __init__(self, url, username, families, practitioner_id, rng, stats):
        self.url, self.username, self.families, self.practitioner_id = url, username, families, practitioner_id
        self.rng, self.stats = rng, stats
        self.device_id = str(uuid.uuid4())
        self.outbox = {}  # item id -> item, kept until a receipt says stored or duplicate
        self.answered = []  # batches already answered, to replay later
        self.new_session()

    def new_session(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def open(self, path, data=None, headers=None, timeout=60):
        request = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        return self.opener.open(request, timeout=timeout)

    def sign_in(self, deadline):
        """Sign in, trying again while the server is down or the connection is cut."""
        while True:
            try:
                self.new_session()
                page = self.open("/sign-in").read().decode()
                token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
                data = urllib.parse.urlencode({"username": self.username, "password": PASSWORD,
                                               "csrf_token": token}).encode()
                response = self.open("/sign-in", data=data)
                response.read()
                if response.geturl().endswith("/today"):
                    return
                raise Bug(f"{self.username} could not sign in: ended at {response.geturl()}")
            except urllib.error.HTTPError as error:
                if error.code >= 500 and error.code != 503:
                    raise Bug(f"sign-in answered {error.code}")
                self.stats.add("retry_sign_in")
            except (OSError, http.client.HTTPException):
                self.stats.add("retry_sign_in")
            if time.monotonic() > deadline:
                raise Bug(f"{self.username} could not sign in before the deadline")
            time.sleep(0.1)

    def sign_out(self):
        """The session ends mid-queue: sometimes signed out properly, sometimes its cookie lost."""
        if self.rng.random() < 0.5:
            self.new_session()
            self.stats.add("expire_cookie_lost")
            return
        try:
            page = self.open("/today").read().decode()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            if token is None:
                raise Bug("/today has no sign-out form with a CSRF token")
            self.open("/sign-out", data=urllib.parse.urlencode({"csrf_token": token.group(1)}).encode()).read()
            self.stats.add("expire_signed_out")
        except urllib.error.HTTPError as error:
            if error.code >= 500 and error.code != 503:
                raise Bug(f"sign-out answered {error.code}")
        except (OSError, http.client.HTTPException):
            pass  # cut or server down: the session may or may not have ended; the push will tell
        self.new_session()

    def record(self, count, generated):
        """New visits recorded on the tablet (offline): into the outbox and the list of what must arrive."""
        day = (date.today() - timedelta(days=1)).isoformat()
        for _ in range(count):
            family_id = self.rng.choice(sorted(self.families))
            children = self.families[family_id]
            hour, minute = self.rng.randint(8, 18), self.rng.randint(0, 59)
            overrides = {"visit_time": f"{hour:02d}:{minute:02d}", "duration_minutes": str(self.rng.randint(5, 180)),
                         "analysis": text(self.rng), "actions": text(self.rng, 1, 10),
                         "parent_alcohol_account": text(self.rng, 1, 8)}
            for index in range(len(children)):
                overrides[f"children-{index}-words"] = text(self.rng, 1, 6)
            item = visit_item(family_id, children, day=day, recorded_at=f"{day}T{hour:02d}:{minute:02d}:30",
                              **overrides)
            self.outbox[item["id"]] = item
            generated[item["id"]] = (self.practitioner_id, item)

    def push(self, items, fault=None):
        """(status, body); OSError when the connection was cut or the server is down."""
        body = json.dumps({"device_id": self.device_id, "schema_version": 1, "items": items}).encode()
        headers = {"Content-Type": "application/json", "Origin": self.url}
        if fault:
            headers["X-Fault-Inject"] = fault
        try:
            with self.open("/api/sync/push", data=body, headers=headers) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = {"error": "not_json", "message": raw[:200].decode(errors="replace")}
            if isinstance(answer, dict):
                answer["_headers"] = dict(error.headers.items())
            return error.code, answer

    def settle(self, status, answer, deadline):
        """Act on an answer as the tablet does. Returns True when the answer was a 200."""
        if status == 200:
            for receipt in answer["receipts"]:
                self.stats.add("receipt_" + receipt["status"])
                if receipt["status"] in ("stored", "duplicate"):
                    self.outbox.pop(receipt["id"], None)
                elif receipt["status"] == "rejected":
                    self.stats.problem(f"item {receipt['id']} rejected: {receipt}")
                    self.outbox.pop(receipt["id"], None)
            return True
        if status == 401:
            self.stats.add("answer_401_signed_in_again")
            self.sign_in(deadline)
        elif status == 503:
            self.stats.add("answer_503_disk_full" if self.stats.disk_full else "answer_503_busy")
            if "Retry-After" not in answer.get("_headers", {}):
                self.stats.problem(f"a 503 without Retry-After: {answer}")
            time.sleep(0.2)
        else:
            self.stats.problem(f"push answered {status}: {answer}")
            time.sleep(0.2)
        return False

    def send(self, items, fault, deadline):
        with self.stats.lock:
            self.stats.in_flight += 1
        try:
            status, answer = self.push(items, fault)
        except (OSError, http.client.HTTPException) as error:
            self.stats.add("cut_or_down")
            if os.environ.get("FAULTS_DEBUG"):
                print("cut:", fault, repr(error)[:150], flush=True)
            time.sleep(self.rng.uniform(0.02, 0.2))
            return False
        finally:
            with self.stats.lock:
                self.stats.in_flight -= 1
        if self.settle(status, answer, deadline) and fault is None:
            self.answered.append(items)
        return True

    def flush(self, faults, deadline, attempts=200):
        """Push until the outbox is empty, with faults (or none). An attempt that met a dead server
        (being restarted after a kill) is not counted: the session goes on once the server is back,
        so that sessions are not used up while it is down."""
        while attempts > 0:
            if not self.outbox or time.monotonic() > deadline:
                return
            attempts -= 1
            items = list(self.outbox.values())[:100]
            if not faults:
                if not self.send(items, None, deadline):
                    attempts += 1
                continue
            roll = self.rng.random()
            if roll < 0.06:
                self.stats.fault("expire")
                self.sign_out()
                self.send(items, None, deadline)
            elif roll < 0.14 and len(items) > 1:
                self.stats.fault("reorder")
                self.rng.shuffle(items)
                cut = self.rng.randint(1, len(items) - 1)
                for batch in (items[cut:], items[:cut]):
                    self.send(batch, None, deadline)
            elif roll < 0.22:
                self.stats.fault("duplicate")
                twin = threading.Thread(target=self.send, args=(items, None, deadline))
                twin.start()
                self.send(list(items), None, deadline)
                twin.join()
            elif roll < 0.28 and self.answered:
                self.stats.fault("replay")
                self.send(self.rng.choice(self.answered), None, deadline)
                self.send(items, None, deadline)
            elif roll < 0.58:
                fault = self.rng.choice(PROXY_FAULTS)
                self.stats.fault(fault)
                self.send(items, fault, deadline)
            elif not self.send(items, None, deadline):
                attempts += 1


# -- figures ---------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = Counter()
        self.events = Counter()
        self.problems = []
        self.restart_seconds = 0.0
        self.in_flight = 0  # pushes sent and not yet answered or cut
        self.disk_full = False  # the disk is full just now

    def fault(self, name):
        with self.lock:
            self.faults[name] += 1

    def add(self, name):
        with self.lock:
            self.events[name] += 1

    def problem(self, message):
        with self.lock:
            self.problems.append(message)


# -- the run ----------------------------------------------------------------------------------------

def seeded_database(folder):
    from fieldvisit import create_app
    from fieldvisit.db import connect
    from fieldvisit.demo import seed

    path = folder / "fieldvisit.db"
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "seed", "TESTING": True,
                      "SYNC_PRIVATE_KEY_FILE": str(folder / "seed.pem")})
    db = connect(app.config["DATABASE"])
    try:
        seed(db, PASSWORD)
        assignments = {username: families_of(db, username) for username in USERS}
        seeded = {row[0] for row in db.execute("SELECT id FROM visit_records")}
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path, assignments, seeded


def killer(server, proxy, rng, every, stop, stats):
    """Kill the server at random moments (exponential gaps of mean `every` seconds) and start it again.
    If this thread fails the run fails (a problem), rather than going on quietly without kills."""
    try:
        kill_and_restart(server, proxy, rng, every, stop, stats)
    except Exception as error:
        stats.problem(f"the killer stopped: {error!r}")


def wait_for_a_stored_push(stop, stats, seconds=30):
    """The first kill and the first full disk wait until the devices are signed in and pushing: a disk
    filled before that pauses the sign-ins, and no push could meet it."""
    waited = time.monotonic() + seconds
    while not stats.events["receipt_stored"] and time.monotonic() < waited and not stop.is_set():
        time.sleep(0.01)


def kill_and_restart(server, proxy, rng, every, stop, stats):
    wait_for_a_stored_push(stop, stats)
    while not stop.wait(rng.uniform(0, 0.5) if not stats.faults["kill"] else rng.expovariate(1 / every)):
        caught = False
        if not stats.events["kill_with_a_push_in_flight"]:
            # The first kill comes early and is certain to land in a push: one is held once the server
            # has it (stored or half-way), so even a short run proves that case rather than hoping for it.
            caught = proxy.catch_a_push(10)
        else:
            # Aim at a push: wait (up to 2 s) for one to be on its way, then land anywhere in it.
            waited = time.monotonic() + 2
            while stats.in_flight == 0 and time.monotonic() < waited and not stop.is_set():
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.08))
        with stats.lock:
            mid_push = caught or stats.in_flight > 0
        server.kill()
        proxy.let_go.set()
        stats.fault("kill")
        if mid_push:
            stats.add("kill_with_a_push_in_flight")
        time.sleep(rng.uniform(0, 0.3))  # the devices meet a dead port for a moment
        down = time.monotonic()
        server.start()
        stats.restart_seconds += time.monotonic() - down


def filler(server, rng, every, stop, stats):
    """Fill the disk at random moments (exponential gaps of mean `every` seconds) for 0.3 to 3 seconds,
    then free it. Only connections opened while it is full are limited, as a request opens its own."""
    wait_for_a_stored_push(stop, stats)
    while not stop.wait(0 if not stats.faults["disk_full"] else rng.expovariate(1 / every)):
        stats.fault("disk_full")
        with stats.lock:
            stats.disk_full = True
        server.disk_full_flag.touch()
        stop.wait(rng.uniform(0.3, 3.0))
        # The first full disk comes early and lasts until a push has met it (at most 10 s more), so even
        # a short run proves the 503 answer rather than hoping for it.
        waited = time.monotonic() + 10
        while not stats.events["answer_503_disk_full"] and time.monotonic() < waited and not stop.is_set():
            time.sleep(0.01)
        server.disk_full_flag.unlink(missing_ok=True)
        with stats.lock:
            stats.disk_full = False
    server.disk_full_flag.unlink(missing_ok=True)


def verify(db_path, generated, seeded):
    """(lost, duplicated, altered, integrity) of the central record against what the devices generated."""
    altered = []
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        rows = {row["id"]: row for row in conn.execute("SELECT * FROM visit_records")}
        receipts = Counter(row[0] for row in conn.execute("SELECT item_id FROM sync_receipts WHERE kind = 'visit'"))
        lost = sorted(item_id for item_id in generated if item_id not in rows)
        strangers = set(rows) - set(seeded) - set(generated)
        duplicated = sorted(strangers | {item_id for item_id, n in receipts.items() if n > 1})
        for item_id, (practitioner_id, item) in generated.items():
            row = rows.get(item_id)
            if row is None:
                continue
            fields = {name: values[0] for name, values in item["payload"]["fields"].items()}
            expected = {"family_id": item["payload"]["family_id"], "practitioner_id": practitioner_id,
                        "visit_type": fields["visit_type"], "outcome": fields["outcome"],
                        "duration_minutes": int(fields["duration_minutes"]), "analysis": fields["analysis"],
                        "actions": fields["actions"], "parent_alcohol_account": fields["parent_alcohol_account"]}
            got = {name: row[name] for name in expected}
            if got != expected or not row["happened_at"].startswith(f"{fields['visit_date']}T{fields['visit_time']}"):
                altered.append((item_id, expected, got, row["happened_at"]))
                continue
            children = {r["child_id"]: r["words"] for r in conn.execute(
                "SELECT child_id, words FROM visit_children WHERE visit_id = ?", [item_id])}
            expected_children = {int(fields[f"children-{i}-child_id"]): fields[f"children-{i}-words"]
                                 for i in range(len(children) + 5) if f"children-{i}-child_id" in fields}
            conditions = conn.execute("SELECT count(*) FROM visit_home_conditions WHERE visit_id = ?",
                                      [item_id]).fetchone()[0]
            adults = conn.execute("SELECT count(*) FROM visit_adults WHERE visit_id = ?", [item_id]).fetchone()[0]
            if children != expected_children or conditions != len(HEADINGS) or adults != 1:
                if conditions > len(HEADINGS) or adults > 1:
                    duplicated.append(item_id)
                else:
                    altered.append((item_id, expected_children, children, conditions, adults))
    return lost, duplicated, altered, integrity


def audit_verify(server):
    """Exit status of `fieldvisit audit verify`, or None when the code base has no such command."""
    helped = subprocess.run([sys.executable, "-m", "fieldvisit.cli", "--help"], cwd=ROOT, env=server.env,
                            capture_output=True, text=True)
    if "audit" not in helped.stdout:
        return None
    done = subprocess.run([sys.executable, "-m", "fieldvisit.cli", "audit", "verify"], cwd=ROOT, env=server.env,
                          capture_output=True, text=True)
    if done.returncode:
        print(done.stdout + done.stderr)
    return done.returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=200, help="sync sessions to run (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--devices", type=int, default=4, help="devices syncing at once (default 4)")
    parser.add_argument("--kill-every", type=float, default=6.0,
                        help="mean seconds between SIGKILLs of the server (default 6)")
    parser.add_argument("--disk-full-every", type=float, default=8.0,
                        help="mean seconds between moments the disk is full (default 8; 0: never)")
    parser.add_argument("--max-seconds", type=float, default=600,
                        help="stop starting sessions after this long (default 600)")
    parser.add_argument("--dir", help="keep the database and server log in this folder")
    args = parser.parse_args(argv)

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="fieldvisit-faults-"))
    folder.mkdir(parents=True, exist_ok=True)
    instance = folder / "instance"
    instance.mkdir(exist_ok=True)
    started = time.monotonic()
    db_path, assignments, seeded = seeded_database(folder)
    server = Server(db_path, instance)
    server.start()
    proxy = Proxy(server.port, args.seed)
    stats = Stats()
    generated = {}
    master = random.Random(args.seed)
    stop_killing = threading.Event()
    kills = threading.Thread(target=killer, args=(server, proxy, random.Random(master.random()),
                                                  args.kill_every, stop_killing, stats), daemon=True)
    fills = threading.Thread(target=filler, args=(server, random.Random(master.random()), args.disk_full_every,
                                                  stop_killing, stats), daemon=True)
    counter = {"next": 0}
    counter_lock = threading.Lock()
    end_of_sessions = started + args.max_seconds
    hard_deadline = end_of_sessions + 300

    devices = []
    for n in range(args.devices):
        username = USERS[n % len(USERS)]
        practitioner_id, families = assignments[username]
        devices.append(Device(proxy.url, username, families, practitioner_id, random.Random(master.random()), stats))

    def work(device):
        try:
            device.sign_in(hard_deadline)
            while time.monotonic() < end_of_sessions:
                with counter_lock:
                    if counter["next"] >= args.sessions:
                        return
                    counter["next"] += 1
                with stats.lock:
                    device.record(device.rng.randint(1, 4), generated)
                device.flush(faults=True, deadline=hard_deadline, attempts=device.rng.randint(1, 6))
                stats.add("sessions")
        except Exception as error:  # a Bug, or a fault of this script: either way the run fails
            stats.problem(repr(error))

    workers = [threading.Thread(target=work, args=(device,)) for device in devices]
    kills.start()
    if args.disk_full_every > 0:
        fills.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    stop_killing.set()
    kills.join()
    if fills.is_alive() or fills.ident is not None:
        fills.join()
    # Every tablet comes back to good signal: what is left in the outboxes is sent without faults.
    for device in devices:
        try:
            device.sign_in(hard_deadline)
            device.flush(faults=False, deadline=hard_deadline, attempts=1000)
        except Bug as bug:
            stats.problem(str(bug))
    server.stop()
    proxy.close()
    left = sum(len(device.outbox) for device in devices)
    lost, duplicated, altered, integrity = verify(db_path, generated, seeded)
    audited = audit_verify(server)
    elapsed = time.monotonic() - started

    print(f"sessions: {stats.events['sessions']} (devices {args.devices}, seed {args.seed}, {elapsed:.0f} s)")
    print("faults: " + ", ".join(f"{name} {stats.faults[name]}" for name in
                                 ("kill", "drop_before", "drop_after", "delay", "duplicate", "replay",
                                  "reorder", "expire", "disk_full")))
    print("events: " + ", ".join(f"{name} {n}" for name, n in sorted(stats.events.items()) if name != "sessions"))
    print(f"server restarts took {stats.restart_seconds:.0f} s in all")
    print(f"items: {len(generated)}")
    print(f"left in outboxes: {left}")
    print(f"lost: {len(lost)}")
    print(f"duplicated: {len(duplicated)}")
    print(f"altered: {len(altered)}")
    print(f"integrity_check: {', '.join(integrity)}")
    if audited is None:
        print("audit verify: skipped (this code base has no `fieldvisit audit verify` yet)")
    else:
        print(f"audit verify: exit {audited}")
    for problem in stats.problems[:20]:
        print("problem:", problem)
    for item in (lost[:5] + duplicated[:5] + altered[:5]):
        print("item:", item)
    ok = (not lost and not duplicated and not altered and not stats.problems and left == 0
          and integrity == ["ok"] and audited in (None, 0))
    result = {"sessions": stats.events["sessions"], "faults": dict(stats.faults), "events": dict(stats.events),
              "items": len(generated),
              "lost": len(lost), "duplicated": len(duplicated), "altered": len(altered),
              "problems": list(stats.problems), "left": left, "integrity": integrity, "audit_verify": audited,
              "seconds": elapsed, "ok": ok}
    if not args.dir:
        shutil.rmtree(folder, ignore_errors=True)
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
