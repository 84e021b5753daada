"""The foundation's story in a browser (issue #2): a family support worker signs in, opens Today,
records a full visit, sees what was observed beside what the parent said, and amends the record
without losing the original. Run at tablet and phone sizes; every page is screenshotted into
test-artifacts/, checked with axe-core, and checked for sideways scrolling and small touch targets."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD
from tests.browser.conftest import assert_no_serious_accessibility_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

DEVICES = ["tablet", "phone"]
MIN_TARGET = 44  # px: GOV.UK and WCAG 2.5.5 for one-handed use on a tablet
PARENT_SAYS = "I don't drink. Those bottles aren't mine."
CORRECTED = "I don't drink any more. The bottles are from my friend's visit on Saturday."
HOME_CONDITIONS = {
    "Nutrition and food in the home": ("Adequate", "Bread, milk and cereal in the kitchen."),
    "Housing and hazards": ("Adequate", "Stair gate in place."),
    "Hygiene": ("Poor", "Dirty nappies on the bathroom floor."),
    "Clothing": ("Good", ""),
    "Safe sleep arrangements": ("Adequate", "Cot in the parents' room, no bumpers."),
    "Heating": ("Good", ""),
    "Supervision and safety": ("Not seen", ""),
}

# Interactive elements a thumb has to hit. Links inside running text are exempt (WCAG 2.5.8 "inline").
SMALL_TARGETS_JS = """(min) => {
  const small = [];
  const inline = el => el.tagName === 'A' && el.closest('p, .govuk-error-summary__list, .govuk-footer, td');
  for (const el of document.querySelectorAll('a[href], button, select, textarea, input:not([type=hidden])')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden' || inline(el)) continue;
    if (el.classList.contains('govuk-skip-link')) continue;  // only shown on keyboard focus
    if (box.height < min - 0.5) small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.name || el.id).trim().slice(0, 40)}" is ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""


@pytest.fixture(params=DEVICES)
def device(request):
    """The same story on a tablet (810×1080) and on a phone (390×844)."""
    return request.param, request.getfixturevalue(request.param)


def check_page(page, name):
    """Screenshot the page, then hold it to what every page owes a practitioner on a small screen."""
    screenshot(page, name)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    small = page.evaluate(SMALL_TARGETS_JS, MIN_TARGET)
    assert not small, f"{name}: touch targets under {MIN_TARGET}px: {small}"
    assert_no_serious_accessibility_violations(page)


def boxes(sides):
    """Where the first two sides of an .fv-accounts are, read in one go (the page may still be settling)."""
    return sides.evaluate_all("els => els.slice(0, 2).map(e => e.getBoundingClientRect().toJSON())")


def side_by_side(sides):
    a, b = boxes(sides)
    return abs(a["y"] - b["y"]) < 2 and b["x"] >= a["x"] + a["width"]


def stacked(sides):
    a, b = boxes(sides)
    return b["y"] >= a["y"] + a["height"]


def child_names(page):
    return [legend.split()[0] for legend in page.locator(".fv-child-section > legend").all_inner_texts()]


def fill_full_visit(page):
    """Every section of the record form, as a worker would fill it: the first child is seen but
    not seen alone; two empty bottles are seen while the parent says they do not drink."""
    page.get_by_role("group", name="Type of visit").get_by_label("Planned").check()
    page.get_by_label("Length in minutes").fill("50")
    page.get_by_role("group", name="Outcome").get_by_label("Visit completed").check()

    names = child_names(page)
    for index, name in enumerate(names):
        section = page.locator(".fv-child-section").nth(index)
        section.get_by_role("group", name=f"Was {name} seen?").get_by_label("Yes").check()
        section.get_by_role("group", name=f"Was {name} seen alone?").get_by_label("No" if index == 0 else "Yes").check()
        section.get_by_role("group", name=f"Was {name}'s bedroom seen?").get_by_label("Yes").check()
        section.get_by_label("Presentation").fill(f"{name} was dressed for the weather; no marks seen.")
        section.get_by_label(f"{name}'s words").fill("I had cereal for breakfast.")
        section.get_by_label("Demeanour").fill("Quiet at first, then chatty.")

    adults = page.locator(".fv-adult-row")
    for index in range(adults.count()):
        row = adults.nth(index)
        if row.get_by_label("Name or description").input_value():
            row.get_by_role("group", name="Were they there?").get_by_label("Expected but absent").check()
    blank = page.locator(".fv-adult-row").filter(has=page.locator("legend", has_text="Another adult")).first
    blank.get_by_label("Name or description").fill("Unknown man, introduced as 'Dan'")
    blank.get_by_label("Relationship").fill("Mother's new partner?")
    blank.get_by_role("group", name="Were they there?").get_by_label("Present", exact=True).check()
    page.get_by_label("Regular visitors to the home").fill("Maternal grandmother most afternoons.")

    for heading, (rating, note) in HOME_CONDITIONS.items():
        page.get_by_role("group", name=heading).get_by_label(rating, exact=True).check()
        if note:
            page.get_by_label(f"Note on {heading.lower()}").fill(note)

    bottles = page.locator(".fv-container-row").first
    bottles.get_by_label("How many").fill("2")
    bottles.get_by_label("What").select_option(label="Wine bottle")
    bottles.get_by_label("Where in the home").fill("kitchen bin")
    page.get_by_role("group", name="Was there a smell of alcohol?").get_by_label("No").check()
    page.get_by_role("group", name="Did any adult appear intoxicated?").get_by_label("No").check()
    page.get_by_label("Other substances or drug paraphernalia seen").fill("None seen.")
    page.get_by_label("What the parent or carer said about their drinking").fill(PARENT_SAYS)

    page.get_by_role("group", name="Was any child found alone or left with an unsuitable carer?").get_by_label("No").check()
    page.get_by_label("Your analysis").fill("Two empty wine bottles, while mum says she does not drink: ask again.")
    page.get_by_label("Actions").fill("Discuss the mismatch with my team lead this week.")
    page.get_by_label("Next visit due").fill((date.today() + timedelta(days=7)).isoformat())
    return names


def test_worker_records_a_full_visit_and_amends_it_keeping_the_original(device, live_server):
    size, page = device

    page.goto(live_server.url + "/sign-in")
    check_page(page, f"01-sign-in-{size}")

    sign_in(page, live_server, "demo-worker")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    check_page(page, f"02-today-{size}")

    card = page.locator(".fv-visit-card").first
    family = card.get_by_role("heading").inner_text().strip()
    card.get_by_role("link", name=re.compile("^Record this visit")).click()
    expect(page.get_by_role("heading", name="Record a visit")).to_be_visible()
    save = page.get_by_role("button", name="Save visit record")
    expect(save).to_be_in_viewport()  # the sticky bar: Save is in reach from the top of the form...
    check_page(page, f"03-record-form-{size}")

    names = fill_full_visit(page)
    page.get_by_role("heading", name="Home conditions").scroll_into_view_if_needed()
    expect(save).to_be_in_viewport()  # ...from the middle of it...
    screenshot(page, f"03-record-form-filled-{size}")
    save.click()

    expect(page.get_by_text("The visit record has been saved to the central record.")).to_be_visible()
    first = page.locator(".fv-child-record").first
    expect(first).to_contain_text(f"{names[0]} ")
    expect(first).to_contain_text("not seen alone")
    sides = page.locator(".fv-accounts").first.locator(".fv-accounts__side")
    observed, parent = sides.all()[:2]
    expect(observed).to_contain_text("2 empty wine bottles, kitchen bin")
    expect(parent).to_contain_text(PARENT_SAYS)
    assert side_by_side(sides) if size == "tablet" else stacked(sides), boxes(sides)
    visit_url = page.url.split("?")[0]
    check_page(page, f"04-visit-{size}")

    page.get_by_role("link", name=f"Back to {family}").click()
    row = page.locator(".fv-visit-summary").first
    sides = row.locator(".fv-accounts__side")
    observed, parent = sides.all()[:2]
    expect(observed).to_contain_text("Observed")
    expect(observed).to_contain_text("2 empty wine bottles, kitchen bin")
    expect(parent).to_contain_text("The parent's own account")
    expect(parent).to_contain_text(PARENT_SAYS)
    expect(row).to_contain_text("not seen alone")
    assert side_by_side(sides) if size == "tablet" else stacked(sides), boxes(sides)
    check_page(page, f"05-family-{size}")

    row.get_by_role("link").first.click()
    assert page.url.split("?")[0] == visit_url
    page.get_by_role("link", name="Amend this record").click()
    check_page(page, f"06-amend-{size}")
    page.get_by_label("The parent's own account of alcohol use").check()
    page.get_by_label("The corrected text").fill(CORRECTED)
    page.get_by_label("Why it needs correcting").fill("She corrected herself as I was leaving.")
    page.get_by_role("button", name="Save amendment").click()

    expect(page.get_by_text("Your amendment has been saved to the central record. The original is kept.")).to_be_visible()
    amendment = page.locator(".fv-amendment").first
    original, amended = amendment.locator(".fv-accounts__side").all()
    expect(original).to_contain_text("Original")
    expect(original).to_contain_text(PARENT_SAYS)
    expect(amended).to_contain_text(CORRECTED)
    expect(amendment).to_contain_text("Reason: She corrected herself as I was leaving.")
    parent = page.locator(".fv-accounts").first.locator(".fv-accounts__side").nth(1)
    expect(parent).to_contain_text(PARENT_SAYS)  # the record still reads as first saved...
    expect(parent.get_by_role("link", name="Corrected later: see the amendment below")).to_be_visible()  # ...flagged
    check_page(page, f"07-visit-amended-{size}")

    page.get_by_role("link", name=f"Back to {family}").click()
    expect(page.locator(".fv-visit-summary").first.get_by_text("Amended", exact=True)).to_be_visible()

    response = page.goto(live_server.url + "/families/999999")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check_page(page, f"08-not-found-{size}")


def test_a_form_error_links_to_the_fields_and_loses_nothing_typed(device, live_server):
    size, page = device
    sign_in(page, live_server, "demo-worker")
    page.locator(".fv-visit-card").first.get_by_role("link", name=re.compile("^Record this visit")).click()
    record_id = page.locator("input[name=record_id]").input_value()
    name = child_names(page)[0]
    page.get_by_label(f"{name}'s words").first.fill("Mummy was asleep all day.")
    page.get_by_label("What the parent or carer said about their drinking").fill(PARENT_SAYS)
    page.get_by_label("Your analysis").fill("Analysis that must not be lost.")
    page.get_by_role("button", name="Save visit record").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(page).to_have_title(re.compile("^Error: "))
    check_page(page, f"09-record-form-error-{size}")

    summary.get_by_role("link", name="Enter how long the visit lasted, in minutes").click()
    expect(page.get_by_label("Length in minutes")).to_be_focused()
    summary.get_by_role("link", name="Choose the outcome of the visit").click()
    expect(page.get_by_role("group", name="Outcome").get_by_label("Visit completed")).to_be_focused()

    assert page.locator("input[name=record_id]").input_value() == record_id
    expect(page.get_by_label(f"{name}'s words").first).to_have_value("Mummy was asleep all day.")
    expect(page.get_by_label("What the parent or carer said about their drinking")).to_have_value(PARENT_SAYS)
    expect(page.get_by_label("Your analysis")).to_have_value("Analysis that must not be lost.")

    fill_full_visit(page)
    page.get_by_role("button", name="Save visit record").click()
    expect(page.get_by_text("The visit record has been saved to the central record.")).to_be_visible()
    assert record_id in page.url


def test_admin_sees_practitioners_not_families(device, live_server):
    size, page = device
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Username").fill("demo-admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Practitioners")).to_be_visible()
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link", name="Families")).to_have_count(0)
    check_page(page, f"10-admin-practitioners-{size}")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    check_page(page, f"11-signed-out-{size}")
