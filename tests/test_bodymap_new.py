"""The body map of a child at a visit saved on a tablet, which the central record may not have yet
(/children/<id>/body-map/new?visit=<the visit's record id>): rendered from the child alone, so the
copy in today's pack works for any visit; redirects to the visit's body map once the visit is on
the central record; a post goes the outbox's way, once."""
import re
import uuid

import pytest

from fieldvisit import records
from tests.test_bodymap_routes import (TODAY, a_bruise, a_visit, baby, count, hv, page_url,  # noqa: F401
                                       practitioner, record_id_of)


def new_url(child_id, visit=None):
    return f"/children/{child_id}/body-map/new" + (f"?visit={visit}" if visit is not None else "")


def context_of(html):
    return re.search(r"data-record-context='([^']*)'", html).group(1)


def as_fields(data):
    return {key: value if isinstance(value, list) else [value] for key, value in data.items()}


# --- the page, before any visit reaches the central record ---------------------------------

def test_the_page_for_a_non_mobile_baby_warns_before_any_mark_is_saved(hv, db, baby):
    html = hv.get(new_url(baby["id"])).get_data(as_text=True)
    assert f"Body map: {baby['first_name']} {baby['last_name']}" in html
    assert f"{baby['first_name']} is not independently mobile" in html
    assert "whatever the explanation, raises an escalation at once" in html
    assert "TEN-4-FACESp" in html and "advisory" in html
    assert "Figure: <strong>Baby</strong> (for" in html and 'name="figure" value="baby"' in html
    # The same mark form as the visit's body map, with the child in its context; the visit comes from the address.
    assert 'data-record-kind="bodymap_mark"' in html and re.search(r'name="record_id" value="[0-9a-f-]{36}"', html)
    assert context_of(html) == f'{{"child_id": {baby["id"]}}}'
    assert '<meta name="fieldvisit-kept-for-any-query" content="yes">' in html
    assert 'src="/static/js/bodymap-new.js"' in html
    assert "data-fv-visit-needed hidden" in html  # shown by the page's script only when the address has no visit
    assert count(db, "body_maps") == 0
    assert ("read", "child", str(baby["id"]), new_url(baby["id"])) in set(db.execute(
        "SELECT action, entity, entity_id, route FROM audit_log").fetchall())


def test_a_visit_the_central_record_has_not_received_is_put_in_the_context(hv, baby):
    visit = str(uuid.uuid4())
    response = hv.get(new_url(baby["id"], visit.upper()))
    assert response.status_code == 200
    assert context_of(response.get_data(as_text=True)) == f'{{"child_id": {baby["id"]}, "visit_id": "{visit}"}}'


def test_a_child_on_a_protection_plan_is_warned_about(hv, db, baby):
    db.execute("UPDATE children SET plan = 'child_protection' WHERE id = ?", [baby["id"]])
    html = hv.get(new_url(baby["id"])).get_data(as_text=True)
    assert "is on a child protection plan. Any injury raises an escalation" in html


def test_a_mobile_older_child_gets_no_non_mobile_warning_and_an_older_figure(client, auth, db):
    hv_id = practitioner(db, "demo-health-visitor")["id"]
    child = list(db.query(
        "SELECT c.* FROM children c JOIN assignments a ON a.family_id = c.family_id WHERE a.practitioner_id = ?"
        " AND c.independently_mobile = 1 AND c.date_of_birth < date('now', '-6 years') LIMIT 1", [hv_id]))[0]
    auth.sign_in("demo-health-visitor")
    html = client.get(new_url(child["id"])).get_data(as_text=True)
    assert "is not independently mobile" not in html and "TEN-4-FACESp" not in html
    assert 'name="figure" value="baby"' not in html


# --- once the visit is on the central record -----------------------------------------------

def test_a_visit_the_central_record_has_redirects_to_its_body_map(hv, db, baby):
    visit_id = a_visit(db, baby["family_id"])
    response = hv.get(new_url(baby["id"], visit_id))
    assert response.status_code == 302 and response.headers["Location"] == page_url(visit_id, baby["id"])
    response = hv.get(new_url(baby["id"], visit_id) + "&figure=toddler")
    assert response.headers["Location"] == page_url(visit_id, baby["id"]) + "?figure=toddler"


def test_another_familys_visit_is_404(hv, db, baby):
    hv_id = practitioner(db, "demo-health-visitor")["id"]
    other_family = db.execute("SELECT family_id FROM assignments WHERE practitioner_id = ? AND family_id != ?"
                              " LIMIT 1", [hv_id, baby["family_id"]]).fetchone()[0]
    other_visit = a_visit(db, other_family)
    assert hv.get(new_url(baby["id"], other_visit)).status_code == 404
    assert hv.post(new_url(baby["id"], other_visit), data=a_bruise(str(uuid.uuid4()))).status_code == 404
    assert count(db, "body_map_marks") == 0


@pytest.mark.parametrize("username", ["demo-worker", "demo-social-worker", "demo-admin"])
def test_a_child_the_practitioner_may_not_see_is_404(client, auth, db, baby, username):
    from fieldvisit.access import can_see_family
    if can_see_family(db, practitioner(db, username), baby["family_id"]):
        pytest.skip(f"{username} is assigned to this family")
    visit_id = a_visit(db, baby["family_id"])
    auth.sign_in(username)
    before = count(db, "audit_log WHERE action = 'read'")
    for url in (new_url(baby["id"]), new_url(baby["id"], str(uuid.uuid4())), new_url(baby["id"], visit_id)):
        assert client.get(url).status_code == 404, url
    assert client.post(new_url(baby["id"], visit_id), data=a_bruise(str(uuid.uuid4()))).status_code == 404
    assert count(db, "body_map_marks") == 0
    assert count(db, "audit_log WHERE action = 'read'") == before  # nothing was read


def test_a_child_who_does_not_exist_is_404(hv):
    assert hv.get(new_url(999999)).status_code == 404


# --- posting a mark --------------------------------------------------------------------------

def test_a_post_ingests_the_mark_once_and_raises_the_escalation(hv, db, baby):
    visit_id = a_visit(db, baby["family_id"])
    record_id = record_id_of(hv.get(new_url(baby["id"])).get_data(as_text=True))
    for _ in range(2):  # the form's own post after the outbox's receipt is a repeat of the same id
        response = hv.post(new_url(baby["id"], visit_id), data=a_bruise(record_id))
        assert response.status_code == 302
        assert response.headers["Location"] == page_url(visit_id, baby["id"]) + "?figure=baby&saved=1#marks"
    assert db.execute("SELECT id, child_id, region FROM body_map_marks").fetchall() == [
        (record_id, baby["id"], "left_cheek")]
    assert count(db, f"sync_receipts WHERE item_id = '{record_id}'") == 1
    assert count(db, "escalations WHERE rule = 'bruise_not_independently_mobile'") == 1
    assert ("write", "bodymap_mark", record_id) in set(db.execute("SELECT action, entity, entity_id FROM audit_log"))


def test_the_outbox_item_and_the_forms_own_post_are_the_same_record(app, hv, db, baby):
    """The client queues {visit_id (from the address), child_id (the page's context), fields}; the post
    that follows its receipt must be a duplicate of it, not a conflict."""
    visit_id = a_visit(db, baby["family_id"])
    record_id = str(uuid.uuid4())
    item = {"id": record_id, "kind": "bodymap_mark", "recorded_at": TODAY + "T00:06",
            "payload": {"child_id": baby["id"], "visit_id": visit_id, "fields": as_fields(a_bruise(record_id))}}
    with app.app_context():
        assert records.ingest(db, item, practitioner(db, "demo-health-visitor"), "/api/sync/push").status == "stored"
    response = hv.post(new_url(baby["id"], visit_id), data=a_bruise(record_id))
    assert response.status_code == 302 and "saved=1" in response.headers["Location"]
    assert count(db, "body_map_marks") == 1 and count(db, "sync_conflicts") == 0


def test_a_mark_for_a_visit_not_yet_received_is_refused_and_nothing_typed_is_lost(hv, db, baby):
    response = hv.post(new_url(baby["id"], str(uuid.uuid4())),
                       data=a_bruise(str(uuid.uuid4()), explanation="Fell against the cot."))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "has not reached the central record" in html and 'href="#visit"' in html
    assert "Fell against the cot." in html and 'value="front/left_cheek" selected' in html
    assert count(db, "body_maps") == count(db, "body_map_marks") == 0


def test_the_sync_api_keeps_a_mark_whose_visit_has_not_arrived_for_its_author(app, db, baby):
    """Sent before its visit (or after the visit was not accepted): rejected with a plain reason, so the
    tablet keeps it under "Needs your attention"; once the visit is in, the same id is stored."""
    record_id = str(uuid.uuid4())
    visit_id = str(uuid.uuid4())
    item = {"id": record_id, "kind": "bodymap_mark", "recorded_at": TODAY + "T00:06",
            "payload": {"child_id": baby["id"], "visit_id": visit_id, "fields": as_fields(a_bruise(record_id))}}
    author = practitioner(db, "demo-health-visitor")
    with app.app_context():
        receipt = records.ingest(db, item, author, "/api/sync/push")
        assert receipt.status == "rejected"
        assert receipt.errors == {"visit_id": records.VISIT_NOT_RECEIVED}
        assert count(db, "body_maps") == 0 and count(db, f"sync_receipts WHERE item_id = '{record_id}'") == 0
        a_visit(db, baby["family_id"], visit_id=visit_id)  # the visit arrives
        assert records.ingest(db, item, author, "/api/sync/push").status == "stored"
    assert count(db, "body_map_marks") == 1


@pytest.mark.parametrize("visit", ["", "nope", "12345", "270db000-7f57-4f8e-b598-7a99fbf1007", "270db0007f574f8eb5987a99fbf10074x",
                                   "../../visits/1"])
def test_a_bad_visit_id_is_refused_plainly(hv, db, baby, visit):
    response = hv.get(new_url(baby["id"], visit))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "does not say which visit the body map is for. Save the visit first" in html
    assert 'data-record-kind="bodymap_mark"' not in html  # no form to fill in for no visit
    response = hv.post(new_url(baby["id"], visit), data=a_bruise(str(uuid.uuid4()), explanation="Bumped it."))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Save the visit first" in html and "Bumped it." in html
    assert count(db, "body_map_marks") == 0


def test_a_post_without_a_visit_is_refused_with_what_was_typed_kept(hv, db, baby):
    response = hv.post(new_url(baby["id"]), data=a_bruise(str(uuid.uuid4()), explanation="Bumped it."))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Save the visit first" in html and "Bumped it." in html
    assert count(db, "body_map_marks") == 0


def test_a_post_with_form_errors_shows_them_with_the_visit_kept(hv, db, baby):
    visit_id = a_visit(db, baby["family_id"])
    response = hv.post(new_url(baby["id"], visit_id), data=a_bruise(str(uuid.uuid4()), length_cm="-2"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the length in centimetres as a number greater than 0" in html
    assert context_of(html) == f'{{"child_id": {baby["id"]}, "visit_id": "{visit_id}"}}'
    assert count(db, "body_map_marks") == 0


def test_the_visit_form_names_its_children_for_the_body_map_links(hv, db, baby):
    """After a visit is saved on the tablet, the saved confirmation links each child seen to this page."""
    html = hv.get(f"/families/{baby['family_id']}/visits/new").get_data(as_text=True)
    assert f'data-child-id="{baby["id"]}" data-child-name="{baby["first_name"]}"' in html
