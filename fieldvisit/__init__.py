"""Fieldvisit: home-visit records for safeguarding practitioners, offline-first."""
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from werkzeug.routing import IntegerConverter

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def secret_key(instance_path):
    """The session signing key: made on first run into the instance folder, never committed."""
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class RowIdConverter(IntegerConverter):
    """`<int:...>` in a URL is a row id: a number beyond SQLite's integers is a 404, not an
    OverflowError (a 500) when it reaches a query."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def use_local_time(zone):
    """Make the process's local time the instance's zone.

    date.today() and datetime.now() then give the date and time on the practitioner's
    watch even when the server's clock is UTC (an hour behind in British Summer Time).
    Times that must be UTC (audit, sync receipts) are made timezone-aware explicitly.
    """
    if os.environ.get("TZ") != zone:
        os.environ["TZ"] = zone
        time.tzset()


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("FIELDVISIT_INSTANCE"),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.url_map.converters["int"] = RowIdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        DATABASE=os.environ.get("FIELDVISIT_DB") or os.path.join(app.instance_path, "fieldvisit.db"),
        # Failed sign-ins per username (per browser that has signed in as it before) before a pause,
        # and from one address, in a window (fieldvisit/auth/throttle.py).
        SIGN_IN_ATTEMPTS=5,
        SIGN_IN_ADDRESS_ATTEMPTS=20,
        SIGN_IN_LOCKOUT_MINUTES=15,
        # Behind HTTPS (any real deployment) set FIELDVISIT_SECURE_COOKIES=1.
        SESSION_COOKIE_SECURE=os.environ.get("FIELDVISIT_SECURE_COOKIES") == "1",
        # Local dates and times (a visit's time, "today", working days) are England's.
        TIMEZONE="Europe/London",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="fieldvisit_session",
        # The token lives as long as the session; the idle timeout ends both.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    use_local_time(app.config["TIMEZONE"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)

    from fieldvisit import db, filters
    app.before_request(refuse_oversized)  # first: before the session, the CSRF check or any view
    db.init_app(app)
    filters.register(app)
    csrf.init_app(app)
    from fieldvisit.auth.throttle import limiter
    limiter.init_app(app)
    Htmx(app)
    register_areas(app)
    register_error_pages(app)
    register_headers(app)
    trust_proxies(app)
    from fieldvisit import serving
    serving.init_app(app)  # compression, versioned static URLs (issue 13)
    return app


def refuse_oversized():
    """A body larger than MAX_CONTENT_LENGTH is refused (413) from its Content-Length, before anything
    reads it or looks at the session, on every route (issue 14)."""
    from flask import abort, current_app, request
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        abort(413)


def trust_proxies(app):
    """Behind the council's reverse proxy (TLS ends there), FIELDVISIT_PROXIES=1 makes the client's
    address and scheme the ones the proxy forwards: the sign-in limit per address and HSTS need them."""
    proxies = int(os.environ.get("FIELDVISIT_PROXIES") or app.config.get("PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def register_areas(app):
    """Each area of work is a package with its blueprint in `views.py`; areas whose records go
    through the sync engine declare their kinds in `kinds.py` (docs/architecture.md)."""
    from fieldvisit import records
    from fieldvisit.admin import views as admin
    from fieldvisit.audit_log import views as audit_log
    from fieldvisit.alcohol import kinds as alcohol_kinds, views as alcohol
    from fieldvisit.auth import views as auth
    from fieldvisit.bodymap import kinds as bodymap_kinds, views as bodymap
    from fieldvisit.conflicts import views as conflicts
    from fieldvisit.devices import views as devices
    from fieldvisit.escalations import views as escalations
    from fieldvisit.families import views as families
    from fieldvisit.help import views as help_pages
    from fieldvisit.offline import api as sync_api, views as offline
    from fieldvisit.rota import views as rota
    from fieldvisit.today import views as today
    from fieldvisit.visits import kinds as visit_kinds, views as visits
    from fieldvisit.was_not_brought import kinds as was_not_brought_kinds, views as was_not_brought

    areas = [
        auth,             # signing in and out
        today,            # a practitioner's day
        families,         # families and children
        visits,           # visit records and amendments
        bodymap,          # marks on a figure and the injury rules (rules 1-7)
        alcohol,          # AUDIT-C / AUDIT with a parent (rule 14)
        was_not_brought,  # missed appointments (rules 8-9)
        escalations,      # the team lead's dashboard of escalations and concerns
        rota,             # visiting rules, the week's visits, unannounced visits
        conflicts,        # records sent twice with different content
        admin,            # practitioners and teams
        offline,          # the installable app: manifest, service worker, offline pages
        sync_api,         # the tablets' JSON API (docs/sync-protocol.md)
        audit_log,        # who viewed or changed what, for team leads and admins (issue 14)
        devices,          # the tablets that sync, and revoking a lost one (issue 14)
        help_pages,       # short help, one page per area, linked from the footer
    ]
    for area in areas:
        app.register_blueprint(area.bp)
    # The sync API takes JSON from this origin only; form tokens expire offline (OFFLINE.md).
    csrf.exempt(sync_api.bp)
    # Pages an area adds to today's pack (docs/sync-protocol.md, "The pack"); the sync API imports no area.
    sync_api.register_pack_pages(app, bodymap.pack_pages)
    for kinds in (visit_kinds, bodymap_kinds, alcohol_kinds, was_not_brought_kinds):
        records.register_kinds(kinds.KINDS)


API_ERRORS = {
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not take that kind of request."),
    413: ("too_large", "The request is larger than the central record accepts (2 MB)."),
    500: ("server_error", "The central record had a problem; nothing was stored. Try again later."),
    503: ("unavailable", "The central record cannot store anything just now (its storage is full). "
                         "Your records are kept on this device and will be sent again."),
}


def register_error_pages(app):
    """Errors written for people on pages, and as JSON for the sync client under /api/."""
    def api_or_page(code, template):
        if request.path.startswith("/api/"):
            error, message = API_ERRORS[code]
            return {"error": error, "message": message}, code
        return render_template(template), code

    @app.errorhandler(404)
    def not_found(error):
        return api_or_page(404, "errors/404.html")

    from fieldvisit.access import NotVisible
    app.register_error_handler(NotVisible, not_found)  # need to know: the same answer as "not found"

    @app.errorhandler(405)
    def method_not_allowed(error):
        # RFC 9110 15.5.6: a 405 says which methods the address takes.
        allow = {"Allow": ", ".join(sorted(error.valid_methods or ()))}
        if request.path.startswith("/api/"):
            body, code = api_or_page(405, "")
            return body, code, allow
        return render_template("errors/404.html"), 405, allow

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(413)
    def too_large(error):
        return api_or_page(413, "errors/413.html")

    @app.errorhandler(500)
    def server_error(error):
        return api_or_page(500, "errors/500.html")

    import sqlite3

    from fieldvisit.db import is_storage_full

    @app.errorhandler(sqlite3.OperationalError)
    def storage_full(error):
        # The disk (or the database's size limit) is full: nothing of this request was stored, so
        # say "try again later" (503 + Retry-After), never a 500 that a device might take as final.
        if not is_storage_full(error):
            raise error
        body, code = api_or_page(503, "errors/503.html")
        return body, code, {"Retry-After": "30"}


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'"
)


# No page uses the camera, the microphone or the location (issue 14): a feature that needs one
# sets its own Permissions-Policy on its route (camera=(self) where photos are taken).
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
                      "hid=(), midi=(), display-capture=(), screen-wake-lock=(), publickey-credentials-get=()")
HSTS = "max-age=31536000; includeSubDomains"


def register_headers(app):
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            # Pages, JSON, figures and prints about families must not sit in shared or disk caches
            # (the offline app's shell sets its own no-cache).
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure or app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
