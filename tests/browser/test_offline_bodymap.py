"""Issue 5's whole story in a real browser, with the server really stopped: a practitioner in a home
with no signal records a visit with an alcohol observation, then, from the saved confirmation,
the body map of the non-mobile baby seen on that visit (a page kept in today's pack for a visit
the central record has not received): the warning is there before saving, two marks are saved.
The tablet is reloaded and the browser restarted on the same profile; after the PIN the three
records are still listed. With signal again, one sync puts exactly one visit and exactly two marks
in the central record, and the escalation is raised."""
import json

import pytest
from playwright.sync_api import expect

from fieldvisit.db import connect
from tests.browser.conftest import PHONE, TABLET, assert_no_serious_accessibility_violations, screenshot, sign_in
from tests.browser.offline_helpers import (central, fill_bruise, fill_visit, kept_pages, launch_tablet,  # noqa: F401
                                           offline_ready, open_form, record_another, save, save_mark, server,
                                           set_pin, sync_now, unlock, waiting)
from tests.browser.test_bodymap import tap_region

pytestmark = pytest.mark.browser


# The marker counts in a page's <head> only: in the body it could be text someone wrote.
KEPT_FOR_ANY_QUERY = """async () => {
  const { keptForAnyQuery } = await import('/static/js/outbox.js');
  const meta = '<meta name="fieldvisit-kept-for-any-query" content="yes">';
  return [`<head>${meta}</head><body></body>`, '<head></head><body></body>', `<head></head><body>${meta}</body>`]
    .map(keptForAnyQuery);
}"""


def todays_family_with_a_non_mobile_baby(server, username="demo-worker"):
    """The family of one of this practitioner's visits today with a child who is not independently mobile."""
    db = connect(server.db_path)
    try:
        row = db.execute(
            "SELECT f.id, f.name, c.id, c.first_name, c.last_name FROM scheduled_visits s"
            " JOIN practitioners p ON p.id = s.practitioner_id JOIN families f ON f.id = s.family_id"
            " JOIN children c ON c.family_id = f.id WHERE p.username = ? AND s.status = 'scheduled'"
            " AND date(s.due_at) = date('now', 'localtime') AND c.independently_mobile = 0"
            " ORDER BY c.date_of_birth DESC LIMIT 1", [username]).fetchone()
    finally:
        db.close()
    assert row, f"{username} has no visit today to a family with a non-mobile baby (fieldvisit/demo.py)"
    family_id, family_name, child_id, first_name, last_name = row
    return {"family_id": family_id, "family_name": family_name,
            "baby": {"id": child_id, "first_name": first_name, "last_name": last_name}}


def record_the_visit_with_no_signal(page, server, family):
    """From the kept Today: the visit form, filled in (three empty wine bottles) and saved on the tablet."""
    page.goto(server.url + "/today")
    form_url = page.get_by_role("link", name=f"Record this visit to {family['family_name']}").get_attribute("href")
    server.stop()
    open_form(page, server.url + form_url)
    fill_visit(page)
    return save(page)


def test_a_visit_and_two_body_map_marks_recorded_with_no_signal_reach_the_central_record_once(
        playwright_instance, server, tmp_path):
    family = todays_family_with_a_non_mobile_baby(server)
    baby = family["baby"]
    body_map = f"/children/{baby['id']}/body-map/new"
    profile = tmp_path / "profile"
    context, page = launch_tablet(playwright_instance, profile)
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    assert body_map in kept_pages(page)  # today's pack keeps the baby's body map, for any visit

    visit_id = record_the_visit_with_no_signal(page, server, family)
    notice = page.locator("[data-fv-save-notice]")
    expect(notice).to_contain_text("There is no signal")
    link = notice.get_by_role("link", name=f"Record a body map for {baby['first_name']}")
    expect(link).to_have_attribute("href", f"{body_map}?visit={visit_id}")
    link.click()

    # The kept page, for a visit the central record has not received.
    expect(page).to_have_url(f"{server.url}{body_map}?visit={visit_id}")
    expect(page.get_by_role("heading", name=f"Body map: {baby['first_name']} {baby['last_name']}")).to_be_visible()
    expect(page.locator("[data-fv-sync-alerts]")).to_contain_text("No signal: this is the copy of this page kept")
    form = page.locator("form[data-record-kind=bodymap_mark]")
    expect(form).to_have_attribute("data-fv-outbox", "ready")
    assert json.loads(form.get_attribute("data-record-context")) == {"child_id": baby["id"], "visit_id": visit_id}
    warning = page.locator("#not-mobile-warning")
    expect(warning).to_be_visible()  # before any mark is saved
    expect(warning).to_contain_text(f"{baby['first_name']} is not independently mobile")
    expect(warning).to_contain_text("A referral never waits for the paediatric opinion")
    expect(page.locator("#ten4-prompt")).to_contain_text("TEN-4-FACESp")

    tap_region(page, "front/left_cheek")
    expect(form.get_by_label("Where is the mark?")).to_have_value("front/left_cheek")
    fill_bruise(form, "Mum says he rolled into the cot bars.", colours=("Blue", "Purple"))
    first_mark = save_mark(page, form, 1)
    record_another(page, form, 2)
    expect(page.locator("#view-front .bm-marker:not(.bm-marker--pending)")).to_have_text("1")
    form.get_by_label("Where is the mark?").select_option("back/lower_back")
    fill_bruise(form, "Not known.")
    second_mark = save_mark(page, form, 2)
    assert len({visit_id, first_mark, second_mark}) == 3
    waiting(page, 3)

    page.reload()
    waiting(page, 3)
    context.close()

    # The browser restarts, still with no signal: the records are there, locked until the PIN.
    context, page = launch_tablet(playwright_instance, profile)
    page.goto(server.url + "/offline/records")
    offline_ready(page)
    waiting(page, 3)
    expect(page.locator("[data-fv-locked-note]")).to_be_visible()
    page.goto(f"{server.url}{body_map}?visit={visit_id}")
    unlock(page)
    expect(page).to_have_url(f"{server.url}{body_map}?visit={visit_id}")
    expect(page.locator("#not-mobile-warning")).to_be_visible()
    page.goto(server.url + "/offline/records")
    rows = page.locator("[data-fv-waiting] tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(f"Record a visit to {family['family_name']}")
    for index in (1, 2):
        expect(rows.nth(index)).to_contain_text(f"Body map: {baby['first_name']} {baby['last_name']}")
        expect(rows.nth(index)).to_contain_text("waiting for signal")

    server.start()
    sync_now(page)
    waiting(page, 0)
    assert central(server, "SELECT count(*) FROM visit_records WHERE id = ?", [visit_id]) == [(1,)]
    [(containers,)] = central(server, "SELECT alcohol_containers FROM visit_records WHERE id = ?", [visit_id])
    assert '"wine_bottle"' in containers and '"count": 3' in containers
    marks = central(server, "SELECT m.id, m.region, m.length_cm, m.colours FROM body_map_marks m"
                            " JOIN body_maps b ON b.id = m.body_map_id WHERE b.visit_id = ? AND b.child_id = ?"
                            " ORDER BY m.number", [visit_id, baby["id"]])
    assert [(mark_id, region) for mark_id, region, _, _ in marks] == [(first_mark, "left_cheek"),
                                                                      (second_mark, "lower_back")]
    assert marks[0][2] == 2.0 and set(json.loads(marks[0][3])) == {"blue", "purple"}
    assert central(server, "SELECT count(*) FROM sync_receipts WHERE item_id IN (?, ?, ?)",
                   [visit_id, first_mark, second_mark]) == [(3,)]
    raised = central(server, "SELECT e.origin_kind, count(*) FROM escalations e JOIN body_maps b"
                             " ON e.origin_id = CAST(b.id AS TEXT) WHERE b.visit_id = ? AND e.child_id = ?"
                             " AND e.rule = 'bruise_not_independently_mobile' GROUP BY e.origin_kind",
                     [visit_id, baby["id"]])
    assert raised == [("body_map", 1)]  # raised on arrival, once, for both bruises
    assert central(server, "SELECT count(*) FROM body_map_escalation_marks l JOIN escalations e"
                           " ON e.id = l.escalation_id WHERE e.rule = 'bruise_not_independently_mobile'"
                           " AND l.mark_id IN (?, ?)", [first_mark, second_mark]) == [(2,)]

    # With signal, the same address leads to the visit's body map on the central record.
    page.goto(f"{server.url}{body_map}?visit={visit_id}")
    expect(page).to_have_url(f"{server.url}/visits/{visit_id}/children/{baby['id']}/body-map")
    expect(page.locator("#mark-1")).to_contain_text("Mark 1: Bruise, left cheek (front)")
    expect(page.locator("#mark-2")).to_contain_text("lower back")
    context.close()


def test_a_mark_whose_visit_is_not_accepted_waits_for_its_author_and_is_sent_after_the_visit(
        playwright_instance, server, tmp_path):
    """Never lost: the visit comes back "not accepted", so its mark cannot be placed either; both wait
    under "Needs your attention"; once the visit is fixed and sent, the mark opens again and is sent."""
    family = todays_family_with_a_non_mobile_baby(server)
    baby = family["baby"]
    context, page = launch_tablet(playwright_instance, tmp_path / "profile")
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    page.goto(server.url + "/today")
    form_url = page.get_by_role("link", name=f"Record this visit to {family['family_name']}").get_attribute("href")
    server.stop()
    open_form(page, server.url + form_url)
    fill_visit(page, duration="")  # forgotten: how long the visit lasted
    visit_id = save(page)
    page.locator("[data-fv-save-notice]").get_by_role("link", name=f"Record a body map for {baby['first_name']}").click()
    form = page.locator("form[data-record-kind=bodymap_mark]")
    expect(form).to_have_attribute("data-fv-outbox", "ready")
    form.get_by_label("Where is the mark?").select_option("front/left_cheek")
    fill_bruise(form, "Mum says he rolled into the cot bars.")
    mark_id = save_mark(page, form, 1)

    server.start()
    sync_now(page)
    waiting(page, 0, attention=2)
    assert central(server, "SELECT count(*) FROM body_map_marks WHERE id = ?", [mark_id]) == [(0,)]
    page.goto(server.url + "/offline/records")
    mark_card = page.locator(f".fv-attention-card[data-fv-item='{mark_id}']")
    expect(mark_card).to_contain_text("The visit this belongs to has not reached the central record")
    expect(mark_card).to_contain_text("send it first")
    expect(mark_card.get_by_role("button", name="Yes, discard it")).to_be_hidden()  # only once asked
    screenshot(page, "offline-bodymap-mark-waits-for-its-visit-tablet")

    page.locator(f".fv-attention-card[data-fv-item='{visit_id}']").get_by_role("link", name="Open it and fix it").click()
    expect(page.get_by_text("The central record did not accept this record")).to_be_visible()  # filled in again
    page.get_by_label("Length in minutes").fill("35")
    page.get_by_role("button", name="Save visit record").click()
    expect(page.get_by_text("The visit record has been saved to the central record.")).to_be_visible()
    waiting(page, 0, attention=1)

    page.goto(server.url + "/offline/records")
    mark_card.get_by_role("link", name="Open it and fix it").click()
    # With signal, the body map of the visit on the central record, the mark filled in again.
    expect(page).to_have_url(f"{server.url}/visits/{visit_id}/children/{baby['id']}/body-map")
    expect(page.get_by_text("The central record did not accept this record")).to_be_visible()
    expect(form.get_by_label("The explanation, in their words")).to_have_value("Mum says he rolled into the cot bars.")
    assert form.locator("input[name=record_id]").input_value() == mark_id
    form.get_by_role("button", name="Save mark 1").click()
    expect(page.get_by_text("Mark 1 has been saved to the central record.")).to_be_visible()
    waiting(page, 0, attention=0)
    assert central(server, "SELECT count(*) FROM body_map_marks WHERE id = ?", [mark_id]) == [(1,)]
    assert central(server, "SELECT count(*) FROM escalations WHERE child_id = ? AND origin_kind = 'body_map'"
                           " AND rule = 'bruise_not_independently_mobile'", [baby["id"]]) == [(1,)]
    context.close()


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_the_saved_visit_and_the_kept_body_map_read_well_on_a_tablet_and_a_phone(
        playwright_instance, server, tmp_path, size):
    family = todays_family_with_a_non_mobile_baby(server)
    baby = family["baby"]
    context, page = launch_tablet(playwright_instance, tmp_path / "profile", TABLET if size == "tablet" else PHONE)
    try:
        sign_in(page, server)
        offline_ready(page)
        set_pin(page, server)
        visit_id = record_the_visit_with_no_signal(page, server, family)
        notice = page.locator("[data-fv-save-notice]")
        expect(notice.locator("[data-fv-body-map-link]")).to_have_count(
            page.locator("fieldset[data-child-id]").count())  # every child was seen
        fits(page, f"offline-bodymap-saved-visit-{size}")

        notice.get_by_role("link", name=f"Record a body map for {baby['first_name']}").click()
        expect(page.locator("#not-mobile-warning")).to_be_visible()
        page.evaluate("window.scrollTo(0, 0)")
        fits(page, f"offline-bodymap-new-{size}")

        # Without a visit in the address, the page says so plainly and offers no form.
        page.goto(f"{server.url}/children/{baby['id']}/body-map/new?visit=not-a-visit")
        needed = page.locator("[data-fv-visit-needed]")
        expect(needed).to_be_visible()
        expect(needed).to_contain_text("Save the visit first")
        expect(page.locator("form[data-record-kind=bodymap_mark]")).to_be_hidden()
        fits(page, f"offline-bodymap-no-visit-{size}")
        assert visit_id

        # Only a page that says so serves any query: the family page does not.
        page.goto(f"{server.url}/families/{family['family_id']}?view=1")
        expect(page.get_by_role("heading", name="This page is not available offline")).to_be_visible()
        assert page.evaluate(KEPT_FOR_ANY_QUERY) == [True, False, False]
    finally:
        context.close()


def fits(page, name):
    """A screenshot to look at; nothing scrolls sideways; axe finds nothing serious."""
    screenshot(page, name)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    assert_no_serious_accessibility_violations(page)
