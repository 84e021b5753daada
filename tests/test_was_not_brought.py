"""Was Not Brought (SAFEGUARDING.md rules 8-9): the running count, a concern for one on a child
protection plan, an escalation for a pattern (3 within 8 weeks, at its boundary), possible
disguised compliance, and the pages: who may record and who may not see."""
import re
import uuid
from datetime import date, timedelta

import pytest

from fieldvisit import settings
from fieldvisit.families.domain import children_with_status
from fieldvisit.was_not_brought.domain import AppointmentInvalid, pattern_found, record_appointment_event
from tests.clock import days_ago, iso
from tests.factories import build_world, fresh_db


def ago(days):
    return iso(days_ago(days))


@pytest.fixture
def memdb():
    database = fresh_db()
    yield database
    database.close()


@pytest.fixture
def world(memdb, today):
    return build_world(memdb, today)


# --- the pattern rule at its boundary --------------------------------------------------------

@pytest.mark.parametrize("dates, found", [
    (["2026-01-01", "2026-02-01", "2026-02-26"], True),    # 56 days: within 8 weeks
    (["2026-01-01", "2026-02-01", "2026-02-27"], False),   # 57 days: not
    (["2026-01-01", "2026-02-26"], False),                 # only two
    (["2025-06-01", "2026-01-01", "2026-01-10", "2026-02-20"], True),  # any three in a row of dates
    ([], False),
])
def test_three_within_eight_weeks(dates, found):
    assert pattern_found(dates, 3, 8) is found


def test_a_pattern_must_include_the_new_date_when_asked():
    dates = ["2026-01-01", "2026-01-10", "2026-01-20", "2026-06-01"]
    assert pattern_found(dates, 3, 8, including="2026-01-10")
    assert not pattern_found(dates, 3, 8, including="2026-06-01")


def event(world, child, day, kind="was_not_brought", **extra):
    values = {"id": str(uuid.uuid4()), "child_id": world[child], "event": kind, "appointment": "Health review",
              "service": "health_visiting", "appointment_date": day, "rearranged_to": None, "note": "",
              "recorded_at": day + "T17:00"}
    values.update(extra)
    return values


def record(db, world, child, day, kind="was_not_brought", **extra):
    return record_appointment_event(db, event(world, child, day, kind, **extra), world["worker"], day + "T17:00:00")


def count(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def test_one_was_not_brought_on_a_child_protection_plan_raises_a_concern(memdb, world):
    record(memdb, world, "older", ago(30))
    [concern] = memdb.query("SELECT * FROM concerns")
    assert concern["rule"] == "was_not_brought_cp" and concern["child_id"] == world["older"]
    assert count(memdb, "SELECT count(*) FROM escalations") == 0


def test_a_child_in_need_gets_no_concern_for_one(memdb, world):
    record(memdb, world, "child_b", ago(30))
    assert count(memdb, "SELECT count(*) FROM concerns") == 0


def test_the_third_within_eight_weeks_raises_one_escalation(memdb, world):
    record(memdb, world, "older", ago(70))
    record(memdb, world, "older", ago(40))
    assert count(memdb, "SELECT count(*) FROM escalations") == 0
    record(memdb, world, "older", ago(14))  # 56 days after the first
    [escalation] = memdb.query("SELECT * FROM escalations")
    assert escalation["rule"] == "was_not_brought_pattern" and escalation["child_id"] == world["older"]
    assert count(memdb, "SELECT count(*) FROM escalation_actions WHERE escalation_id = ?", escalation["id"]) == 4
    record(memdb, world, "older", ago(11))  # the open escalation already covers it
    assert count(memdb, "SELECT count(*) FROM escalations") == 1


def test_the_third_just_outside_eight_weeks_does_not(memdb, world):
    for day in (ago(70), ago(40), ago(13)):  # 57 days
        record(memdb, world, "older", day)
    assert count(memdb, "SELECT count(*) FROM escalations") == 0


def test_the_pattern_is_a_partnership_setting(memdb, world):
    settings.save(memdb, "was_not_brought_pattern_count", 2)
    record(memdb, world, "child_b", ago(70))
    record(memdb, world, "child_b", ago(40))
    assert count(memdb, "SELECT count(*) FROM escalations WHERE rule = 'was_not_brought_pattern'") == 1


def test_repeated_cancellations_are_flagged_as_possible_disguised_compliance(memdb, world):
    record(memdb, world, "child_b", ago(40), "cancelled_by_parent")
    record(memdb, world, "child_b", ago(31), "rearranged_by_parent", rearranged_to=ago(21))
    assert count(memdb, "SELECT count(*) FROM concerns") == 0
    record(memdb, world, "child_b", ago(21), "cancelled_by_parent")
    [concern] = memdb.query("SELECT * FROM concerns")
    assert concern["rule"] == "possible_disguised_compliance"
    assert count(memdb, "SELECT count(*) FROM escalations") == 0  # a flag, not an escalation


def test_the_running_count_is_on_the_childs_status(memdb, world, today):
    record(memdb, world, "older", (today - timedelta(weeks=10)).isoformat())
    record(memdb, world, "older", (today - timedelta(weeks=1)).isoformat())
    record(memdb, world, "older", (today - timedelta(days=3)).isoformat(), "cancelled_by_parent")
    rows = list(memdb.query("SELECT * FROM children WHERE id = ?", [world["older"]]))
    [child] = children_with_status(memdb, rows, today, settings.DEFAULTS)
    assert (child["was_not_brought"], child["was_not_brought_recent"], child["cancellations"]) == (2, 1, 1)


def test_an_appointment_before_the_child_was_born_or_an_unknown_service_is_refused(memdb, world):
    with pytest.raises(AppointmentInvalid) as refused:
        record(memdb, world, "baby", ago(200), service="astrology")  # the baby is 116 days old
    assert set(refused.value.errors) == {"service", "appointment_date"}
    assert count(memdb, "SELECT count(*) FROM appointment_events") == 0


def test_missed_appointments_are_never_changed_or_deleted(memdb, world):
    record(memdb, world, "older", ago(30))
    for sql in ("UPDATE appointment_events SET note = 'x'", "DELETE FROM appointment_events"):
        with pytest.raises(Exception):
            memdb.execute(sql)


# --- pages -----------------------------------------------------------------------------------

def demo_child(client, family_index=0):
    html = client.get("/today").get_data(as_text=True)
    family_id = int(re.findall(r'href="/families/(\d+)"', html)[family_index])
    html = client.get(f"/families/{family_id}").get_data(as_text=True)
    return int(re.search(r'href="/children/(\d+)"', html).group(1))


def wnb_form(client, child_id, **fields):
    html = client.get(f"/children/{child_id}/was-not-brought/new").get_data(as_text=True)
    record_id = re.search(r'name="record_id" value="([^"]+)"', html).group(1)
    data = {"record_id": record_id, "event": "was_not_brought", "appointment": "Hearing test",
            "service": "hospital", "appointment_date": (date.today() - timedelta(days=2)).isoformat(), "note": ""}
    data.update(fields)
    return data


def test_worker_records_a_was_not_brought_and_the_count_shows_on_every_view(client, auth, db):
    auth.sign_in("demo-worker")
    child_id = demo_child(client)
    before = db.execute("SELECT count(*) FROM appointment_events WHERE child_id = ?", [child_id]).fetchone()[0]
    data = wnb_form(client, child_id)
    response = client.post(f"/children/{child_id}/was-not-brought/new", data=data)
    assert response.status_code == 302
    again = client.post(f"/children/{child_id}/was-not-brought/new", data=data)  # sent twice: stored once
    assert again.status_code == 302
    total = before + 1
    assert db.execute("SELECT count(*) FROM appointment_events WHERE child_id = ?", [child_id]).fetchone()[0] == total
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-testid="wnb-total">{total}<' in page and "Hearing test" in page
    family_id = db.execute("SELECT family_id FROM children WHERE id = ?", [child_id]).fetchone()[0]
    for url in (f"/children/{child_id}", f"/families/{family_id}", "/today"):
        assert f"Was not brought: {total}" in client.get(url).get_data(as_text=True), url
    assert "did not attend" not in page.lower()


@pytest.mark.parametrize("fields, message", [
    ({"appointment_date": (date.today() + timedelta(days=3)).isoformat()}, "already passed"),
    ({"service": "astrology"}, "Choose the service"),
    ({"appointment": ""}, "Enter what the appointment was for"),
    ({"event": "did_not_attend"}, "Not a valid choice"),
])
def test_bad_input_is_a_clear_error_and_nothing_is_stored(client, auth, db, fields, message):
    auth.sign_in("demo-worker")
    child_id = demo_child(client)
    before = db.execute("SELECT count(*) FROM appointment_events").fetchone()[0]
    response = client.post(f"/children/{child_id}/was-not-brought/new", data=wnb_form(client, child_id, **fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM appointment_events").fetchone()[0] == before


def test_a_practitioner_not_assigned_to_the_child_gets_404(client, auth, db):
    auth.sign_in("demo-worker")
    mine = {row[0] for row in db.execute(
        "SELECT family_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id WHERE p.username = 'demo-worker'")}
    other = db.execute(f"SELECT id FROM children WHERE family_id NOT IN ({','.join(map(str, mine))}) LIMIT 1").fetchone()[0]
    assert client.get(f"/children/{other}/was-not-brought").status_code == 404
    assert client.get(f"/children/{other}/was-not-brought/new").status_code == 404
    assert client.post(f"/children/{other}/was-not-brought/new", data={"record_id": str(uuid.uuid4())}).status_code == 404


def test_admin_sees_no_missed_appointments(client, auth, db):
    auth.sign_in("demo-admin")
    child_id = db.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
    assert client.get(f"/children/{child_id}/was-not-brought").status_code == 404
    assert client.get(f"/children/{child_id}/was-not-brought/new").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    child_id = db.execute("SELECT id FROM children LIMIT 1").fetchone()[0]
    assert client.get(f"/children/{child_id}/was-not-brought").status_code == 302
