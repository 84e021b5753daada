"""Issue 12: find a family by surname, a child's name, address or postcode, over the families
I may see only; the families found are audited as read."""
import re

from tests.test_access import SessionAuth, expected_families


def listed(client, query, kept_too=False):
    """The families the central search found; with kept_too, also those of the page's no-signal
    index (the families the tablet keeps, static/js/search.js), which the page holds as well."""
    page = client.get("/families", query_string={"q": query}).get_data(as_text=True)
    if not kept_too:
        page = re.sub(r"<div data-fv-family-found hidden>.*?</ul>\s*</div>", "", page, flags=re.S)
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
    found = listed(client, "household", kept_too=True)  # every family the page holds is audited as read
    after = db.execute("SELECT count(*) FROM audit_log WHERE route = '/families'").fetchone()[0]
    assert after - before == len(found) > 0 and listed(client, "household")
    for query in ("%", "_", "' OR 1=1 --", "x" * 500, "\\"):
        response = client.get("/families", query_string={"q": query})
        assert response.status_code == 200
        assert listed(client, query) <= expected_families(db, "demo-worker")
    assert "0 families found" in client.get("/families?q=zzzz-nobody").get_data(as_text=True)


def test_a_worker_finds_a_family_by_the_case_systems_reference(client, app, db):
    SessionAuth(client, app).sign_in("demo-worker")
    mine = expected_families(db, "demo-worker")
    family_id, reference = db.execute(
        f"SELECT id, case_reference FROM families WHERE case_reference IS NOT NULL AND id IN ({','.join('?' * len(mine))})"
        " ORDER BY id LIMIT 1", sorted(mine)).fetchone()
    assert listed(client, reference) == {family_id}
    assert family_id in listed(client, reference.lower())
    # The family page shows it, so the tablet's kept copy may be searched by it.
    assert f"Case reference {reference}" in client.get(f"/families/{family_id}").get_data(as_text=True)


def test_the_no_signal_index_holds_only_the_kept_families_and_what_their_pages_show(client, app, db):
    from fieldvisit.offline.api import today_pack
    from datetime import date
    SessionAuth(client, app).sign_in("demo-worker")
    worker = db.execute("SELECT * FROM practitioners WHERE username = 'demo-worker'").fetchone()
    worker = dict(zip([d[0] for d in db.execute("SELECT * FROM practitioners LIMIT 0").description], worker))
    with app.test_request_context():
        kept, _ = today_pack(db, worker, date.today())
    assert kept
    for url in ("/today", "/families"):
        page = client.get(url).get_data(as_text=True)
        index = re.search(r"<div data-fv-family-found hidden>(.*?)</ul>\s*</div>", page, re.S).group(1)
        assert [int(i) for i in re.findall(r'href="/families/(\d+)"', index)] and \
            {int(i) for i in re.findall(r'href="/families/(\d+)"', index)} == set(kept), url
        for family_id in kept:
            family_page = client.get(f"/families/{family_id}").get_data(as_text=True)
            text = re.search(rf'<li data-fv-search="([^"]*)"><a class="govuk-link fv-big-link" href="/families/{family_id}"',
                             index).group(1)
            shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", family_page)).lower()
            for word in text.split():  # every word searched is on the kept family page
                assert word in shown or word in shown.replace(" ", ""), (family_id, word)
