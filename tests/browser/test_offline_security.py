"""What the tablet holds, and for whom (issue 5, docs/offline-security.md): signing out and a
change of user wipe what was readable but never the records waiting to be sent; wrong PINs
wipe the readable copies while the sealed copies still reach the central record; an update of
the service worker keeps the outbox; one kept form opened in two tabs makes two record ids."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, sign_in
from tests.browser.offline_helpers import server  # noqa: F401 (the fixture)
from tests.browser.offline_helpers import (PIN, central, eventually, fill_visit, offline_ready, open_form, save,
                                           set_pin, sync_idle, sync_now, waiting)

pytestmark = pytest.mark.browser

READ_TABLET = """async () => {
  const idb = await import('/static/js/idb.js');
  const all = (store) => idb.read(store, (s) => idb.result(s[store].getAll()));
  const [outbox, pages, keys] = await Promise.all([all('outbox'), all('pages'), all('keys')]);
  return {
    current: await idb.getMeta('current'),
    outbox: outbox.map((e) => ({id: e.id, practitioner_id: e.practitioner_id, status: e.status,
                                sealed: Boolean(e.sealed), readable: Boolean(e.readable)})),
    pages: pages.map((p) => [p.practitioner_id, p.url]),
    pins: keys.filter((k) => k.wrapped_private).map((k) => k.practitioner_id),
  };
}"""


def tablet_state(page):
    return page.evaluate(READ_TABLET)


def ask_worker(page, message):
    return page.evaluate("async (m) => (await import('/static/js/worker-link.js')).askWorker(m)", message)


def sign_in_as(page, username):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today")


def test_sign_out_warns_then_wipes_pages_and_a_new_user_cannot_read_the_records_left(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    worker_id = tablet_state(page)["current"]["practitioner_id"]
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    record_id = save(page)
    assert tablet_state(page)["pages"], "the pack was kept"

    page.get_by_role("button", name="Sign out").click()
    warning = page.locator("#fv-sign-out-warning")
    expect(warning).to_contain_text("You have 1 record on this tablet not yet sent to the central record")
    warning.get_by_role("button", name="Send them now").click()
    expect(warning).to_contain_text("1 record is still not sent")
    warning.get_by_role("button", name="Sign out anyway").click()
    expect(page).to_have_url(re.compile("/offline/signed-out"))
    state = tablet_state(page)
    assert state["pages"] == [] and state["current"] is None
    assert [(e["id"], e["sealed"], e["readable"]) for e in state["outbox"]] == [(record_id, True, True)]
    page.goto(server.url + "/families/21")  # nothing to read until someone signs in with signal
    expect(page.get_by_role("heading", name="You have signed out on this tablet")).to_be_visible()

    server.start()
    page.goto(server.url + "/sign-in")  # the sign-out made offline reaches the server first
    assert central(server, "SELECT count(*) FROM audit_log WHERE action = 'sign_out' AND practitioner_id = ?",
                   [worker_id]) == [(1,)]
    sign_in_as(page, "demo-social-worker")
    offline_ready(page)
    waiting(page, 0)
    page.locator("[data-fv-sync] summary").click()
    expect(page.locator("[data-fv-sync-facts]")).to_contain_text("1 kept, locked, for their authors to send")
    assert ask_worker(page, {"type": "open-item", "id": record_id})["ok"] is False
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(0,)]

    page.get_by_role("button", name="Sign out").click()  # nothing unsent: no warning
    page.wait_for_url("**/sign-in?signed_out=1")
    sign_in_as(page, "demo-worker")
    offline_ready(page)
    waiting(page, 0)
    assert central(server, "SELECT practitioner_id FROM visit_records WHERE id = ?", [record_id]) == [(worker_id,)]


def test_five_wrong_pins_wipe_the_readable_copies_and_the_record_is_still_sent(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    record_id = save(page)
    page.goto(server.url + "/offline/records")
    page.get_by_role("button", name="Lock the records").click()
    expect(page.locator("[data-fv-locked-note]")).to_be_visible()

    page.goto(server.url + "/offline/unlock?next=/offline/records")
    for tries_left in (4, 3, 2, 1):
        page.get_by_label("PIN", exact=True).fill("999111")
        page.get_by_role("button", name="Unlock").click()
        expect(page.locator("#pin-error")).to_contain_text(
            f"That PIN is not right. You have {tries_left} tr{'ies' if tries_left > 1 else 'y'} left.")
    page.get_by_label("PIN", exact=True).fill(PIN[::-1])
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("heading", name="The copies on this tablet have been wiped")).to_be_visible()
    state = tablet_state(page)
    assert state["pages"] == [] and state["pins"] == []
    assert [(e["id"], e["sealed"], e["readable"]) for e in state["outbox"]] == [(record_id, True, False)]

    server.start()
    page.goto(server.url + "/offline/records")
    offline_ready(page)
    sync_now(page)
    waiting(page, 0)
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)]


def test_an_update_of_the_service_worker_replaces_the_shell_cache_and_keeps_the_outbox(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    shell_caches = "async () => (await caches.keys()).filter((name) => name.startsWith('fieldvisit-shell-'))"
    [before] = page.evaluate(shell_caches)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    record_id = save(page)

    (server.instance_dir / "config.py").write_text('OFFLINE_BUILD = "the next release"\n')
    server.start()
    page.route("**/api/sync/push", lambda route: route.fulfill(status=503, json={"error": "unavailable"}))
    page.evaluate("async () => (await navigator.serviceWorker.ready).update()")
    page.wait_for_function(f"""async () => {{
        const names = await caches.keys();
        return names.some((n) => n.startsWith('fieldvisit-shell-') && n !== {before!r}) && !names.includes({before!r});
    }}""", polling=200, timeout=30_000)
    assert [e["id"] for e in tablet_state(page)["outbox"]] == [record_id]

    page.unroute("**/api/sync/push")
    page.reload()
    offline_ready(page)
    waiting(page, 0)
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)]


def test_one_kept_form_opened_in_two_tabs_gets_two_record_ids(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    server.stop()
    url = server.url + "/families/21/visits/new"
    open_form(page, url)
    other = page.context.new_page()
    open_form(other, url)
    ids = [tab.locator("input[name=record_id]").input_value() for tab in (page, other)]
    assert ids[0] != ids[1]
    for tab in (page, other):
        fill_visit(tab)
        save(tab)
    waiting(page, 2)
    page.reload()
    expect(page.locator("form[data-record-kind=visit]")).to_have_attribute("data-fv-outbox", "ready")
    assert page.locator("input[name=record_id]").input_value() not in ids  # a used id is never reused
    other.close()


def kept_pages(page):
    return page.evaluate("""async () => {
        const idb = await import('/static/js/idb.js');
        return idb.read('pages', (s) => idb.result(s.pages.count()));
    }""")


def test_a_different_user_signing_in_wipes_the_pages_kept_for_the_last_one(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    assert kept_pages(page) > 0
    for username, keeps in (("demo-admin", False), ("demo-worker", True), ("demo-social-worker", False)):
        sync_idle(page)  # the pack being kept for the last one has been kept
        page.context.clear_cookies()  # the last session ends without signing out
        page.goto(server.url + "/sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        # The worker again: their pack is kept anew at sign-in (their PIN is still set).
        settled = (lambda: kept_pages(page) > 0) if keeps else (lambda: kept_pages(page) == 0)
        eventually(page, settled)
        current = tablet_state(page)["current"]
        assert (current or {}).get("username") == (None if username == "demo-admin" else username)
    assert tablet_state(page)["pins"], "the worker's own PIN stays, for their records still to send"
