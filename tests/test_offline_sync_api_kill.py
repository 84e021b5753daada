"""A real server killed with SIGKILL in the middle of a push leaves no half-applied item and no
half-applied push (a push is one transaction, sync/engine.py COMMIT_EVERY), and once the device has
sent everything again the central record is the same as after one clean send."""
import random
from contextlib import closing
import shutil
import sqlite3
import threading
import time
import uuid
from datetime import date, timedelta

from fieldvisit import create_app
from fieldvisit.db import connect
from tests.conftest import DEMO_PASSWORD
from tests.sync_fakes import assert_visits_whole, families_of, visit_ids, visit_item
from sync.engine import COMMIT_EVERY
from tests.sync_live import Device, SyncServer

BATCH = 100
BATCHES = 6
KILLS = 3
# Columns holding the server's clock (when it received or raised something), which differ
# between two runs; everything else must be equal.
SERVER_CLOCK_COLUMNS = {"deadline"}
# Sessions and registered devices (issue 14) hold who connected from where (cookies, browsers), not records.
NOT_COMPARED = {"audit_log", "schema_version", "device_secrets", "sessions", "devices"}


def batch_for(db, username, size):
    _, families = families_of(db, username)
    family_ids = sorted(families)
    day = (date.today() - timedelta(days=1)).isoformat()
    return [visit_item(family_ids[n % len(family_ids)], families[family_ids[n % len(family_ids)]], day=day,
                       analysis=f"Visit {n} of the batch.", recorded_at=f"{day}T11:{n % 60:02d}:00")
            for n in range(size)]


def stored_of(path, ids):
    """How many of these items have a receipt, read as any other reader would (WAL). The connection
    is closed at once: a connection left open in this process would keep SQLite from recovering the
    WAL when the next one opens after the kill."""
    with closing(sqlite3.connect(path, timeout=5)) as conn:
        placeholders = ", ".join("?" for _ in ids)
        return conn.execute(f"SELECT count(*) FROM sync_receipts WHERE item_id IN ({placeholders})", ids).fetchone()[0]


def state(path):
    """Every table's rows, without the server's clock columns, in a stable order."""
    db = connect(path)
    try:
        dump = {}
        for table in sorted(set(db.table_names()) - NOT_COMPARED):
            columns = [c.name for c in db[table].columns
                       if not (c.name.endswith("_at") and c.name not in ("recorded_at", "happened_at", "due_at"))
                       and c.name not in SERVER_CLOCK_COLUMNS]
            rows = db.execute(f"SELECT {', '.join(columns)} FROM [{table}]").fetchall()
            dump[table] = (columns, sorted(rows, key=repr))
        return dump
    finally:
        db.close()


def send_in_background(device, batches):
    """Send the batches in order, as a tablet does, until one is not answered."""
    outcome = {"answered": 0}

    def send():
        try:
            for batch in batches:
                device.push(batch)
                outcome["answered"] += 1
        except OSError as error:
            outcome["error"] = error

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, outcome


def test_a_server_killed_mid_push_leaves_nothing_half_applied_and_a_resend_equals_one_clean_send(
        tmp_path, seeded_db_file):
    killed_db, clean_db = tmp_path / "killed.db", tmp_path / "clean.db"
    shutil.copy(seeded_db_file, killed_db)
    shutil.copy(seeded_db_file, clean_db)
    seed = connect(seeded_db_file)
    items = batch_for(seed, "demo-worker", BATCH * BATCHES)
    seeded = visit_ids(seed)
    seed.close()
    batches = [items[start:start + BATCH] for start in range(0, len(items), BATCH)]
    ids = [item["id"] for item in items]
    instance = tmp_path / "instance"
    instance.mkdir()
    server = SyncServer(killed_db, instance).start()
    device = Device(server, str(uuid.uuid4()), timeout=30)
    try:
        device.sign_in("demo-worker")
        stored_at_kill = []
        for _ in range(KILLS):
            before = stored_of(killed_db, ids)
            thread, outcome = send_in_background(device, batches)
            deadline = time.monotonic() + 30
            # Once one more push than before is in, stop the server a moment later, so that it lands
            # anywhere in the next push (checking its items, inside its transaction, committing); then kill it.
            while stored_of(killed_db, ids) <= before and time.monotonic() < deadline:
                time.sleep(0.0005)
            time.sleep(random.uniform(0, 0.06))
            server.freeze()
            server.kill()
            thread.join(30)
            assert outcome["answered"] < BATCHES, "every push finished before the kill"
            db = connect(killed_db)  # opening it recovers the WAL as a restarted server would
            received = assert_visits_whole(db, seeded)
            db.close()
            assert received <= set(ids)
            assert len(received) % COMMIT_EVERY == 0, "a push was half applied"
            stored_at_kill.append(len(received))
            server.start()
        print("stored when killed:", stored_at_kill)
        assert 0 < stored_at_kill[0] and stored_at_kill[-1] < len(items), stored_at_kill
        assert stored_at_kill == sorted(stored_at_kill), "a committed item was lost"
        # The device never saw the receipts of the push the server died in, so it sends everything again.
        statuses = []
        for batch in batches:
            status, answer = device.push(batch)
            assert status == 200
            statuses += [receipt["status"] for receipt in answer["receipts"]]
        # The items stored before the last kill are duplicates, and perhaps one push more: a push whose
        # commit reached the log as the server died is whole and counts, though never acknowledged.
        duplicates = statuses.count("duplicate")
        assert duplicates in (stored_at_kill[-1], stored_at_kill[-1] + COMMIT_EVERY)
        assert statuses == ["duplicate"] * duplicates + ["stored"] * (len(items) - duplicates)
    finally:
        server.stop()

    app = create_app({"DATABASE": str(clean_db), "SECRET_KEY": "test", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SYNC_PRIVATE_KEY_FILE": str(tmp_path / "clean.pem")})
    client = app.test_client()
    client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD})
    for batch in batches:
        clean = client.post("/api/sync/push", json={"device_id": device.device_id, "schema_version": 1, "items": batch})
        assert [r["status"] for r in clean.get_json()["receipts"]] == ["stored"] * BATCH

    killed_state, clean_state = state(killed_db), state(clean_db)
    assert killed_state.keys() == clean_state.keys()
    for table in clean_state:
        assert killed_state[table] == clean_state[table], f"{table} differs from one clean send"
    db = connect(killed_db)
    assert assert_visits_whole(db, seeded) == set(ids)
    db.close()
