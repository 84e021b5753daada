"""The body map in a real browser at tablet size: a health visitor taps the baby figure's left
cheek, records a 2 cm blue-purple bruise with the carer's explanation, sees the non-mobile warning
before saving, saves, and the escalation appears for the team lead with its actions; the same by
keyboard only; the printable body map; axe on every body-map page."""
import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from fieldvisit.db import connect
from tests.browser.conftest import TABLET, assert_no_serious_accessibility_violations, screenshot, sign_in
from tests.test_bodymap_routes import a_visit, health_visitors_baby

pytestmark = pytest.mark.browser


@pytest.fixture
def baby_seen_today(live_server):
    """demo-health-visitor's baby (not independently mobile), seen on a visit of theirs an hour ago."""
    db = connect(live_server.db_path)
    try:
        baby = health_visitors_baby(db)
        visit_id = a_visit(db, baby["family_id"], day=datetime.now().date().isoformat())
        lead = db.execute("SELECT display_name FROM practitioners WHERE username = 'demo-lead'").fetchone()[0]
    finally:
        db.close()
    return {"child": baby, "visit_id": visit_id, "url": f"/visits/{visit_id}/children/{baby['id']}/body-map",
            "lead": lead}


@pytest.fixture
def lead_page(browser):
    context = browser.new_context(viewport=TABLET, locale="en-GB", timezone_id="Europe/London")
    yield context.new_page()
    context.close()


def tap_region(page, region):
    """Tap the figure inside a region (at the spot the page itself would put its marker)."""
    target = page.locator(f'path.bm-region[data-region="{region}"]')
    target.scroll_into_view_if_needed()
    x, y = target.evaluate("""(el) => {
        const svg = el.ownerSVGElement, p = svg.createSVGPoint();
        p.x = Number(el.dataset.x); p.y = Number(el.dataset.y);
        const s = p.matrixTransform(svg.getScreenCTM());
        return [s.x, s.y];
    }""")
    page.mouse.click(x, y)


def the_escalation_reaches_the_lead(lead_page, live_server, baby):
    sign_in(lead_page, live_server, "demo-lead")
    lead_page.get_by_role("link", name="Escalations", exact=True).click()
    escalation = lead_page.locator(".fv-escalation").filter(has_text="Bruise on a child who is not independently mobile")
    expect(escalation).to_be_visible()
    expect(escalation).to_contain_text(f"{baby['first_name']} {baby['last_name']}")
    for action in ("Discuss the mark the same day with children's social care",
                   "never waits for the paediatric opinion",
                   "Arrange an urgent paediatric opinion (child protection medical)"):
        expect(escalation).to_contain_text(action)
    return escalation


def test_health_visitor_taps_the_left_cheek_records_a_bruise_and_the_lead_sees_the_escalation(
        tablet, lead_page, live_server, baby_seen_today):
    baby = baby_seen_today["child"]
    sign_in(tablet, live_server, "demo-health-visitor")
    tablet.goto(live_server.url + baby_seen_today["url"])
    expect(tablet.get_by_role("heading", name=f"Body map: {baby['first_name']} {baby['last_name']}")).to_be_visible()
    assert_no_serious_accessibility_violations(tablet)

    tap_region(tablet, "front/left_cheek")
    marker = tablet.locator("#view-front .bm-marker--pending")
    expect(marker).to_have_count(1)
    expect(marker).to_have_text("1")
    expect(tablet.get_by_label("Where is the mark?")).to_have_value("front/left_cheek")
    expect(tablet.locator("[data-bodymap-status]")).to_contain_text("Mark 1: left cheek")
    x = float(tablet.locator("input[name=x]").input_value())
    assert x > 100  # the child's left cheek is on the viewer's right of the front view

    form = tablet.locator("#record-mark")
    form.get_by_label("Bruise", exact=True).check()
    form.get_by_label("Length in cm").fill("2")
    form.get_by_label("Oval").check()
    form.get_by_label("Blue", exact=True).check()
    form.get_by_label("Purple").check()
    form.locator("fieldset").filter(has_text="Is the skin broken?").get_by_label("No", exact=True).check()
    form.locator("fieldset").filter(has_text="Is there swelling?").get_by_label("No", exact=True).check()
    form.locator("fieldset").filter(has_text="in pain").get_by_label("Not known").check()
    form.get_by_label("A parent or carer").check()
    form.get_by_label("The explanation, in their words").fill("Mum says he rolled into the cot bars in his sleep.")
    form.locator("fieldset").filter(has_text="consistent with the explanation").get_by_label("Unsure").check()
    form.locator("fieldset").filter(has_text="believed to be a birthmark").get_by_label("No", exact=True).check()
    form.get_by_label("Not patterned").check()

    # The warning is in the page before anything is saved (it comes with the page, so offline too).
    warning = tablet.locator("#not-mobile-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(f"{baby['first_name']} is not independently mobile")
    expect(warning).to_contain_text("A referral never waits for the paediatric opinion")
    expect(tablet.locator("#ten4-prompt")).to_contain_text("TEN-4-FACESp")
    screenshot(tablet, "bodymap-tap-before-save-tablet")

    form.get_by_role("button", name="Save mark 1").click()
    tablet.wait_for_url(re.compile(r"saved=1"))
    expect(tablet.get_by_text("Mark 1 has been saved to the central record.")).to_be_visible()
    expect(tablet.get_by_text("It raised 1 escalation for the team lead")).to_be_visible()
    expect(tablet.locator("#mark-1")).to_contain_text("Mark 1: Bruise, left cheek (front)")
    expect(tablet.locator("#mark-1")).to_contain_text("2 cm")
    expect(tablet.locator("#mark-1")).to_contain_text("purple, blue")
    expect(tablet.locator("#view-front .bm-marker:not(.bm-marker--pending)")).to_have_text("1")
    expect(tablet.locator("#escalations")).to_contain_text("Arrange an urgent paediatric opinion")
    screenshot(tablet, "bodymap-saved-tablet")
    assert_no_serious_accessibility_violations(tablet)

    escalation = the_escalation_reaches_the_lead(lead_page, live_server, baby)
    screenshot(lead_page, "bodymap-lead-dashboard-tablet")
    escalation.get_by_role("link", name="Bruise on a child who is not independently mobile").click()
    expect(lead_page.get_by_text("Discuss the mark the same day with children's social care").first).to_be_visible()


def tab_to(page, locator, limit=400):
    """Press Tab until `locator` has the keyboard focus."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {locator} with the Tab key")


def choose_radio(page, form, legend, label):
    """Tab into a radio group and move to an option with the arrow keys."""
    group = form.locator("fieldset").filter(has=page.locator("legend", has_text=legend)).first
    radios = group.locator("input[type=radio]")
    tab_to(page, radios.first)
    labels = [group.locator(f'label[for="{radios.nth(i).get_attribute("id")}"]').inner_text().strip()
              for i in range(radios.count())]
    index = labels.index(label)
    page.keyboard.press("Space")  # the first option
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(radios.nth(index)).to_be_checked()


def test_the_same_bruise_recorded_by_keyboard_only(tablet, lead_page, live_server, baby_seen_today):
    baby = baby_seen_today["child"]
    sign_in(tablet, live_server, "demo-health-visitor")
    tablet.goto(live_server.url + baby_seen_today["url"])
    form = tablet.locator("#record-mark")
    expect(tablet.locator("#not-mobile-warning")).to_be_visible()

    region = tablet.get_by_label("Where is the mark?")
    tab_to(tablet, region)
    tablet.keyboard.type("Front: left cheek")
    expect(region).to_have_value("front/left_cheek")
    # Choosing from the list puts the marker on the figure too.
    expect(tablet.locator("#view-front .bm-marker--pending")).to_have_text("1")

    choose_radio(tablet, form, "Type of mark", "Bruise")
    tab_to(tablet, form.get_by_label("Length in cm"))
    tablet.keyboard.type("2")
    choose_radio(tablet, form, "Shape", "Oval")
    for colour in ("Purple", "Blue"):
        tab_to(tablet, form.get_by_label(colour, exact=True))
        tablet.keyboard.press("Space")
    choose_radio(tablet, form, "Is the skin broken?", "No")
    choose_radio(tablet, form, "Is there swelling?", "No")
    choose_radio(tablet, form, "in pain", "Not known")
    choose_radio(tablet, form, "Who gave an explanation", "A parent or carer")
    tab_to(tablet, form.get_by_label("The explanation, in their words"))
    tablet.keyboard.type("Dad says she was grabbed by her brother.")
    choose_radio(tablet, form, "consistent with the explanation", "Unsure")
    choose_radio(tablet, form, "believed to be a birthmark", "No")
    choose_radio(tablet, form, "Is the mark patterned?", "Not patterned")
    tab_to(tablet, form.get_by_role("button", name="Save mark 1"))
    tablet.keyboard.press("Enter")

    tablet.wait_for_url(re.compile(r"saved=1"))
    expect(tablet.get_by_text("Mark 1 has been saved to the central record.")).to_be_visible()
    mark = tablet.locator("#mark-1")
    expect(mark).to_contain_text("Mark 1: Bruise, left cheek (front)")
    expect(mark).to_contain_text("Dad says she was grabbed by her brother.")
    screenshot(tablet, "bodymap-keyboard-saved-tablet")
    the_escalation_reaches_the_lead(lead_page, live_server, baby)


def test_the_printable_body_map_and_the_other_body_map_pages(tablet, live_server, baby_seen_today):
    baby = baby_seen_today["child"]
    sign_in(tablet, live_server, "demo-health-visitor")
    tablet.goto(live_server.url + baby_seen_today["url"])
    # Two marks: one tapped on the front, one chosen from the list on the back.
    tap_region(tablet, "front/left_cheek")
    form = tablet.locator("#record-mark")
    form.get_by_label("Bruise", exact=True).check()
    form.get_by_label("Length in cm").fill("2")
    form.get_by_label("Oval").check()
    form.get_by_label("Blue", exact=True).check()
    form.get_by_label("Purple").check()
    for legend, answer in (("believed to be a birthmark", "No"), ("Is the mark patterned?", "Not patterned"),
                           ("Is the skin broken?", "No"), ("Is there swelling?", "No"), ("in pain", "Not known"),
                           ("consistent with the explanation", "Unsure")):
        form.locator("fieldset").filter(has_text=legend).get_by_label(answer, exact=True).check()
    form.get_by_label("A parent or carer").check()
    form.get_by_label("The explanation, in their words").fill("Rolled into the cot bars.")
    form.get_by_role("button", name="Save mark 1").click()
    tablet.wait_for_url(re.compile(r"saved=1"))

    form.get_by_label("Where is the mark?").select_option("back/lower_back")
    expect(tablet.locator("#view-back .bm-marker--pending")).to_have_text("2")
    form.get_by_label("Possible bruise").check()
    form.get_by_label("Length in cm").fill("1.5")
    form.get_by_label("Round").check()
    form.get_by_label("Yellow").check()
    for legend, answer in (("believed to be a birthmark", "No"), ("Is the mark patterned?", "Not patterned"),
                           ("Is the skin broken?", "No"), ("Is there swelling?", "No"), ("in pain", "No")):
        form.locator("fieldset").filter(has_text=legend).get_by_label(answer, exact=True).check()
    form.get_by_label("No explanation was given").check()
    form.get_by_role("button", name="Save mark 2").click()
    tablet.wait_for_url(re.compile(r"saved=2"))
    expect(tablet.locator(".bm-marker:not(.bm-marker--pending)")).to_have_count(2)

    # Bad input: nothing typed is lost, and the error summary says what to do.
    form.get_by_label("Where is the mark?").select_option("front/right_hand_palm")
    form.get_by_label("Graze").check()
    form.get_by_label("Length in cm").fill("0")
    form.get_by_label("Other observations (optional)").fill("Graze across the palm, dry.")
    form.get_by_role("button", name="Save mark 3").click()
    expect(tablet.locator(".govuk-error-summary")).to_contain_text(
        "Enter the length in centimetres as a number greater than 0")
    expect(form.get_by_label("Other observations (optional)")).to_have_value("Graze across the palm, dry.")
    expect(tablet.locator(".bm-marker--pending")).to_have_text("3")
    screenshot(tablet, "bodymap-error-tablet")
    assert_no_serious_accessibility_violations(tablet)

    tablet.get_by_role("link", name="Printable body map").click()
    expect(tablet.get_by_role("heading", name=f"Body map: {baby['first_name']} {baby['last_name']}")).to_be_visible()
    expect(tablet.locator(".bm-print-table tbody tr")).to_have_count(2)
    expect(tablet.locator(".bm-print__figure .bm-marker")).to_have_count(2)
    screenshot(tablet, "bodymap-print-tablet")
    assert_no_serious_accessibility_violations(tablet)
    tablet.emulate_media(media="print")
    expect(tablet.locator(".govuk-header")).to_be_hidden()
    tablet.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    screenshot(tablet, "bodymap-print-a4")
    tablet.emulate_media(media="screen")
    tablet.set_viewport_size(TABLET)

    tablet.goto(live_server.url + baby_seen_today["url"])
    tablet.get_by_role("link", name="Amend mark 1").click()
    expect(tablet.get_by_role("heading", name=re.compile("^Amend mark 1"))).to_be_visible()
    assert_no_serious_accessibility_violations(tablet)
    tablet.get_by_label("Length in cm").fill("2.5")
    tablet.get_by_label("Why it needs correcting").fill("Measured again with a tape measure.")
    tablet.get_by_role("button", name="Save amendment").click()
    tablet.wait_for_url(re.compile(r"amended=1"))
    expect(tablet.locator("#mark-1")).to_contain_text("Reason: Measured again with a tape measure.")

    tablet.get_by_label("I have recorded every mark I saw").check()
    tablet.get_by_role("button", name="Complete and lock the body map").click()
    expect(tablet.get_by_text("The body map is complete and locked.")).to_be_visible()
    expect(tablet.locator("#record-mark")).to_have_count(0)

    tablet.goto(live_server.url + f"/children/{baby['id']}")
    history = tablet.locator("#bm-history")
    expect(history.locator(".bm-marker--faded")).to_have_count(2)
    screenshot(tablet, "bodymap-child-history-tablet")
    assert_no_serious_accessibility_violations(tablet)
    history.get_by_label("Seen from").fill("2000-01-01")
    history.get_by_label("Seen to").fill("2000-12-31")
    history.get_by_role("button", name="Show marks").click()
    expect(tablet.locator("#bm-history")).to_contain_text("No marks recorded")
    expect(tablet).to_have_url(re.compile(r"/body-map-history\?date_from=2000-01-01&date_to=2000-12-31$"))


def test_without_javascript_the_region_list_records_the_mark(browser, live_server, baby_seen_today):
    """No JavaScript at all: every view is shown, the region is chosen from the list, the form posts."""
    context = browser.new_context(viewport=TABLET, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "demo-health-visitor")
        page.goto(live_server.url + baby_seen_today["url"])
        expect(page.locator("#not-mobile-warning")).to_be_visible()
        for view in ("front", "back", "head", "hands", "feet"):
            expect(page.locator(f"#view-{view} svg")).to_be_visible()
        form = page.locator("#record-mark")
        form.get_by_label("Where is the mark?").select_option("head/right_ear")
        form.get_by_label("Bruise", exact=True).check()
        form.get_by_label("Length in cm").fill("1")
        form.get_by_label("Round").check()
        form.get_by_label("Purple").check()
        for legend, answer in (("believed to be a birthmark", "No"), ("Is the mark patterned?", "Not patterned"),
                           ("Is the skin broken?", "No"), ("Is there swelling?", "No"), ("in pain", "Not known")):
            form.locator("fieldset").filter(has_text=legend).get_by_label(answer, exact=True).check()
        form.get_by_label("No explanation was given").check()
        form.get_by_role("button", name="Save mark 1").click()
        page.wait_for_url(re.compile(r"saved=1"))
        expect(page.locator("#mark-1")).to_contain_text("Mark 1: Bruise, right ear (head and face)")
        expect(page.locator("#view-head .bm-marker")).to_have_text("1")
    finally:
        context.close()


def test_on_a_phone_a_tap_places_the_marker_and_brings_up_the_form(phone, live_server, baby_seen_today):
    sign_in(phone, live_server, "demo-health-visitor")
    phone.goto(live_server.url + baby_seen_today["url"])
    target = phone.locator('path.bm-region[data-region="front/left_cheek"]')
    target.scroll_into_view_if_needed()
    x, y = target.evaluate("""(el) => {
        const svg = el.ownerSVGElement, p = svg.createSVGPoint();
        p.x = Number(el.dataset.x); p.y = Number(el.dataset.y);
        const s = p.matrixTransform(svg.getScreenCTM());
        return [s.x, s.y];
    }""")
    phone.touchscreen.tap(x, y)
    expect(phone.locator("#view-front .bm-marker--pending")).to_have_text("1")
    expect(phone.get_by_label("Where is the mark?")).to_have_value("front/left_cheek")
    expect(phone.get_by_label("Where is the mark?")).to_be_in_viewport()
    screenshot(phone, "bodymap-phone")
    assert_no_serious_accessibility_violations(phone)
