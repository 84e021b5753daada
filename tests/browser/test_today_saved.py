"""Today says which of its visits were recorded on this tablet (static/js/today-saved.js): a visit
saved with no signal no longer shows a plain "Record this visit", and the card says when the record
has reached the central record, on the page already open."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.offline_helpers import (central, fill_visit, offline_ready, open_form, save,  # noqa: F401
                                           server, set_pin, sync_now, waiting)

pytestmark = pytest.mark.browser


def test_a_visit_recorded_with_no_signal_is_marked_on_today_until_and_after_it_is_sent(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    page.goto(server.url + "/today")
    form_url = page.locator("[data-fv-record-visit]").first.get_attribute("href")
    assert "scheduled=" in form_url

    server.stop()
    open_form(page, server.url + form_url)
    fill_visit(page)
    record_id = save(page)
    page.goto(server.url + "/today")  # the copy kept on the tablet
    card = page.locator("[data-fv-visit-card]").filter(has=page.locator(f"[href='{form_url}']"))
    note = card.locator("[data-fv-saved-here]")
    expect(note).to_have_attribute("data-fv-saved-here", "queued")
    expect(note).to_contain_text(re.compile(r"You recorded this visit on this tablet at \d\d:\d\d: waiting"))
    expect(card.get_by_role("link", name=re.compile("^Record another visit"))).to_have_class(
        re.compile("govuk-button--secondary"))
    expect(page.locator("[data-fv-saved-here]")).to_have_count(1)  # no other card
    screenshot(page, "today-visit-recorded-on-this-tablet")

    server.start()
    sync_now(page)
    waiting(page, 0)
    expect(note).to_have_attribute("data-fv-saved-here", "sent")
    expect(note).to_contain_text("sent to the central record")
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [record_id]) == [(1,)]

    page.goto(server.url + "/today")  # from the central record: the scheduled visit is done
    offline_ready(page)
    expect(page.locator(f"[href='{form_url}']")).to_have_count(0)
