"""Throttling sign-in (issue 14, "Anyone can lock anyone out"), with Flask-Limiter.

Two limits count failed sign-ins only (a correct password never uses one up):
- per source address: many guesses from one place, whatever the usernames;
- per account, as OWASP's "device cookie" design does it: a browser where someone has
  signed in as that username before holds a signed cookie naming it, and its failures are
  counted for that browser alone. A stranger's wrong guesses therefore pause the account
  only on browsers that have never signed in as it; the account holder's own tablet is never
  locked out by them, and is not held back by the address limit either.

The counts are in memory (one server process, docs/security.md); `RATELIMIT_STORAGE_URI`
points them at Redis or Memcached when several processes serve.
"""
import secrets

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

DEVICE_COOKIE = "fieldvisit_device"
DEVICE_COOKIE_NAMES = 5  # people signing in on one shared tablet, at most this many remembered
ADDRESS, ACCOUNT, PERSON, CODE = "address", "account", "person", "code"

limiter = Limiter(get_remote_address, default_limits=[], storage_uri="memory://",
                  headers_enabled=False, strategy="fixed-window")


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt="fieldvisit-device-cookie")


def username_typed():
    return (request.form.get("username") or "").strip().lower()[:100]


def device_names():
    """[username, nonce] pairs this browser has signed in as (empty if none, forged or tampered)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        pairs = _serializer().loads(raw)
    except BadSignature:
        return []
    return [p for p in pairs if isinstance(p, list) and len(p) == 2] if isinstance(pairs, list) else []


def trusted_nonce(username):
    for name, nonce in device_names():
        if name == username:
            return nonce
    return None


def account_key():
    """The per-account counter: this browser's own if it has signed in as the user before."""
    username = username_typed()
    nonce = trusted_nonce(username)
    return f"device:{nonce}" if nonce else f"account:{username}"


def is_trusted_device():
    return trusted_nonce(username_typed()) is not None


def failed(response):
    """Only failed sign-ins count: a signed-in answer is a redirect."""
    return response.status_code != 302


def address_limit():
    config = current_app.config
    return f"{config['SIGN_IN_ADDRESS_ATTEMPTS']} per {config['SIGN_IN_LOCKOUT_MINUTES']} minutes"


def account_limit():
    config = current_app.config
    return f"{config['SIGN_IN_ATTEMPTS']} per {config['SIGN_IN_LOCKOUT_MINUTES']} minutes"


def throttled(view):
    """Both limits on the sign-in form's POST."""
    view = limiter.limit(account_limit, key_func=account_key, methods=["POST"], deduct_when=failed,
                         error_message=ACCOUNT)(view)
    return limiter.limit(address_limit, methods=["POST"], deduct_when=failed, exempt_when=is_trusted_device,
                         error_message=ADDRESS)(view)


def person_key():
    from flask import g
    person = getattr(g, "practitioner", None)
    return f"person:{person['id']}" if person else f"address:{get_remote_address()}"


def throttled_per_person(view):
    """A signed-in person's wrong answers (the current password, a second-factor code) are
    limited like sign-ins: a tablet left signed in cannot be used to guess them."""
    return limiter.limit(account_limit, key_func=person_key, methods=["POST"], deduct_when=failed,
                         error_message=PERSON)(view)


def remember_device(response, username):
    """After a good sign-in: this browser is now one this username has used."""
    names = [p for p in device_names() if p[0] != username]
    names = ([[username, trusted_nonce(username) or secrets.token_urlsafe(16)]] + names)[:DEVICE_COOKIE_NAMES]
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps(names), max_age=400 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
