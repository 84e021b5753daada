"""Signing in and out, the signed-in practitioner, and the session's limits (kept on the server)."""
import functools
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, session, url_for)
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from fieldvisit import audit, settings
from fieldvisit.auth import sessions, throttle
from fieldvisit.auth.queries import find_practitioner
from fieldvisit.db import get_db
from fieldvisit.filters import utc_local
from fieldvisit.passwords import check_password

bp = Blueprint("auth", __name__)


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        Length(max=200, message="Password must be 200 characters or fewer")])
    password = PasswordField("New password")
    confirm = PasswordField("Type the new password again")


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[
        DataRequired("Enter your username"), Length(max=100, message="Username must be 100 characters or fewer")])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password"), Length(max=200, message="Password must be 200 characters or fewer")])


SIGNED_OUT_MESSAGES = {
    "idle": "You were signed out because you had not used Fieldvisit for a while.",
    "absolute_limit": "You were signed out because you signed in more than {hours} hours ago. Sign in again.",
    "signed_out_everywhere": "You were signed out on this device because someone signed out everywhere as you.",
    "password_reset": "You were signed out because your password was reset. Sign in with your new password.",
    "password_changed": "You were signed out because your password was changed on another device. "
                        "Sign in with the new password.",
}


@bp.before_app_request
def load_signed_in_practitioner():
    """Put the signed-in practitioner in `g` if the cookie's session is still open on the server."""
    g.practitioner = None
    token = session.get("sid")
    if token is None:
        return
    db = get_db()
    limits = settings.load(db)
    practitioner_id, why = sessions.check(db, token, limits["session_idle_minutes"], limits["session_absolute_hours"])
    if practitioner_id is not None:
        g.practitioner = find_practitioner(db, practitioner_id)
    if g.practitioner is None:
        session.clear()
        g.signed_out_why = why
        g.session_hours = limits["session_absolute_hours"]
        return
    g.session_token = token


def login_required(view):
    """Send a signed-out visitor to the sign-in page, coming back here afterwards."""
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.practitioner is None:
            if request.path.startswith("/api/"):
                return {"error": "signed_out", "message": "Sign in again to send your records."}, 401
            message = SIGNED_OUT_MESSAGES.get(getattr(g, "signed_out_why", None))
            if message:
                flash(message.format(hours=g.session_hours))
            # `next` is followed with a GET: only name a page that answers one (not /sign-out).
            if request.method in ("GET", "HEAD") or "GET" in (request.url_rule.methods or ()):
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            return redirect(url_for("auth.sign_in"))
        return view(**kwargs)
    return wrapped


def roles_required(*roles):
    """Only these roles may use the view; for anyone else it does not exist (404)."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(**kwargs):
            if g.practitioner["role"] not in roles:
                abort(404)
            return view(**kwargs)
        return wrapped
    return decorator


def failures_since_last_sign_in(db, practitioner_id, username):
    """(count, last time) of failed sign-ins as this username since the practitioner last signed in
    (in the last 30 days the first time). Call it before auditing the sign-in under way."""
    previous = db.execute("SELECT max(id) FROM audit_log WHERE action = 'sign_in' AND practitioner_id = ?",
                          [practitioner_id]).fetchone()[0]
    since = (datetime.now(timezone.utc) - timedelta(days=30)).isoformat(timespec="seconds")
    return db.execute(
        "SELECT count(*), max(at) FROM audit_log WHERE entity = 'sign_in' AND entity_id = ? AND action = 'denied'"
        " AND id > ? AND at >= ?", [username.lower()[:100], previous or 0, since]).fetchone()


def safe_next(target):
    """Only follow a `next` that is a path on this site.

    Browsers drop tabs and newlines from a URL, so a tab between two slashes turns a path
    into "//evil.example", another site: whitespace, control characters and backslashes are refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(char.isspace() or not char.isprintable() or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


THROTTLED = {
    throttle.ACCOUNT: "Too many attempts to sign in as this user on this device. Wait {minutes} minutes and try "
                      "again, or sign in on a tablet you have used before, or ask your team lead to check your account.",
    throttle.ADDRESS: "Too many failed attempts to sign in from this network. Wait {minutes} minutes and try again.",
}


@bp.errorhandler(429)
def sign_in_paused(error):
    """A sign-in refused by a limit: said on the form, and counted as a failed attempt for the account."""
    if error.description == throttle.PERSON:
        return change_password_paused()
    form = SignInForm(meta={"csrf": False})
    username = throttle.username_typed()
    audit.record(get_db(), None, "denied", "sign_in", username, request.path)
    message = THROTTLED.get(error.description, THROTTLED[throttle.ADDRESS])
    form.username.errors = [message.format(minutes=current_app.config["SIGN_IN_LOCKOUT_MINUTES"])]
    form.password.data = None
    return render_template("auth/sign_in.html", form=form), 429


@bp.route("/sign-in", methods=["GET", "POST"])
@throttle.throttled
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        db = get_db()
        username = form.username.data.strip()
        row = db.execute(
            "SELECT id, password_hash, active FROM practitioners WHERE username = ?",
            [username]).fetchone()
        # An unknown username costs the same hashing work, so timing does not reveal it.
        password_ok = check_password(row[1] if row else None, form.password.data)
        if row and row[2] and password_ok:
            if session.get("sid"):
                sessions.end(db, session["sid"], "replaced")
            session.clear()
            session.permanent = True
            session["sid"] = sessions.start(db, row[0], request.user_agent.string)
            # The form token is made now, so every answer's session cookie carries the same one: a
            # background request (the pack) answered after a form page cannot drop it (CSRF failures).
            # The sign-in form already made one for the old session and flask-wtf keeps it in `g`:
            # forget it, or no new token reaches the new session.
            g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)
            generate_csrf()
            tell_about_failures(db, row[0], username)
            audit.record(db, row[0], "sign_in", "practitioner", row[0], request.path)
            response = redirect(safe_next(request.args.get("next")) or url_for("today.today"))
            return throttle.remember_device(response, username.lower()[:100])
        audit.record(db, None, "denied", "sign_in", username[:100].lower(), request.path)
        form.username.errors.append("The username or password is not right. Check them and try again.")
    form.password.data = None  # a password typed is never sent back in the page
    return render_template("auth/sign_in.html", form=form), 200 if request.method == "GET" or not form.errors else 400


def tell_about_failures(db, practitioner_id, username):
    """The account holder hears of failed attempts to sign in as them (OWASP ASVS 2.2.3)."""
    count, last = failures_since_last_sign_in(db, practitioner_id, username)
    if count:
        attempts = "1 failed attempt" if count == 1 else f"{count} failed attempts"
        flash(f"There {'was' if count == 1 else 'were'} {attempts} to sign in as you since you last signed in, "
              f"the last on {utc_local(last)}. "
              "If this was not you, tell your team lead.")


@bp.post("/sign-out")
@login_required
def sign_out():
    db = get_db()
    sessions.end(db, g.session_token, "signed_out")
    audit.record(db, g.practitioner["id"], "sign_out", "practitioner", g.practitioner["id"], request.path)
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in", signed_out=1))


@bp.route("/set-password", methods=["GET", "POST"])
def set_password():
    """A practitioner chooses their password with the one-time code their admin gave them (issue 10)."""
    from fieldvisit.admin.domain import set_password_with_code
    from fieldvisit.admin.forms import SetPasswordForm
    form = SetPasswordForm()
    errors = {}
    if request.method == "POST":
        errors = {name: messages[0] for name, messages in form.errors.items()} if not form.validate_on_submit() else {}
        if "csrf_token" in errors:
            errors = {"code": "The page had expired: enter the code and your new password again"}
        if not errors:
            if not (form.username.data or "").strip():
                errors["username"] = "Enter your username"
            if not (form.code.data or "").strip():
                errors["code"] = "Enter the one-time code your admin gave you"
            if not form.password.data:
                errors["password"] = "Enter a new password"
            elif form.password.data != form.confirm.data:
                errors["confirm"] = "The two passwords are not the same: type them again"
        if not errors:
            errors = set_password_with_code(get_db(), form.username.data, form.code.data, form.password.data,
                                            request.path)
        if not errors:
            session.clear()
            flash("Your password is set. Sign in with it.")
            return redirect(url_for("auth.sign_in"))
    form.password.data = form.confirm.data = None  # a password typed is never sent back in the page
    return render_template("auth/set_password.html", form=form, errors=errors), 400 if errors else 200


@bp.get("/account/sessions")
@login_required
def my_sessions():
    """Where I am signed in, with a button to sign out everywhere (a lost tablet, a shared computer)."""
    rows = sessions.open_sessions(get_db(), g.practitioner["id"])
    current = sessions.key_of(g.session_token)
    return render_template("auth/sessions.html", sessions=rows, current=current)


@bp.post("/account/sessions/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    db = get_db()
    ended = sessions.end_all(db, g.practitioner["id"])
    audit.record(db, g.practitioner["id"], "sign_out", "practitioner", g.practitioner["id"], request.path)
    session.clear()
    flash(f"You have signed out everywhere ({ended} {'session' if ended == 1 else 'sessions'} ended)."
          " Any device still showing Fieldvisit must sign in again.")
    return redirect(url_for("auth.sign_in", signed_out=1))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@throttle.throttled_per_person
def change_password():
    """A signed-in practitioner changes their own password (issue 14); their other sessions end."""
    from fieldvisit.auth.accounts import change_password as change
    form = ChangePasswordForm()
    errors = {}
    if request.method == "POST":
        errors = {name: messages[0] for name, messages in form.errors.items()} if not form.validate_on_submit() else {}
        if "csrf_token" in errors:
            errors = {"current": "The page had expired: enter your passwords again"}
        if not errors:
            errors = change(get_db(), g.practitioner["id"], form.current.data, form.password.data, form.confirm.data,
                            g.session_token, request.path)
        if not errors:
            flash("Your password is changed. Any other device signed in as you has been signed out.")
            return redirect(url_for("auth.my_sessions"))
    form.current.data = form.password.data = form.confirm.data = None  # never sent back in the page
    return render_template("auth/change_password.html", form=form, errors=errors), 400 if errors else 200



def change_password_paused():
    """Too many wrong current passwords from one signed-in person: someone may be guessing on a tablet left open."""
    form = ChangePasswordForm(meta={"csrf": False})
    audit.record(get_db(), g.practitioner["id"], "denied", "password", g.practitioner["id"], request.path)
    errors = {"current": f"Too many wrong passwords. Wait {current_app.config['SIGN_IN_LOCKOUT_MINUTES']} minutes "
                         "and try again"}
    return render_template("auth/change_password.html", form=form, errors=errors), 429
