"""Signing in and out, the signed-in practitioner, and the session's limits (kept on the server)."""
import functools
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect, render_template,
                   request, session, url_for)
from flask_wtf import FlaskForm
from markupsafe import Markup
from flask_wtf.csrf import generate_csrf
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from fieldvisit import audit, settings
from fieldvisit.auth import second_factor, sessions, throttle
from fieldvisit.auth.queries import find_practitioner
from fieldvisit.db import get_db, is_storage_full
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
        if must_set_up_a_code_first(get_db(), g.practitioner):
            return redirect(url_for("auth.my_second_factor"))
        return view(**kwargs)
    return wrapped


# What a team lead or admin may still open while they must set up a code they do not have: a
# session that began before the partnership turned the requirement on (at sign-in it is asked first).
SET_UP_A_CODE_FIRST_ALLOWS = {"auth.my_second_factor", "auth.sign_out", "auth.sign_out_everywhere"}


def must_set_up_a_code_first(db, practitioner):
    """A signed-in lead or admin must set up a code before any other page, when the partnership
    requires one and they have none. Never the sync API: a tablet's records still go in."""
    if practitioner["role"] not in second_factor.REQUIRED_ROLES or request.endpoint in SET_UP_A_CODE_FIRST_ALLOWS \
            or request.path.startswith("/api/"):
        return False  # the role first: a practitioner's pages read nothing more
    return second_factor.is_required(practitioner["role"], settings.load(db)) \
        and not second_factor.is_enrolled(db, practitioner["id"])


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
        if request.endpoint == "auth.my_second_factor":
            return code_paused("auth/set_up_code.html")
        return change_password_paused()
    if error.description == throttle.CODE:
        return code_paused()
    form = SignInForm(meta={"csrf": False})
    username = throttle.username_typed()
    try:
        audit.record(get_db(), None, "denied", "sign_in", username, request.path)
    except sqlite3.OperationalError as error:
        # An error raised inside an error handler is a 500: a full disk gets its own answer here.
        if not is_storage_full(error):
            raise
        return render_template("errors/503.html"), 503, {"Retry-After": "30"}
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
            destination = safe_next(request.args.get("next"))
            step = second_factor_step(db, row[0])
            if step:
                # The password was right, but nothing is open until the code is (issue 14): the cookie
                # names who is half-way, no `sid`, and expires after a few minutes.
                if session.get("sid"):
                    sessions.end(db, session["sid"], "replaced")
                session.clear()
                session[PENDING] = {"id": row[0], "username": username.lower()[:100], "next": destination,
                                    "at": int(time.time())}
                return redirect(url_for(step))
            return complete_sign_in(db, row[0], username, destination)
        audit.record(db, None, "denied", "sign_in", username[:100].lower(), request.path)
        form.username.errors.append("The username or password is not right. Check them and try again.")
    form.password.data = None  # a password typed is never sent back in the page
    return render_template("auth/sign_in.html", form=form), 200 if request.method == "GET" or not form.errors else 400


def complete_sign_in(db, practitioner_id, username, destination):
    """Open a session on the server for this practitioner: the password (and the code) were right."""
    if session.get("sid"):
        sessions.end(db, session["sid"], "replaced")
    session.clear()
    session.permanent = True
    session["sid"] = sessions.start(db, practitioner_id, request.user_agent.string)
    # The form token is made now, so every answer's session cookie carries the same one: a
    # background request (the pack) answered after a form page cannot drop it (CSRF failures).
    # The sign-in form already made one for the old session and flask-wtf keeps it in `g`:
    # forget it, or no new token reaches the new session.
    g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)
    generate_csrf()
    tell_about_failures(db, practitioner_id, username)
    audit.record(db, practitioner_id, "sign_in", "practitioner", practitioner_id, request.path)
    response = redirect(destination or url_for("today.today"))
    return throttle.remember_device(response, username.lower()[:100])


# --- the second factor at sign-in (issue 14) ----------------------------------------------------
PENDING = "second_factor_pending"
PENDING_SECONDS = 300  # from the right password to the right code


def second_factor_step(db, practitioner_id):
    """The page that comes after a right password: the code, setting one up first when it is required
    and not yet set up, or None when this person signs in with the password alone."""
    if second_factor.is_enrolled(db, practitioner_id):
        return "auth.sign_in_code"
    role = db.execute("SELECT role FROM practitioners WHERE id = ?", [practitioner_id]).fetchone()[0]
    if second_factor.is_required(role, settings.load(db)):
        return "auth.sign_in_set_up_code"
    return None


def pending_person():
    """Who typed the right password a moment ago in this browser, or None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return None
    if not 0 <= time.time() - pending.get("at", 0) <= PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return pending


def pending_key():
    pending = pending_person()
    return f"code:{pending['id']}" if pending else f"code-address:{request.remote_addr}"


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app", validators=[
        Length(max=20, message="The code must be 6 digits, like 123456")])


def code_form_errors(form):
    """A code form that did not validate: an expired page (its token) or the code's own problem."""
    if "csrf_token" in form.errors:
        return {"code": "The page had expired: enter the code again"}
    return {name: messages[0] for name, messages in form.errors.items()}


def code_throttled(view):
    """Wrong codes are limited per person like wrong passwords (throttle.py): 1 in a million a guess."""
    return throttle.limiter.limit(throttle.account_limit, key_func=pending_key, methods=["POST"],
                                  deduct_when=throttle.failed, error_message=throttle.CODE)(view)


def start_again():
    flash("Sign in again: it was more than 5 minutes since you typed your password.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@code_throttled
def sign_in_code():
    """The second step of signing in: the 6-digit code from the practitioner's authenticator app."""
    pending = pending_person()
    if pending is None:
        return start_again()
    db = get_db()
    if not second_factor.is_enrolled(db, pending["id"]):
        return start_again()
    form = CodeForm()
    errors = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = code_form_errors(form)
        else:
            if second_factor.looks_like_recovery_code(form.code.data):
                if second_factor.use_recovery_code(db, pending["id"], form.code.data):
                    audit.record(db, pending["id"], "write", "recovery_code", pending["id"], request.path)
                    response = complete_sign_in(db, pending["id"], pending["username"], pending["next"])
                    left = second_factor.recovery_codes_left(db, pending["id"])
                    flash(f"You signed in with a recovery code. It cannot be used again: you have {left} left. "
                          "If you have lost your phone, ask your admin to reset your code.")
                    return response
                problem = "The recovery code is not right, or it has been used. Check it, or ask your admin"
            else:
                problem = second_factor.check(db, pending["id"], form.code.data)
            if not problem:
                return complete_sign_in(db, pending["id"], pending["username"], pending["next"])
            audit.record(db, pending["id"], "denied", "second_factor", pending["id"], request.path)
            errors = {"code": problem}
    form.code.data = None
    return render_template("auth/sign_in_code.html", form=form, errors=errors), 400 if errors else 200


@bp.route("/sign-in/set-up-code", methods=["GET", "POST"])
@code_throttled
def sign_in_set_up_code():
    """A team lead or admin who must use a code and has none sets one up before anything else."""
    pending = pending_person()
    if pending is None:
        return start_again()
    db = get_db()
    if second_factor.is_enrolled(db, pending["id"]):
        return redirect(url_for("auth.sign_in_code"))
    return set_up_code(db, pending["id"], pending["username"], lambda: complete_sign_in(
        db, pending["id"], pending["username"], pending["next"]), required=True)


def set_up_code(db, practitioner_id, username, done, required=False):
    """Show the key (text, grouped; otpauth URI; QR code) and turn it on with a first right code."""
    secret = second_factor.setting_up(db, practitioner_id)
    form = CodeForm()
    errors = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = code_form_errors(form)
        else:
            problem = second_factor.confirm(db, practitioner_id, form.code.data)
            if not problem:
                audit.record(db, practitioner_id, "write", "second_factor", practitioner_id, request.path)
                codes = second_factor.new_recovery_codes(db, practitioner_id)
                response = done()  # signing in starts a new session: the message goes in that one
                flash("Your authenticator app is set up. From now on you sign in with your password and a code.")
                # The recovery codes are shown on this answer, once (HTML is never cached: no-store).
                page = make_response(render_template("auth/recovery_codes.html", codes=codes,
                                                     next=response.headers["Location"]))
                for cookie in response.headers.getlist("Set-Cookie"):
                    page.headers.add("Set-Cookie", cookie)
                return page
            audit.record(db, practitioner_id, "denied", "second_factor", practitioner_id, request.path)
            errors = {"code": problem}
    uri = second_factor.provisioning_uri(secret, username)
    form.code.data = None
    return render_template("auth/set_up_code.html", form=form, errors=errors, key=second_factor.grouped(secret),
                           uri=uri, qr=Markup(second_factor.qr_svg(uri)), required=required), 400 if errors else 200


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
@throttle.throttled_per_person
def my_second_factor():
    """Anyone may turn on a second factor for themselves; once on, it shows that it is on."""
    db = get_db()
    if second_factor.is_enrolled(db, g.practitioner["id"]):
        return second_factor_on_page(CodeForm(), {}, code_required_of_me(db))
    return set_up_code(db, g.practitioner["id"], g.practitioner["username"],
                       lambda: redirect(url_for("auth.my_second_factor")),
                       required=code_required_of_me(db))


def code_required_of_me(db):
    """Does the partnership require the signed-in person to sign in with a code?"""
    return second_factor.is_required(g.practitioner["role"], settings.load(db))


def second_factor_on_page(form, errors, required):
    form.code.data = None
    return render_template("auth/second_factor_on.html", form=form, errors=errors, required=required), \
        400 if errors else 200


@bp.post("/account/second-factor/off")
@login_required
@throttle.throttled_per_person
def turn_off_my_second_factor():
    """Someone who turned a code on for themselves may turn it off, with a code from the app (whoever
    finds their session open cannot); not a team lead or admin while the partnership requires it."""
    db = get_db()
    me = g.practitioner["id"]
    if not second_factor.is_enrolled(db, me):
        return redirect(url_for("auth.my_second_factor"))
    form = CodeForm()
    errors = {}
    required = code_required_of_me(db)
    if not form.validate_on_submit():
        errors = code_form_errors(form)
    elif required:
        errors = {"code": "Your partnership asks team leads and admins to sign in with a code: it cannot be "
                          "turned off while that setting is on"}
    else:
        problem = second_factor.check(db, me, form.code.data)
        if problem:
            audit.record(db, me, "denied", "second_factor", me, request.path)
            errors = {"code": problem}
    if errors:
        return second_factor_on_page(form, errors, required)
    with db.atomic():
        second_factor.reset(db, me)
        audit.record(db, me, "write", "second_factor", me, request.path)
    flash("Your authenticator app is turned off: you sign in with your password alone. Its recovery codes "
          "no longer work.")
    return redirect(url_for("auth.my_second_factor"))


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


def posted_errors(form, first_field, expired):
    """The first error of each field of a posted form; an expired page is said on `first_field`."""
    if form.validate_on_submit():
        return {}
    errors = {name: messages[0] for name, messages in form.errors.items()}
    return {first_field: expired} if "csrf_token" in errors else errors


@bp.route("/set-password", methods=["GET", "POST"])
def set_password():
    """A practitioner chooses their password with the one-time code their admin gave them (issue 10)."""
    from fieldvisit.admin.domain import set_password_with_code
    from fieldvisit.admin.forms import SetPasswordForm
    form = SetPasswordForm()
    errors = {}
    if request.method == "POST":
        errors = posted_errors(form, "code", "The page had expired: enter the code and your new password again")
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
        errors = posted_errors(form, "current", "The page had expired: enter your passwords again")
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


def code_paused(template=None):
    """Too many wrong codes: the code step waits, whoever asks (said plainly, and audited)."""
    pending = pending_person() if g.practitioner is None else {"id": g.practitioner["id"]}
    if pending is None:
        return start_again()
    audit.record(get_db(), pending["id"], "denied", "second_factor", pending["id"], request.path)
    errors = {"code": f"Too many wrong codes. Wait {current_app.config['SIGN_IN_LOCKOUT_MINUTES']} minutes and "
                      "try again"}
    if template is None:
        template = "auth/sign_in_code.html" if request.endpoint == "auth.sign_in_code" else "auth/set_up_code.html"
    if template == "auth/sign_in_code.html":
        return render_template(template, form=CodeForm(meta={"csrf": False}), errors=errors), 429
    db = get_db()
    username = db.execute("SELECT username FROM practitioners WHERE id = ?", [pending["id"]]).fetchone()[0]
    secret = second_factor.setting_up(db, pending["id"])
    uri = second_factor.provisioning_uri(secret, username)
    return render_template(template, form=CodeForm(meta={"csrf": False}), errors=errors,
                           key=second_factor.grouped(secret), uri=uri, qr=Markup(second_factor.qr_svg(uri)),
                           required=g.practitioner is None), 429
