"""The admin in a real browser at tablet size (issue 10): an admin creates a team and a practitioner,
issues a one-time code, and the new practitioner sets a password with it and signs in. axe on every
page this adds."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.offline_helpers import (eventually, kept_pages, launch_tablet, offline_ready,  # noqa: F401
                                           server, set_pin, sync_idle, sync_now)
from tests.browser.test_foundation_flow import check_page
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def check(page, name):
    """Screenshot, no sideways scrolling, 44px touch targets, axe (as every page of the foundation flow)."""
    check_page(page, f"admin-{name}-tablet")


def test_admin_creates_a_team_and_a_practitioner_who_sets_a_password_with_a_code_and_signs_in(tablet, live_server):
    page = tablet
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Username").fill("demo-admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/practitioners")

    # A team: first with no name (the error summary), then right.
    page.get_by_role("link", name="Teams", exact=True).click()
    check(page, "teams")
    page.get_by_role("button", name="Add a team").click()
    page.get_by_role("button", name="Add the team").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the team's name")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the team's agency")
    check(page, "team-errors")
    page.get_by_label("Team name").fill("Early Help Team")
    page.get_by_label("Agency").select_option(label="Northfield Children's Services")
    page.get_by_role("button", name="Add the team").click()
    expect(page.get_by_role("row").filter(has_text="Early Help Team")).to_contain_text("No lead yet")

    # A practitioner in it: a taken username first.
    page.get_by_role("link", name="Practitioners", exact=True).first.click()
    page.get_by_role("button", name="Add a practitioner").click()
    page.get_by_label("Name", exact=True).fill("Rowan Newstart")
    page.get_by_label("Username").fill("demo-worker")
    page.get_by_label("Role").select_option(label="Family support worker")
    page.get_by_label("Agency").select_option(label="Northfield Children's Services")
    page.get_by_label("Team").select_option(label="Early Help Team (Northfield Children's Services)")
    page.get_by_role("button", name="Add the practitioner").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("This username is already taken")
    check(page, "practitioner-errors")
    summary.get_by_role("link", name=re.compile("already taken")).click()
    expect(page.get_by_label("Username")).to_be_focused()
    page.get_by_label("Username").fill("rowan.newstart")
    page.get_by_role("button", name="Add the practitioner").click()
    expect(page.get_by_role("heading", name="Rowan Newstart")).to_be_visible()
    expect(page.get_by_text("Not set yet: issue a one-time code")).to_be_visible()
    check(page, "practitioner")

    page.get_by_role("button", name="Issue a one-time code").click()
    code = page.locator("[data-fv-reset-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", code)
    check(page, "reset-code")
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_text("Issued, not used yet")).to_be_visible()
    expect(page.get_by_text(code)).to_have_count(0)

    page.get_by_role("link", name="Partnership settings").click()
    check(page, "settings")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.").first).to_be_visible()

    # The new practitioner, on the same tablet, with the code passed on by phone.
    page.goto(live_server.url + "/sign-in")
    page.get_by_role("link", name="Set your password with a one-time code").click()
    page.get_by_label("Username").fill("rowan.newstart")
    page.get_by_label("One-time code").fill(code.lower())
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("Type the new password again").fill("password1234")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("too common")
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    check(page, "set-password-errors")
    page.get_by_label("New password", exact=True).fill("lantern orchard pebble")
    page.get_by_label("Type the new password again").fill("lantern orchard pebble")
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_text("Your password is set. Sign in with it.")).to_be_visible()
    page.get_by_label("Username").fill("rowan.newstart")
    page.get_by_label("Password").fill("lantern orchard pebble")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today")
    expect(page.get_by_text("Signed in as Rowan Newstart, family support worker, Early Help Team")).to_be_visible()


PACK_STATE = """async (id) => { const o = await import('/static/js/outbox.js'); return (await o.packOf(id)) || null; }"""


def test_a_changed_setting_reaches_the_tablet_at_its_next_sync(playwright_instance, server, tmp_path):
    """The kept body map of an 8-month-old who crawls: after the partnership counts every baby under
    12 months as not mobile, the tablet's next sync fetches its pages again (the pack's settings
    version changed), so with no signal the kept page warns that any bruise escalates."""
    from datetime import date

    from fieldvisit import settings
    from fieldvisit.db import connect
    from fieldvisit.today.views import upcoming_visits
    db = connect(server.db_path)
    try:
        me = dict(next(db.query("SELECT * FROM practitioners WHERE username = 'demo-worker'")))
        visits = upcoming_visits(db, me, date.today(), settings.load(db)["today_days_ahead"])
        assert visits, "demo-worker has visits in the pack's window"
        today = date.today()
        born = date(today.year - (1 if today.month <= 8 else 0), (today.month - 9) % 12 + 1, 1)
        child_id = db["children"].insert({"family_id": visits[0]["family_id"], "first_name": "Crawly",
                                          "last_name": "Example", "date_of_birth": born.isoformat(),
                                          "independently_mobile": 1, "plan": "none"}).last_pk
        admin_id = db.execute("SELECT id FROM practitioners WHERE username = 'demo-admin'").fetchone()[0]
    finally:
        db.close()
    body_map = f"{server.url}/children/{child_id}/body-map/new"
    warning = "Crawly is not independently mobile"

    context, page = launch_tablet(playwright_instance, tmp_path / "profile")
    sign_in(page, server, "demo-worker")
    offline_ready(page)
    set_pin(page, server)
    assert f"/children/{child_id}/body-map/new" in kept_pages(page)
    first = page.evaluate(PACK_STATE, me["id"])
    assert first["complete"] and first["settings_version"]

    db = connect(server.db_path)
    try:
        settings.change(db, "non_mobile_under_months", 12, "Partnership decision", admin_id, "2026-12-02T10:00:00+00:00")
        new_version = settings.settings_version(db)
    finally:
        db.close()
    assert new_version != first["settings_version"]
    page.goto(server.url + "/offline/records")
    offline_ready(page)
    sync_now(page)
    eventually(page, lambda: (page.evaluate(PACK_STATE, me["id"]) or {}).get("settings_version") == new_version
               and page.evaluate(PACK_STATE, me["id"])["complete"])
    sync_idle(page)

    server.stop()
    page.goto(body_map)
    expect(page.locator("[data-fv-sync-alerts]")).to_contain_text("No signal: this is the copy of this page kept")
    expect(page.get_by_text(warning).first).to_be_visible()
    screenshot(page, "admin-setting-reached-the-tablet")
    context.close()


def test_admin_checks_then_applies_a_staff_directory_export(tablet, live_server):
    from pathlib import Path
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    page = tablet
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Username").fill("demo-admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/practitioners")
    page.get_by_role("link", name="Import practitioners").click()
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a CSV file")
    check(page, "import")
    page.get_by_label("The staff directory export (CSV)").set_input_files(str(examples / "practitioners-with-errors.csv"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("7 rows cannot be imported")
    expect(page.get_by_role("button", name="Apply the import")).to_have_count(0)
    check(page, "import-refused")
    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("The staff directory export (CSV)").set_input_files(str(examples / "practitioners.csv"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("[data-fv-import-summary]")).to_have_text(
        "It would create 3, update 1 and leave 0 unchanged; 0 refused.")
    check(page, "import-dry-run")
    page.get_by_role("button", name="Apply the import").click()
    expect(page.locator("[data-fv-import-summary]")).to_have_text("Created 3, updated 1, unchanged 0.")
    page.get_by_role("link", name="Practitioners", exact=True).first.click()
    expect(page.get_by_role("link", name="Jo Sampleton")).to_be_visible()
