"""The team lead and the worker in a real browser, at laptop and tablet size: the dashboard with an
overdue child and an open escalation whose actions are marked done; two unannounced visits
scheduled from the proposals; a Was Not Brought whose count updates; an AUDIT-C of 7 that offers
the full AUDIT. axe on every page these add."""
import re

import pytest
from playwright.sync_api import expect

from tests.clock import days_ago, iso
from tests.browser.conftest import LAPTOP, TABLET, assert_no_serious_accessibility_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
SIZES = {"laptop": LAPTOP, "tablet": TABLET}


@pytest.fixture(params=list(SIZES))
def page(request, browser):
    context = browser.new_context(viewport=SIZES[request.param], locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.size_name = request.param
    yield page
    context.close()


def check(page, name):
    """Look at it (screenshot) and check it (axe)."""
    screenshot(page, f"lead-{name}-{page.size_name}")
    assert_no_serious_accessibility_violations(page)


def test_lead_clears_an_escalation_and_schedules_two_unannounced_visits(page, live_server):
    sign_in(page, live_server, "demo-lead")
    page.get_by_role("link", name="Escalations", exact=True).click()
    expect(page.get_by_role("heading", name="Escalations and what needs you")).to_be_visible()
    overdue = page.locator(".fv-overdue-table tbody tr")
    expect(overdue.first).to_be_visible()
    expect(overdue.first.get_by_text(re.compile(r"\d+ working days?"))).to_be_visible()
    escalation = page.locator(".fv-escalation").filter(has_text="was found alone at home")
    expect(escalation).to_be_visible()
    expect(escalation.get_by_text("Overdue", exact=True)).to_be_visible()
    check(page, "dashboard")

    # Mark every required action done, from the dashboard.
    # Each press is a form post and a new page: wait for that page's count before the next press, so a
    # press never lands on the page that is being left (a loaded machine made that race, CI 2026-12-03).
    for done in range(1, 5):
        escalation.get_by_role("button", name=re.compile("^Mark done")).first.click()
        expect(escalation.get_by_text(f"{done} of 4 actions done")).to_be_visible()
    expect(escalation.get_by_text("4 of 4 actions done")).to_be_visible()
    expect(escalation.get_by_text("by Morgan Demo-Lead").first).to_be_visible()
    escalation.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Close the escalation")).to_be_visible()
    check(page, "escalation")
    family_rota = page.get_by_role("link", name=re.compile("'s rota$")).get_attribute("href")
    page.get_by_role("button", name="Close the escalation").click()
    expect(page.get_by_text(re.compile("^Escalation closed"))).to_be_visible()
    expect(page.locator("#escalations + p")).to_have_text("No open escalations.")

    # The family of the escalation is on a child protection plan: plan its unannounced visits.
    page.goto(live_server.url + family_rota)
    expect(page.get_by_role("heading", name="Children and their visiting rules")).to_be_visible()
    check(page, "family-rota")
    page.get_by_role("link", name="Propose unannounced visits").click()
    expect(page.get_by_role("heading", name="Propose unannounced visits")).to_be_visible()
    boxes = page.locator("input[type=checkbox][name$='-include']")
    assert boxes.count() >= 2
    for index in range(2, boxes.count()):
        boxes.nth(index).uncheck()
    check(page, "unannounced")
    page.get_by_role("button", name="Schedule the ticked visits").click()
    expect(page.get_by_text("2 unannounced visits are on the rota.")).to_be_visible()
    expect(page.locator(".fv-rota-visit").filter(has_text="Unannounced").first).to_be_visible()

    page.get_by_role("link", name="Rota", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("^Rota: week of"))).to_be_visible()
    check(page, "week")


def test_lead_forms_pass_accessibility_checks(page, live_server):
    sign_in(page, live_server, "demo-lead")
    page.get_by_role("link", name="Rota", exact=True).click()
    page.locator("#due").locator("xpath=following-sibling::table[1]").get_by_role("link").first.click()
    family_rota = page.url
    page.get_by_role("link", name="Schedule a visit").click()
    page.get_by_label("Date").fill("2020-01-01")
    page.get_by_label("Time").fill("10:00")
    page.get_by_role("button", name="Put it on the rota").click()
    expect(page.get_by_text("The visit must be in the future").first).to_be_visible()
    check(page, "schedule-error")
    page.goto(family_rota)
    page.get_by_role("link", name=re.compile("^Change")).first.click()
    check(page, "visiting-rules")
    page.goto(family_rota)
    if page.get_by_role("link", name=re.compile("^Reschedule or reassign")).count():
        page.get_by_role("link", name=re.compile("^Reschedule or reassign")).first.click()
        check(page, "change")
        page.goto(family_rota)
        page.get_by_role("link", name=re.compile("^Cancel")).first.click()
        check(page, "cancel")
        page.goto(family_rota)
    page.get_by_role("link", name="Letter of planned visits for the family").click()
    expect(page.get_by_text("Unannounced")).to_have_count(0)
    check(page, "letter")


def test_worker_records_a_was_not_brought_and_the_count_updates(page, live_server):
    sign_in(page, live_server, "demo-worker")
    page.locator(".fv-visit-card__title a").first.click()
    page.locator(".fv-child__name a").first.click()
    child_url = page.url
    page.get_by_role("link", name="Missed, cancelled and re-arranged appointments").click()
    before = int(page.get_by_test_id("wnb-total").inner_text())
    check(page, "wnb-list")
    page.get_by_role("link", name="Record a missed appointment").click()
    page.get_by_label("Was not brought").check()
    page.get_by_label("What was the appointment?").fill("Hearing test")
    page.get_by_label("Which service").select_option("hospital")
    page.get_by_label("Date of the appointment").fill(iso(days_ago(3)))  # after any demo child's birth
    check(page, "wnb-record")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The appointment has been saved to the central record.")).to_be_visible()
    expect(page.get_by_test_id("wnb-total")).to_have_text(str(before + 1))
    expect(page.get_by_role("cell", name="Hearing test Hospital or clinic")).to_be_visible()
    page.goto(child_url)
    expect(page.get_by_text(f"Was not brought: {before + 1}").first).to_be_visible()


def test_an_audit_c_of_7_offers_the_full_audit(page, live_server):
    sign_in(page, live_server, "demo-worker")
    page.locator(".fv-visit-card__title a").first.click()
    page.locator(".fv-visit-summary h3 a").first.click()
    page.get_by_role("link", name="Complete an AUDIT-C with a parent").click()
    remaining = page.locator("[data-audit-remaining]")
    expect(remaining).to_be_hidden()
    page.get_by_label("Who answered?").fill("Gemma Example")
    page.locator("input[name=q1][value='3']").check()
    page.locator("input[name=q2][value='2']").check()
    expect(remaining).to_be_hidden()
    page.locator("input[name=q3][value='2']").check()
    expect(page.get_by_text("AUDIT-C score: 7. This is positive")).to_be_visible()
    expect(remaining).to_be_visible()
    expect(page.get_by_text("could not stop drinking once you had started")).to_be_visible()
    page.get_by_label("They answered the remaining questions").check()
    for field, value in (("q4", "1"), ("q5", "0"), ("q6", "0"), ("q7", "2"), ("q8", "0"), ("q9", "0"), ("q10", "2")):
        page.locator(f"input[name={field}][value='{value}']").check()
    check(page, "audit")
    page.get_by_role("button", name="Save the self-assessment").click()
    result = page.locator("#alcohol-self-assessment")
    expect(result.get_by_text("AUDIT-C 7 out of 12")).to_be_visible()
    expect(result.get_by_text("Full AUDIT: 12 out of 40, increasing risk")).to_be_visible()
    check(page, "visit-with-audit")
