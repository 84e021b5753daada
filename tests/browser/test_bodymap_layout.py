"""The body map opened with no visit in its address is drawn saying "save the visit first" from the
first paint (static/early/bodymap-visit-check.js): the form does not appear and then vanish, which
shifted the whole page (Lighthouse: layout shift 0.107, target < 0.1; issue 13)."""
from playwright.sync_api import expect

from .conftest import sign_in

LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve(total), 1000);
})"""


def test_a_body_map_with_no_visit_says_so_from_the_first_paint_without_a_layout_shift(tablet, live_server):
    page, server = tablet, live_server
    sign_in(page, server)
    pages = page.request.get(server.url + "/api/sync/pack").json()["pages"]
    body_map = next(path for path in pages if path.endswith("/body-map/new"))
    page.goto(server.url + body_map)
    expect(page.locator("[data-fv-visit-needed]")).to_be_visible()
    expect(page.locator("[data-fv-visit-form]")).to_be_hidden()
    assert page.evaluate(LAYOUT_SHIFT) < 0.01
    # With a visit in the address (one saved on this tablet, not yet sent) the form is there.
    page.goto(server.url + body_map + "?visit=0b7c3c1e-5d8f-4c1a-9a51-6f2d8e4b7a10")
    expect(page.locator("[data-fv-visit-form]")).to_be_visible()
    expect(page.locator("[data-fv-visit-needed]")).to_be_hidden()
    assert page.evaluate(LAYOUT_SHIFT) < 0.01
