"""Defects found in the browser, offline (issue 14), each proven fixed in Chromium:

- a visit form opened from the copy kept with today's pack fills in the time the tablet opens it,
  not the time the pack was kept; the central record keeps both the time given and the time the
  tablet recorded it;
- a central record too slow to answer is told apart from no signal, and the records stay queued;
- the site's storage cleared while the app is open does not brick it, and the practitioner is told
  what may have been lost;
- offline data locks after the partnership's hours without contact, until signing in with signal.

"No signal" is the server stopped (tests/browser/offline_helpers.py).
"""
import re

import pytest
from playwright.sync_api import expect

from fieldvisit import settings
from fieldvisit.db import connect
from tests.browser.conftest import screenshot, sign_in
from tests.browser.offline_helpers import (PIN, central, eventually, fill_visit, launch_tablet,  # noqa: F401
                                           offline_ready, open_form, save, server, set_pin, sync_idle, sync_now,
                                           unlock, waiting)

pytestmark = pytest.mark.browser

SET_META = """async ([key, value]) => {
  const idb = await import('/static/js/idb.js');
  await idb.setMeta(key, value);
}"""

NO_BACKGROUND_SYNC = """Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', { get: () => undefined });"""

# The page's clock, as the tablet reads it: [YYYY-MM-DD, HH:MM], `minutes` from now.
PAGE_CLOCK = """(minutes) => {
  const when = new Date(Date.now() + minutes * 60000);
  const pad = (n) => String(n).padStart(2, '0');
  return [`${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`,
          `${pad(when.getHours())}:${pad(when.getMinutes())}`];
}"""


def test_a_kept_visit_form_fills_in_the_time_it_is_opened_and_the_central_record_keeps_both_times(
        playwright_instance, server, tmp_path):
    context, page = launch_tablet(playwright_instance, tmp_path / "profile")
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    page.goto(server.url + "/today")
    form_url = page.get_by_role("link", name=re.compile("Record this visit")).first.get_attribute("href")

    # Hours later (the tablet's clock moved on 3 h 7 min from the morning the pages were kept)...
    # Moved back rather than on, so that nothing below is in the central record's future.
    kept_at = page.evaluate("() => Date.now()")
    page.clock.set_system_time(kept_at / 1000 - (3 * 60 + 7) * 60)
    server.stop()
    open_form(page, server.url + form_url)
    expect(page.locator("[data-fv-cached-at]")).to_have_count(1)  # the kept copy
    form = page.locator("form[data-record-kind=visit]")
    expect(form).to_have_attribute("data-fv-now-filled", "yes")
    now_date, now_time = page.evaluate(PAGE_CLOCK, 0)
    earlier = page.evaluate(PAGE_CLOCK, -1)
    assert page.get_by_label("Date of visit").input_value() in (now_date, earlier[0])
    assert page.get_by_label("Time of visit").input_value() in (now_time, earlier[1])

    # The practitioner gives the time the visit started: it is what the record says happened.
    given_date, given_time = page.evaluate(PAGE_CLOCK, -50)
    page.get_by_label("Date of visit").fill(given_date)
    page.get_by_label("Time of visit").fill(given_time)
    fill_visit(page)
    record_id = save(page)
    recorded_date, recorded_time = page.evaluate(PAGE_CLOCK, 0)

    # The same form opened again ("Record another") is filled with now, not the earlier visit's time.
    page.get_by_role("button", name="Record another").click()
    assert page.get_by_label("Time of visit").input_value() in (recorded_time, page.evaluate(PAGE_CLOCK, 1)[1])

    server.start()
    sync_now(page)
    waiting(page, 0)
    [(happened_at, recorded_at, received_at)] = central(
        server, "SELECT happened_at, recorded_at, received_at FROM visit_records WHERE id = ?", [record_id])
    assert happened_at.startswith(f"{given_date}T{given_time}")
    assert recorded_at[:13] == f"{recorded_date}T{recorded_time[:2]}", recorded_at  # the tablet's clock
    assert received_at != recorded_at
    page.goto(server.url + f"/visits/{record_id}")
    recorded_row = page.locator(".govuk-summary-list__row").filter(has_text="on the device")
    hour = int(recorded_time[:2]) % 12 or 12
    expect(recorded_row).to_contain_text(f"{hour}:{recorded_time[3:]}")
    context.close()


def test_a_time_changed_by_hand_is_left_as_given_when_the_form_is_filled_in(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    open_form(page, server.url + "/families/21/visits/new")
    # Typed by the practitioner before the form was ready: left alone when the form is opened again.
    page.get_by_label("Time of visit").fill("06:15")
    page.evaluate("""() => import('/static/js/time-now.js').then((m) =>
        m.fillNow(document.querySelector('form[data-record-kind=visit]')))""")
    assert page.get_by_label("Time of visit").input_value() == "06:15"


def test_a_slow_central_record_is_not_shown_as_no_signal_and_the_record_is_retried(tablet, server):
    page = tablet
    # A browser with no Background Sync (Safari): every push is the page's, where the test holds it
    # (Playwright's routes do not see the service worker's own requests).
    page.add_init_script(NO_BACKGROUND_SYNC)
    sign_in(page, server)
    offline_ready(page)
    open_form(page, server.url + "/families/21/visits/new")
    sync_idle(page)
    page.evaluate(SET_META, ["timeout:push", 1500])
    held = []
    page.route("**/api/sync/push", lambda route: held.append(route))  # the central record never answers

    fill_visit(page)
    record_id = save(page)
    notice = page.locator("[data-fv-save-notice]")
    expect(notice).to_contain_text("The central record is slow to answer", timeout=30_000)
    expect(notice).not_to_contain_text("no signal")
    status = page.locator("[data-fv-sync]")
    expect(status).to_have_attribute("data-fv-signal", "slow")
    expect(page.locator("[data-fv-sync-alerts]")).to_contain_text("The central record is slow to answer")
    expect(page.locator("[data-fv-sync-alerts]")).not_to_contain_text("No signal")
    expect(page.locator(f"[data-fv-sync-items] [data-fv-item='{record_id}']")).to_contain_text(
        "the central record is slow to answer; trying again")
    waiting(page, 1)
    # Tried again by itself, with backoff, never given up.
    eventually(page, lambda: len(held) >= 2, timeout=30_000)
    waiting(page, 1)

    page.unroute("**/api/sync/push")
    for route in held:
        try:
            route.abort()
        except Exception:  # noqa: BLE001 - the tablet gave up on it already
            pass
    sync_now(page)
    waiting(page, 0)
    expect(status).to_have_attribute("data-fv-signal", "yes")
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)]


MOVE_CONTACT_BACK = """async (hours) => {
  const idb = await import('/static/js/idb.js');
  const outbox = await import('/static/js/outbox.js');
  const id = (await outbox.currentPractitioner()).practitioner_id;
  const back = Date.now() - hours * 3600 * 1000;
  const sync = await outbox.syncState(id);
  await idb.setMeta(`sync:${id}`, {...sync, last_verified_at: back, last_contact_at: back, last_success_at: back});
  const pack = await outbox.packOf(id);
  await outbox.setPack(id, {...pack, fetched_at: back});
}"""


def test_offline_data_locks_after_the_settings_hours_without_contact_until_signing_in_with_signal(
        playwright_instance, server, tmp_path):
    db = connect(server.db_path)
    settings.save(db, "offline_lock_hours", 5)  # the partnership's setting reaches the tablet in the pack
    db.close()
    context, page = launch_tablet(playwright_instance, tmp_path / "profile")
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    page.goto(server.url + "/today")
    form_url = page.get_by_role("link", name=re.compile("Record this visit")).first.get_attribute("href")
    family_url = page.locator(".fv-visit-card__title a").first.get_attribute("href")

    server.stop()
    open_form(page, server.url + form_url)
    fill_visit(page)
    record_id = save(page)
    waiting(page, 1)
    page.goto(server.url + family_url)
    expect(page.locator("h1")).to_contain_text("household")  # kept, and open, within the hours

    page.evaluate(MOVE_CONTACT_BACK, 6)  # six hours since the central record last answered
    for url in (family_url, "/today", form_url):
        page.goto(server.url + url)
        expect(page.get_by_role("heading", name="What this tablet keeps is locked")).to_be_visible()
        expect(page.locator("main")).to_contain_text("for more than 5 hours")
        expect(page.locator("main")).not_to_contain_text("household")
    screenshot(page, "offline-locked")
    page.goto(server.url + "/offline/records")
    offline_ready(page)
    waiting(page, 1)  # still there, sealed
    expect(page.locator("[data-fv-sync-alerts]")).to_contain_text("What this tablet keeps is locked")
    expect(page.locator("[data-fv-sync-items]")).not_to_contain_text("Record a visit to")  # no readable copy
    answer = page.evaluate("""async () => (await import('/static/js/worker-link.js')).askWorker(
        {type: 'unlock', pin: '%s'})""" % PIN)
    assert answer["ok"] is False and answer["expired"] is True  # the PIN alone does not open it

    # Signing in with signal opens it again, and the record waiting is sent.
    server.start()
    context.clear_cookies()
    sign_in(page, server)
    offline_ready(page)
    waiting(page, 0)
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)]
    sync_idle(page)
    server.stop()
    page.goto(server.url + "/today")  # (the visit is recorded: its family may have left the pack)
    unlock(page)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(page.locator("[data-fv-sync-alerts]")).not_to_contain_text("is locked")
    context.close()


def test_site_storage_cleared_while_the_app_is_open_does_not_brick_it_and_says_what_may_be_lost(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    save(page)
    waiting(page, 1)

    # The browser clears the site's storage while the page and its service worker are alive.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Storage.clearDataForOrigin", {"origin": server.url, "storageTypes": "indexeddb,cache_storage"})
    server.start()
    for url in ("/today", "/families/21"):
        page.goto(server.url + url)  # before: net::ERR_FAILED on every navigation, online too
        offline_ready(page)
        lost = page.locator("[data-fv-alert=storage-lost]")
        expect(lost).to_contain_text("records kept on it may have been lost: 1 record was waiting to be sent")
    screenshot(page, "storage-lost")
    lost.get_by_role("button", name="I have checked").click()
    expect(page.locator("[data-fv-alert=storage-lost]")).to_have_count(0)

    # The tablet works again: a record saved now reaches the central record.
    open_form(page, server.url + "/families/21/visits/new")
    fill_visit(page)
    record_id = save(page)
    # The status may still say 0 waiting for a moment after the notice (it is drawn after the
    # save): wait for the central record itself, then for the status.
    eventually(page, lambda: central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)])
    waiting(page, 0)


REFUSE_PERSISTENCE = """(() => {
  const storage = navigator.storage;
  if (!storage) return;
  storage.persisted = async () => false;
  storage.persist = async () => {
    localStorage.setItem('test:persist-asked', String(Number(localStorage.getItem('test:persist-asked') || 0) + 1));
    return false;  // as a browser that refuses
  };
})();"""


def test_persistent_storage_is_asked_for_at_pin_set_up_and_today_says_when_the_browser_refused(tablet, server):
    page = tablet
    page.add_init_script(REFUSE_PERSISTENCE)
    sign_in(page, server)
    offline_ready(page)
    assert page.evaluate("() => localStorage.getItem('test:persist-asked')") is None  # not asked on every page
    set_pin(page, server)
    assert page.evaluate("() => localStorage.getItem('test:persist-asked')") == "1"
    page.goto(server.url + "/today")
    offline_ready(page)
    alerts = page.locator("[data-fv-sync-alerts] p")
    expect(page.locator("[data-fv-alert=not-persistent]")).to_contain_text(
        re.compile(r"\d+ pages kept for no signal, but the browser may clear them: sync often"))
    expect(alerts).to_have_count(1)  # one line, in place of the usual one: nothing moves
    screenshot(page, "today-storage-not-persistent")
    page.goto(server.url + "/families/21")
    offline_ready(page)
    expect(page.locator("[data-fv-alert=not-persistent]")).to_have_count(0)  # said on Today
