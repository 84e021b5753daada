"""Rule 12 in the browser: a practitioner records that a 1-month-old sleeps on the sofa with a mother who had
been drinking; the visit is flagged for co-sleeping risk on the visit page, the child page and with the
partnership's safer-sleep actions; contradicting answers are refused naming both."""
import re

import pytest
from playwright.sync_api import expect

from fieldvisit import settings
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.browser.offline_helpers import fill_safe_sleep, fill_visit
from tests.browser.test_offline_bodymap import todays_family_with_a_non_mobile_baby

pytestmark = pytest.mark.browser


def baby_section(page, baby):
    return page.locator(f'.fv-child-section[data-child-id="{baby["id"]}"]')


def test_a_baby_asleep_on_the_sofa_with_a_mother_who_had_been_drinking_is_flagged(tablet, live_server):
    family = todays_family_with_a_non_mobile_baby(live_server)
    baby = family["baby"]
    page = tablet
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/families/{family['family_id']}/visits/new")
    section = baby_section(page, baby)
    expect(section.locator("[data-safe-sleep]")).to_contain_text(f"Safer sleep: {baby['first_name']} is under 12 months")
    fill_visit(page)
    sleep = section.locator("[data-safe-sleep]")
    sleep.get_by_label("None of these", exact=True).uncheck()
    fill_safe_sleep(section, places=("On a sofa or armchair with an adult",), sofa="Yes",
                    carer=("The carer has drunk alcohol",))
    screenshot(page, "safe-sleep-questions")
    sleep.screenshot(path=str(ARTIFACTS / "safe-sleep-questions-section.png"))

    # First: sharing a sofa while the baby "sleeps only in their own cot" is refused, naming both answers.
    sleep.get_by_label("On a sofa or armchair with an adult", exact=True).uncheck()
    page.get_by_role("button", name="Save visit record").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("sleep on a sofa or armchair with an adult")
    expect(summary).to_contain_text("In their own cot or Moses basket in the parents' room")
    expect(summary).to_contain_text(baby["first_name"])

    section = baby_section(page, baby)
    section.locator("[data-safe-sleep]").get_by_label("On a sofa or armchair with an adult", exact=True).check()
    page.get_by_role("button", name="Save visit record").click()
    expect(page).to_have_url(re.compile(r"/visits/[0-9a-f-]{36}"), timeout=60_000)
    record = page.locator(".fv-safe-sleep-record")
    expect(record.get_by_text("Co-sleeping risk")).to_be_visible()
    expect(record).to_contain_text("sleeps on a sofa or armchair with an adult")
    raised = page.locator("#escalations").locator("xpath=following-sibling::div[contains(@class, 'fv-escalation')]")
    expect(raised.filter(has_text="Rule 12: co-sleeping risk")).to_have_count(1)
    for action in settings.DEFAULTS["safe_sleep_actions"]:
        expect(raised.filter(has_text="Rule 12").get_by_text(action)).to_be_visible()
    screenshot(page, "safe-sleep-visit")
    page.goto(f"{live_server.url}/children/{baby['id']}")
    expect(page.locator(".fv-safe-sleep-flags")).to_contain_text("Co-sleeping risk")
