"""Server time of the busiest pages at county scale against the small demo, in one run.

Each page is requested --requests times (default 200) as the practitioner who uses it, through
the app in this process (the server's own time: no network), on scratch copies made by the
benchmark: the small demo, and the county (`fieldvisit demo --scale county`, built into the
scratch folder, or copied from --county PATH, which is read only). It prints p50 and p95 per page
on each, and county / small: a page's time should depend on what it shows, not on how many
records the county holds. Each page's queries are also checked with EXPLAIN QUERY PLAN for a
full scan of a large table (tests/query_plans.py).

    python benchmarks/pages.py [--requests 200] [--county PATH]
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PASSWORD, ROOT, copy_into, machine, own_scratch, percentile, remove, scratch_folder, seeded_small  # noqa: E402,E501

from fieldvisit import create_app  # noqa: E402
from fieldvisit.db import connect, keep_open  # noqa: E402
from tests.query_plans import full_scans, traced  # noqa: E402


def pages_of(path):
    """(label, username, url) of the pages measured, on this database."""
    db = connect(path)
    try:
        worker, team = db.execute("SELECT id, team_id FROM practitioners WHERE username = 'demo-worker'").fetchone()
        # The worker's family with the most visits, its eldest child, and that child's figure history.
        family = db.execute(
            "SELECT a.family_id FROM assignments a JOIN visit_records v ON v.family_id = a.family_id"
            " WHERE a.practitioner_id = ? GROUP BY a.family_id ORDER BY count(*) DESC LIMIT 1", [worker]).fetchone()[0]
        child = db.execute("SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth LIMIT 1",
                           [family]).fetchone()[0]
        visits = db.execute("SELECT count(*) FROM visit_records").fetchone()[0]
    finally:
        db.close()
    return visits, [
        ("Today", "demo-worker", "/today"),
        ("a family", "demo-worker", f"/families/{family}"),
        ("a child", "demo-worker", f"/children/{child}"),
        ("body-map history", "demo-worker", f"/children/{child}/body-map-history"),
        ("rota week (worker)", "demo-worker", f"/teams/{team}/rota"),
        ("dashboard (lead)", "demo-lead", "/dashboard"),
        ("rota week (lead)", "demo-lead", f"/teams/{team}/rota"),
    ]


def measure(path, requests):
    path = own_scratch(path)
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "benchmark", "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SYNC_PRIVATE_KEY_FILE": str(path.parent / "key.pem")})
    keep_open(app)  # as `fieldvisit serve` does
    visits, pages = pages_of(path)
    results, clients = {}, {}
    for label, username, url in pages:
        if username not in clients:
            client = app.test_client()
            assert client.post("/sign-in", data={"username": username, "password": PASSWORD}).status_code == 302
            clients[username] = client
        client = clients[username]
        with traced() as statements:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        db = connect(path)
        scans = sorted({table for sql in statements for table, _ in full_scans(db, sql)})
        db.close()
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        results[label] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "bytes": len(response.data),
                          "statements": len(statements), "scans": scans}
    app.extensions["fieldvisit_keeper"].close()
    return visits, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--county", help="a county demo database to copy (read only) instead of building one")
    parser.add_argument("--teams", type=int, default=30, help="teams of the county built (default 30)")
    parser.add_argument("--dir", help="where to make the scratch folder (default: the system's temp folder)")
    args = parser.parse_args(argv)
    print("Pages benchmark:", machine(), flush=True)
    folder = scratch_folder(args.dir)
    try:
        small = seeded_small(folder)
        if args.county:
            county = copy_into(args.county, folder, "county.db")
        else:
            county = folder / "county.db"
            env = dict(os.environ, FIELDVISIT_DB=str(county), FIELDVISIT_INSTANCE=str(folder / "instance"),
                       FIELDVISIT_DEMO_PASSWORD=PASSWORD)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "fieldvisit.cli", "demo", "--scale", "county", "--teams",
                            str(args.teams)], cwd=ROOT, env=env, check=True)
            print(f"  county built in {time.perf_counter() - started:.0f} s", flush=True)
            county = own_scratch(county)
        small_visits, on_small = measure(small, args.requests)
        county_visits, on_county = measure(county, args.requests)
    finally:
        remove(folder)
    print()
    print(f"One run, {args.requests} requests a page, server time in this process (ms). Small demo: "
          f"{small_visits:,} visits; county: {county_visits:,} visits ({county_visits / max(small_visits, 1):,.0f}x).")
    print(f"{'page':<22}{'small p50':>10}{'p95':>8}{'county p50':>12}{'p95':>8}{'county/small p50':>18}"
          f"{'county KB':>11}{'queries':>9}  full scans")
    for label in on_small:
        s, c = on_small[label], on_county[label]
        print(f"{label:<22}{s['p50']:>10.1f}{s['p95']:>8.1f}{c['p50']:>12.1f}{c['p95']:>8.1f}"
              f"{c['p50'] / s['p50']:>17.1f}x{c['bytes'] / 1024:>11.0f}{c['statements']:>9}  "
              f"{', '.join(c['scans']) or 'none'}")
    print("Target: p95 < 50 ms for every page at county scale.")


if __name__ == "__main__":
    main()
