"""Offline-first in a real browser (issue 5): a practitioner records visits with the server
really stopped, and every record reaches the central record exactly once.

"No signal" here is the server stopped (see tests/browser/offline_helpers.py, which these tests
share with the other offline tests).
"""
import re
import sqlite3
from datetime import date

import pytest
from playwright.sync_api import expect

from fieldvisit.db import connect
from tests.browser.conftest import DEMO_PASSWORD, screenshot, sign_in
from tests.browser.offline_helpers import (central, eventually, fill_bruise, fill_visit,  # noqa: F401
                                           launch_tablet, offline_ready, open_form, record_another, save,
                                           save_mark, server, set_pin, sync_now, unlock, waiting)

pytestmark = pytest.mark.browser


def test_visit_saved_with_the_server_stopped_survives_reload_and_restart_and_arrives_once(
        playwright_instance, server, tmp_path):
    profile = tmp_path / "profile"
    context, page = launch_tablet(playwright_instance, profile)
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    page.goto(server.url + "/today")
    form_url = page.get_by_role("link", name=re.compile("Record this visit")).first.get_attribute("href")
    family_url = page.locator(".fv-visit-card__title a").first.get_attribute("href")

    server.stop()
    page.goto(server.url + "/today")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(page.locator("[data-fv-sync-alerts]")).to_contain_text("No signal: this is the copy of this page kept on this tablet")
    page.goto(server.url + family_url)
    expect(page.locator("h1")).to_contain_text("household")
    page.goto(server.url + "/families/999999")
    expect(page.get_by_role("heading", name="This page is not available offline")).to_be_visible()

    open_form(page, server.url + form_url)
    fill_visit(page, child_alone=True)
    record_id = save(page)
    waiting(page, 1)
    tags = page.evaluate("async () => (await navigator.serviceWorker.ready).sync.getTags()")
    assert "fieldvisit-outbox" in tags  # Background Sync asked to send it when it can

    page.reload()
    waiting(page, 1)
    context.close()

    # The tablet is restarted, still with no signal: the records are there, locked.
    context, page = launch_tablet(playwright_instance, profile)
    page.goto(server.url + "/offline/records")
    offline_ready(page)
    waiting(page, 1)
    expect(page.locator("[data-fv-locked-note]")).to_be_visible()
    page.goto(server.url + family_url)
    unlock(page)
    expect(page).to_have_url(server.url + family_url)
    expect(page.locator("h1")).to_contain_text("household")
    page.goto(server.url + "/offline/records")
    expect(page.locator("[data-fv-waiting]")).to_contain_text("Record a visit to")
    expect(page.locator("[data-fv-waiting]")).to_contain_text("waiting for signal")

    server.start()
    sync_now(page)
    waiting(page, 0)
    expect(page.locator("[data-fv-records-facts]")).to_contain_text("Matches the central record")
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)]
    [(containers, account)] = central(
        server, "SELECT alcohol_containers, parent_alcohol_account FROM visit_records WHERE id = ?", [record_id])
    assert '"wine_bottle"' in containers and '"count": 3' in containers
    assert account == "Only at weekends.\r\nNever with the children."
    assert central(server, "SELECT count(*) FROM escalations WHERE origin_kind = 'visit' AND origin_id = ?"
                           " AND rule = 'child_found_alone'", [record_id]) == [(1,)]
    context.close()


def test_lost_acknowledgements_lose_nothing_and_duplicate_nothing(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    first = save(page)
    page.get_by_role("button", name="Record another").click()
    fill_visit(page, duration="20")
    second = save(page)
    assert first != second
    waiting(page, 2)

    server.start()
    answered = []

    def lose_the_answer(route):
        answered.append(route.fetch().status)  # the server has handled the batch...
        route.abort("connectionreset")  # ...and its answer never reaches the tablet

    page.route("**/api/sync/push", lose_the_answer)
    sync_now(page)
    eventually(page, lambda: answered == [200])
    waiting(page, 2)
    assert central(server, "SELECT count(*) FROM visit_records WHERE id IN (?, ?)", [first, second]) == [(2,)]

    page.unroute("**/api/sync/push")
    sync_now(page)
    waiting(page, 0)
    assert central(server, "SELECT id, count(*) FROM visit_records WHERE id IN (?, ?) GROUP BY id ORDER BY id",
                   [first, second]) == sorted([(first, 1), (second, 1)])
    assert central(server, "SELECT count(*) FROM sync_receipts WHERE item_id IN (?, ?)", [first, second]) == [(2,)]


def test_session_ending_while_offline_pauses_the_queue_until_signing_in_again(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    record_id = save(page)
    page.context.clear_cookies()  # the session ends while the tablet has no signal
    server.start()
    sync_now(page)
    alerts = page.locator("[data-fv-sync-alerts]")
    expect(alerts).to_contain_text("You have been signed out, so your records cannot be sent.")
    waiting(page, 1)
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(0,)]

    alerts.get_by_role("link", name="Sign in again to send them").click()
    page.get_by_label("Username").fill("demo-worker")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/families/21/visits/new"))
    waiting(page, 0)
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)]


def test_rejected_record_needs_attention_then_is_fixed_and_sent(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page, duration="")  # forgotten: how long the visit lasted
    record_id = save(page)
    server.start()
    sync_now(page)
    waiting(page, 0, attention=1)

    page.goto(server.url + "/offline/records")
    card = page.locator(f".fv-attention-card[data-fv-item='{record_id}']")
    expect(card).to_contain_text("Enter how long the visit lasted, in minutes")
    screenshot(page, "offline-needs-attention-tablet")
    card.get_by_role("link", name="Open it and fix it").click()
    expect(page.get_by_text("The central record did not accept this record")).to_be_visible()
    assert page.locator("input[name=record_id]").input_value() == record_id
    expect(page.get_by_label("Your analysis")).to_have_value("Recorded with no signal, in the family's home.")
    expect(page.locator("#duration_minutes-error")).to_contain_text("Enter how long the visit lasted")
    page.get_by_label("Length in minutes").fill("35")
    page.get_by_role("button", name="Save visit record").click()
    expect(page.get_by_text("The visit record has been saved to the central record.")).to_be_visible()
    assert record_id in page.url
    waiting(page, 0, attention=0)
    assert central(server, "SELECT duration_minutes FROM visit_records WHERE id = ?", [record_id]) == [(35,)]


def test_chromium_finds_the_app_installable(playwright_instance, live_server, tmp_path):
    # A persistent profile: Chromium never offers to install from an incognito context.
    context, page = launch_tablet(playwright_instance, tmp_path / "profile")
    try:
        sign_in(page, live_server)
        offline_ready(page)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"].endswith("/manifest.webmanifest")
    finally:
        context.close()


def test_two_body_map_marks_saved_with_the_server_stopped_arrive_once_and_raise_the_escalation(tablet, live_server):
    """The body map of a visit already on the central record, opened with signal; the marks are
    recorded after the signal is lost. (The body map of a visit itself recorded with no signal:
    tests/browser/test_offline_bodymap.py.)"""
    from tests.test_bodymap_routes import a_visit, health_visitors_baby
    db = connect(live_server.db_path)
    try:
        baby = health_visitors_baby(db)
        visit_id = a_visit(db, baby["family_id"], day=date.today().isoformat())
    finally:
        db.close()
    page = tablet
    sign_in(page, live_server, "demo-health-visitor")
    offline_ready(page)
    page.goto(f"{live_server.url}/visits/{visit_id}/children/{baby['id']}/body-map")
    form = page.locator("form[data-record-kind=bodymap_mark]")
    expect(form).to_have_attribute("data-fv-outbox", "ready")
    live_server.stop()
    ids = []
    for number, (region, explanation) in enumerate(
            (("front/left_cheek", "Rolled into the cot bars."), ("back/lower_back", "Not known.")), start=1):
        form.get_by_label("Where is the mark?").select_option(region)
        fill_bruise(form, explanation)
        ids.append(save_mark(page, form, number))
        record_another(page, form, number + 1)
    assert len(set(ids)) == 2
    waiting(page, 2)
    page.reload()
    waiting(page, 2)

    live_server.start()
    sync_now(page)
    waiting(page, 0)
    marks = central(live_server, "SELECT id, region FROM body_map_marks WHERE id IN (?, ?) ORDER BY region", ids)
    assert [region for _, region in marks] == ["left_cheek", "lower_back"]
    raised = central(live_server, "SELECT origin_kind, origin_id FROM escalations WHERE child_id = ?"
                                  " AND rule = 'bruise_not_independently_mobile'", [baby["id"]])
    assert raised and len(raised) == len(set(raised))  # raised on arrival, once per origin


def test_a_conflict_is_kept_and_shown_until_its_author_lets_it_go(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    record_id = save(page)
    # Meanwhile a different record with the same id reached the central record.
    conn = sqlite3.connect(server.db_path)
    with conn:
        conn.execute("INSERT INTO sync_receipts (item_id, kind, content_hash, author_id, device_id, recorded_at,"
                     " received_at, ref) SELECT ?, 'visit', 'other content', id, '', '2025-01-01', '2025-01-01', ?"
                     " FROM practitioners WHERE username = 'demo-worker'", [record_id, record_id])
    conn.close()
    server.start()
    sync_now(page)
    waiting(page, 0, attention=1)
    assert central(server, "SELECT count(*) FROM sync_conflicts WHERE item_id = ?", [record_id]) == [(1,)]

    page.goto(server.url + "/offline/records")
    card = page.locator(f".fv-attention-card[data-fv-item='{record_id}']")
    expect(card).to_have_attribute("data-fv-status", "conflict")
    expect(card).to_contain_text("The central record has kept this copy too, for your team lead to review.")
    expect(card).to_contain_text("A different record was already received with this id.")
    sync_now(page)  # a conflict is never sent again, and never leaves by itself
    waiting(page, 0, attention=1)
    card.get_by_role("button", name="Remove it from this tablet").click()
    card.get_by_role("button", name="Yes, remove it").click()
    waiting(page, 0, attention=0)
    assert central(server, "SELECT count(*) FROM sync_conflicts WHERE item_id = ?", [record_id]) == [(1,)]


CLIENT_RULES = """async () => {
  const { backoffDelay, BACKOFF_CAP_MS } = await import('/static/js/sync.js');
  const { pinProblem } = await import('/static/js/keystore.js');
  const c = await import('/static/js/crypto.js');
  const keys = await c.generateReaderKeys();
  const other = await c.generateReaderKeys();
  const sealed = await c.sealJson(keys.publicKey, { fields: { note: ['ça va'] } }, 'id-1');
  const fails = async (promise) => promise.then(() => false, () => true);
  return {
    delays: [1, 2, 3, 10, 30].map((n) => [backoffDelay(n, () => 0), backoffDelay(n, () => 1)]),
    cap: BACKOFF_CAP_MS,
    pins: ['', '12a456', '12345', '1234567890123', '111111', '123456', '987654', '246810', '0147258369']
      .map((pin) => pinProblem(pin)),
    opened: await c.unsealJson(keys.privateKey, sealed, 'id-1'),
    otherId: await fails(c.unsealJson(keys.privateKey, sealed, 'id-2')),
    otherKey: await fails(c.unsealJson(other.privateKey, sealed, 'id-1')),
    ivs: new Set(await Promise.all([1, 2, 3].map(async () => (await c.seal(keys.publicKey, 'x', 'a')).iv))).size,
  };
}"""


def test_client_rules_backoff_pin_and_encryption(tablet, live_server):
    tablet.goto(live_server.url + "/offline/unavailable")
    rules = tablet.evaluate(CLIENT_RULES)
    cap = rules["cap"]
    assert rules["delays"][:3] == [[2500, 5000], [5000, 10000], [10000, 20000]]  # doubling, half of it random
    assert rules["delays"][3:] == [[cap // 2, cap], [cap // 2, cap]]  # capped
    assert [problem is None for problem in rules["pins"]] == [False] * 7 + [True, True]
    assert rules["opened"] == {"fields": {"note": ["ça va"]}}
    assert rules["otherId"] and rules["otherKey"]  # the id is bound, and only the right key opens it
    assert rules["ivs"] == 3


OUTBOX_ENTRY = """async (id) => {
  const entry = await (await import('/static/js/outbox.js')).item(id);
  return {readable: Boolean(entry.readable), generation: entry.reader_generation, sealed: Boolean(entry.sealed)};
}"""
FORGET_READER_KEY = """async () => {
  const outbox = await import('/static/js/outbox.js');
  const keystore = await import('/static/js/keystore.js');
  await keystore.forgetReaderKey((await outbox.currentPractitioner()).practitioner_id);
}"""


def test_a_save_seals_with_the_keys_of_the_moment_it_is_saved_not_of_when_the_form_opened(tablet, server):
    """A form reads what a save seals with when it opens (issue 13: Save then waits for no read). A key
    changed since, here the PIN forgotten in another tab, is the one the save uses: no readable copy is
    kept for a reader key that is gone."""
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    first = save(page)
    assert page.evaluate(OUTBOX_ENTRY, first) == {"readable": True, "generation": 1, "sealed": True}

    page.get_by_role("button", name="Record another").click()
    expect(page.locator("form[data-record-kind=visit]")).to_have_attribute("data-fv-outbox", "ready")
    page.wait_for_timeout(1100)  # GOV.UK's Save button ignores a second press within a second
    page.evaluate(FORGET_READER_KEY)
    fill_visit(page)
    second = save(page)
    assert second != first
    assert page.evaluate(OUTBOX_ENTRY, second) == {"readable": False, "generation": None, "sealed": True}
    waiting(page, 2)
