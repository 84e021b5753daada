"""Issue 12: a visit record printed on A4, marked OFFICIAL-SENSITIVE; need to know and audited."""
import pytest

from tests.test_access import ROLES, SessionAuth, expected_families


@pytest.mark.parametrize("username", ROLES)
def test_each_role_prints_only_the_visits_of_their_families(client, app, db, username):
    visible = expected_families(db, username)
    SessionAuth(client, app).sign_in(username)
    for visit_id, family_id in db.execute("SELECT id, family_id FROM visit_records ORDER BY id LIMIT 40").fetchall():
        response = client.get(f"/visits/{visit_id}/print")
        assert response.status_code == (200 if family_id in visible else 404), visit_id


def test_the_printed_record_is_marked_and_its_reading_audited(client, app, db):
    SessionAuth(client, app).sign_in("demo-worker")
    visit_id = db.execute(
        "SELECT v.id FROM visit_records v JOIN assignments a ON a.family_id = v.family_id"
        " JOIN practitioners p ON p.id = a.practitioner_id WHERE p.username = 'demo-worker' LIMIT 1").fetchone()[0]
    page = client.get(f"/visits/{visit_id}/print").get_data(as_text=True)
    assert page.count('<p class="fv-marking">OFFICIAL-SENSITIVE</p>') == 2
    assert "Printed " in page and "Sam Demo-Worker" in page
    assert "data-fv-sync" not in page  # no tablet status on paper
    assert f'href="/visits/{visit_id}/print"' in client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM audit_log WHERE route = ? AND action = 'read' AND entity = 'visit'",
                      [f"/visits/{visit_id}/print"]).fetchone()[0] == 1
