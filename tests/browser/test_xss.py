"""XSS payloads recorded in every free-text field of a visit (through the form and the sync API) run
nowhere in the browser: any dialog fails the test (issue 14 item 8)."""
from tests.browser.conftest import TABLET, sign_in
from tests.conftest import DEMO_PASSWORD
from tests.test_hardening_xss import plant


def test_payloads_shown_on_the_visit_family_and_dashboard_pages_never_run(live_server, browser, tmp_path):
    visits, families, _ = plant(live_server.db_path, tmp_path / "plant.pem")
    dialogs, errors = [], []
    context = browser.new_context(viewport=TABLET, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))

    def visit(url):
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")

    try:
        sign_in(page, live_server)
        for url in [f"/visits/{v}" for v in visits] + [f"/families/{f}" for f in families]:
            visit(url)
            assert "xss-" in page.inner_text("main"), f"{url} does not show the payloads: the test would prove nothing"
        visit(f"/visits/{visits[1]}")
        assert '<script>alert("xss-script")</script>' in page.inner_text("main")  # shown as text
        context.clear_cookies()
        page.goto(live_server.url + "/sign-in")
        page.get_by_label("Username").fill("demo-lead")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        visit("/dashboard")
        assert page.url.endswith("/dashboard")
        for url in [f"/visits/{v}" for v in visits]:
            visit(url)
        page.wait_for_timeout(300)
    finally:
        context.close()
    assert dialogs == [], f"a payload ran: {dialogs}"
    assert errors == []
