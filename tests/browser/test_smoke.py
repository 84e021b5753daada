"""The first thing a practitioner does: sign in and see Today."""
import pytest

from tests.browser.conftest import assert_no_serious_accessibility_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_worker_signs_in_and_sees_today(tablet, live_server):
    sign_in(tablet, live_server)
    assert tablet.get_by_role("heading", name="Today", exact=True).is_visible()
    screenshot(tablet, "today-tablet")
    assert_no_serious_accessibility_violations(tablet)
