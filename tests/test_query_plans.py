"""Every query of the busiest pages is backed by an index (issue 13): EXPLAIN QUERY PLAN on each
statement a page runs must never read a large table whole, so a page's time depends on what it
shows, not on how many records the county holds."""
import pytest

from fieldvisit import cli, create_app
from fieldvisit.db import connect
from tests.query_plans import LARGE_TABLES, full_scans, traced


def pages(db):
    worker, team = db.execute("SELECT id, team_id FROM practitioners WHERE username = 'demo-worker'").fetchone()
    family = db.execute("SELECT a.family_id FROM assignments a JOIN visit_records v ON v.family_id = a.family_id"
                        " WHERE a.practitioner_id = ? ORDER BY a.family_id LIMIT 1", [worker]).fetchone()[0]
    child = db.execute("SELECT id FROM children WHERE family_id = ? ORDER BY id LIMIT 1", [family]).fetchone()[0]
    visit = db.execute("SELECT id FROM visit_records WHERE family_id = ? ORDER BY happened_at DESC LIMIT 1",
                       [family]).fetchone()[0]
    return {
        "demo-worker": ["/today", f"/families/{family}", f"/children/{child}", "/rota", f"/teams/{team}/rota",
                        f"/children/{child}/body-map-history", f"/visits/{visit}", f"/families/{family}/rota",
                        "/api/sync/pack"],
        "demo-lead": ["/dashboard", f"/teams/{team}/rota", f"/families/{family}"],
    }


def scans_of_pages(app, client, sign_in):
    """(statements checked, full scans found) over the pages of `pages`, each user signed in in turn."""
    db = connect(app.config["DATABASE"])
    try:
        checked, scans = 0, []
        for username, urls in pages(db).items():
            sign_in(username)
            for url in urls:
                with traced() as statements:
                    response = client.get(url, follow_redirects=True)
                assert response.status_code == 200, url
                assert statements, url
                for sql in statements:
                    checked += 1
                    scans.extend((url, table, detail, sql[:300]) for table, detail in full_scans(db, sql))
            client.post("/sign-out")
        return checked, scans
    finally:
        db.close()


def test_no_page_reads_a_large_table_whole(app, client, auth):
    checked, scans = scans_of_pages(app, client, auth.sign_in)
    assert checked > 100
    assert not scans, "\n".join(f"{url}: {detail} ({table}) in {sql}" for url, table, detail, sql in scans)


def test_no_page_reads_a_large_table_whole_on_county_shaped_data(tmp_path, monkeypatch):
    """The same pages on a two-team county (`fieldvisit demo --scale county --teams 2`: three years of
    visits, marks, rota and audit lines, analysed as the county build leaves it), where SQLite's planner
    chooses its plans from the statistics of county-shaped tables, not from a demo's few rows."""
    password = "county-plans-123"
    monkeypatch.setenv("FIELDVISIT_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("FIELDVISIT_DB", str(tmp_path / "county.db"))
    monkeypatch.setenv("FIELDVISIT_DEMO_PASSWORD", password)
    assert cli.main(["demo", "--scale", "county", "--teams", "2"]) == 0
    app = create_app({"DATABASE": str(tmp_path / "county.db"), "SECRET_KEY": "test", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    db = connect(app.config["DATABASE"])
    visits = db.execute("SELECT count(*) FROM visit_records").fetchone()[0]
    db.close()
    assert visits > 1000
    checked, scans = scans_of_pages(
        app, client, lambda username: client.post("/sign-in", data={"username": username, "password": password}))
    assert checked > 100
    assert not scans, "\n".join(f"{url}: {detail} ({table}) in {sql}" for url, table, detail, sql in scans)


@pytest.mark.parametrize("sql, table", [
    ("SELECT * FROM visit_records v WHERE v.outcome = 'completed'", "visit_records"),
    ("SELECT count(*) FROM audit_log", "audit_log"),
    ("SELECT c.id FROM children c JOIN visit_children vc ON vc.seen = c.independently_mobile", "visit_children"),
])
def test_the_check_finds_a_full_scan(db, sql, table):
    assert table in LARGE_TABLES
    assert table in [found for found, _ in full_scans(db, sql)]


def test_the_check_passes_an_indexed_search(db):
    assert full_scans(db, "SELECT * FROM visit_records WHERE family_id = 1 ORDER BY happened_at DESC LIMIT 3") == []


def test_a_scan_of_a_small_table_is_not_taken_for_a_large_one_of_the_same_alias(db):
    # The rota's query has agencies `a` and, in a subquery, assignments `a`: the plan's index names
    # the table (found a year ahead, when the county's rota week was empty and the plan changed).
    sql = ("SELECT a.name FROM agencies a WHERE a.id IN (SELECT 1) OR EXISTS"
           " (SELECT 1 FROM assignments a WHERE a.family_id = 1)")
    assert [table for table, _ in full_scans(db, sql)] == []
