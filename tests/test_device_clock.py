"""Issue 14, "A wrong tablet clock": a tablet days behind or ahead sends, with each item, the clock offset it
measured at its last sync (`clock_offset_ms`, docs/sync-protocol.md). The server judges "in the future" and
"before the visit" by the tablet's clock too, so the offset alone rejects nothing, while a time in the future by
both clocks is still refused; it keeps the tablet's own time and the corrected one, and the team lead sees them."""
import uuid
from datetime import datetime, timedelta

import pytest

from fieldvisit import device_clock
from tests.sync_fakes import families_of, visit_item
from tests.test_bodymap_routes import a_bruise, baby, hv, visit_id  # noqa: F401 (fixtures)
from tests.test_access import SessionAuth

DAYS_3 = 3 * 24 * 3600 * 1000
DEVICE = "7d4c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09"


# --- the judgement, alone ------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (DAYS_3, DAYS_3), (-DAYS_3, -DAYS_3), (0, 0), (None, None), ("3", None), (1.5, None), (True, None),
    (device_clock.LARGEST_OFFSET_MS + 1, None), (-device_clock.LARGEST_OFFSET_MS, -device_clock.LARGEST_OFFSET_MS),
])
def test_only_a_whole_number_of_milliseconds_within_a_year_or_so_is_an_offset(value, expected):
    assert device_clock.offset_of({"clock_offset_ms": value}) == expected
    assert device_clock.offset_of({}) is None and device_clock.offset_of("not an item") is None


def test_the_future_is_after_both_the_servers_clock_and_the_tablets():
    now = datetime(2026, 12, 2, 12, 0)
    assert device_clock.latest_now(now) == now  # no offset: the server's clock alone
    with device_clock.judging_with(-DAYS_3):  # the tablet is 3 days ahead: its now is later
        assert device_clock.latest_now(now) == now + timedelta(days=3)
    with device_clock.judging_with(DAYS_3):  # 3 days behind: the server's now is the later one
        assert device_clock.latest_now(now) == now
    assert device_clock.offset_ms() == 0  # the offset holds only inside the block


def test_a_time_the_tablet_filled_in_is_judged_as_given_and_as_corrected():
    with device_clock.judging_with(DAYS_3):
        assert device_clock.dates_as_given_and_corrected("2026-11-29T10:00") == \
            {datetime(2026, 11, 29).date(), datetime(2026, 12, 2).date()}
    assert device_clock.corrected("2026-11-29T10:00:00.000Z", DAYS_3) == "2026-12-02T10:00:00+00:00"
    assert device_clock.corrected("2026-12-05T10:00:00", -DAYS_3) == "2026-12-02T10:00:00"
    assert device_clock.describe(DAYS_3) == "3 days behind" and device_clock.describe(-2 * 3600 * 1000) == "2 hours ahead of"
    assert device_clock.is_noticeable(6 * 60 * 1000) and not device_clock.is_noticeable(60 * 1000)
    assert not device_clock.is_noticeable(None)


# --- through /api/sync/push ------------------------------------------------------------------------

def push(client, items, device_id=DEVICE):
    return client.post("/api/sync/push", json={"device_id": device_id, "schema_version": 1, "items": items})


def on_tablet(days):
    """The tablet's clock, `days` days off the server's (negative: behind)."""
    return datetime.now().replace(second=0, microsecond=0) + timedelta(days=days)


def mark_item(visit_id, child_id, tablet_now, offset):
    item_id = str(uuid.uuid4())
    fields = a_bruise(record_id=item_id, observed_date=tablet_now.date().isoformat(),
                      observed_time=tablet_now.strftime("%H:%M"))
    item = {"id": item_id, "kind": "bodymap_mark", "recorded_at": tablet_now.isoformat(timespec="seconds"),
            "payload": {"visit_id": visit_id, "child_id": child_id,
                        "fields": {k: v if isinstance(v, list) else [v] for k, v in fields.items()}}}
    if offset is not None:
        item["clock_offset_ms"] = offset
    return item


@pytest.mark.parametrize("days", [-3, 3], ids=["tablet-3-days-behind", "tablet-3-days-ahead"])
def test_a_mark_recorded_with_the_tablets_wrong_clock_is_rejected_without_the_offset_and_stored_with_it(
        hv, db, baby, visit_id, days):
    tablet_now = on_tablet(days)
    without = push(hv, [mark_item(visit_id, baby["id"], tablet_now, None)]).get_json()["receipts"][0]
    assert without["status"] == "rejected"  # what happened before issue 14
    assert ("before the visit" in without["errors"]["observed_date"] if days < 0
            else "in the future" in without["errors"]["observed_date"])

    item = mark_item(visit_id, baby["id"], tablet_now, -days * 24 * 3600 * 1000)
    receipt = push(hv, [item]).get_json()["receipts"][0]
    assert receipt["status"] == "stored", receipt["errors"]
    mark = db.execute("SELECT observed_at, recorded_at FROM body_map_marks WHERE id = ?", [item["id"]]).fetchone()
    assert tuple(mark) == (tablet_now.isoformat(timespec="minutes"), item["recorded_at"])  # the tablet's own, kept
    kept = db.execute("SELECT clock_offset_ms, device_recorded_at, corrected_recorded_at, device_id FROM"
                      " sync_clock_offsets WHERE item_id = ?", [item["id"]]).fetchone()
    corrected = (tablet_now - timedelta(days=days)).isoformat(timespec="seconds")
    assert tuple(kept) == (-days * 24 * 3600 * 1000, item["recorded_at"], corrected, DEVICE)


def test_a_genuinely_future_mark_is_still_rejected_with_an_offset(hv, db, baby, visit_id):
    # The tablet is 3 days ahead, and the mark is 3 days ahead of the tablet's own clock.
    item = mark_item(visit_id, baby["id"], on_tablet(6), -DAYS_3)
    receipt = push(hv, [item]).get_json()["receipts"][0]
    assert receipt["status"] == "rejected" and "in the future" in receipt["errors"]["observed_date"]
    # ... and 3 days behind, with a mark 3 days ahead of the server: in the future by both clocks.
    item = mark_item(visit_id, baby["id"], on_tablet(3), DAYS_3)
    receipt = push(hv, [item]).get_json()["receipts"][0]
    assert receipt["status"] == "rejected" and "in the future" in receipt["errors"]["observed_date"]
    assert db.execute("SELECT count(*) FROM body_map_marks").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM sync_clock_offsets").fetchone()[0] == 0


@pytest.fixture
def worker(client, app):
    SessionAuth(client, app).sign_in("demo-worker")
    return client


def a_visit_on(db, tablet_now, offset):
    _, families = families_of(db, "demo-worker")
    family_id = sorted(families)[0]
    began = tablet_now - timedelta(minutes=30)  # its own date: half an hour before 00:10 is yesterday
    item = visit_item(family_id, families[family_id], day=began.date().isoformat(),
                      recorded_at=tablet_now.isoformat(timespec="seconds"), visit_time=began.strftime("%H:%M"))
    if offset is not None:
        item["clock_offset_ms"] = offset
    return item


@pytest.mark.parametrize("days", [-3, 3], ids=["tablet-3-days-behind", "tablet-3-days-ahead"])
def test_a_visit_from_a_wrong_clock_is_stored_with_both_times(worker, db, days):
    tablet_now = on_tablet(days)
    item = a_visit_on(db, tablet_now, -days * 24 * 3600 * 1000)
    receipt = push(worker, [item]).get_json()["receipts"][0]
    assert receipt["status"] == "stored", receipt["errors"]
    assert db.execute("SELECT recorded_at FROM visit_records WHERE id = ?", [item["id"]]).fetchone()[0] == \
        item["recorded_at"]
    assert db.execute("SELECT corrected_recorded_at FROM sync_clock_offsets WHERE item_id = ?",
                      [item["id"]]).fetchone()[0] == (tablet_now - timedelta(days=days)).isoformat(timespec="seconds")


def test_a_visit_in_the_future_by_both_clocks_is_rejected(worker, db):
    item = a_visit_on(db, on_tablet(6), -DAYS_3)
    receipt = push(worker, [item]).get_json()["receipts"][0]
    assert receipt["status"] == "rejected" and "must not be in the future" in receipt["errors"]["visit_date"]
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [item["id"]]).fetchone()[0] == 0


@pytest.mark.parametrize("bad", ["3 days", 1e20, None, True])
def test_an_unusable_offset_is_ignored_and_the_item_is_judged_by_the_servers_clock(worker, db, bad):
    item = a_visit_on(db, on_tablet(0), None)
    item["clock_offset_ms"] = bad
    receipt = push(worker, [item]).get_json()["receipts"][0]
    assert receipt["status"] == "stored", receipt["errors"]
    assert db.execute("SELECT count(*) FROM sync_clock_offsets").fetchone()[0] == 0


def test_the_offset_is_not_part_of_the_content(worker, db):
    item = a_visit_on(db, on_tablet(3), -DAYS_3)
    assert push(worker, [item]).get_json()["receipts"][0]["status"] == "stored"
    again = dict(item, clock_offset_ms=-DAYS_3 + 60000)  # measured again since: the same record
    assert push(worker, [again]).get_json()["receipts"][0]["status"] == "duplicate"
    assert db.execute("SELECT count(*) FROM sync_clock_offsets").fetchone()[0] == 1
