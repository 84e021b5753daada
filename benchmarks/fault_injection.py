"""Fault injection: randomized sync sessions against the real server, with faults (issue 14, item 7).

The real `fieldvisit serve` runs in its own process on a seeded demo database (loopback only).
Devices, each with an outbox, send visit records in randomized sessions while faults are injected:

  kill         the server is killed with SIGKILL at a random moment of a push, then restarted
  drop_before  the connection is given up before any answer (the push may or may not have arrived)
  drop_after   the answer arrives but the device loses it (it must send the items again)
  delay        the device waits before sending
  duplicate    the same batch is sent twice in a row
  reorder      the outbox is sent in a shuffled order, in batches of random size
  expire       the session is ended on the server in the middle of the queue (401, sign in, send again)

An item leaves a device's outbox only on a `stored` or `duplicate` receipt, as on the tablets.
At the end every outbox is drained without faults and the central record is checked: every item
is stored exactly once with its content, nothing else was stored, PRAGMA integrity_check passes
and the audit chain verifies. Not injected: a full disk (a session cannot make a small file
system here without root tools), documented in docs/security.md.

    .venv/bin/python benchmarks/fault_injection.py [--sessions 10000] [--seed 1] [--dir PATH]

Prints the figures, one per line, and exits 1 if anything was lost or duplicated.
"""
import argparse
import http.client
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldvisit import audit, create_app  # noqa: E402
from fieldvisit.db import connect  # noqa: E402
from fieldvisit.demo import seed  # noqa: E402
from tests.sync_fakes import assert_visits_whole, families_of, visit_ids, visit_item  # noqa: E402
from tests.sync_live import Device, SyncServer  # noqa: E402

PASSWORD = "fault-injection-password"
FAULTS = ("kill", "drop_before", "drop_after", "delay", "duplicate", "reorder", "expire")
USERS = ("demo-worker", "demo-social-worker", "demo-health-visitor")


class FaultyDevice(Device):
    """A tablet: its own cookies, device id and outbox (item id -> item)."""

    def __init__(self, server, username):
        super().__init__(server, str(uuid.uuid4()), timeout=30)
        self.username, self.outbox, self.signed_in = username, {}, False

    def ensure_signed_in(self):
        if not self.signed_in:
            self.sign_in(self.username, PASSWORD)
            self.signed_in = True

    def send(self, batch, timeout=None):
        """Push a batch; take its receipts off the outbox. (status or None when no answer)."""
        saved = self.timeout
        self.timeout = timeout or saved
        try:
            status, answer = self.push(batch)
        except (OSError, http.client.HTTPException, ValueError):
            return None  # no answer, or one cut off (the server was killed while answering)
        finally:
            self.timeout = saved
        if status == 401:
            self.signed_in = False
        if status == 200:
            for receipt in answer["receipts"]:
                if receipt["status"] in ("stored", "duplicate"):
                    self.outbox.pop(receipt["id"], None)
                elif receipt["status"] == "rejected":
                    raise AssertionError(f"an item was rejected: {receipt}")
        return status


def make_items(db, username, count, rng):
    _, families = families_of(db, username)
    family_ids = sorted(families)
    day = (date.today() - timedelta(days=1)).isoformat()
    items = {}
    for _ in range(count):
        family_id = rng.choice(family_ids)
        token = uuid.uuid4().hex[:12]
        item = visit_item(family_id, families[family_id], day=day, duration_minutes=str(rng.randint(5, 180)))
        for key in item["payload"]["fields"]:
            if key.endswith("-words"):
                item["payload"]["fields"][key] = [f"said {token}"]
        items[item["id"]] = item
    return items


def expire_sessions(db_path, username):
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        conn.execute("UPDATE sessions SET ended_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'),"
                     " ended_why = 'signed_out' WHERE ended_at IS NULL AND practitioner_id ="
                     " (SELECT id FROM practitioners WHERE username = ?)", [username])
        conn.commit()
    finally:
        conn.close()


def kill_soon(server, rng, counts):
    def kill():
        time.sleep(rng.uniform(0, 0.05))
        if server.process is not None:
            server.kill()
            counts["kill"] += 1
    thread = threading.Thread(target=kill)
    thread.start()
    return thread


def one_session(server, device, rng, counts, db_path):
    """Sign in if needed, then send the outbox in a random order and batches, with a random fault."""
    if not device.outbox:
        return
    if server.process is None:
        server.start()
    device.ensure_signed_in()
    fault = rng.choice(FAULTS + ("none",) * 3)
    pending = list(device.outbox.values())
    if fault == "reorder":
        rng.shuffle(pending)
        counts["reorder"] += 1
    size = rng.randint(1, 20)
    batches = [pending[start:start + size] for start in range(0, len(pending), size)]
    for number, batch in enumerate(batches):
        if fault == "delay" and number == 0:
            time.sleep(rng.uniform(0, 0.2))
            counts["delay"] += 1
        if fault == "expire" and number == len(batches) // 2:
            expire_sessions(db_path, device.username)
            counts["expire"] += 1
        if fault == "kill" and number == 0:
            killer = kill_soon(server, rng, counts)
            device.send(batch, timeout=5)
            killer.join()
            server.start()
            return
        if fault == "drop_before" and number == 0:
            device.send(batch, timeout=rng.uniform(0.001, 0.02))  # gives up, answered or not
            counts["drop_before"] += 1
            continue
        if fault == "drop_after" and number == 0:
            saved = dict(device.outbox)
            status = device.send(batch)
            device.outbox = saved  # the answer was lost on the way: everything is still queued
            counts["drop_after"] += status == 200
            continue
        status = device.send(batch)
        if fault == "duplicate" and number == 0:
            device.send(batch)
            counts["duplicate"] += 1
        if status == 401:
            device.ensure_signed_in()
            device.send(batch)


def check(db_path, items, seeded):
    """(lost, duplicated, wrong content) against the central record; raises if it is not whole."""
    db = connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count, problem = audit.verify(db)
        assert problem is None, f"the audit chain is broken at entry {problem}"
        assert_visits_whole(db, seeded)
        stored = Counter(row[0] for row in db.execute("SELECT id FROM visit_records"))
        lost = sum(1 for item_id in items if stored[item_id] == 0)
        duplicated = sum(stored[item_id] - 1 for item_id in items if stored[item_id] > 1)
        extra = sum(1 for item_id in stored if item_id not in items and item_id not in seeded)
        wrong = 0
        for item_id, item in items.items():
            row = db.execute("SELECT v.duration_minutes, vc.words FROM visit_records v JOIN visit_children vc"
                             " ON vc.visit_id = v.id WHERE v.id = ? ORDER BY vc.rowid LIMIT 1", [item_id]).fetchone()
            fields = item["payload"]["fields"]
            words = next(value[0] for key, value in fields.items() if key.endswith("-words"))
            if row is not None and (str(row[0]), row[1]) != (fields["duration_minutes"][0], words):
                wrong += 1
        return lost, duplicated + extra, wrong, count
    finally:
        db.close()


def run(sessions, rng_seed, workdir, devices_count=4, items_per_device=None):
    rng = random.Random(rng_seed)
    workdir = Path(workdir)
    instance = workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "fault.db"
    app = create_app({"DATABASE": str(db_path), "SECRET_KEY": "fault-injection", "TESTING": True})
    db = connect(app.config["DATABASE"])
    seed(db, PASSWORD)
    seeded = visit_ids(db)
    per_device = items_per_device or max(5, sessions // devices_count // 3)
    server = SyncServer(db_path, instance).start()
    counts = Counter()
    devices, items = [], {}
    try:
        for number in range(devices_count):
            device = FaultyDevice(server, USERS[number % len(USERS)])
            device.outbox = make_items(db, device.username, per_device, rng)
            items.update(device.outbox)
            devices.append(device)
        db.close()
        started = time.monotonic()
        for _ in range(sessions):
            device = rng.choice(devices)
            if rng.random() < 0.3:  # new records saved on the tablet meanwhile
                new = make_items(connect(db_path), device.username, rng.randint(1, 3), rng)
                device.outbox.update(new)
                items.update(new)
            one_session(server, device, rng, counts, db_path)
            counts["sessions"] += 1
        if server.process is None:
            server.start()
        for device in devices:  # the outboxes drain, no faults
            for _ in range(50):
                if not device.outbox:
                    break
                device.ensure_signed_in()
                device.send(list(device.outbox.values())[:50])
        left = sum(len(device.outbox) for device in devices)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    lost, duplicated, wrong, audit_entries = check(db_path, items, seeded)
    return {"sessions": counts["sessions"], **{f"faults_{name}": counts[name] for name in FAULTS},
            "items": len(items), "left_in_outboxes": left, "lost": lost, "duplicated": duplicated,
            "wrong_content": wrong, "integrity_check": "ok", "audit_entries_verified": audit_entries,
            "seconds": round(elapsed, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", help="work in this folder (kept) instead of a temporary one")
    args = parser.parse_args(argv)
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="fieldvisit-faults-"))
    try:
        figures = run(args.sessions, args.seed, workdir)
    finally:
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 1 if figures["lost"] or figures["duplicated"] or figures["wrong_content"] or figures["left_in_outboxes"] else 0


if __name__ == "__main__":
    sys.exit(main())
