"""The pages of issue 14 as a person uses them: a lead finds who viewed a child and signs out
everywhere on a phone; an admin revokes a tablet. Screenshots go to test-artifacts/."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (DEMO_PASSWORD, assert_no_serious_accessibility_violations, screenshot,
                                    sign_in)
from tests.browser.offline_helpers import central

pytestmark = pytest.mark.browser


def test_a_lead_finds_who_viewed_a_child_then_signs_out_everywhere(phone, live_server):
    page = phone
    sign_in(page, live_server, "demo-lead")
    child_id = central(live_server, "SELECT c.id FROM children c JOIN families f ON f.id = c.family_id"
                                    " JOIN practitioners p ON p.team_id = f.team_id WHERE p.username = 'demo-lead'"
                                    " ORDER BY c.id")[0][0]
    page.goto(f"{live_server.url}/children/{child_id}")
    page.get_by_role("link", name=re.compile("Who has viewed or changed")).click()
    expect(page.get_by_role("heading", name=re.compile("Who viewed or changed the records of"))).to_be_visible()
    expect(page.locator("table")).to_contain_text("Viewed")
    assert_no_serious_accessibility_violations(page)
    screenshot(page, "phone-audit-log-child")
    page.get_by_label("From date").fill("2026-11-30")
    page.get_by_label("To date").fill("2026-11-01")
    page.get_by_role("button", name="Search the audit log").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("To date must be the same as or after the from date")
    page.locator(".govuk-error-summary a").click()
    expect(page.get_by_label("To date")).to_be_focused()

    page.goto(live_server.url + "/account/sessions")
    expect(page.get_by_role("heading", name="Where you are signed in")).to_be_visible()
    assert_no_serious_accessibility_violations(page)
    screenshot(page, "phone-your-sessions")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out everywhere")
    page.goto(live_server.url + "/today")
    expect(page).to_have_url(re.compile("/sign-in"))


def test_an_admin_revokes_a_tablet(tablet, live_server):
    page = tablet
    central_db = live_server.db_path
    import sqlite3
    conn = sqlite3.connect(central_db)
    conn.execute("INSERT INTO devices (device_id, practitioner_id, first_seen_at, last_seen_at, app_version, user_agent)"
                 " SELECT '0b7c2d61-93aa-4c51-b1e4-2f3f6d2f9a10', id, '2026-12-01T08:00:00+00:00',"
                 " '2026-12-01T16:00:00+00:00', 'v-5a1b', 'Chrome on Android tablet' FROM practitioners"
                 " WHERE username = 'demo-worker'")
    conn.commit()
    conn.close()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Username").fill("demo-admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Devices").click()
    expect(page.get_by_role("heading", name="Devices")).to_be_visible()
    assert_no_serious_accessibility_violations(page)
    screenshot(page, "tablet-devices")
    page.get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The device is revoked")
    expect(page.locator("table")).to_contain_text("Revoked")
