"""What the offline browser tests share: a server with a short pack, a tablet on a persistent
profile, the PIN, filling in and saving records with no signal, and reading the central record.

OFFLINE.md: `context.set_offline(True)` does not cut the service worker's own requests, so
"no signal" in these tests is the server stopped (`server.stop()`; `.start()` keeps the port and
the database). Reconnecting fires no Background Sync event in tests: the replay is started the
way the app does it, with the "Sync now" button or a page load.
"""
import re
import sqlite3

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from fieldvisit import settings
from fieldvisit.db import connect
from fieldvisit.visits.domain import HOME_CONDITION_HEADINGS
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET

PIN = "258014"
SYNC_TIMEOUT = 60_000  # a shared CI machine can take this long to fill a pack
READY_TIMEOUT = 60_000

READ_KEPT_PAGES = """async () => {
  const idb = await import('/static/js/idb.js');
  return (await idb.read('pages', (s) => idb.result(s.pages.getAll()))).map((p) => p.url);
}"""

WORKER_STATE = """async () => {
  const r = await navigator.serviceWorker.getRegistration();
  return r ? {active: r.active && r.active.state, installing: r.installing && r.installing.state,
              waiting: r.waiting && r.waiting.state} : 'no registration';
}"""


@pytest.fixture
def server(live_server):
    """The live server with a one-day pack, so keeping it on the tablet takes seconds."""
    db = connect(live_server.db_path)
    settings.save(db, "today_days_ahead", 1)
    db.close()
    return live_server


def central(server, sql, params=()):
    """Rows of the central record, read straight from the live server's database."""
    conn = sqlite3.connect(server.db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def launch_tablet(playwright, profile, viewport=TABLET):
    """Chromium on a profile kept on disk: closing and launching it again is a browser restart."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=viewport,
        locale="en-GB", timezone_id="Europe/London")
    return context, (context.pages[0] if context.pages else context.new_page())


def offline_ready(page):
    """The service worker controls the page and the status area has been filled in."""
    # A function, not a bare expression: Playwright evaluates a bare expression with eval(),
    # which our Content-Security-Policy (no 'unsafe-eval') refuses when it has to poll.
    # Generous: a first visit installs the service worker and caches the whole app shell, which
    # takes long when the machine is busy (a shared 2-CPU machine saw more than 20 s).
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=READY_TIMEOUT)
    except PlaywrightTimeoutError:
        raise AssertionError(f"no service worker controls {page.url}: {page.evaluate(WORKER_STATE)}") from None
    expect(page.locator("[data-fv-sync]")).to_be_visible(timeout=READY_TIMEOUT)
    expect(page.locator("[data-fv-sync]")).to_have_attribute("data-fv-count-waiting", re.compile(r"\d+"),
                                                              timeout=READY_TIMEOUT)


def set_pin(page, server, pin=PIN):
    page.goto(server.url + "/offline/pin")
    offline_ready(page)
    page.get_by_label("PIN", exact=True).fill(pin)
    page.get_by_label("Enter the PIN again").fill(pin)
    page.get_by_role("button", name="Set PIN").click()
    expect(page.get_by_role("heading", name="Your PIN is set")).to_be_visible()
    expect(page.locator("[data-fv-pages-kept]")).to_contain_text("now kept on this tablet", timeout=90_000)


def unlock(page, pin=PIN):
    """On "Enter your PIN": unlock, and wait to be taken back to the page asked for."""
    expect(page).to_have_url(re.compile(r"/offline/unlock\?next="))
    page.get_by_label("PIN", exact=True).fill(pin)
    page.get_by_role("button", name="Unlock").click()
    expect(page).not_to_have_url(re.compile(r"/offline/unlock"))


def kept_pages(page):
    """The URLs of the pages kept on this tablet (their contents are encrypted)."""
    return page.evaluate(READ_KEPT_PAGES)


def waiting(page, count, attention=0):
    status = page.locator("[data-fv-sync]")
    expect(status).to_have_attribute("data-fv-count-waiting", str(count), timeout=SYNC_TIMEOUT)
    expect(status).to_have_attribute("data-fv-count-attention", str(attention), timeout=SYNC_TIMEOUT)


def eventually(page, condition, timeout=SYNC_TIMEOUT):
    """Wait (letting the page run) until `condition()` holds."""
    for _ in range(timeout // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


SYNC_RUNNING = """async () => (await navigator.locks.query()).held.some((lock) => ['fieldvisit-sync', 'fieldvisit-pack'].includes(lock.name))"""


def sync_idle(page):
    """Wait until no sync runs (it holds a Web Lock): e.g. before ending the session under it, whose
    last answers would otherwise bring the old session cookie back."""
    eventually(page, lambda: not page.evaluate(SYNC_RUNNING), timeout=60_000)


def open_form(page, url, kind="visit"):
    page.goto(url)
    expect(page.locator(f"form[data-record-kind={kind}]")).to_have_attribute("data-fv-outbox", "ready")


def fill_visit(page, duration="45", child_alone=False):
    """A completed visit: every child seen, every heading rated, three empty wine bottles."""
    page.get_by_role("group", name="Type of visit").get_by_label("Planned").check()
    page.get_by_label("Length in minutes").fill(duration)
    page.get_by_role("group", name="Outcome").get_by_label("Visit completed").check()
    sections = page.locator(".fv-child-section")
    for index in range(sections.count()):
        section = sections.nth(index)
        for group in section.get_by_role("group").all():
            if group.get_by_label("Yes").count() and not group.locator("xpath=ancestor::*[@data-safe-sleep]").count():
                group.get_by_label("Yes").check()
        fill_safe_sleep(section)
    adults = page.locator(".fv-adult-row")
    for index in range(adults.count()):
        row = adults.nth(index)
        if row.get_by_label("Name or description").input_value():
            row.get_by_role("group", name="Were they there?").get_by_label("Expected but absent").check()
    for heading in HOME_CONDITION_HEADINGS.values():
        page.get_by_role("group", name=heading).get_by_label("Good", exact=True).check()
    bottles = page.locator(".fv-container-row").first
    bottles.get_by_label("How many").fill("3")
    bottles.get_by_label("What").select_option(label="Wine bottle")
    bottles.get_by_label("Where in the home").fill("kitchen worktop")
    page.get_by_label("What the parent or carer said about their drinking").fill("Only at weekends.\nNever with the children.")
    if child_alone:
        page.get_by_role("group", name="Was any child found alone or left with an unsuitable carer?") \
            .get_by_label("A child was found alone").check()
        sections.first.get_by_label(re.compile("was found alone or with an unsuitable carer")).check()
        page.get_by_label("What you found and what you did").fill("Alone in the flat at 4pm; mum back at 4.20pm.")
    page.get_by_label("Your analysis").fill("Recorded with no signal, in the family's home.")


def fill_safe_sleep(section, places=("In their own cot or Moses basket in the parents' room",), bed="No", sofa="No",
                    carer=("None of these",)):
    """Rule 12's questions, asked for a baby under 12 months only: by default, a baby in their own cot."""
    sleep = section.locator("[data-safe-sleep]")
    if not sleep.count():
        return
    for place in places:
        sleep.get_by_label(place, exact=True).check()
    sleep.get_by_role("group", name=re.compile("share a bed with an adult")).get_by_label(bed, exact=True).check()
    sleep.get_by_role("group", name=re.compile("on a sofa or armchair with an adult")).get_by_label(sofa, exact=True).check()
    for answer in carer:
        sleep.get_by_label(answer, exact=True).check()


def save(page):
    page.get_by_role("button", name="Save visit record").click()
    expect(page.get_by_text("Saved on this tablet — not sent yet")).to_be_visible()
    return page.locator("input[name=record_id]").input_value()


def sync_now(page):
    page.get_by_role("button", name="Sync now").first.click()


def fill_bruise(form, explanation, colours=("Blue",)):
    """A 2 cm oval bruise with a parent's explanation (the place is chosen before)."""
    form.get_by_label("Bruise", exact=True).check()
    form.get_by_label("Length in cm").fill("2")
    form.get_by_label("Oval").check()
    for colour in colours:
        form.get_by_label(colour, exact=True).check()
    for legend, answer in (("Is the skin broken?", "No"), ("Is there swelling?", "No"), ("in pain", "Not known"),
                           ("consistent with the explanation", "Unsure")):
        form.locator("fieldset").filter(has_text=legend).get_by_label(answer, exact=True).check()
    form.get_by_label("A parent or carer").check()
    form.get_by_label("The explanation, in their words").fill(explanation)
    form.locator("fieldset").filter(has_text="believed to be a birthmark").get_by_label("No", exact=True).check()
    form.get_by_label("Not patterned").check()


def save_mark(page, form, number):
    """Save a body-map mark with no signal: on the tablet first."""
    form.get_by_role("button", name=f"Save mark {number}").click()
    expect(page.get_by_text("Saved on this tablet — not sent yet")).to_be_visible()
    return form.locator("input[name=record_id]").input_value()


def record_another(page, form, number):
    """"Record another" after a saved mark: the form comes back empty for the next number."""
    page.get_by_role("button", name="Record another").click()
    expect(form.get_by_role("heading", name=f"Record mark {number}")).to_be_visible()
    page.wait_for_timeout(1100)  # GOV.UK's Save button ignores a second press within a second
