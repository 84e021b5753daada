"""Production serving: compressed responses and long-lived, versioned static URLs (issue 13).

- Pages, CSS, JavaScript, JSON and SVG are compressed (brotli or gzip, whichever the browser
  takes) by flask-compress. A cheap tablet on a bad network waits for bytes, not for the CPU.
- `url_for('static', ...)` adds `?v=<hash of the file's content>` to the stylesheets, the vendored
  GOV.UK Frontend and htmx, and the icons, and such a URL is answered with a year-long `immutable`
  cache header: a new file gives a new URL. The ES modules under static/js/ import one another by
  their plain URLs (a versioned entry point would load a second copy of the module graph), so
  they keep one URL each and are revalidated (`no-cache` with an ETag: a 304 when unchanged).
  The few classic scripts a page runs before it is drawn (static/early/) are versioned: a
  revalidation there would hold up the first paint by a round trip.
  The service worker caches the shell by plain URL and answers a versioned one from it
  (static/sw.js, `shellPath`).
- Every page names, in its <head>, the modules its entry scripts import however deep
  (`<link rel="modulepreload">`, from `module_graph`), so that a first load asks for them all at
  once: each level of imports would otherwise cost a round trip (400 ms on a bad network).
"""
import hashlib
import re
from pathlib import Path

from flask import request
from flask_compress import Compress

YEAR = 365 * 24 * 60 * 60
COMPRESSED = [
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "application/manifest+json", "image/svg+xml", "text/plain",
]
UNVERSIONED_FOLDERS = ("js/",)
# A static import of another module of ours: `import ... from "/static/..."` or `import "/static/..."`
# (an `import(...)` call is left out: it is loaded when needed, on purpose).
STATIC_IMPORT = re.compile(
    r'^\s*(?:(?:import|export)\b[^;("\']*?\bfrom\s*|import\s*)["\'](/static/[^"\']+\.m?js)["\']', re.MULTILINE)
_hashes = {}
_imports = {}


def content_version(static_folder, filename):
    """A short hash of a static file's content, recomputed when the file changes."""
    path = Path(static_folder) / filename
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (filename, stat.st_mtime_ns, stat.st_size)
    version = _hashes.get(key)
    if version is None:
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        _hashes[key] = version
    return version


def imports_of(static_folder, url):
    """The plain URLs a module imports statically, read again when the file changes."""
    path = Path(static_folder) / url.removeprefix("/static/")
    try:
        stat = path.stat()
    except OSError:
        return []
    key = (url, stat.st_mtime_ns, stat.st_size)
    if key not in _imports:
        _imports[key] = STATIC_IMPORT.findall(path.read_text(encoding="utf-8"))
    return _imports[key]


def module_graph(static_folder, *entries):
    """Every module the entry modules import, however deep, by the plain URL they import it by
    (the URL a `modulepreload` must name for the browser to use what it preloaded); entries
    first, each once."""
    seen, queue = [], [f"/static/{entry}" for entry in entries]
    while queue:
        url = queue.pop(0)
        if url not in seen:
            seen.append(url)
            queue.extend(imports_of(static_folder, url))
    return seen


def init_app(app):
    app.jinja_env.globals["module_graph"] = lambda *entries: module_graph(app.static_folder, *entries)

    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Static files are read whole (they are small) so that they take the same algorithms as pages
    # (flask-compress streams them otherwise, and never with gzip).
    Compress(app)

    @app.url_defaults
    def versioned_static(endpoint, values):
        if endpoint != "static" or "v" in values:
            return
        filename = values.get("filename", "")
        if filename.startswith(UNVERSIONED_FOLDERS):
            return
        version = content_version(app.static_folder, filename)
        if version:
            values["v"] = version

    # Registered after Compress, so it runs before it (Flask runs after_request functions last first).
    @app.after_request
    def static_cache(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        version = request.args.get("v")
        if version and version == content_version(app.static_folder, filename):
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        if response.status_code == 200 and response.direct_passthrough:
            response.direct_passthrough = False
            response.get_data()  # whole, so flask-compress compresses it as it does a page
        return response
