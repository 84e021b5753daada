"""Production serving (issue 13): compressed answers, versioned static URLs cached for a year,
plain module URLs revalidated, and the sync API's JSON still read the same when compressed."""
import gzip
import json
import re
import uuid
from pathlib import Path

import brotli

from fieldvisit import serving
from tests.sync_fakes import families_of


def test_pages_are_compressed_for_a_browser_that_takes_it(client, auth):
    auth.sign_in("demo-worker")
    plain = client.get("/today").get_data()
    for encoding, decode in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        response = client.get("/today", headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == "no-store"
        # The same page (its form tokens aside), in far fewer bytes.
        assert len(response.get_data()) < len(plain) / 3
        assert b"</html>" in decode(response.get_data())
    assert "Content-Encoding" not in client.get("/today").headers


def test_stylesheets_and_vendor_files_have_versioned_urls_cached_for_a_year(client, auth, db):
    auth.sign_in("demo-worker")
    child_id = a_child_of(db, "demo-worker")
    page = client.get(f"/children/{child_id}").get_data(as_text=True)  # one of the pages that use htmx
    css = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"', page)
    htmx = re.search(r'src="(/static/vendor/htmx/htmx\.min\.js\?v=[0-9a-f]{12})"', page)
    assert css and htmx
    for url in (css.group(1), htmx.group(1)):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == f"public, max-age={serving.YEAR}, immutable"
        assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(client.get(css.group(1), headers={"Accept-Encoding": "gzip"}).get_data()) \
        == client.get("/static/css/app.css").get_data()
    # A stale or missing version is not cached for long: the file may have changed.
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        assert client.get(url).headers["Cache-Control"] == "no-cache"


def test_modules_keep_their_plain_url_and_are_revalidated(client, auth):
    auth.sign_in("demo-worker")
    page = client.get("/today").get_data(as_text=True)
    assert '<script type="module" src="/static/js/offline-ui.js"></script>' in page
    first = client.get("/static/js/offline-ui.js", headers={"Accept-Encoding": "br"})
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["Content-Encoding"] == "br"
    again = client.get("/static/js/offline-ui.js", headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_service_worker_finds_versioned_urls_in_its_shell(client):
    source = client.get("/sw.js").get_data(as_text=True)
    assert "VERSIONED.test(url.search)" in source and "caches.match(url.pathname" in source


def test_the_sync_api_answers_compressed_json_that_reads_the_same(client, auth):
    auth.sign_in("demo-worker")
    body = {"device_id": str(uuid.uuid4()), "schema_version": 1, "items": [
        {"id": str(uuid.uuid4()), "kind": "spaceship", "payload": {}, "recorded_at": "2026-11-20T10:00:00"}
        for _ in range(20)]}
    response = client.post("/api/sync/push", json=body, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"
    answer = json.loads(gzip.decompress(response.get_data()))
    assert [r["status"] for r in answer["receipts"]] == ["rejected"] * 20
    pack = client.get("/api/sync/pack", headers={"Accept-Encoding": "br"})
    assert json.loads(brotli.decompress(pack.get_data()))["pages"]


def a_child_of(db, username):
    _, families = families_of(db, username)
    return families[min(families)][0]


def test_only_the_pages_that_use_htmx_load_it(client, auth, db, app):
    """htmx is 17 KB of the 40 KB script budget (issue 13): a page loads it when its template uses
    hx- attributes, and only then."""
    templates = Path(app.root_path).parent / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text()
        if re.search(r"\bhx-[a-z]+=", text) and not template.name.startswith("_"):
            assert '{% include "_htmx.html" %}' in text, template
    # The body-map history partial is included by the pages that load htmx (and swapped in by htmx).
    assert '{% include "bodymap/_history.html" %}' in (templates / "bodymap/history.html").read_text()
    auth.sign_in("demo-worker")
    child_id = a_child_of(db, "demo-worker")
    for url in (f"/children/{child_id}", f"/children/{child_id}/body-map-history"):
        page = client.get(url).get_data(as_text=True)
        assert "/static/vendor/htmx/htmx.min.js" in page and 'name="htmx-config"' in page, url
    for url in ("/today", "/families", "/rota"):
        response = client.get(url, follow_redirects=True)  # /rota: the team's week
        assert response.status_code == 200, url
        assert "htmx" not in response.get_data(as_text=True), url
    auth.sign_out()
    assert "htmx" not in client.get("/sign-in").get_data(as_text=True)


def test_the_govuk_frontend_bundle_holds_every_component_a_template_names(app):
    """static/vendor/govuk-frontend/govuk-frontend.min.js holds only the components we use; a
    template naming another (data-module="govuk-...") would find nothing to start it."""
    root = Path(app.root_path).parent
    started = set(re.findall(r"\b([A-Z][A-Za-z]+)\b", re.search(
        r"import \{([^}]*)\}", (root / "static/js/govuk-init.js").read_text()).group(1))) - {"createAll"}
    named = set()
    for template in (root / "templates").rglob("*.html"):
        named |= set(re.findall(r'data-module="govuk-([a-z-]+)"', template.read_text()))
    # The header has had no script since GOV.UK Frontend 6 (its menu is the service navigation's).
    wanted = {"".join(part.title() for part in name.split("-")) for name in named} - {"Header"}
    assert wanted <= started, wanted - started
    bundle = (root / "static/vendor/govuk-frontend/govuk-frontend.min.js").read_text()
    for component in started:
        module_name = "govuk-" + re.sub(r"(?<!^)([A-Z])", r"-\1", component).lower()  # ErrorSummary: govuk-error-summary
        assert f'"{module_name}"' in bundle, component


def test_a_page_names_every_module_its_scripts_import_for_a_first_load_to_ask_at_once(client, auth, app):
    """A first load on a 400 ms network would otherwise pay a round trip per level of imports."""
    auth.sign_in("demo-worker")
    page = client.get("/today").get_data(as_text=True)
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    graph = serving.module_graph(app.static_folder, "js/govuk-init.js", "js/offline-ui.js")
    assert preloaded == graph[2:]
    # The deep ones are there (offline-ui -> outbox -> crypto), by the plain URL they are imported by.
    assert {"/static/js/outbox.js", "/static/js/crypto.js", "/static/js/idb.js",
            "/static/vendor/govuk-frontend/govuk-frontend.min.js"} <= set(preloaded)
    root = Path(app.static_folder)
    imported = set()
    for module in graph:
        imported |= set(re.findall(r'from\s*"(/static/[^"]+)"', (root / module.removeprefix("/static/")).read_text()))
    assert set(preloaded) == imported
    for url in preloaded:
        assert client.get(url).status_code == 200, url


def test_the_sign_in_page_loads_only_what_it_needs_before_anyone_has_signed_in(client, app):
    """No sync loop, record forms or status area before sign-in: a third of the script (issue 13)."""
    page = client.get("/sign-in").get_data(as_text=True)
    scripts = re.findall(r'<script type="module" src="([^"?]+)', page)
    assert scripts == ["/static/js/govuk-init.js", "/static/js/sign-in-page.js"]
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    assert preloaded == serving.module_graph(app.static_folder, "js/govuk-init.js", "js/sign-in-page.js")[2:]
    assert not {"/static/js/sync.js", "/static/js/offline-ui.js", "/static/js/record-forms.js"} & set(preloaded)
    # What it must still do: register the service worker, lock the reader key, wipe after a sign-out.
    module = (Path(app.static_folder) / "js/sign-in-page.js").read_text()
    for needed in ("registerWorker()", 'type: "lock"', "forgetReadableState()", 'setMeta("signing_in", true)'):
        assert needed in module, needed
