"""Issue 10 in a real browser at tablet size: a team lead adds a family with a 4-month-old recorded
as rolling, assigns demo-worker and puts a visit on the rota; the family is then on demo-worker's
Families list and Today; a bruise recorded on that baby's body map escalates to the lead."""
import re
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from fieldvisit.db import connect
from tests.browser.conftest import TABLET, assert_no_serious_accessibility_violations, screenshot, sign_in
from tests.browser.test_bodymap import lead_page, tap_region, the_escalation_reaches_the_lead  # noqa: F401
from tests.test_bodymap_routes import a_visit

pytestmark = pytest.mark.browser


@pytest.fixture
def worker_page(browser):
    context = browser.new_context(viewport=TABLET, locale="en-GB", timezone_id="Europe/London")
    yield context.new_page()
    context.close()


def choose_option(select, starting):
    """Choose the option whose text starts with these words (the rest says role and agency)."""
    select.select_option(label=select.locator("option", has_text=starting).first.inner_text().strip())


def test_a_lead_adds_a_family_with_a_rolling_baby_assigns_a_worker_and_a_bruise_escalates(
        tablet, worker_page, lead_page, live_server):  # noqa: F811
    today = date.today()
    born = today - timedelta(days=4 * 30 + 5)  # four months old
    sign_in(tablet, live_server, "demo-lead")
    tablet.get_by_role("link", name="Families", exact=True).click()
    tablet.get_by_role("link", name="Add a family").click()

    # Bad input first: the error summary links to the field, and nothing is lost.
    tablet.get_by_label("Family's name").fill("Quenby household")
    tablet.get_by_role("button", name="Add the family").click()
    summary = tablet.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the family's address")
    expect(tablet.get_by_label("Family's name")).to_have_value("Quenby household")
    assert_no_serious_accessibility_violations(tablet)
    tablet.get_by_label("Address", exact=True).fill("9 Orchard Way, Northfield")
    tablet.get_by_label("Postcode", exact=True).fill("nf4 2rt")
    tablet.get_by_label("Known risks at the address for visiting workers (optional)").fill("Large dog")
    tablet.get_by_label("The case system's reference (optional)").fill("LL-777001")
    tablet.get_by_role("button", name="Add the family").click()

    expect(tablet.get_by_role("heading", name="Add a child")).to_be_visible()
    tablet.get_by_label("First name", exact=True).fill("Wren")
    tablet.get_by_label("Last name", exact=True).fill("Quenby")
    tablet.get_by_label("Date of birth").fill((today + timedelta(days=2)).isoformat())
    tablet.get_by_label("Female").check()
    tablet.get_by_label("NHS number (optional)").fill("943 476 5918")
    tablet.get_by_label("Rolling", exact=True).check()
    tablet.get_by_role("button", name="Add the child").click()
    expect(summary).to_contain_text("The date of birth must be today or in the past")
    expect(summary).to_contain_text("Enter a real NHS number")
    screenshot(tablet, "families-child-errors-tablet")
    tablet.get_by_label("Date of birth").fill(born.isoformat())
    tablet.get_by_label("NHS number (optional)").fill("943 476 5919")
    expect(tablet.get_by_label("Rolling", exact=True)).to_be_checked()
    tablet.get_by_role("button", name="Add the child").click()

    expect(tablet.get_by_role("heading", name="Quenby household")).to_be_visible()
    expect(tablet.locator("main")).to_contain_text("Wren Quenby")
    screenshot(tablet, "families-manage-tablet")
    assert_no_serious_accessibility_violations(tablet)
    tablet.get_by_role("link", name="Assign practitioners").click()
    choose_option(tablet.get_by_label("Practitioner"), "Sam Demo-Worker")
    tablet.get_by_role("button", name="Assign").click()
    expect(tablet.get_by_text("The practitioner is assigned")).to_be_visible()
    expect(tablet.locator("table")).to_contain_text("Sam Demo-Worker")
    screenshot(tablet, "families-assigned-tablet")
    assert_no_serious_accessibility_violations(tablet)

    db = connect(live_server.db_path)
    try:
        family_id, child_id = db.execute("SELECT f.id, c.id FROM families f JOIN children c ON c.family_id = f.id"
                                         " WHERE f.case_reference = 'LL-777001'").fetchone()
    finally:
        db.close()
    # The lead puts a visit for demo-worker on the rota for this afternoon.
    tablet.goto(f"{live_server.url}/families/{family_id}/rota/schedule")
    choose_option(tablet.get_by_label("Practitioner"), "Sam Demo-Worker")
    tablet.get_by_label("Date").fill(today.isoformat())
    tablet.get_by_label("Time").fill("23:00")
    tablet.get_by_role("button", name="Put it on the rota").click()
    expect(tablet.get_by_text("The visit is on the rota.")).to_be_visible()

    sign_in(worker_page, live_server, "demo-worker")
    expect(worker_page.locator("main")).to_contain_text("Quenby household")  # Today
    screenshot(worker_page, "families-worker-today-tablet")
    worker_page.get_by_role("link", name="Families", exact=True).click()
    expect(worker_page.get_by_role("link", name="Quenby household")).to_be_visible()
    worker_page.get_by_role("link", name="Quenby household").click()
    expect(worker_page.locator("main")).to_contain_text("Known risks at the address: Large dog")
    expect(worker_page.locator("main")).to_contain_text("Not independently mobile (rolling)")

    # The worker's visit (recorded as the body-map tests record theirs), then a bruise on Wren.
    db = connect(live_server.db_path)
    try:
        visit_id = a_visit(db, family_id, username="demo-worker", day=datetime.now().date().isoformat())
    finally:
        db.close()
    worker_page.goto(f"{live_server.url}/visits/{visit_id}/children/{child_id}/body-map")
    tap_region(worker_page, "front/left_cheek")
    form = worker_page.locator("#record-mark")
    form.get_by_label("Bruise", exact=True).check()
    form.get_by_label("Length in cm").fill("1")
    form.get_by_label("Oval").check()
    form.get_by_label("Blue", exact=True).check()
    form.locator("fieldset").filter(has_text="Is the skin broken?").get_by_label("No", exact=True).check()
    form.locator("fieldset").filter(has_text="Is there swelling?").get_by_label("No", exact=True).check()
    form.locator("fieldset").filter(has_text="in pain").get_by_label("Not known").check()
    form.get_by_label("A parent or carer").check()
    form.get_by_label("The explanation, in their words").fill("Says she rolled against the cot.")
    form.locator("fieldset").filter(has_text="consistent with the explanation").get_by_label("Unsure").check()
    form.locator("fieldset").filter(has_text="believed to be a birthmark").get_by_label("No", exact=True).check()
    form.get_by_label("Not patterned").check()
    expect(worker_page.locator("#not-mobile-warning")).to_contain_text("Wren is not independently mobile")
    form.get_by_role("button", name="Save mark 1").click()
    worker_page.wait_for_url(re.compile(r"saved=1"))
    expect(worker_page.get_by_text("It raised 1 escalation for the team lead")).to_be_visible()
    screenshot(worker_page, "families-bruise-escalated-tablet")

    the_escalation_reaches_the_lead(lead_page, live_server, {"first_name": "Wren", "last_name": "Quenby"})
