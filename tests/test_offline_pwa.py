"""The installable app as the server serves it (issue 5): the service worker at the root with
its build written in, the manifest, the icons, the offline pages that hold nobody's data, and
the layout's link to them all."""
import json
import re
import struct
import zlib
from pathlib import Path

import pytest

from fieldvisit.offline import views as pwa

ROOT = Path(__file__).resolve().parent.parent


def build_of(response):
    text = response.get_data(as_text=True)
    match = re.search(r"const BUILD = (\{.*?\});", text)
    assert match, "the build is written into the service worker"
    return json.loads(match.group(1))


def test_service_worker_is_served_at_the_root_for_the_whole_app(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    build = build_of(response)
    assert re.fullmatch(r"[0-9a-f]{16}", build["version"])
    assert "/* build */" not in response.get_data(as_text=True)


def test_the_shell_holds_every_script_style_icon_and_offline_page_and_no_family_page(client):
    shell = build_of(client.get("/sw.js"))["shell"]
    for url in ["/static/js/offline-ui.js", "/static/js/sync.js", "/static/js/outbox.js", "/static/js/crypto.js",
                "/static/vendor/govuk-frontend/govuk-frontend.min.css", "/static/vendor/htmx/htmx.min.js",
                "/static/css/offline.css", "/static/icons/icon-192.png", "/manifest.webmanifest",
                *pwa.OFFLINE_PAGES]:
        assert url in shell
    assert not [url for url in shell if url.startswith(("/families", "/children", "/visits", "/today"))]
    assert not [url for url in shell if url.endswith(".py")]
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_the_version_changes_with_the_shell_and_not_otherwise(app, client):
    first = build_of(client.get("/sw.js"))["version"]
    assert build_of(client.get("/sw.js"))["version"] == first
    app.config["OFFLINE_BUILD"] = "the next release"
    assert build_of(client.get("/sw.js"))["version"] != first


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Fieldvisit" and manifest["short_name"] == "Fieldvisit"
    assert manifest["start_url"] == "/today" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] and manifest["background_color"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.mimetype == "image/png"
        width, height = struct.unpack(">II", png.data[16:24])
        assert f"{width}x{height}" == icon["sizes"]


def read_png(data):
    """Width, height and the raw RGB rows of one of our PNGs (filter 0, one IDAT)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    raw = zlib.decompress(data[idat + 4:idat + 4 + length])
    stride = width * 3 + 1
    return width, height, [raw[row * stride + 1:(row + 1) * stride] for row in range(height)]


def test_icons_are_what_the_committed_script_draws(tmp_path):
    from static.icons import make_icons  # the generator script, run here into a temporary folder
    make_icons.main(tmp_path)
    for name, size, _ in make_icons.ICONS:
        committed = (ROOT / "static" / "icons" / name).read_bytes()
        assert committed == (tmp_path / name).read_bytes(), f"{name}: run static/icons/make_icons.py"
        width, height, rows = read_png(committed)
        assert (width, height) == (size, size)
        assert rows[0][:3] == bytes(make_icons.BLUE)  # the corner is the brand blue
        assert bytes(make_icons.WHITE) in rows[size // 2]  # the house runs through the middle


@pytest.mark.parametrize("url", list(pwa.OFFLINE_PAGES))
def test_offline_pages_hold_no_name_and_no_form_token_even_when_signed_in(client, auth, url):
    auth.sign_in("demo-worker")
    assert "Sam Demo-Worker" in client.get("/today").get_data(as_text=True)
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Demo-Worker" not in page
    assert "csrf_token" not in page
    assert "data-fv-practitioner" not in page
    if url != "/offline/signed-out":  # signed out: no one's status to show
        assert "data-fv-sync" in page  # the status area, filled in on the tablet
    assert client.get(url).get_data(as_text=True) == page  # the same for everyone, so it may be cached


def test_offline_pages_need_no_sign_in(client):
    for url in pwa.OFFLINE_PAGES:
        assert client.get(url).status_code == 200


def test_layout_links_the_manifest_the_scripts_and_the_status_of_the_signed_in_practitioner(client, auth):
    assert 'rel="manifest" href="/manifest.webmanifest"' in client.get("/sign-in").get_data(as_text=True)
    auth.sign_in("demo-worker")
    page = client.get("/today").get_data(as_text=True)
    assert '<script type="module" src="/static/js/offline-ui.js"></script>' in page
    assert 'rel="apple-touch-icon"' in page
    status = re.search(r"<section class=\"fv-sync[^\"]*\"[^>]*>", page).group(0)
    assert 'data-fv-username="demo-worker"' in status and "hidden" in status
    assert re.search(r'data-fv-practitioner="\d+"', status)


def test_admin_pages_have_no_offline_status(client, auth):
    auth.sign_in("demo-admin")
    response = client.get("/admin/practitioners")
    assert response.status_code == 200
    assert "data-fv-sync" not in response.get_data(as_text=True)


def test_no_inline_script_or_style_in_the_offline_templates():
    for template in (ROOT / "templates" / "offline").glob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "style=" not in text and not re.search(r"\son\w+=", text), template.name


def test_a_copy_the_tablet_fetches_for_itself_leaves_the_persons_message_for_their_next_page(client, auth):
    """The service worker caching the offline pages, or the pack keeping a page, must not take a message
    flashed for the page the person is about to see (an admin's "The device is revoked" was lost so)."""
    auth.sign_in("demo-worker")
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "Saved: a message for the next page")]
    assert "a message for the next page" not in client.get("/offline/unlock").get_data(as_text=True)
    assert "a message for the next page" not in client.get(
        "/today", headers={"Fieldvisit-Kept-Copy": "1"}).get_data(as_text=True)
    assert "a message for the next page" in client.get("/families").get_data(as_text=True)
