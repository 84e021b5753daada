"""Production serving (issue 13): compressed answers, versioned static URLs cached for a year,
plain module URLs revalidated, and the sync API's JSON still read the same when compressed."""
import gzip
import json
import re
import uuid

import brotli

from fieldvisit import serving


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


def test_stylesheets_and_vendor_files_have_versioned_urls_cached_for_a_year(client, auth):
    auth.sign_in("demo-worker")
    page = client.get("/today").get_data(as_text=True)
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
