"""Sync ingest benchmark: items per second for fresh pushes and for duplicate re-sends.

One run, three layers, on a seeded demo database in a temporary folder:
  engine + note   the sync engine alone, with a one-table fake kind (its own overhead)
  engine + visit  the engine with the app's real `visit` applier (form validation, domain, audit)
  HTTP + visit    the same through POST /api/sync/push (Flask test client: JSON, auth, receipts)

Every fresh item is its own durable transaction (synchronous=FULL); a duplicate is recognised
from its receipt without taking the write lock.

    .venv/bin/python benchmarks/sync_ingest.py [--items 500] [--dir PATH]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldvisit import create_app, records  # noqa: E402
from fieldvisit.auth.views import find_practitioner  # noqa: E402
from fieldvisit.db import connect  # noqa: E402
from fieldvisit.demo import seed  # noqa: E402
from sync import MAX_ITEMS  # noqa: E402
from tests.sync_fakes import (apply_note, families_of, note, open_db, prepare,  # noqa: E402
                              visit_item)
from sync import SyncEngine  # noqa: E402

PASSWORD = "benchmark-password"
DEVICE = str(uuid.uuid4())


def batches(items):
    return [items[start:start + MAX_ITEMS] for start in range(0, len(items), MAX_ITEMS)]


def timed(push, items):
    """Items per second pushing `items` in batches of at most MAX_ITEMS, and the statuses seen."""
    statuses = {}
    started = time.perf_counter()
    for batch in batches(items):
        for status in push(batch):
            statuses[status] = statuses.get(status, 0) + 1
    return len(items) / (time.perf_counter() - started), statuses


def visit_items(db, count):
    _, families = families_of(db, "demo-worker")
    family_ids = sorted(families)
    day = (date.today() - timedelta(days=1)).isoformat()
    return [visit_item(family_ids[n % len(family_ids)], families[family_ids[n % len(family_ids)]], day=day)
            for n in range(count)]


def bench_engine_notes(folder, count):
    db = open_db(folder / "notes.db")
    engine = SyncEngine()
    engine.register("note", apply_note)
    prepare(db, engine)
    items = [note(f"note {n} with a few words") for n in range(count)]
    context = {"author_id": 1, "device_id": DEVICE}

    def push(batch):
        return [receipt.status for receipt in engine.push(db, batch, context)]
    fresh, dup = timed(push, items), timed(push, items)
    db.close()
    return fresh, dup


def bench_engine_visits(app, path, count):
    db = connect(path)
    items = visit_items(db, count)
    author = find_practitioner(db, families_of(db, "demo-worker")[0])
    context = {"author_id": author["id"], "author": author, "device_id": DEVICE, "route": "/benchmark"}

    def push(batch):
        return [receipt.status for receipt in records.engine.push(db, batch, context)]
    with app.app_context():
        fresh, dup = timed(push, items), timed(push, items)
    db.close()
    return fresh, dup


def bench_http_visits(app, path, count):
    db = connect(path)
    items = visit_items(db, count)
    db.close()
    client = app.test_client()
    client.post("/sign-in", data={"username": "demo-worker", "password": PASSWORD})

    def push(batch):
        response = client.post("/api/sync/push", json={"device_id": DEVICE, "schema_version": 1, "items": batch})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return [receipt["status"] for receipt in response.get_json()["receipts"]]
    return timed(push, items), timed(push, items)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500, help="fresh items per layer (default 500)")
    parser.add_argument("--dir", help="folder for the temporary databases (default: the system's temp folder)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fieldvisit-bench-", dir=args.dir))
    try:
        path = folder / "central.db"
        app = create_app({"DATABASE": str(path), "SECRET_KEY": "benchmark", "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "SYNC_PRIVATE_KEY_FILE": str(folder / "key.pem")})
        db = connect(path)
        seed(db, PASSWORD)
        db.close()
        results = [("engine + note", bench_engine_notes(folder, args.items)),
                   ("engine + visit", bench_engine_visits(app, path, args.items)),
                   ("HTTP + visit", bench_http_visits(app, path, args.items))]
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"Sync ingest, one run: {args.items} items per layer in batches of {MAX_ITEMS}, "
          f"databases in {folder.parent} ({os.uname().sysname}, {os.cpu_count()} CPUs)")
    print(f"{'layer':<16}{'fresh items/s':>15}{'duplicate items/s':>19}{'duplicate / fresh':>19}")
    for name, ((fresh, fresh_statuses), (dup, dup_statuses)) in results:
        assert fresh_statuses == {"stored": args.items}, fresh_statuses
        assert dup_statuses == {"duplicate": args.items}, dup_statuses
        print(f"{name:<16}{fresh:>15,.0f}{dup:>19,.0f}{dup / fresh:>18.1f}x")
    base = results[0][1][0][0]
    print("fresh visits cost, against the engine alone: "
          + ", ".join(f"{name} {base / fresh:.1f}x" for name, ((fresh, _), _) in results[1:]))


if __name__ == "__main__":
    main()
