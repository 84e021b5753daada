"""Signing in and out, the signed-in practitioner, and the idle timeout."""
import functools
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, session, url_for)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from fieldvisit import audit
from fieldvisit.auth.queries import failed_sign_ins, find_practitioner, sign_in_row
from fieldvisit.db import get_db
from fieldvisit.passwords import check_password

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[
        DataRequired("Enter your username"), Length(max=100, message="Username must be 100 characters or fewer")])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password"), Length(max=200, message="Password must be 200 characters or fewer")])


@bp.before_app_request
def load_signed_in_practitioner():
    """Put the signed-in practitioner in `g`, signing them out after the idle timeout."""
    g.practitioner = None
    practitioner_id = session.get("practitioner_id")
    if practitioner_id is None:
        return
    now = datetime.now(timezone.utc).timestamp()
    idle_limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    if now - session.get("last_active", 0) > idle_limit:
        session.clear()
        g.signed_out_idle = True
        return
    g.practitioner = find_practitioner(get_db(), practitioner_id)
    if g.practitioner is None or session_ended(g.practitioner, session.get("signed_in_at", 0)):
        g.practitioner = None
        session.clear()
        return
    session["last_active"] = now


def session_ended(practitioner, signed_in_at):
    """A session signed in before the practitioner's sessions_from (a new password, a one-time code
    issued) has ended: it was perhaps someone else's."""
    if not practitioner["sessions_from"]:
        return False
    return signed_in_at < datetime.fromisoformat(practitioner["sessions_from"]).timestamp()


def login_required(view):
    """Send a signed-out visitor to the sign-in page, coming back here afterwards."""
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.practitioner is None:
            if request.path.startswith("/api/"):
                return {"error": "signed_out", "message": "Sign in again to send your records."}, 401
            if getattr(g, "signed_out_idle", False):
                flash("You were signed out because you had not used Fieldvisit for a while.")
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


def too_many_failures(db, username):
    """Failed sign-ins for this username in the lockout window have reached the limit.

    Counted per username, whether or not it exists, so the answer reveals nothing.
    """
    since = (datetime.now(timezone.utc) - timedelta(minutes=current_app.config["SIGN_IN_LOCKOUT_MINUTES"]))
    failures = failed_sign_ins(db, username[:100].lower(), since.isoformat(timespec="seconds"))
    return failures >= current_app.config["SIGN_IN_ATTEMPTS"]


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


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        db = get_db()
        username = form.username.data.strip()
        if too_many_failures(db, username):
            form.username.errors.append(
                f"Too many attempts to sign in as this user. Wait {current_app.config['SIGN_IN_LOCKOUT_MINUTES']} "
                "minutes and try again, or ask your team lead to check your account.")
            form.password.data = None
            return render_template("auth/sign_in.html", form=form), 429
        row = sign_in_row(db, username)
        # An unknown username costs the same hashing work, so timing does not reveal it.
        password_ok = check_password(row[1] if row else None, form.password.data)
        if row and row[2] and password_ok:
            session.clear()
            session.permanent = True
            session["practitioner_id"] = row[0]
            session["last_active"] = session["signed_in_at"] = datetime.now(timezone.utc).timestamp()
            audit.record(db, row[0], "sign_in", "practitioner", row[0], request.path)
            return redirect(safe_next(request.args.get("next")) or url_for("today.today"))
        audit.record(db, None, "denied", "sign_in", username[:100].lower(), request.path)
        form.username.errors.append("The username or password is not right. Check them and try again.")
    form.password.data = None  # a password typed is never sent back in the page
    return render_template("auth/sign_in.html", form=form), 200 if request.method == "GET" or not form.errors else 400


@bp.post("/sign-out")
@login_required
def sign_out():
    audit.record(get_db(), g.practitioner["id"], "sign_out", "practitioner", g.practitioner["id"], request.path)
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
