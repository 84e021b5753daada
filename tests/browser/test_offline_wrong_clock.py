"""Issue 14, "A wrong tablet clock", in Chromium with the tablet's clock moved 3 days behind or ahead (a Date
offset injected into the tablet's pages by this test only). The status area warns the worker at the first sync;
a visit and a body-map mark recorded with no signal (the mark's date and time filled in by the tablet's clock)
are all accepted when signal returns: nothing waits for attention because of the clock alone, the tablet's own
times are kept, the offset is stored with each record, and the team lead sees the correction on the visit."""
import pytest
from playwright.sync_api import expect

from fieldvisit import settings
from fieldvisit.db import connect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.offline_helpers import (central, fill_bruise, offline_ready, save_mark, server,  # noqa: F401
                                           set_pin, sync_now, waiting)
from tests.browser.test_bodymap import tap_region
from tests.browser.test_offline_bodymap import record_the_visit_with_no_signal, todays_family_with_a_non_mobile_baby

pytestmark = pytest.mark.browser

DAY_MS = 24 * 3600 * 1000

# The tablet's clock, `days` off the real one: every `new Date()` and `Date.now()` in the tablet's pages.
MOVED_CLOCK = """(() => {
  const offset = %d;
  const RealDate = Date;
  class TabletDate extends RealDate {
    constructor(...args) { if (args.length) super(...args); else super(RealDate.now() + offset); }
    static now() { return RealDate.now() + offset; }
  }
  globalThis.Date = TabletDate;
})();"""


@pytest.fixture
def lock_after_thirty_days(server):  # noqa: F811 (the fixture)
    """The init script moves the pages' clock, not the service worker's: the worker would judge the
    pages' "last contact", 3 days behind its own clock, past the 72-hour offline lock (one clock on a
    real tablet). The lock waits 30 days during this test."""
    db = connect(server.db_path)
    before = settings.load(db)["offline_lock_hours"]
    settings.save(db, "offline_lock_hours", 720)
    db.close()
    yield
    db = connect(server.db_path)
    settings.save(db, "offline_lock_hours", before)
    db.close()


@pytest.mark.usefixtures("lock_after_thirty_days")
@pytest.mark.parametrize("days", [-3, 3], ids=["3-days-behind", "3-days-ahead"])
def test_a_tablet_with_a_wrong_clock_is_warned_and_its_records_are_accepted(tablet, server, days):
    page = tablet
    page.context.add_init_script(MOVED_CLOCK % (days * DAY_MS))
    family = todays_family_with_a_non_mobile_baby(server)
    baby = family["baby"]
    sign_in(page, server)
    offline_ready(page)
    moved = page.evaluate("() => Date.now() - (performance.timeOrigin + performance.now())")
    assert abs(moved - days * DAY_MS) < 60_000  # the tablet's clock really is moved
    set_pin(page, server)
    page.goto(server.url + "/today")
    offline_ready(page)
    sync_now(page)
    alerts = page.locator("[data-fv-sync-alerts]")
    words = "behind" if days < 0 else "ahead of"
    expect(alerts).to_contain_text(f"This tablet's clock is 3 days {words} the central record", timeout=30_000)
    screenshot(page, f"wrong-clock-{'behind' if days < 0 else 'ahead'}-warning")

    visit_id = record_the_visit_with_no_signal(page, server, family)  # stops the server
    page.goto(f"{server.url}/children/{baby['id']}/body-map/new?visit={visit_id}")
    form = page.locator("form[data-record-kind=bodymap_mark]")
    expect(form).to_have_attribute("data-fv-outbox", "ready")
    tap_region(page, "front/left_cheek")
    fill_bruise(form, "Mum says he rolled into the cot bars.")
    mark_id = save_mark(page, form, 1)
    waiting(page, 2)

    server.start()
    page.goto(server.url + "/today")
    offline_ready(page)
    sync_now(page)
    waiting(page, 0, attention=0)  # nothing rejected for the clock alone
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [visit_id]) == [(1,)]
    [(observed, recorded)] = central(server, "SELECT observed_at, recorded_at FROM body_map_marks WHERE id = ?", [mark_id])
    offsets = dict(central(server, "SELECT item_id, clock_offset_ms FROM sync_clock_offsets"))
    assert set(offsets) == {visit_id, mark_id}
    assert all(abs(offset + days * DAY_MS) < 120_000 for offset in offsets.values())  # server minus tablet
    [(device_time, corrected)] = central(
        server, "SELECT device_recorded_at, corrected_recorded_at FROM sync_clock_offsets WHERE item_id = ?", [mark_id])
    assert device_time == recorded and device_time != corrected  # the tablet's own time kept, the corrected beside it

    page.goto(server.url + f"/visits/{visit_id}")
    expect(page.get_by_text(f"The tablet's clock was 3 days {words} the central record")).to_be_visible()
