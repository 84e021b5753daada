"""The tablet benchmark: Fieldvisit in Chromium (Playwright) on a throttled cheap tablet.

Chrome DevTools Protocol throttling for the whole run: 400 kbit/s down and up, 400 ms round trip,
CPU 4x slower. On the small demo, served by `fieldvisit serve` (waitress) from a scratch copy:

  - bytes of JavaScript and CSS each page ships, as sent (compressed) and as kept;
  - first load of sign-in and of Today (navigation start to the load event, cold cache);
  - the pack: what is kept on the tablet after the PIN is set (pages and bytes in IndexedDB) and
    the time to fill it (PIN set to "now kept on this tablet");
  - a repeat load of Today with no signal (the server stopped), from the service worker;
  - Save offline: from pressing "Save visit record" to "Saved on this tablet", over --saves saves,
    timed in the page (the submit event to the notice shown) and in Python around Playwright's click
    and wait (so including Playwright's own round trips and its checks before it clicks).

    nice -n 10 .venv/bin/python benchmarks/tablet.py [--saves 20]

It refuses to run against anything but its own scratch folder (benchmarks/_common.py).
"""
import argparse
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PASSWORD, Server, machine, percentile, remove, scratch_folder, seeded_small  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET  # noqa: E402
from tests.browser.offline_helpers import PIN, fill_visit, offline_ready, open_form  # noqa: E402

KBIT = 1000 / 8  # bytes per second in a kbit/s
NETWORK = {"offline": False, "latency": 400, "downloadThroughput": 400 * KBIT, "uploadThroughput": 400 * KBIT}
CPU_SLOWDOWN = 4

NAVIGATION = """() => { const n = performance.getEntriesByType('navigation')[0];
  return {load: n.loadEventEnd - n.startTime, dcl: n.domContentLoadedEventEnd - n.startTime,
          transfer: n.transferSize}; }"""
KEPT = """async () => {
  const idb = await import('/static/js/idb.js');
  const pages = await idb.read('pages', (s) => idb.result(s.pages.getAll()));
  const size = (v) => v == null ? 0 : typeof v === 'string' ? v.length : v.byteLength !== undefined ? v.byteLength
    : v instanceof Blob ? v.size : typeof v === 'object' ? Object.values(v).reduce((t, x) => t + size(x), 0) : String(v).length;
  return {pages: pages.length, bytes: pages.reduce((t, p) => t + size(p), 0)};
}"""


# In the page: from the form's submit event to the moment static/js/record-forms.js shows "Saved on this
# tablet" (it sends `fieldvisit:saved` right after showing the notice). Listened for on window, in the capture
# phase, so that no handler of the page can stop it first. The benchmark waits on that event's promise, not
# by polling the page for the notice's text: Playwright's text search runs on the page's own thread, which
# the throttling makes 4x slower, and over the long visit form each search took 100-400 ms that the save
# then had to wait behind (IndexedDB's "complete" event is delivered on that thread). Measured: the same
# durable write took 200-430 ms while Playwright searched and 11-20 ms when it did not. The notice is
# checked to be visible after the time is taken.
WATCH_SAVE = """() => { window.fvSave = {};
  window.fvSave.done = new Promise((resolve) => {
    window.addEventListener('fieldvisit:saved', () => { window.fvSave.end = performance.now(); resolve(); },
                            {capture: true, once: true}); });
  window.addEventListener('submit', () => { window.fvSave.start = performance.now(); }, {capture: true, once: true}); }"""
SAVED = "() => window.fvSave.done"
SAVE_TIME = "() => window.fvSave.end - window.fvSave.start"


def throttle(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return cdp


RESOURCES = """() => [...new Set(performance.getEntriesByType('resource').map((e) => e.name)
  .filter((u) => u.startsWith(location.origin) && /\\.(m?js|css)(\\?|$)/.test(new URL(u).pathname + '?')))]"""


def shipped(page):
    """{"script"|"stylesheet": [KB sent compressed, KB uncompressed, files]} of the JavaScript (ES modules
    included) and CSS the page loaded, each file fetched again as a first visit gets it (gzip or
    brotli, as the server chooses); the browser's own counts are 0 for what it had cached already."""
    out = {}
    for url in page.evaluate(RESOURCES):
        kind = "stylesheet" if urllib.parse.urlsplit(url).path.endswith(".css") else "script"
        sent = len(urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": "br, gzip"}),
                                          timeout=60).read())
        raw = len(urllib.request.urlopen(url, timeout=60).read())
        total = out.setdefault(kind, [0, 0, 0])
        total[0] += sent
        total[1] += raw
        total[2] += 1
    return out


def run(server, profile, saves):
    figures = {}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=TABLET,
            locale="en-GB", timezone_id="Europe/London")
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(180_000)
        throttle(page)

        page.goto(server.url + "/sign-in", wait_until="load")
        figures["sign-in first load"] = page.evaluate(NAVIGATION)
        figures["sign-in shipped"] = shipped(page)
        page.get_by_label("Username").fill("demo-worker")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/today")
        page.wait_for_load_state("load")
        figures["Today first load"] = page.evaluate(NAVIGATION)
        offline_ready(page)
        figures["Today shipped"] = shipped(page)

        page.goto(server.url + "/offline/pin")
        offline_ready(page)
        page.get_by_label("PIN", exact=True).fill(PIN)
        page.get_by_label("Enter the PIN again").fill(PIN)
        started = time.perf_counter()
        page.get_by_role("button", name="Set PIN").click()
        expect(page.locator("[data-fv-pages-kept]")).to_contain_text("now kept on this tablet", timeout=540_000)
        figures["pack fill s"] = time.perf_counter() - started
        figures["pack kept"] = page.evaluate(KEPT)

        page.goto(server.url + "/today")
        form_url = page.get_by_role("link", name=re.compile("Record this visit")).first.get_attribute("href")
        open_form(page, server.url + form_url)  # the form is cached by the service worker
        server.process.terminate()  # no signal from here on
        server.process.wait(20)

        repeat = []
        for _ in range(3):
            page.goto(server.url + "/today", wait_until="load")
            expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
            repeat.append(page.evaluate(NAVIGATION)["load"])
        figures["Today offline repeat loads ms"] = repeat

        times, in_page = [], []
        open_form(page, server.url + form_url)
        for n in range(saves):
            fill_visit(page, duration=str(20 + n))
            page.evaluate(WATCH_SAVE)
            started = time.perf_counter()
            page.get_by_role("button", name="Save visit record").click()
            page.evaluate(SAVED)
            times.append((time.perf_counter() - started) * 1000)
            in_page.append(page.evaluate(SAVE_TIME))
            expect(page.get_by_text("Saved on this tablet — not sent yet")).to_be_visible()
            page.get_by_role("button", name="Record another").click()
            expect(page.locator("form[data-record-kind=visit]")).to_have_attribute("data-fv-outbox", "ready")
            page.wait_for_timeout(1100)  # GOV.UK's Save button ignores a second press within a second
        figures["saves ms"] = times
        figures["saves in page ms"] = in_page
        context.close()
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20, help="offline saves timed (default 20)")
    parser.add_argument("--dir", help="where to make the scratch folder")
    args = parser.parse_args(argv)
    print("Tablet benchmark:", machine(), flush=True)
    print(f"Throttling (CDP): {NETWORK['downloadThroughput'] / KBIT:.0f} kbit/s, {NETWORK['latency']} ms RTT, "
          f"CPU {CPU_SLOWDOWN}x slower", flush=True)
    folder = scratch_folder(args.dir)
    try:
        db = seeded_small(folder)
        with Server(db, folder) as server:
            figures = run(server, folder / "profile", args.saves)
    finally:
        remove(folder)

    for name in ("sign-in", "Today"):
        load = figures[f"{name} first load"]
        print(f"{name} first load: {load['load']:,.0f} ms to the load event (DOMContentLoaded {load['dcl']:,.0f} ms), "
              f"target < 3,000 ms")
        for kind, (sent, raw, count) in sorted(figures[f"{name} shipped"].items()):
            limit = {"script": 40, "stylesheet": 30}[kind]
            print(f"  {kind}: {count} files, {sent / 1024:,.1f} KB sent, {raw / 1024:,.1f} KB uncompressed "
                  f"(target < {limit} KB compressed)")
    kept = figures["pack kept"]
    print(f"pack: {kept['pages']} pages, {kept['bytes'] / 1024 / 1024:.2f} MB kept in IndexedDB, "
          f"filled in {figures['pack fill s']:.1f} s")
    repeat = figures["Today offline repeat loads ms"]
    print(f"Today with no signal (service worker): {', '.join(f'{t:,.0f}' for t in repeat)} ms, target < 500 ms")
    for label, saves in (("in the page, submit event to the notice", figures["saves in page ms"]),
                         ("Playwright's click to the notice shown", figures["saves ms"])):
        print(f"Save offline to 'Saved on this tablet', {len(saves)} saves, {label}: p50 {percentile(saves, 50):,.0f} ms, "
              f"p95 {percentile(saves, 95):,.0f} ms, max {max(saves):,.0f} ms (target p95 < 100 ms)")


if __name__ == "__main__":
    main()
