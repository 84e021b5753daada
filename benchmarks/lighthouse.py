"""Lighthouse (mobile defaults: simulated slow 4G, 4x slower CPU) over Fieldvisit's main pages.

Lighthouse is the npm package pinned in benchmarks/package.json, installed into
benchmarks/node_modules (git ignores it):

    (cd benchmarks && npm install)
    nice -n 10 .venv/bin/python benchmarks/lighthouse.py

It seeds the small demo in its own scratch folder, serves it with `fieldvisit serve` (waitress),
signs in (demo-worker; demo-lead for the dashboard) and hands Lighthouse the session cookie, then
runs Lighthouse once per page with Debian's Chromium (/usr/bin/chromium) and prints the scores
and metrics. Targets (issue 13): performance >= 95, accessibility 100, best practices 100,
layout shift < 0.1.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Client, Server, machine, remove, scratch_folder, seeded_small  # noqa: E402

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
METRICS = (("first-contentful-paint", "FCP", "ms"), ("largest-contentful-paint", "LCP", "ms"),
           ("total-blocking-time", "TBT", "ms"), ("cumulative-layout-shift", "CLS", ""),
           ("speed-index", "SI", "ms"))


def session_cookie(client):
    """The signed-in session's cookie header, as the browser would send it."""
    return "; ".join(f"{c.name}={c.value}" for handler in client.opener.handlers
                     if hasattr(handler, "cookiejar") for c in handler.cookiejar)


def pages_of(server):
    worker = Client(server.url, str(uuid.uuid4())).sign_in("demo-worker")
    lead = Client(server.url, str(uuid.uuid4())).sign_in("demo-lead")
    pack = json.loads(worker.opener.open(server.url + "/api/sync/pack", timeout=120).read())["pages"]
    family = next(p for p in pack if re.fullmatch(r"/families/\d+", p))
    form = next(p for p in pack if p.endswith("/visits/new"))
    body_map = next(p for p in pack if p.endswith("/body-map/new"))
    return [("sign-in", None, "/sign-in"), ("Today", worker, "/today"), ("a family", worker, family),
            ("the visit form", worker, form), ("the body map", worker, body_map), ("dashboard", lead, "/dashboard")]


def lighthouse(url, cookie, out):
    command = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
               "--only-categories=performance,accessibility,best-practices",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --lang=en-GB"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, check=True, env=dict(os.environ, CHROME_PATH=CHROMIUM), timeout=300,
                   stdout=subprocess.DEVNULL)
    report = json.loads(Path(out).read_text())
    scores = {key: round(cat["score"] * 100) for key, cat in report["categories"].items()}
    metrics = {short: report["audits"][key]["numericValue"] for key, short, _ in METRICS}
    failing = [audit["id"] for audit in report["audits"].values()
               if audit.get("score") is not None and audit["score"] < 0.9
               and audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")]
    shifts = [(item.get("node", {}).get("snippet", "?")[:90], item.get("score", 0))
              for item in (report["audits"].get("layout-shifts", {}).get("details") or {}).get("items", [])]
    if shifts:
        failing.append("layout shifts: " + "; ".join(f"{snippet} ({score:.3f})" for snippet, score in shifts))
    return report["lighthouseVersion"], report.get("finalDisplayedUrl", url), scores, metrics, failing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="where to make the scratch folder")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        sys.exit(f"Lighthouse is not installed: run `npm install` in {HERE} (it installs the pinned version "
                 "into benchmarks/node_modules).")
    print("Lighthouse benchmark:", machine(), flush=True)
    folder = scratch_folder(args.dir)
    rows = []
    try:
        db = seeded_small(folder)
        with Server(db, folder) as server:
            for label, client, path in pages_of(server):
                cookie = session_cookie(client) if client else None
                version, final, scores, metrics, failing = lighthouse(
                    server.url + path, cookie, folder / f"{len(rows)}.json")
                if not final.rstrip("/").endswith(path.rstrip("/")):
                    print(f"  warning: {label} ended on {final}", flush=True)
                rows.append((label, scores, metrics, failing))
                print(f"  {label}: {scores}", flush=True)
    finally:
        remove(folder)
    print(f"\nLighthouse {version}, mobile defaults (simulated slow 4G, 4x CPU slowdown), one run each")
    print(f"{'page':<16}{'perf':>6}{'a11y':>6}{'best':>6}" + "".join(f"{short:>9}" for _, short, _ in METRICS))
    for label, scores, metrics, failing in rows:
        print(f"{label:<16}{scores['performance']:>6}{scores['accessibility']:>6}{scores['best-practices']:>6}"
              + "".join(f"{metrics[short]:>9.3f}" if short == "CLS" else f"{metrics[short]:>9,.0f}"
                        for _, short, _ in METRICS))
    print("\naudits scored below 0.9, by page:")
    for label, _, _, failing in rows:
        print(f"  {label}: {', '.join(failing) or 'none'}")


if __name__ == "__main__":
    main()
