"""Records as items: the visit and amendment appliers that the HTML routes and the sync API
share (fieldvisit/records.py). Each item is applied once; a bad one is rejected whole,
with errors a practitioner can act on, and stores nothing."""
import uuid

import pytest
from werkzeug.datastructures import MultiDict

from fieldvisit import records
from fieldvisit.visits.forms import VisitRecordForm
from sync.engine import read_only
from tests.clock import days_ago, iso
from tests.test_visits import VISIT_DATE, first_family_of, full_visit, visit_form

ROUTE = "/api/sync/push"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def practitioner(db, username):
    row = dict(next(db.query(
        "SELECT p.*, t.agency_id FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id WHERE username = ?",
        [username])))
    return row


def family_of(db, username, visible=True):
    me = practitioner(db, username)
    sql = ("SELECT family_id FROM assignments WHERE practitioner_id = ? ORDER BY family_id" if visible else
           "SELECT id FROM families WHERE id NOT IN (SELECT family_id FROM assignments WHERE practitioner_id = ?)"
           " ORDER BY id")
    family_id = db.execute(sql, [me["id"]]).fetchone()[0]
    children = [str(row[0]) for row in db.execute(
        "SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id])]
    return family_id, children


def as_fields(data):
    return {name: [value] for name, value in data.items()}


def visit_item(family_id, children, record_id=None, **overrides):
    record_id = record_id or str(uuid.uuid4())
    return {"id": record_id, "kind": "visit", "recorded_at": f"{VISIT_DATE}T11:30:00",
            "payload": {"family_id": family_id, "fields": as_fields(full_visit(record_id, children, **overrides))}}


def count(db, table, where="1", params=()):
    return db.execute(f"SELECT count(*) FROM {table} WHERE {where}", list(params)).fetchone()[0]


def ingest(db, item, username="demo-worker"):
    return records.ingest(db, item, practitioner(db, username), ROUTE, device_id="tablet-1")


# --- visits ---------------------------------------------------------------------------------

def test_a_visit_item_is_stored_with_a_receipt_and_an_audit_line(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children)
    receipt = ingest(db, item)
    assert (receipt.status, receipt.ref, receipt.errors) == ("stored", item["id"], {})
    stored = dict(next(db.query("SELECT * FROM visit_records WHERE id = ?", [item["id"]])))
    me = practitioner(db, "demo-worker")
    assert (stored["family_id"], stored["practitioner_id"], stored["agency_id"], stored["visit_type"],
            stored["happened_at"], stored["duration_minutes"], stored["outcome"], stored["recorded_at"]) == \
        (family_id, me["id"], me["agency_id"], "unannounced", f"{VISIT_DATE}T10:30", 45, "completed",
         f"{VISIT_DATE}T11:30:00")
    assert stored["parent_alcohol_account"] == "Says she does not drink at all."
    assert count(db, "visit_children", "visit_id = ? AND seen = 1 AND seen_alone = 0 AND bedroom_seen = 1",
                 [item["id"]]) == len(children)
    assert count(db, "visit_adults", "visit_id = ?", [item["id"]]) == 2
    assert count(db, "visit_home_conditions", "visit_id = ?", [item["id"]]) == 7
    assert db.execute("SELECT author_id, device_id, kind FROM sync_receipts WHERE item_id = ?",
                      [item["id"]]).fetchone() == (me["id"], "tablet-1", "visit")
    assert db.execute("SELECT practitioner_id, action, entity, entity_id, route FROM audit_log"
                      " WHERE entity_id = ?", [item["id"]]).fetchall() == [(me["id"], "write", "visit", item["id"], ROUTE)]


def test_the_same_item_twice_is_stored_once(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children)
    assert ingest(db, item).status == "stored"
    again = ingest(db, item)
    assert (again.status, again.ref) == ("duplicate", item["id"])
    assert count(db, "visit_records", "id = ?", [item["id"]]) == 1
    assert count(db, "visit_children", "visit_id = ?", [item["id"]]) == len(children)


def test_the_same_id_with_different_content_is_a_conflict_kept_for_review(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children)
    ingest(db, item)
    changed = visit_item(family_id, children, record_id=item["id"], analysis="Something else")
    receipt = ingest(db, changed)
    assert receipt.status == "conflict"
    assert db.execute("SELECT analysis FROM visit_records WHERE id = ?", [item["id"]]).fetchone()[0] == \
        "Mismatch between the bottles and the account."
    assert count(db, "sync_conflicts", "item_id = ?", [item["id"]]) == 1


def test_a_visit_posted_online_and_replayed_from_the_outbox_is_stored_once(client, auth, db, app):
    """The page's post and the offline client's item carry the same payload, so a replay
    after a lost answer is recognised as the same record."""
    auth.sign_in("demo-worker")
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids)
    assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302
    replay = {"id": record_id, "kind": "visit", "recorded_at": f"{VISIT_DATE}T11:35:00",
              "payload": {"family_id": family_id, "fields": as_fields(data)}}
    with app.app_context():
        receipt = ingest(db, replay)
    assert (receipt.status, receipt.ref) == ("duplicate", record_id)
    assert count(db, "visit_records", "id = ?", [record_id]) == 1


@pytest.mark.parametrize("family_id", ["12", True, None, 2 ** 63, 2 ** 70, -1, 0, 999999, [1], {"id": 1}])
def test_a_family_id_that_is_not_one_of_mine_is_rejected(ctx, db, family_id):
    _, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children)
    before = count(db, "visit_records")
    receipt = ingest(db, item)
    assert receipt.status == "rejected"
    assert receipt.errors == {"family_id": records.NOT_YOURS}
    assert count(db, "visit_records") == before
    assert count(db, "sync_receipts", "item_id = ?", [item["id"]]) == 0


def test_another_teams_family_is_rejected_with_the_same_words_as_one_that_does_not_exist(ctx, db):
    family_id, children = family_of(db, "demo-worker", visible=False)
    before = count(db, "visit_records", "family_id = ?", [family_id])
    item = visit_item(family_id, children)
    receipt = ingest(db, item)
    assert receipt.status == "rejected" and receipt.errors == {"family_id": records.NOT_YOURS}
    assert count(db, "visit_records", "family_id = ?", [family_id]) == before
    assert count(db, "visit_records", "id = ?", [item["id"]]) == 0


def test_an_admin_cannot_send_records(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    receipt = ingest(db, visit_item(family_id, children), username="demo-admin")
    assert receipt.status == "rejected"


@pytest.mark.parametrize("fields, error_key", [
    (None, "fields"), ([], "fields"), ("outcome=completed", "fields"),
    ({"outcome": [1]}, "outcome"), ({"outcome": [None]}, "outcome"), ({"outcome": [["nested"]]}, "outcome"),
])
def test_fields_that_are_not_a_form_are_rejected(ctx, db, fields, error_key):
    family_id, _ = family_of(db, "demo-worker")
    item = {"id": str(uuid.uuid4()), "kind": "visit", "recorded_at": f"{VISIT_DATE}T11:30:00",
            "payload": {"family_id": family_id, "fields": fields}}
    receipt = ingest(db, item)
    assert receipt.status == "rejected"
    assert error_key in receipt.errors


def test_an_invalid_form_is_rejected_with_the_forms_own_messages(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children, analysis="", duration_minutes="0", outcome="completed")
    item["payload"]["fields"]["children-0-seen"] = []
    receipt = ingest(db, item)
    assert receipt.status == "rejected"
    assert receipt.errors["analysis"] == "Enter your analysis of the visit"
    assert receipt.errors["duration_minutes"] == "Enter a length from 1 to 720 minutes"
    assert receipt.errors["children-0-seen"] == "Say whether the child was seen"
    assert count(db, "visit_records", "id = ?", [item["id"]]) == 0


def test_a_record_id_that_is_not_the_items_id_is_rejected(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children)
    item["id"] = str(uuid.uuid4())
    receipt = ingest(db, item)
    assert receipt.status == "rejected" and "record_id" in receipt.errors
    assert count(db, "visit_records", "id = ?", [item["id"]]) == 0


def test_a_visit_that_leaves_out_a_child_is_rejected_by_the_domain(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children[:-1] if len(children) > 1 else [])
    receipt = ingest(db, item)
    assert receipt.status == "rejected"
    assert receipt.errors == {"children": "Say for every child in the household whether they were seen."}
    assert count(db, "visit_records", "id = ?", [item["id"]]) == 0


@pytest.mark.parametrize("name, value", [
    ("children-0-child_id", "²"), ("children-0-child_id", "١"), ("children-0-child_id", "9" * 25),
    ("children-0-child_id", "-1"), ("scheduled_visit_id", "²"), ("scheduled_visit_id", "9" * 25),
    ("scheduled_visit_id", "abc"),
])
def test_ids_in_the_form_that_are_not_row_ids_are_rejected_not_a_crash(ctx, db, name, value):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children, **{name: value})
    receipt = ingest(db, item)
    assert receipt.status == "rejected"
    assert receipt.errors
    assert count(db, "visit_records", "id = ?", [item["id"]]) == 0


def test_a_scheduled_visit_of_the_family_is_marked_recorded(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    slot = db.execute("SELECT id, version FROM scheduled_visits WHERE family_id = ? AND status = 'scheduled'",
                      [family_id]).fetchone()
    item = visit_item(family_id, children, scheduled_visit_id=str(slot[0]))
    assert ingest(db, item).status == "stored"
    assert db.execute("SELECT status, version FROM scheduled_visits WHERE id = ?", [slot[0]]).fetchone() == \
        ("recorded", slot[1] + 1)
    assert db.execute("SELECT scheduled_visit_id FROM visit_records WHERE id = ?", [item["id"]]).fetchone()[0] == slot[0]


def test_an_unknown_kind_is_rejected(ctx, db):
    receipt = ingest(db, {"id": str(uuid.uuid4()), "kind": "diary", "recorded_at": f"{VISIT_DATE}T11:30:00",
                          "payload": {}})
    assert receipt.status == "rejected" and "kind" in receipt.errors


# --- amendments -----------------------------------------------------------------------------

def amendment_item(visit_id, **fields):
    record_id = str(uuid.uuid4())
    data = {"record_id": record_id, "field": "analysis", "amended_value": "Corrected.", "reason": "Typo"}
    data.update(fields)
    return {"id": record_id, "kind": "amendment", "recorded_at": iso(days_ago(11), "09:00:00"),
            "payload": {"visit_id": visit_id, "fields": as_fields(data)}}


@pytest.fixture
def stored_visit(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children)
    assert ingest(db, item).status == "stored"
    return item["id"]


def test_an_amendment_item_is_stored_once_and_keeps_the_original(db, stored_visit):
    item = amendment_item(stored_visit)
    assert ingest(db, item).status == "stored"
    assert ingest(db, item).status == "duplicate"
    assert db.execute("SELECT field, original_value, amended_value, reason FROM amendments WHERE visit_id = ?",
                      [stored_visit]).fetchall() == [("analysis", "Mismatch between the bottles and the account.",
                                                      "Corrected.", "Typo")]
    assert db.execute("SELECT analysis FROM visit_records WHERE id = ?", [stored_visit]).fetchone()[0] == \
        "Mismatch between the bottles and the account."
    assert count(db, "audit_log", "action = 'write' AND entity = 'amendment' AND entity_id = ?", [item["id"]]) == 1


@pytest.mark.parametrize("fields, key", [
    ({"field": "outcome"}, "field"), ({"reason": ""}, "reason"), ({"amended_value": ""}, "amended_value"),
    ({"field": ""}, "field"),
])
def test_an_invalid_amendment_is_rejected(db, stored_visit, fields, key):
    receipt = ingest(db, amendment_item(stored_visit, **fields))
    assert receipt.status == "rejected" and key in receipt.errors
    assert count(db, "amendments", "visit_id = ?", [stored_visit]) == 0


@pytest.mark.parametrize("visit_id", [None, 12, "not-a-visit", "2267d706-430e-4c7f-b2b3-15d5a02293d5", ["x"]])
def test_an_amendment_to_an_unknown_visit_is_rejected(db, stored_visit, visit_id):
    receipt = ingest(db, amendment_item(visit_id))
    assert receipt.status == "rejected" and "visit_id" in receipt.errors


def test_an_amendment_to_another_teams_visit_is_rejected(ctx, db):
    family_id, _ = family_of(db, "demo-worker", visible=False)
    visit_id = db.execute("SELECT id FROM visit_records WHERE family_id = ?", [family_id]).fetchone()
    if visit_id is None:
        visit_id = db.execute(
            "SELECT id FROM visit_records WHERE family_id NOT IN (SELECT family_id FROM assignments a"
            " JOIN practitioners p ON p.id = a.practitioner_id WHERE p.username = 'demo-worker')").fetchone()
    receipt = ingest(db, amendment_item(visit_id[0]))
    assert receipt.status == "rejected" and "visit_id" in receipt.errors
    assert count(db, "amendments", "visit_id = ?", [visit_id[0]]) == 0


# --- helpers --------------------------------------------------------------------------------

def test_form_fields_keeps_every_value_but_the_csrf_token():
    posted = MultiDict([("csrf_token", "t"), ("record_id", "r"), ("adults-0-full_name", "A"),
                        ("tick", "a"), ("tick", "b")])
    assert records.form_fields(posted) == {"record_id": ["r"], "adults-0-full_name": ["A"], "tick": ["a", "b"]}


def test_form_errors_are_flat_and_named_like_the_fields(app):
    with app.test_request_context():
        form = VisitRecordForm(formdata=MultiDict([
            ("record_id", "nope"), ("children-0-child_id", "1"), ("children-0-seen", "yes"),
            ("outcome", "completed")]), meta={"csrf": False})
        assert not form.validate()
        errors = records.form_errors(form)
    assert errors["record_id"] == "This form has lost its record id. Reload the page and try again."
    assert errors["children-0-seen_alone"] == "Say whether the child was seen alone"
    assert errors["home_conditions-nutrition-rating"].startswith("Rate nutrition")
    assert all(isinstance(message, str) and message for message in errors.values())


@pytest.mark.parametrize("kind", ["was_not_brought", "bodymap_mark"])
def test_a_child_id_beyond_sqlites_integers_is_rejected_not_a_crash(ctx, db, kind):
    if kind not in records.engine.appliers:
        pytest.skip(f"no {kind} records yet")
    visit_id = db.execute("SELECT id FROM visit_records LIMIT 1").fetchone()[0]
    item = {"id": str(uuid.uuid4()), "kind": kind, "recorded_at": f"{VISIT_DATE}T11:30:00",
            "payload": {"child_id": 2 ** 64, "visit_id": visit_id, "fields": {}}}
    receipt = ingest(db, item)
    assert receipt.status == "rejected"
    assert "child_id" in receipt.errors or "visit_id" in receipt.errors


def test_is_row_id():
    assert records.is_row_id(1) and records.is_row_id(2 ** 63 - 1)
    for value in (True, False, 0, -1, 2 ** 63, "1", 1.0, None):
        assert not records.is_row_id(value), value


# --- the form is validated before the write lock is taken (issue 13) ---------------------------

def push(db, items, username="demo-worker"):
    author = practitioner(db, username)
    return records.engine.push(db, items, {"author_id": author["id"], "author": author,
                                           "device_id": "tablet-1", "route": ROUTE})


@pytest.fixture
def write_lock_held(app, db):
    """Another connection holds the write lock; this one gives up on it at once."""
    from fieldvisit.db import connect
    other = connect(app.config["DATABASE"])
    other.execute("BEGIN IMMEDIATE")
    db.execute("PRAGMA busy_timeout = 50")
    yield
    other.execute("ROLLBACK")
    other.close()


def test_an_invalid_form_is_rejected_without_waiting_for_the_write_lock(ctx, db, write_lock_held):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children, analysis="")
    for receipt in (push(db, [item])[0], ingest(db, item)):
        assert receipt.status == "rejected"
        assert receipt.errors == {"analysis": "Enter your analysis of the visit"}


def test_a_visits_fields_are_checked_once_before_the_write_lock(ctx, db, monkeypatch):
    from fieldvisit.visits import checks
    family_id, children = family_of(db, "demo-worker")
    items = [visit_item(family_id, children) for _ in range(3)]
    events, check_visit = [], checks.check_visit

    def counted(fields):
        events.append("validate")
        return check_visit(fields)
    monkeypatch.setattr(checks, "check_visit", counted)
    db.conn.set_trace_callback(events.append)
    try:
        receipts = push(db, items)
    finally:
        db.conn.set_trace_callback(None)
    assert [r.status for r in receipts] == ["stored"] * 3
    assert events.count("validate") == 3
    assert max(i for i, e in enumerate(events) if e == "validate") < events.index("BEGIN IMMEDIATE")
    assert count(db, "visit_records", "id IN (?, ?, ?)", [i["id"] for i in items]) == 3
    assert db.execute("PRAGMA query_only").fetchone()[0] == 0


def test_preparing_an_item_writes_nothing_and_a_check_that_fails_there_is_not_final(ctx, db):
    family_id, children = family_of(db, "demo-worker")
    item = visit_item(family_id, children)
    before = count(db, "audit_log")

    def writes_first(db_, item_, context):
        db_.execute("INSERT INTO audit_log (at, practitioner_id, action, entity, entity_id, route)"
                    " VALUES ('x', 1, 'read', 'visit', 'x', '/')")
        raise AssertionError("not reached while preparing")
    with read_only(db):  # as the engine runs every `prepare` (sync/engine.py)
        assert records.prepare_form(writes_first)(db, item, {"author": practitioner(db, "demo-worker")}) is None
    assert count(db, "audit_log") == before
    assert db.execute("PRAGMA query_only").fetchone()[0] == 0


def test_a_mark_sent_in_the_same_push_as_its_visit_is_stored(ctx, db):
    from tests.test_bodymap_birthmark import mark_item
    family_id, children = family_of(db, "demo-worker")
    visit = visit_item(family_id, children)
    mark = mark_item(visit["id"], int(children[0]), believed_birthmark="no", mark_type="bruise", other_type=None)
    receipts = push(db, [visit, mark])
    assert [r.status for r in receipts] == ["stored", "stored"], [r.errors for r in receipts]
    assert count(db, "body_map_marks", "id = ?", [mark["id"]]) == 1
