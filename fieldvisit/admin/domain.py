"""People and teams (issue 10): practitioners' accounts, teams and their leads, one-time codes
to set a password. Plain functions over the database; the pages, the import and the demo use
the same ones, so an account takes one path however it is made."""
import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

from fieldvisit import audit
from fieldvisit.access import ROLES
from fieldvisit.auth import sessions
from fieldvisit.passwords import hash_password, password_problem

# Professional registers and the shape of their numbers (the registers publish them).
REGISTRATION_BODIES = {
    "NMC": ("Nursing and Midwifery Council", re.compile(r"^\d{2}[A-Z]\d{4}[A-Z]$"), "like 12A3456E"),
    "SWE": ("Social Work England", re.compile(r"^SW\d{1,7}$"), "like SW123456"),
    "HCPC": ("Health and Care Professions Council", re.compile(r"^[A-Z]{2}\d{5,6}$"), "like PA12345"),
    "GMC": ("General Medical Council", re.compile(r"^\d{7}$"), "7 digits"),
}
# Health visitors are registered nurses or midwives (NMC, Specialist Community Public Health Nursing).
REGISTRATION_REQUIRED = {"health_visitor": "NMC"}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")
PHONE = re.compile(r"^[0-9 ()+-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESET_CODE_HOURS = 24
RESET_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud or typed from a note
FIELDS = ("username", "display_name", "role", "agency_id", "team_id", "staff_id", "email", "phone",
          "registration_body", "registration_number")


def now_utc():
    return datetime.now(timezone.utc).replace(microsecond=0)


# --- reading ------------------------------------------------------------------------------

def agencies(db):
    return list(db.query("SELECT id, name, kind FROM agencies ORDER BY name"))


def teams(db):
    """Every team with its agency, its lead and how many active practitioners it has."""
    return list(db.query(
        "SELECT t.id, t.name, t.agency_id, a.name AS agency_name, t.lead_id, l.display_name AS lead_name,"
        " (SELECT count(*) FROM practitioners p WHERE p.team_id = t.id AND p.active) AS members"
        " FROM teams t JOIN agencies a ON a.id = t.agency_id LEFT JOIN practitioners l ON l.id = t.lead_id"
        " ORDER BY a.name, t.name"))


def team(db, team_id):
    rows = [row for row in teams(db) if row["id"] == team_id]
    return rows[0] if rows else None


def practitioners(db):
    return list(db.query(
        "SELECT p.id, p.username, p.display_name, p.role, p.active, p.staff_id, p.team_id,"
        " t.name AS team_name, a.name AS agency_name FROM practitioners p"
        " LEFT JOIN teams t ON t.id = p.team_id LEFT JOIN agencies a ON a.id = p.agency_id"
        " ORDER BY p.active DESC, a.name, t.name, p.display_name"))


def practitioner(db, practitioner_id):
    """One practitioner's account (without the password hash), or None."""
    rows = list(db.query(
        "SELECT p.id, p.username, p.display_name, p.role, p.active, p.team_id, p.agency_id, p.staff_id, p.email,"
        " p.phone, p.registration_body, p.registration_number, p.password_hash != '' AS has_password,"
        " t.name AS team_name, a.name AS agency_name FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id"
        " LEFT JOIN agencies a ON a.id = p.agency_id WHERE p.id = ?", [practitioner_id]))
    return rows[0] if rows else None


def team_leads(db):
    return list(db.query("SELECT id, display_name FROM practitioners WHERE role = 'team_lead' AND active"
                         " ORDER BY display_name"))


# --- practitioners ------------------------------------------------------------------------

def row_id(value):
    """A posted id as a number, or None: ASCII digits that fit SQLite's integers only ('١٢'.isdigit()
    is true, and 99999999999999999999 overflows SQLite: both were a 500)."""
    value = str(value or "").strip()
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def clean_practitioner(values):
    """The form's or the file's values, trimmed, with empty optional ids as None."""
    cleaned = {name: (values.get(name) or "") for name in FIELDS}
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in cleaned.items()}
    cleaned["username"] = cleaned["username"].lower()
    cleaned["registration_body"] = cleaned["registration_body"].upper()
    cleaned["registration_number"] = cleaned["registration_number"].upper().replace(" ", "")
    for name in ("agency_id", "team_id"):
        cleaned[name] = row_id(cleaned[name])
    cleaned["staff_id"] = cleaned["staff_id"] or None
    return cleaned


def practitioner_errors(db, values, practitioner_id=None):
    """What is wrong with these account details, {field: message} (GOV.UK wording)."""
    errors = {}
    username = values["username"]
    if not username:
        errors["username"] = "Enter a username"
    elif not USERNAME.match(username):
        errors["username"] = ("Username must be 2 to 100 lower-case letters, digits, dots, dashes or underscores,"
                              " starting with a letter or digit")
    elif db.execute("SELECT 1 FROM practitioners WHERE username = ? AND id IS NOT ?",
                    [username, practitioner_id]).fetchone():
        errors["username"] = "This username is already taken: choose another"
    if not values["display_name"]:
        errors["display_name"] = "Enter the practitioner's name"
    elif len(values["display_name"]) > 100:
        errors["display_name"] = "Name must be 100 characters or fewer"
    if values["role"] not in ROLES:
        errors["role"] = "Choose a role"
    agency = db.execute("SELECT id FROM agencies WHERE id = ?", [values["agency_id"]]).fetchone() \
        if values["agency_id"] else None
    if agency is None:
        errors["agency_id"] = "Choose the agency they work for"
    if values["team_id"]:
        row = db.execute("SELECT agency_id FROM teams WHERE id = ?", [values["team_id"]]).fetchone()
        if row is None:
            errors["team_id"] = "Choose a team from the list"
        elif agency is not None and row[0] != values["agency_id"]:
            errors["team_id"] = "Choose a team of the practitioner's agency"
    elif values["role"] in ROLES and values["role"] != "admin":
        errors["team_id"] = "Choose their team (only an admin may have no team)"
    if values["staff_id"] and (len(values["staff_id"]) > 50 or not values["staff_id"].isprintable()):
        errors["staff_id"] = "Staff id must be 50 characters or fewer"
    elif values["staff_id"] and db.execute("SELECT 1 FROM practitioners WHERE staff_id = ? AND id IS NOT ?",
                                           [values["staff_id"], practitioner_id]).fetchone():
        errors["staff_id"] = "Another practitioner has this staff id"
    if values["email"] and (len(values["email"]) > 200 or not EMAIL.match(values["email"])):
        errors["email"] = "Enter an email address in the right format, like name@example.gov.uk"
    digits = re.sub(r"\D", "", values["phone"])
    if values["phone"] and (not PHONE.match(values["phone"]) or not 10 <= len(digits) <= 15):
        errors["phone"] = "Enter a phone number, like 01632 960 001 or 07700 900 982"
    errors.update(registration_errors(values))
    return errors


def registration_errors(values):
    body, number, role = values["registration_body"], values["registration_number"], values["role"]
    required = REGISTRATION_REQUIRED.get(role)
    if required and not number:
        return {"registration_number": f"Enter the {REGISTRATION_BODIES[required][0]} registration number"
                                       f" ({ROLES[role].lower()}s must be registered)"}
    if not number and not body:
        return {}
    if body not in REGISTRATION_BODIES:
        return {"registration_body": "Choose the professional register"}
    if required and body != required:
        return {"registration_body": f"A {ROLES[role].lower()} is registered with the {REGISTRATION_BODIES[required][0]}"}
    if not number:
        return {"registration_number": "Enter the registration number"}
    name, pattern, example = REGISTRATION_BODIES[body]
    if not pattern.match(number):
        return {"registration_number": f"Enter a {name} registration number in the right format ({example})"}
    return {}


def _row(values):
    return {name: values[name] for name in FIELDS}


def create_practitioner(db, values, by, route):
    """A new account with no usable password: it gets one only through a one-time code."""
    with db.atomic():
        practitioner_id = db["practitioners"].insert(dict(_row(values), password_hash="", active=1)).last_pk
        audit.record(db, by, "write", "practitioner", practitioner_id, route)
    return practitioner_id


def update_practitioner(db, practitioner_id, values, by, route):
    with db.atomic():
        db["practitioners"].update(practitioner_id, _row(values))
        if values["role"] != "team_lead" or values["team_id"] is None:
            db.execute("UPDATE teams SET lead_id = NULL WHERE lead_id = ? AND id IS NOT ?",
                       [practitioner_id, values["team_id"] if values["role"] == "team_lead" else None])
        audit.record(db, by, "write", "practitioner", practitioner_id, route)


def set_active(db, practitioner_id, active, by, route):
    """Deactivate (or reactivate) an account. Its records stay; a deactivated practitioner cannot
    sign in, and their session ends at their next request (auth finds no active practitioner)."""
    with db.atomic():
        db.execute("UPDATE practitioners SET active = ? WHERE id = ?", [1 if active else 0, practitioner_id])
        if not active:
            db.execute("UPDATE teams SET lead_id = NULL WHERE lead_id = ?", [practitioner_id])
            db.execute("UPDATE password_resets SET expires_at = ? WHERE practitioner_id = ? AND used_at IS NULL"
                       " AND expires_at > ?", [now_utc().isoformat(), practitioner_id, now_utc().isoformat()])
            sessions.end_all(db, practitioner_id, why="deactivated")
        audit.record(db, by, "write", "practitioner", practitioner_id, route)


# --- one-time codes to set a password -----------------------------------------------------

def hash_code(code):
    """Codes carry 80 random bits, so a plain SHA-256 is enough (no slow hash needed to resist guessing)."""
    return hashlib.sha256(normalise_code(code).encode("ascii", "ignore")).hexdigest()


def normalise_code(code):
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def issue_reset_code(db, practitioner_id, by, route, now=None):
    """A new one-time code for this practitioner to set their password; earlier unused codes stop
    working. Returns (code, expires_at): the code is shown once and only its hash is kept."""
    now = now or now_utc()
    raw = "".join(secrets.choice(RESET_ALPHABET) for _ in range(16))
    code = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
    expires = now + timedelta(hours=RESET_CODE_HOURS)
    with db.atomic():
        db.execute("UPDATE password_resets SET expires_at = ? WHERE practitioner_id = ? AND used_at IS NULL"
                   " AND expires_at > ?", [now.isoformat(), practitioner_id, now.isoformat()])
        db["password_resets"].insert({"practitioner_id": practitioner_id, "code_hash": hash_code(code),
                                      "issued_by": by, "issued_at": now.isoformat(), "expires_at": expires.isoformat()})
        # A reset is asked for when a password is forgotten or may be known to someone else: the
        # practitioner's open sessions end (their records on a tablet wait for the next sign-in).
        db.execute("UPDATE practitioners SET sessions_from = ? WHERE id = ?",
                   [datetime.now(timezone.utc).isoformat(), practitioner_id])
        sessions.end_all(db, practitioner_id, why="password_reset")
        audit.record(db, by, "write", "password_reset", practitioner_id, route)
    return code, expires


def set_password_with_code(db, username, code, password, route, now=None):
    """Set a password with a one-time code. Returns {field: message}; empty when it was set."""
    now = now or now_utc()
    row = db.execute(
        "SELECT r.id, p.id FROM password_resets r JOIN practitioners p ON p.id = r.practitioner_id"
        " WHERE r.code_hash = ? AND p.username = ? AND p.active AND r.used_at IS NULL AND r.expires_at > ?",
        [hash_code(code), (username or "").strip().lower(), now.isoformat()]).fetchone()
    if row is None:
        audit.record(db, None, "denied", "password_reset", (username or "").strip().lower()[:100], route)
        return {"code": "The code is not right, or it has been used or has expired. Check it, or ask your admin"
                        " for a new one"}
    problem = password_problem(password, username.strip().lower())
    if problem:
        return {"password": problem}
    with db.atomic():
        claimed = db.execute("UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL",
                             [now.isoformat(), row[0]]).rowcount
        if not claimed:
            return {"code": "This code has just been used. Ask your admin for a new one"}
        db.execute("UPDATE practitioners SET password_hash = ?, sessions_from = ? WHERE id = ?",
                   [hash_password(password), datetime.now(timezone.utc).isoformat(), row[1]])
        sessions.end_all(db, row[1], why="password_reset")
        audit.record(db, row[1], "write", "password", row[1], route)
    return {}


def pending_reset(db, practitioner_id, now=None):
    """The expiry of this practitioner's unused code, if one is waiting."""
    now = now or now_utc()
    row = db.execute("SELECT max(expires_at) FROM password_resets WHERE practitioner_id = ? AND used_at IS NULL"
                     " AND expires_at > ?", [practitioner_id, now.isoformat()]).fetchone()
    return row[0]


# --- teams ---------------------------------------------------------------------------------

def clean_team(values):
    return {"name": (values.get("name") or "").strip(), "agency_id": row_id(values.get("agency_id")),
            "lead_id": row_id(values.get("lead_id"))}


def team_errors(db, values, team_id=None):
    errors = {}
    if not values["name"]:
        errors["name"] = "Enter the team's name"
    elif len(values["name"]) > 100:
        errors["name"] = "Team name must be 100 characters or fewer"
    if not values["agency_id"] or not db.execute("SELECT 1 FROM agencies WHERE id = ?", [values["agency_id"]]).fetchone():
        errors["agency_id"] = "Choose the team's agency"
    elif values["name"] and db.execute(
            "SELECT 1 FROM teams WHERE lower(name) = lower(?) AND agency_id = ? AND id IS NOT ?",
            [values["name"], values["agency_id"], team_id]).fetchone():
        errors["name"] = "This agency already has a team with this name"
    if values["lead_id"] and not db.execute(
            "SELECT 1 FROM practitioners WHERE id = ? AND role = 'team_lead' AND active", [values["lead_id"]]).fetchone():
        errors["lead_id"] = "Choose an active team lead"
    return errors


def save_team(db, values, by, route, team_id=None):
    """Create or change a team. Its lead joins it (a lead sees the families of their one team)."""
    with db.atomic():
        if team_id is None:
            team_id = db["teams"].insert(values).last_pk
        else:
            db["teams"].update(team_id, values)
        if values["lead_id"]:
            db.execute("UPDATE teams SET lead_id = NULL WHERE lead_id = ? AND id != ?", [values["lead_id"], team_id])
            db.execute("UPDATE practitioners SET team_id = ?, agency_id = ? WHERE id = ?",
                       [team_id, values["agency_id"], values["lead_id"]])
        db.execute("UPDATE practitioners SET agency_id = ? WHERE team_id = ?", [values["agency_id"], team_id])
        audit.record(db, by, "write", "team", team_id, route)
    return team_id


def reset_second_factor(db, practitioner_id, admin_id, route):
    """Remove someone's second factor (a lost phone): they set up a new one at their next sign-in when it
    is required, or from their account page. Their sessions end, in case the phone went with a tablet."""
    from fieldvisit.auth import second_factor
    with db.atomic():
        removed = second_factor.reset(db, practitioner_id)
        if removed:
            sessions.end_all(db, practitioner_id, why="second_factor_reset")
            audit.record(db, admin_id, "write", "second_factor", practitioner_id, route)
    return removed
