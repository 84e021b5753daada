"""The installable app: the web app manifest, the service worker served at the site's root
(so its scope is the whole app), and the offline pages.

The offline pages hold no one's data: they are rendered signed out, the same for every
practitioner, so the service worker may keep them in its cache beside the app shell.
Family pages are never kept there: the device keeps them encrypted (static/js/outbox.js,
docs/offline-security.md).
"""
import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, g, render_template, request, send_from_directory

bp = Blueprint("offline", __name__)

# What the service worker caches at install: every file of these folders of static/
# with these endings, so pages added by any area (e.g. the body map's script) work offline.
SHELL_FOLDERS = ("css", "js", "early", "vendor", "icons")
SHELL_SUFFIXES = (".css", ".js", ".mjs", ".png", ".svg", ".woff2")
OFFLINE_PAGES = {
    "/offline/unavailable": "offline/unavailable.html",
    "/offline/unlock": "offline/unlock.html",
    "/offline/pin": "offline/pin.html",
    "/offline/records": "offline/records.html",
    "/offline/signed-out": "offline/signed_out.html",
    "/offline/locked": "offline/locked.html",  # issue 14: too long without contact
}
BUILD_MARKER = re.compile(r"/\* build \*/.*?/\* end build \*/", re.S)
THEME_COLOUR = "#1d70b8"
# Other areas' files for the shell that are not under static/ (e.g. the body-map figures):
# functions returning [(url, content), ...], registered with shell_files_from.
_shell_providers = []


def shell_files_from(provider):
    _shell_providers.append(provider)
    return provider


def shell_files():
    """Paths under /static/ of the app shell, sorted so the build is stable."""
    static = Path(current_app.static_folder)
    found = []
    for folder in SHELL_FOLDERS:
        for path in sorted((static / folder).rglob("*")):
            if path.is_file() and path.suffix in SHELL_SUFFIXES:
                found.append(path)
    return found


@bp.before_app_request
def note_a_copy_for_the_tablet():
    """A pack page fetched by the tablet to keep (static/js/sync.js says so in a header) must not
    take the messages flashed for the page the person sees next."""
    if request.headers.get("Fieldvisit-Kept-Copy") == "1":
        g.copy_for_the_tablet = True


def render_offline_page(template):
    """An offline page as everyone gets it: signed out, so no name and no form token in it."""
    signed_in, g.practitioner = g.get("practitioner"), None
    g.copy_for_the_tablet = True  # the service worker fetches it: it does not take the person's messages
    try:
        return render_template(template)
    finally:
        g.practitioner = signed_in


def build():
    """The service worker's version and the URLs it caches at install.

    The version is a hash of everything cached, so any change to the shell gives a new
    service worker and a new, complete cache before the old one is removed.
    """
    static = Path(current_app.static_folder)
    digest = hashlib.sha256(current_app.config.get("OFFLINE_BUILD", "").encode())
    digest.update((static / "sw.js").read_bytes())
    urls = []
    for path in shell_files():
        url = "/static/" + path.relative_to(static).as_posix()
        digest.update(url.encode() + b"\0" + path.read_bytes())
        urls.append(url)
    for url, template in OFFLINE_PAGES.items():
        digest.update(url.encode() + b"\0" + render_offline_page(template).encode())
        urls.append(url)
    for provider in _shell_providers:
        for url, content in provider():
            digest.update(url.encode() + b"\0" + content.encode())
            urls.append(url)
    urls.append("/manifest.webmanifest")
    digest.update(json.dumps(manifest_document(), sort_keys=True).encode())
    return {"version": digest.hexdigest()[:16], "shell": urls}


@bp.get("/sw.js")
def service_worker():
    source = (Path(current_app.static_folder) / "sw.js").read_text()
    body = BUILD_MARKER.sub(lambda _: json.dumps(build()), source, count=1)
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # The browser must always see a new version at once (it checks at every navigation).
    response.headers["Cache-Control"] = "no-cache"
    return response


def manifest_document():
    return {
        "id": "/today",
        "name": "Fieldvisit",
        "short_name": "Fieldvisit",
        "description": "Home-visit records for safeguarding practitioners, with or without signal.",
        "lang": "en-GB",
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask every site for /favicon.ico: the app's own icon (a missing one logged an error
    on every page, issue 12). A PNG is a favicon every browser reads."""
    response = send_from_directory(Path(current_app.static_folder) / "icons", "icon-192.png", mimetype="image/png")
    response.cache_control.max_age = 7 * 24 * 3600
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    response = Response(json.dumps(manifest_document(), indent=2), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def offline_page(url):
    def view():
        response = Response(render_offline_page(OFFLINE_PAGES[url]), mimetype="text/html")
        # The same for everyone and holding no data: the service worker keeps a copy.
        response.headers["Cache-Control"] = "no-cache"
        return response
    return view


for _url in OFFLINE_PAGES:
    bp.add_url_rule(_url, "offline_" + _url.rsplit("/", 1)[1].replace("-", "_"), offline_page(_url))
