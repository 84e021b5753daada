"""A record id sent twice with different content: the lead sees the second copy and records a review."""
import re

from tests.test_visits import first_family_of, full_visit, visit_form


def make_conflict(client, auth):
    auth.sign_in("demo-worker")
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    client.post(f"/families/{family_id}/visits/new", data=full_visit(record_id, child_ids))
    response = client.post(f"/families/{family_id}/visits/new",
                           data=full_visit(record_id, child_ids, analysis="A second, different analysis"))
    assert response.status_code == 409
    auth.sign_out()
    return record_id


def test_lead_sees_the_second_copy_and_reviews_it(client, auth, db):
    record_id = make_conflict(client, auth)
    auth.sign_in("demo-lead")
    assert "sent twice with different content" in client.get("/dashboard").get_data(as_text=True)
    page = client.get("/conflicts").get_data(as_text=True)
    assert "A second, different analysis" in page
    assert f"/visits/{record_id}" in page
    conflict_id = int(re.search(r'/conflicts/(\d+)/review', page).group(1))
    empty = client.post(f"/conflicts/{conflict_id}/review", data={"note": "  "})
    assert empty.status_code == 400 and "Say what you decided" in empty.get_data(as_text=True)
    done = client.post(f"/conflicts/{conflict_id}/review", data={"note": "Asked the worker to amend."})
    assert done.status_code == 302
    assert db.execute("SELECT note FROM conflict_reviews WHERE conflict_id = ?", [conflict_id]).fetchone()[0] \
        == "Asked the worker to amend."
    assert "Reviewed" in client.get("/conflicts").get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM sync_conflicts").fetchone()[0] == 1


def test_only_team_leads_see_conflicts_and_only_their_team(client, auth, db):
    make_conflict(client, auth)
    conflict_id = db.execute("SELECT id FROM sync_conflicts").fetchone()[0]
    auth.sign_in("demo-worker")
    assert client.get("/conflicts").status_code == 404
    auth.sign_out()
    auth.sign_in("hannah.madeup")  # the lead of another team
    assert "None. Every record has arrived once." in client.get("/conflicts").get_data(as_text=True)
    assert client.post(f"/conflicts/{conflict_id}/review", data={"note": "x"}).status_code == 404
    assert db.execute("SELECT count(*) FROM conflict_reviews").fetchone()[0] == 0
