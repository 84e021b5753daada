"""Issue 12, a practitioner's day without friction, in a browser at tablet and phone sizes."""

import pytest
from playwright.sync_api import expect

from fieldvisit.db import connect
from tests.browser.conftest import screenshot, sign_in
from tests.test_visits_one_round import every_required_answer, family_of_four, household_adults

pytestmark = pytest.mark.browser

DEVICES = ["tablet", "phone"]


@pytest.fixture(params=DEVICES)
def device(request):
    """The same story on a tablet (810×1080) and on a phone (390×844)."""
    return request.param, request.getfixturevalue(request.param)


def test_an_empty_save_of_a_four_child_visit_lists_every_missing_answer_at_once(live_server, device):
    name, page = device
    db = connect(live_server.db_path)
    family_id = family_of_four(db)
    adults = household_adults(db, family_id)
    db.close()
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/families/{family_id}/visits/new")
    page.get_by_role("button", name="Save visit record").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    hrefs = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {href.lstrip("#") for href in hrefs} == every_required_answer(4, adults)
    for href in hrefs:  # every link leads to a field on the page
        assert page.locator(href).count() == 1, href
    screenshot(page, f"friction-visit-errors-{name}")
    # Following a link puts the practitioner on the question.
    target = next(href for href in hrefs if href.endswith("seen_alone"))
    summary.locator(f'a[href="{target}"]').click()
    expect(page.locator(target)).to_be_focused()
