"""Sync ingest over real HTTP against the production server, with its ceilings and a peer, in one run.

Each figure is measured in this one run, on scratch copies of the small demo made by the benchmark:
  insert ceiling   sqlite-utils insert_all of the same rows the engine wrote (visit, children, home
                   conditions, adults, receipt, audit line), one transaction per 100 items
  engine alone     records.engine.push in this process (the real `visit` applier), batches of 100
  HTTP, 1 client   POST /api/sync/push to `fieldvisit serve` (waitress), one signed-in client
  HTTP, 20 clients the same items split between 20 signed-in clients sending at once
  re-send          5,000 stored items sent again: every one must be answered `duplicate`
  Kinto            Kinto (memory backend, from its own venv) receiving items of the same size via
                   /v1/batch, 100 requests a batch, 1 client and 20 clients
  100 tablets      100 signed-in clients each pushing a day's work (about 200 items, two batches)
                   at once: batch latency p50/p95/max, errors, total time
Nothing lost or duplicated is checked after each HTTP run (every item stored once).

    python benchmarks/http_ingest.py [--items 5000] [--no-kinto] [--tablets 100]
"""
import argparse
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (Client, Server, copy_into, free_port, machine, own_scratch, percentile, remove,  # noqa: E402
                     scratch_folder, seeded_small)

from fieldvisit import audit, create_app, records  # noqa: E402
from fieldvisit.auth.views import find_practitioner  # noqa: E402
from fieldvisit.db import connect  # noqa: E402
from tests.sync_fakes import families_of, visit_item  # noqa: E402

BATCH = 100
DEVICE = str(uuid.uuid4())
KINTO_VENV = Path("/tmp/kinto-venv")


def visit_items(db, count, username="demo-worker"):
    _, families = families_of(db, username)
    family_ids = sorted(families)
    day = (date.today() - timedelta(days=1)).isoformat()
    return [visit_item(family_ids[n % len(family_ids)], families[family_ids[n % len(family_ids)]], day=day,
                       analysis=f"Visit {n}: home conditions adequate, plan continues.")
            for n in range(count)]


def batches(items, size=BATCH):
    return [items[start:start + size] for start in range(0, len(items), size)]


def stored_once(path, ids):
    db = connect(path)
    try:
        found = db.execute(f"SELECT count(*), count(DISTINCT id) FROM visit_records WHERE id IN "
                           f"(SELECT value FROM json_each(?))", [json.dumps(ids)]).fetchone()
        receipts = db.execute("SELECT count(*) FROM sync_receipts WHERE item_id IN (SELECT value FROM json_each(?))",
                              [json.dumps(ids)]).fetchone()[0]
    finally:
        db.close()
    return found[0] == found[1] == receipts == len(ids), found[0]


# --- the layers -----------------------------------------------------------------------------

def engine_alone(path, items):
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "benchmark", "TESTING": True,
                      "SYNC_PRIVATE_KEY_FILE": str(path.parent / "key.pem")})
    db = connect(path)
    author = find_practitioner(db, families_of(db, "demo-worker")[0])
    context = {"author_id": author["id"], "author": author, "device_id": DEVICE, "route": "/api/sync/push"}
    started = time.perf_counter()
    with app.test_request_context("/api/sync/push"):
        statuses = [r.status for batch in batches(items) for r in records.engine.push(db, batch, context)]
    elapsed = time.perf_counter() - started
    db.close()
    assert statuses == ["stored"] * len(items), set(statuses)
    return len(items) / elapsed


ROW_TABLES = ("visit_records", "visit_children", "visit_home_conditions", "visit_adults", "sync_receipts", "audit_log")


def rows_written(path, ids):
    """The rows the engine wrote for these items, table by table, grouped by item."""
    db = connect(path)
    key = {"visit_records": "id", "visit_children": "visit_id", "visit_home_conditions": "visit_id",
           "visit_adults": "visit_id", "sync_receipts": "item_id", "audit_log": "entity_id"}
    rows = {}
    try:
        for table in ROW_TABLES:
            where = f"{key[table]} IN (SELECT value FROM json_each(?))"
            if table == "audit_log":
                where += " AND action = 'write'"
            found = {}
            for row in db.query(f"SELECT * FROM {table} WHERE {where}", [json.dumps(ids)]):
                row.pop("id", None) if table in ("visit_adults", "audit_log") else None
                if table == "audit_log":  # chained again on insert (the m0036 trigger checks each link)
                    row.pop("prev_hash", None), row.pop("hash", None)
                found.setdefault(row[key[table]], []).append(row)
            rows[table] = found
    finally:
        db.close()
    return rows


def insert_ceiling(path, ids, rows):
    """sqlite-utils insert_all of the same rows into a fresh copy, one transaction per batch of items."""
    db = connect(path)
    started = time.perf_counter()
    for group in batches(ids):
        with db.atomic():
            for table in ROW_TABLES:
                group_rows = [row for item in group for row in rows[table].get(item, [])]
                if table == "audit_log":  # the log is hash-chained: each line carries the one before's hash
                    group_rows = audit.chained(db, group_rows)
                db[table].insert_all(group_rows)
    elapsed = time.perf_counter() - started
    db.close()
    return len(ids) / elapsed


def http_push(server, items, clients, username="demo-worker", batch=BATCH):
    """Items per second through the server with `clients` signed-in clients sending at once, the
    batch latencies, and the errors."""
    sessions = [Client(server.url, str(uuid.uuid4())).sign_in(username) for _ in range(clients)]
    shares = [items[n::clients] for n in range(clients)]
    latencies, errors, statuses, busy = [], [], {}, []
    lock = threading.Lock()

    def send(session, share):
        for group in batches(share, batch):
            started = time.perf_counter()
            status = None
            for attempt in range(20):
                try:
                    status, answer = session.push(group)
                    break
                except urllib.error.HTTPError as error:
                    if error.code != 503:
                        with lock:
                            errors.append(f"HTTP {error.code}")
                        break
                    # As a tablet does: the central record was busy; try again after Retry-After.
                    with lock:
                        busy.append(time.perf_counter() - started)
                    time.sleep(float(error.headers.get("Retry-After", "5")))
                except Exception as error:  # counted, not hidden
                    with lock:
                        errors.append(repr(error)[:200])
                    break
            if status is None:
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(f"HTTP {status}")
                for receipt in answer["receipts"]:
                    statuses[receipt["status"]] = statuses.get(receipt["status"], 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, sessions, shares))
    elapsed = time.perf_counter() - started
    return {"rate": len(items) / elapsed, "elapsed": elapsed, "latencies": latencies, "errors": errors,
            "statuses": statuses, "busy": busy}


# --- Kinto, the peer ------------------------------------------------------------------------

KINTO_INI = """[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.memory
kinto.storage_url =
kinto.cache_backend = kinto.core.cache.memory
kinto.cache_url =
kinto.permission_backend = kinto.core.permission.memory
kinto.permission_url =
kinto.batch_max_requests = 100
kinto.bucket_create_principals = system.Authenticated
multiauth.policies = basicauth
kinto.userid_hmac_secret = benchmark-only-secret

[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}
threads = 8
"""


def kinto(folder, items, clients_list):
    """Items per second Kinto (memory backend) takes through /v1/batch, for each number of clients."""
    python = KINTO_VENV / "bin" / "python"
    if not python.exists():
        print(f"  making {KINTO_VENV} with pip install kinto (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(KINTO_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "kinto"], check=True)
    version = subprocess.run([str(python), "-c", "import kinto; print(kinto.__version__)"], capture_output=True,
                             text=True).stdout.strip()
    results = {}
    for clients in clients_list:
        port = free_port()
        ini = folder / f"kinto-{port}.ini"
        ini.write_text(KINTO_INI.format(port=port))
        log = open(folder / f"kinto-{port}.log", "ab")
        process = subprocess.Popen([str(KINTO_VENV / "bin" / "kinto"), "start", "--ini", str(ini)],
                                   stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("Kinto did not start: see " + str(folder / f"kinto-{port}.log"))
                    time.sleep(0.3)
            import base64
            auth = "Basic " + base64.b64encode(b"tablet:benchmark").decode()

            def call(method, path, body):
                request = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode(),
                                                 headers={"Content-Type": "application/json", "Authorization": auth})
                with urllib.request.urlopen(request, timeout=300) as response:
                    return response.status, json.loads(response.read())
            call("PUT", "/buckets/visits", {"data": {}})
            call("PUT", "/buckets/visits/collections/records", {"data": {}})
            shares = [items[n::clients] for n in range(clients)]
            failures = []

            def send(share):
                for batch in batches(share):
                    status, answer = call("POST", "/batch", {"defaults": {"method": "PUT"}, "requests": [
                        {"path": f"/buckets/visits/collections/records/records/{item['id']}",
                         "body": {"data": {"kind": item["kind"], "recorded_at": item["recorded_at"],
                                           "payload": item["payload"]}}} for item in batch]})
                    failures.extend(r["status"] for r in answer["responses"] if r["status"] not in (200, 201))

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(send, shares))
            elapsed = time.perf_counter() - started
            assert not failures, failures[:5]
            results[clients] = len(items) / elapsed
        finally:
            process.terminate()
            process.wait(20)
            log.close()
    return version, results


# --- the run --------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000, help="visit items per layer (default 5,000)")
    parser.add_argument("--resend", type=int, default=5000, help="stored items sent again (default 5,000)")
    parser.add_argument("--tablets", type=int, default=100, help="tablets pushing a day's work at once (default 100)")
    parser.add_argument("--per-tablet", type=int, default=200,
                        help="items each tablet pushes, in two batches (default 200)")
    parser.add_argument("--no-kinto", action="store_true", help="leave out the Kinto peer")
    parser.add_argument("--dir", help="where to make the scratch folder (default: the system's temp folder)")
    args = parser.parse_args(argv)
    print("Sync ingest benchmark:", machine(), flush=True)
    folder = scratch_folder(args.dir)
    try:
        base = seeded_small(folder, "base.db")
        db = connect(base)
        items = visit_items(db, args.items)
        resend_items = items[:min(args.resend, len(items))]
        tablet_items = visit_items(db, args.tablets * args.per_tablet)
        db.close()
        ids = [item["id"] for item in items]
        out = {}

        engine_db = copy_into(base, folder, "engine.db")
        out["engine"] = engine_alone(engine_db, items)
        print(f"  engine alone: {out['engine']:,.0f} items/s", flush=True)
        rows = rows_written(engine_db, ids)
        out["ceiling"] = insert_ceiling(copy_into(base, folder, "ceiling.db"), ids, rows)
        print(f"  insert ceiling: {out['ceiling']:,.0f} items/s", flush=True)

        one_db = copy_into(base, folder, "one.db")
        with Server(one_db, folder) as server:
            one = http_push(server, items, 1)
            resend = http_push(server, resend_items, 1)
        ok_one, _ = stored_once(one_db, ids)
        print(f"  HTTP 1 client: {one['rate']:,.0f} items/s; re-send {resend['rate']:,.0f}/s", flush=True)

        many_db = copy_into(base, folder, "many.db")
        with Server(many_db, folder) as server:
            many = http_push(server, items, 20)
        ok_many, _ = stored_once(many_db, ids)
        print(f"  HTTP 20 clients: {many['rate']:,.0f} items/s", flush=True)

        tablets_db = copy_into(base, folder, "tablets.db")
        with Server(tablets_db, folder) as server:
            tablets = http_push(server, tablet_items, args.tablets, batch=max(1, (args.per_tablet + 1) // 2))
        ok_tablets, _ = stored_once(tablets_db, [item["id"] for item in tablet_items])
        print(f"  {args.tablets} tablets: {tablets['elapsed']:.1f} s", flush=True)

        kinto_version, kinto_rates = (None, {}) if args.no_kinto else kinto(folder, items, [1, 20])
    finally:
        remove(folder)

    size = len(json.dumps(items[0]))
    print()
    print(f"One run: {args.items:,} visit items of about {size:,} bytes each, batches of {BATCH}.")
    print(f"{'work':<44}{'items/s':>10}   note")
    print(f"{'sqlite-utils insert_all of the same rows':<44}{out['ceiling']:>10,.0f}   the ceiling")
    print(f"{'sync engine alone (real visit applier)':<44}{out['engine']:>10,.0f}   "
          f"ceiling / engine {out['ceiling'] / out['engine']:.1f}x (target within 5x)")
    for name, run, ok, clients in (("HTTP push, 1 client", one, ok_one, 1), ("HTTP push, 20 clients", many, ok_many, 20)):
        lat = run["latencies"]
        note = (f"batch p50 {percentile(lat, 50) * 1000:,.0f} ms, p95 {percentile(lat, 95) * 1000:,.0f} ms; "
                f"errors {len(run['errors'])}; each stored once: {ok}")
        if clients in kinto_rates:
            note += f"; Fieldvisit / Kinto {run['rate'] / kinto_rates[clients]:.2f}x"
        print(f"{name:<44}{run['rate']:>10,.0f}   {note}")
    print(f"{'re-send of stored items, 1 client':<44}{resend['rate']:>10,.0f}   "
          f"statuses {resend['statuses']}")
    for clients, rate in kinto_rates.items():
        print(f"{f'Kinto {kinto_version} memory, /v1/batch, {clients} client(s)':<44}{rate:>10,.0f}")
    lat = tablets["latencies"]
    print(f"{args.tablets} tablets at once, {len(tablet_items):,} items in {len(lat)} batches: total "
          f"{tablets['elapsed']:.1f} s, batch p50 {percentile(lat, 50) * 1000:,.0f} ms, p95 "
          f"{percentile(lat, 95) * 1000:,.0f} ms, max {max(lat) * 1000:,.0f} ms, errors {len(tablets['errors'])}, "
          f"each stored once: {ok_tablets}")
    for name, run in (("1 client", one), ("20 clients", many), (f"{args.tablets} tablets", tablets)):
        if run["busy"]:
            print(f"  {name}: {len(run['busy'])} answers 503 busy (write lock not had within the busy timeout), "
                  "sent again after Retry-After as a tablet does; latencies include the wait")
    if tablets["errors"] or one["errors"] or many["errors"]:
        print("errors:", (one["errors"] + many["errors"] + tablets["errors"])[:5])


if __name__ == "__main__":
    main()
