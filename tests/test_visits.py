"""Recording a visit online: one record per form id, both alcohol accounts kept, amendments keep the original."""
import re
import uuid

import pytest

from tests.clock import days_ago, iso

# The day full_visit's visit happened: twelve days ago, by the clock the app reads too.
VISIT_DATE = iso(days_ago(12))


def first_family_of(client):
    html = client.get("/today").get_data(as_text=True)
    return int(re.search(r'href="/families/(\d+)"', html).group(1))


def visit_form(client, family_id):
    html = client.get(f"/families/{family_id}/visits/new").get_data(as_text=True)
    record_id = re.search(r'name="record_id" value="([^"]+)"', html).group(1)
    child_ids = re.findall(r'name="children-\d+-child_id" value="(\d+)"', html)
    return record_id, child_ids


def full_visit(record_id, child_ids, **overrides):
    data = {
        "record_id": record_id, "visit_type": "unannounced", "visit_date": VISIT_DATE,
        "visit_time": "10:30", "duration_minutes": "45", "outcome": "completed",
        "adults-0-full_name": "Kerry Example", "adults-0-relationship": "Mother", "adults-0-presence": "present",
        "adults-1-full_name": "Unknown man, introduced as 'Dan'", "adults-1-relationship": "New partner?",
        "adults-1-presence": "present",
        "containers-0-count": "2", "containers-0-container_type": "spirits_bottle",
        "containers-0-where": "behind the sofa",
        "alcohol_smell": "no", "intoxication_observed": "no",
        "parent_alcohol_account": "Says she does not drink at all.",
        "child_alone": "no", "analysis": "Mismatch between the bottles and the account.",
        "actions": "Discuss with team lead.",
    }
    for heading in ("nutrition", "housing", "hygiene", "clothing", "safe_sleep", "heating", "supervision"):
        data[f"home_conditions-{heading}-rating"] = "adequate"
    for index, child_id in enumerate(child_ids):
        data.update({f"children-{index}-child_id": child_id, f"children-{index}-seen": "yes",
                     f"children-{index}-seen_alone": "no", f"children-{index}-bedroom_seen": "yes",
                     f"children-{index}-words": "I like school"})
    data.update(overrides)
    return data


def test_worker_records_a_visit_once_even_when_sent_twice(client, auth, db):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids)
    first = client.post(f"/families/{family_id}/visits/new", data=data)
    assert first.status_code == 302
    second = client.post(f"/families/{family_id}/visits/new", data=data)
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [record_id]).fetchone()[0] == 1
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "2 empty spirits bottles, behind the sofa" in page
    assert "Says she does not drink at all." in page


def test_same_form_id_with_different_content_is_kept_as_a_conflict(client, auth, db):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    client.post(f"/families/{family_id}/visits/new", data=full_visit(record_id, child_ids))
    changed = client.post(f"/families/{family_id}/visits/new",
                          data=full_visit(record_id, child_ids, analysis="Changed my mind"))
    assert changed.status_code == 409
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [record_id]).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM sync_conflicts WHERE item_id = ?", [record_id]).fetchone()[0] == 1


def test_missing_answers_rerender_with_an_error_summary_and_keep_what_was_typed(client, auth, db):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids, analysis="", duration_minutes="-5")
    data["parent_alcohol_account"] = "<script>alert('x')</script> never drinks"
    response = client.post(f"/families/{family_id}/visits/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert 'href="#duration_minutes"' in page and 'href="#analysis"' in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; never drinks" in page
    assert "<script>alert" not in page
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [record_id]).fetchone()[0] == 0


def test_an_amendment_keeps_the_original(client, auth, db):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    client.post(f"/families/{family_id}/visits/new", data=full_visit(record_id, child_ids))
    amendment_id = str(uuid.uuid4())
    response = client.post(f"/visits/{record_id}/amend", data={
        "record_id": amendment_id, "field": "analysis", "amended_value": "Corrected analysis.",
        "reason": "Typed in the wrong family's note."})
    assert response.status_code == 302
    page = client.get(f"/visits/{record_id}").get_data(as_text=True)
    assert "Mismatch between the bottles and the account." in page
    assert "Corrected analysis." in page and "Typed in the wrong family" in page
    assert db.execute("SELECT analysis FROM visit_records WHERE id = ?", [record_id]).fetchone()[0] == \
        "Mismatch between the bottles and the account."


# Conditional answers: each used to be skipped because Optional() stopped validation
# before the inline check, so the answer was silently taken as "no" or the line was dropped.
@pytest.mark.parametrize("overrides, field, message", [
    ({"children-0-seen_alone": ""}, "children-0-seen_alone", "Say whether the child was seen alone"),
    ({"children-0-bedroom_seen": ""}, "children-0-bedroom_seen", "Say whether the child&#39;s bedroom was seen"),
    ({"adults-1-presence": ""}, "adults-1-presence", "Say whether Unknown man, introduced as &#39;Dan&#39; was present"),
    ({"containers-1-container_type": "wine_bottle", "containers-1-where": "in the hall"}, "containers-1-count",
     "Enter how many empty bottles or cans were seen"),
    ({"containers-1-where": "in the hall"}, "containers-1-count", "Enter how many empty bottles or cans were seen"),
    ({"containers-1-count": "3"}, "containers-1-container_type", "Choose what kind of bottles or cans were seen"),
])
def test_an_answer_a_question_depends_on_is_asked_for_and_nothing_typed_is_lost(client, auth, db, overrides,
                                                                                 field, message):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    response = client.post(f"/families/{family_id}/visits/new", data=full_visit(record_id, child_ids, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(f'<li><a href="#{field}">' + r"(\w+: )?" + re.escape(message) + "</a></li>", page)
    assert "Not a valid choice" not in page
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [record_id]).fetchone()[0] == 0
    for value in overrides.values():
        if value and not value.isdigit() and value != "wine_bottle":
            assert value in page  # what was typed is still there to correct


def test_a_child_not_seen_needs_no_seen_alone_or_bedroom_answer(client, auth, db):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids, **{"children-0-seen": "no", "children-0-seen_alone": "",
                                               "children-0-bedroom_seen": ""})
    assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302
    assert db.execute("SELECT seen, seen_alone, bedroom_seen FROM visit_children WHERE visit_id = ? AND child_id = ?",
                      [record_id, int(child_ids[0])]).fetchone() == (0, 0, 0)


def test_the_form_opened_from_a_scheduled_visit_carries_it(client, auth, db):
    auth.sign_in()
    family_id = first_family_of(client)
    slot, visit_type = db.execute("SELECT id, visit_type FROM scheduled_visits WHERE family_id = ? AND status = 'scheduled'",
                                  [family_id]).fetchone()
    page = client.get(f"/families/{family_id}/visits/new?scheduled={slot}").get_data(as_text=True)
    assert f'name="scheduled_visit_id" value="{slot}"' in page
    for odd in ("99999999999999999999", "²", "abc", "-1", str(slot) + "0000"):
        response = client.get(f"/families/{family_id}/visits/new", query_string={"scheduled": odd})
        assert response.status_code == 200, odd
        assert 'name="scheduled_visit_id" value=""' in response.get_data(as_text=True), odd


def test_visit_times_are_uk_time_whatever_zone_the_server_runs_in(tmp_path, seeded_db_file):
    """A server on New York (or UTC in British Summer Time) used to refuse a visit that began
    20 minutes ago as 'in the future', and offered the wrong time on a new form."""
    import os
    import time
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from fieldvisit import create_app
    from tests.conftest import DEMO_PASSWORD

    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        path = tmp_path / "tz.db"
        path.write_bytes(seeded_db_file.read_bytes())
        app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True, "WTF_CSRF_ENABLED": False})
        uk_now = datetime.now(ZoneInfo("Europe/London")).replace(tzinfo=None)
        assert abs(datetime.now() - uk_now) < timedelta(seconds=5)
        client = app.test_client()
        client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD})
        family_id = first_family_of(client)
        record_id, child_ids = visit_form(client, family_id)
        began = uk_now - timedelta(minutes=20)
        data = full_visit(record_id, child_ids, visit_date=began.date().isoformat(),
                          visit_time=began.strftime("%H:%M"))
        assert client.post(f"/families/{family_id}/visits/new", data=data).status_code == 302
        record_id, child_ids = visit_form(client, family_id)
        later = uk_now + timedelta(hours=1)
        data = full_visit(record_id, child_ids, visit_date=later.date().isoformat(), visit_time=later.strftime("%H:%M"))
        response = client.post(f"/families/{family_id}/visits/new", data=data)
        assert response.status_code == 400
        assert "must not be in the future" in response.get_data(as_text=True)
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.parametrize("overrides, message", [
    ({"visit_date": "0026-11-20"}, "in or after 2000"),
    ({"next_visit_due": iso(days_ago(31))}, "on or after the date of this visit"),
])
def test_impossible_visit_dates_are_refused(client, auth, db, overrides, message):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    response = client.post(f"/families/{family_id}/visits/new", data=full_visit(record_id, child_ids, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [record_id]).fetchone()[0] == 0


def test_each_childs_error_names_the_child(client, auth, db):
    auth.sign_in()
    family_id = first_family_of(client)
    record_id, child_ids = visit_form(client, family_id)
    data = full_visit(record_id, child_ids)
    for index in range(len(child_ids)):
        del data[f"children-{index}-seen"]
    page = client.post(f"/families/{family_id}/visits/new", data=data).get_data(as_text=True)
    names = [row[0] for row in db.execute(
        "SELECT first_name FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id])]
    for index, name in enumerate(names):
        assert f'href="#children-{index}-seen">{name}: Say whether the child was seen' in page
