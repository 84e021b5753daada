"""The pack's pages are kept compressed before they are sealed (issue 13: a pack of at most 2 MB on
the tablet), and open with no signal as before; a page kept before compression still opens."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.offline_helpers import server  # noqa: F401 (the fixture)
from tests.browser.offline_helpers import offline_ready, set_pin

pytestmark = pytest.mark.browser

FAMILY = "/families/21"

KEPT_SIZES = """async () => {
  const idb = await import('/static/js/idb.js');
  const pages = await idb.read('pages', (s) => idb.result(s.pages.getAll()));
  return pages.map((p) => ({url: p.url, encoding: p.encoding || null, sealed: atob(p.box.ciphertext).length}));
}"""

# What a tablet kept before pages were compressed: the page's text sealed as it is, no `encoding`.
KEEP_THE_OLD_WAY = """async ([url, html]) => {
  const { seal } = await import('/static/js/crypto.js');
  const { readerPublicKey } = await import('/static/js/keystore.js');
  const { pageEntry } = await import('/static/js/outbox.js');
  const idb = await import('/static/js/idb.js');
  const current = await idb.getMeta('current');
  const entry = await pageEntry(current.practitioner_id, url);
  const box = await seal(await readerPublicKey(current.practitioner_id), html, `page:${url}`);
  delete entry.encoding;
  await idb.write('pages', (s) => idb.result(s.pages.put({...entry, box})));
  return (await pageEntry(current.practitioner_id, url)).encoding === undefined;
}"""


def test_kept_pages_are_compressed_and_open_with_no_signal_as_do_pages_kept_before(tablet, server):
    page = tablet
    sign_in(page, server)
    offline_ready(page)
    set_pin(page, server)
    kept = {entry["url"]: entry for entry in page.evaluate(KEPT_SIZES)}
    assert FAMILY in kept and "/today" in kept
    assert {entry["encoding"] for entry in kept.values()} == {"gzip"}
    family_html = page.request.get(server.url + FAMILY).text()
    assert 'data-fv-practitioner="' in family_html
    # A family page's markup compresses to well under a third of itself.
    assert kept[FAMILY]["sealed"] < len(family_html.encode()) / 3, (kept[FAMILY]["sealed"], len(family_html))
    family_name = re.search(r"<h1[^>]*>\s*([^<]+?)\s*<", family_html).group(1)
    today_page = page.request.get(server.url + "/today").text()
    assert page.evaluate(KEEP_THE_OLD_WAY, ["/today", today_page])

    server.stop()  # no signal
    page.goto(server.url + FAMILY)
    expect(page.get_by_role("heading", level=1, name=family_name)).to_be_visible()
    page.goto(server.url + "/today")  # kept the old way, uncompressed
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
