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
"""
import hashlib
from pathlib import Path

from flask import request
from flask_compress import Compress

YEAR = 365 * 24 * 60 * 60
COMPRESSED = [
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "application/manifest+json", "image/svg+xml", "text/plain",
]
UNVERSIONED_FOLDERS = ("js/",)
_hashes = {}


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


def init_app(app):
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
