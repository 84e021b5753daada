"""Issue 12: find a family by surname, a child's name, address or postcode, over the families
I may see only; the families found are audited as read."""
import re

from tests.test_access import SessionAuth, expected_families


def listed(client, query):
    page = client.get("/families", query_string={"q": query}).get_data(as_text=True)
    return {int(i) for i in re.findall(r'href="/families/(\d+)"', page)}


def test_a_worker_finds_their_family_by_surname_child_address_and_postcode(client, app, db):
    SessionAuth(client, app).sign_in("demo-worker")
    mine = expected_families(db, "demo-worker")
    family_id = min(mine)
    name, address, postcode = db.execute("SELECT name, address, postcode FROM families WHERE id = ?",
                                         [family_id]).fetchone()
    child = db.execute("SELECT first_name FROM children WHERE family_id = ? LIMIT 1", [family_id]).fetchone()[0]
    surname = name.split()[0]
    for query in (surname, surname.lower(), child, postcode, postcode.replace(" ", ""), address.split(",")[0]):
        found = listed(client, query)
        assert family_id in found, query
        assert found <= mine, query  # never a family I may not see


def test_a_family_i_may_not_see_is_never_found(client, app, db):
    SessionAuth(client, app).sign_in("demo-worker")
    mine = expected_families(db, "demo-worker")
    other = db.execute(f"SELECT id, name, postcode FROM families WHERE id NOT IN ({','.join('?' * len(mine))}) LIMIT 1",
                       sorted(mine)).fetchone()
    assert other[0] not in listed(client, other[1].split()[0])
    assert other[0] not in listed(client, other[2])


def test_the_families_found_are_audited_and_odd_input_is_harmless(client, app, db):
    SessionAuth(client, app).sign_in("demo-worker")
    before = db.execute("SELECT count(*) FROM audit_log WHERE route = '/families'").fetchone()[0]
    found = listed(client, "household")
    after = db.execute("SELECT count(*) FROM audit_log WHERE route = '/families'").fetchone()[0]
    assert after - before == len(found) > 0
    for query in ("%", "_", "' OR 1=1 --", "x" * 500, "\\"):
        response = client.get("/families", query_string={"q": query})
        assert response.status_code == 200
        assert listed(client, query) <= expected_families(db, "demo-worker")
    assert "0 families found" in client.get("/families?q=zzzz-nobody").get_data(as_text=True)
