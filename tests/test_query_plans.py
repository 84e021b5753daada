"""Every query of the busiest pages is backed by an index (issue 13): EXPLAIN QUERY PLAN on each
statement a page runs must never read a large table whole, so a page's time depends on what it
shows, not on how many records the county holds."""
import pytest

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


def test_no_page_reads_a_large_table_whole(app, client, auth):
    db = connect(app.config["DATABASE"])
    try:
        checked, scans = 0, []
        for username, urls in pages(db).items():
            auth.sign_in(username)
            for url in urls:
                with traced() as statements:
                    response = client.get(url, follow_redirects=True)
                assert response.status_code == 200, url
                assert statements, url
                for sql in statements:
                    checked += 1
                    scans.extend((url, table, detail, sql[:300]) for table, detail in full_scans(db, sql))
            auth.sign_out()
        assert checked > 100
        assert not scans, "\n".join(f"{url}: {detail} ({table}) in {sql}" for url, table, detail, sql in scans)
    finally:
        db.close()


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
