"""Issue 12, item 1: the visit form lists every missing answer in the first round, on the page
and in a sync `rejected` receipt, and each error in the summary links to its field."""
import re
import uuid
from datetime import date, timedelta

from tests.clock import earlier_today, now
from tests.test_visits import full_visit, visit_form

HEADINGS = ("nutrition", "housing", "hygiene", "clothing", "safe_sleep", "heating", "supervision")
DAY, AT = earlier_today()  # a visit today that has begun, whatever the hour the tests run
DEVICE = "5f0c3f4e-1d2a-4b3c-8d9e-0a1b2c3d4e5f"


def family_of_four(db, username="demo-worker"):
    """One of this practitioner's families, with children added until it has four."""
    family_id = db.execute(
        "SELECT a.family_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id "
        "WHERE p.username = ? ORDER BY a.family_id LIMIT 1", [username]).fetchone()[0]
    have = db.execute("SELECT count(*) FROM children WHERE family_id = ?", [family_id]).fetchone()[0]
    for number in range(have, 4):
        born = (date.today() - timedelta(days=400 + 300 * number)).isoformat()
        db["children"].insert({"family_id": family_id, "first_name": f"Kid{number}", "last_name": "Four",
                               "date_of_birth": born, "independently_mobile": 1, "plan": "child_in_need"})
    db.conn.commit()
    return family_id


def every_required_answer(child_count, adult_count=0):
    """The names of every answer an empty visit form needs, for a visit that went ahead (the
    household's adults are on the form already: whether each was there is asked too)."""
    names = {"visit_type", "duration_minutes", "outcome", "analysis"}
    names |= {f"adults-{index}-presence" for index in range(adult_count)}
    names |= {f"home_conditions-{h}-rating" for h in HEADINGS}
    for index in range(child_count):
        names |= {f"children-{index}-{q}" for q in ("seen", "seen_alone", "bedroom_seen")}
    return names


def summary_links(page):
    summary = page.split('govuk-error-summary__list', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">', summary)


def household_adults(db, family_id):
    return db.execute("SELECT count(*) FROM adults WHERE family_id = ?",
                      [family_id]).fetchone()[0]


def test_an_empty_save_lists_every_missing_answer_at_once_for_four_children(client, auth, db):
    family_id = family_of_four(db)
    auth.sign_in()
    record_id, child_ids = visit_form(client, family_id)
    assert len(child_ids) == 4
    data = {"record_id": record_id, "visit_date": DAY, "visit_time": AT,
            **{f"children-{i}-child_id": c for i, c in enumerate(child_ids)}}
    response = client.post(f"/families/{family_id}/visits/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    links = summary_links(page)
    assert set(links) == every_required_answer(4), set(links) ^ every_required_answer(4)
    for field_id in links:  # each error in the summary links to the input it is about
        assert re.search(rf'<input[^>]* id="{re.escape(field_id)}"', page) or \
            re.search(rf'<textarea[^>]* id="{re.escape(field_id)}"', page), field_id

    # Answering exactly what was asked is enough: no second round of errors.
    answered = full_visit(record_id, child_ids, visit_date=DAY, visit_time=AT)
    second = client.post(f"/families/{family_id}/visits/new", data=answered)
    assert second.status_code == 302, summary_links(second.get_data(as_text=True))


def test_a_visit_that_did_not_go_ahead_asks_nothing_of_a_completed_visit(client, auth, db):
    family_id = family_of_four(db)
    auth.sign_in()
    record_id, child_ids = visit_form(client, family_id)
    data = {"record_id": record_id, "visit_type": "planned", "visit_date": DAY,
            "visit_time": AT, "duration_minutes": "5", "outcome": "no_answer",
            **{f"children-{i}-child_id": c for i, c in enumerate(child_ids)}}
    page = client.post(f"/families/{family_id}/visits/new", data=data).get_data(as_text=True)
    assert set(summary_links(page)) == {f"children-{i}-seen" for i in range(4)}
    data.update({f"children-{i}-seen": "no" for i in range(4)})
    assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302


def test_a_child_not_seen_is_not_asked_whether_they_were_seen_alone(client, auth, db):
    family_id = family_of_four(db)
    auth.sign_in()
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids, visit_date=DAY, visit_time=AT)
    for question in ("seen_alone", "bedroom_seen"):
        del data[f"children-1-{question}"]
        del data[f"children-2-{question}"]
    data["children-1-seen"] = "no"
    del data["children-2-seen"]
    page = client.post(f"/families/{family_id}/visits/new", data=data).get_data(as_text=True)
    assert set(summary_links(page)) == {"children-2-seen", "children-2-seen_alone", "children-2-bedroom_seen"}


def test_a_sync_rejected_receipt_lists_the_same_errors_in_one_round(client, auth, db):
    family_id = family_of_four(db)
    auth.sign_in()
    child_ids = [str(row[0]) for row in db.execute("SELECT id FROM children WHERE family_id = ? ORDER BY id",
                                                   [family_id])]
    item_id = str(uuid.uuid4())
    fields = {"record_id": [item_id], "visit_date": [DAY], "visit_time": [AT],
              **{f"children-{i}-child_id": [c] for i, c in enumerate(child_ids)}}
    item = {"id": item_id, "kind": "visit", "recorded_at": now().isoformat(timespec="seconds"),
            "payload": {"family_id": family_id, "fields": fields}}
    response = client.post("/api/sync/push", json={"device_id": DEVICE, "schema_version": 1, "items": [item]})
    [receipt] = response.get_json()["receipts"]
    assert receipt["status"] == "rejected"
    assert set(receipt["errors"]) == every_required_answer(4)
