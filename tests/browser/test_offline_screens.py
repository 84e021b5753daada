"""How the offline screens look and read, at tablet and phone sizes (issue 5): the PIN pages,
the status area opened out, a record saved with no signal, and the records on this tablet.
Each is screenshotted into test-artifacts/ and checked with axe-core."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_serious_accessibility_violations, screenshot, sign_in
from tests.browser.offline_helpers import (fill_visit, offline_ready, open_form, save, server,  # noqa: F401
                                           set_pin, waiting)

pytestmark = pytest.mark.browser


@pytest.fixture(params=["tablet", "phone"])
def device(request):
    return request.param, request.getfixturevalue(request.param)


def fits(page, name):
    screenshot(page, name)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    assert_no_serious_accessibility_violations(page)


def test_offline_screens_read_well_on_a_tablet_and_a_phone(device, server):
    size, page = device
    sign_in(page, server)
    offline_ready(page)
    page.goto(server.url + "/offline/pin")
    offline_ready(page)
    fits(page, f"offline-pin-set-{size}")
    page.get_by_label("PIN", exact=True).fill("123456")
    page.get_by_role("button", name="Set PIN").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("harder to guess")
    fits(page, f"offline-pin-error-{size}")
    set_pin(page, server)

    open_form(page, server.url + "/families/21/visits/new")
    server.stop()
    fill_visit(page)
    save(page)
    waiting(page, 1)
    page.evaluate("window.scrollTo(0, 0)")
    fits(page, f"offline-saved-{size}")
    page.locator("[data-fv-sync] summary").click()
    expect(page.locator("[data-fv-sync-items]")).to_contain_text("Record a visit to")
    expect(page.locator("[data-fv-sync-facts]")).to_contain_text("Storage")
    fits(page, f"offline-status-open-{size}")

    page.goto(server.url + "/offline/records")
    offline_ready(page)
    expect(page.locator("[data-fv-waiting]")).to_contain_text("waiting for signal")
    fits(page, f"offline-records-{size}")
    page.get_by_role("button", name="Lock the records").click()
    page.goto(server.url + "/offline/unlock?next=/offline/records")
    offline_ready(page)
    fits(page, f"offline-unlock-{size}")
    page.goto(server.url + "/families/99999")
    fits(page, f"offline-unavailable-{size}")
