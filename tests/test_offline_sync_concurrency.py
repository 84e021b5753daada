"""Twenty devices syncing at once against the real server lose nothing (issue #5).

A peer sync server (Kinto with PostgreSQL) was measured acknowledging items that it then
rolled back under this load. Here 20 client threads, each its own signed-in session,
push overlapping batches of real visit records to `fieldvisit serve`, re-send items
already acknowledged, and drop some acknowledgements on the floor. Each re-sends
whatever it has not seen acknowledged until everything is: then every acknowledged
item is stored exactly once and the counts match.
"""
import random
import shutil
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta

from fieldvisit import access
from fieldvisit.auth.views import find_practitioner
from fieldvisit.db import connect
from tests.sync_fakes import assert_visits_whole, visit_ids, visit_item
from tests.sync_live import Device, SyncServer

DEVICES = 20
POOL = 24          # items each practitioner has in all
PER_DEVICE = 20    # of which each of their devices holds this many (so devices overlap)
MAX_ROUNDS = 80
DEADLINE_SECONDS = 240
LOST_ACK_RATE = 0.2
SIGN_INS = ["demo-worker", "demo-social-worker", "demo-health-visitor", "demo-lead", "priya.example",
            "tom.sample", "grace.specimen", "owen.placeholder", "nia.fictional", "hannah.madeup", "dev.invented"]


def pools(db):
    """username -> the visits that practitioner will record, across the families they may see."""
    day = (date.today() - timedelta(days=1)).isoformat()
    result = {}
    for username in SIGN_INS:
        practitioner_id = db.execute("SELECT id FROM practitioners WHERE username = ?", [username]).fetchone()[0]
        family_ids = sorted(access.visible_family_ids(db, find_practitioner(db, practitioner_id)))
        assert family_ids, f"{username} sees no family"
        items = []
        for n in range(POOL):
            family_id = family_ids[n % len(family_ids)]
            children = [row[0] for row in db.execute("SELECT id FROM children WHERE family_id = ?", [family_id])]
            items.append(visit_item(family_id, children, day=day, analysis=f"{username}, visit {n}.",
                                    recorded_at=f"{day}T09:{n:02d}:00"))
        result[username] = items
    return result


class DeviceRun(threading.Thread):
    """One tablet: signs in, then sends its outbox in random batches until all is acknowledged."""

    def __init__(self, number, server, username, items, start_together):
        super().__init__(daemon=True)
        self.rng = random.Random(number)
        self.server, self.username, self.start_together = server, username, start_together
        self.items = {item["id"]: item for item in items}
        self.outbox = set(self.items)
        self.acknowledged = set()
        self.stored_receipts = Counter()
        self.problems = []
        self.requests = self.busy = self.network_errors = 0

    def run(self):
        try:
            device = Device(self.server, str(uuid.uuid4()), timeout=60)
            device.sign_in(self.username)
            self.start_together.wait(60)
            deadline = time.monotonic() + DEADLINE_SECONDS
            for _ in range(MAX_ROUNDS):
                if not self.outbox or time.monotonic() > deadline:
                    break
                self.send_once(device)
        except Exception as error:  # reported by the test, never swallowed
            self.problems.append(repr(error))

    def send_once(self, device):
        waiting = sorted(self.outbox)
        batch = self.rng.sample(waiting, min(len(waiting), self.rng.randint(1, 6)))
        # Re-send some that were acknowledged already: another tab, a retry after a lost answer.
        batch += self.rng.sample(sorted(self.acknowledged), min(len(self.acknowledged), self.rng.randint(0, 3)))
        self.rng.shuffle(batch)
        self.requests += 1
        try:
            status, body = device.push([self.items[item_id] for item_id in batch])
        except OSError:
            self.network_errors += 1
            time.sleep(self.rng.uniform(0.05, 0.3))
            return
        if status == 503:
            self.busy += 1
            time.sleep(self.rng.uniform(0.1, 0.5))
            return
        if status != 200:
            self.problems.append(f"{status}: {body}")
            return
        receipts = body["receipts"]
        if [receipt["id"] for receipt in receipts] != batch:
            self.problems.append("receipts not one per item, in order")
        for receipt in receipts:
            if receipt["status"] == "stored":
                self.stored_receipts[receipt["id"]] += 1
            elif receipt["status"] != "duplicate":
                self.problems.append(f"{receipt['status']}: {receipt['errors']}")
        if self.rng.random() < LOST_ACK_RATE:
            return  # the answer was lost on the way: the device will send these again
        for receipt in receipts:
            if receipt["status"] in ("stored", "duplicate"):
                self.outbox.discard(receipt["id"])
                self.acknowledged.add(receipt["id"])


def test_twenty_devices_at_once_lose_nothing_and_store_each_item_once(tmp_path, seeded_db_file):
    db_path = tmp_path / "central.db"
    shutil.copy(seeded_db_file, db_path)
    seed = connect(db_path)
    by_username = pools(seed)
    seeded = visit_ids(seed)
    seed.close()
    instance = tmp_path / "instance"
    instance.mkdir()
    server = SyncServer(db_path, instance).start()
    start_together = threading.Barrier(DEVICES)
    runs = []
    for number in range(DEVICES):
        username = SIGN_INS[number % len(SIGN_INS)]
        items = random.Random(1000 + number).sample(by_username[username], PER_DEVICE)
        runs.append(DeviceRun(number, server, username, items, start_together))
    started = time.monotonic()
    try:
        for run in runs:
            run.start()
        for run in runs:
            run.join(DEADLINE_SECONDS + 120)
    finally:
        server.stop()
    elapsed = time.monotonic() - started
    assert not any(run.is_alive() for run in runs), "a device was still sending at the deadline"
    assert [run.problems for run in runs] == [[] for _ in runs]
    assert [sorted(run.outbox) for run in runs] == [[] for _ in runs], "an item was never acknowledged"

    sent = set().union(*(run.items for run in runs))
    acknowledged = set().union(*(run.acknowledged for run in runs))
    assert acknowledged == sent
    stored_receipts = sum((run.stored_receipts for run in runs), Counter())
    assert set(stored_receipts) <= sent and max(stored_receipts.values()) == 1, "an item was stored twice"
    # BEGIN IMMEDIATE and the busy timeout queue the writers: none is turned away under this load.
    assert sum(run.busy for run in runs) == 0, "the central record answered busy"
    if not any(run.network_errors for run in runs):
        assert set(stored_receipts) == sent  # every item was stored once and that receipt was seen

    db = connect(db_path)
    try:
        assert assert_visits_whole(db, seeded) == sent
        assert db.execute("SELECT count(*) FROM visit_records").fetchone()[0] == len(seeded) + len(sent)
        assert db.execute("SELECT count(*) FROM sync_receipts").fetchone()[0] == len(sent)
        assert db.execute("SELECT count(*) FROM sync_conflicts").fetchone()[0] == 0
        authors = dict(db.execute("SELECT item_id, author_id FROM sync_receipts").fetchall())
        for run in runs:
            author_id = db.execute("SELECT id FROM practitioners WHERE username = ?", [run.username]).fetchone()[0]
            assert {authors[item_id] for item_id in run.items} == {author_id}
    finally:
        db.close()
    print(f"\n{DEVICES} devices, {len(sent)} items, {sum(r.requests for r in runs)} pushes, "
          f"{sum(r.busy for r in runs)} busy answers, {sum(r.network_errors for r in runs)} network errors, "
          f"{elapsed:.1f} s")
