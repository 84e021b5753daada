"""An optional second factor: a 6-digit code from an authenticator app (TOTP, RFC 6238, with pyotp).

Plain functions over `db` (no Flask). The secret is kept on the server (`second_factors`), never
in the cookie. A code is accepted for the current 30-second step or one step either side (a
phone's clock a little off), and never for a step at or before the last one accepted, so a code
seen over a shoulder or replayed cannot be used again. Team leads and admins must have one when
the partnership setting `second_factor_required_for_leads_and_admins` is on; anyone may turn it on.
"""
import hashlib
import re
import secrets
import time
from datetime import datetime, timezone

import pyotp
from pyotp.utils import strings_equal

ISSUER = "Fieldvisit"
STEP_SECONDS = 30
DRIFT_STEPS = 1
REQUIRED_ROLES = ("team_lead", "admin")
SETTING = "second_factor_required_for_leads_and_admins"


def _now_stamp():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def row_of(db, practitioner_id):
    rows = list(db.query("SELECT * FROM second_factors WHERE practitioner_id = ?", [practitioner_id]))
    return rows[0] if rows else None


def is_enrolled(db, practitioner_id):
    row = row_of(db, practitioner_id)
    return bool(row and row["confirmed_at"])


def is_required(role, partnership):
    return bool(partnership.get(SETTING)) and role in REQUIRED_ROLES


def setting_up(db, practitioner_id):
    """The secret being set up (not yet confirmed): the same one each time the page is shown, a new one
    the first time. None when a second factor is already on."""
    row = row_of(db, practitioner_id)
    if row and row["confirmed_at"]:
        return None
    if row:
        return row["secret"]
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    db.execute("INSERT INTO second_factors (practitioner_id, secret, created_at) VALUES (?, ?, ?)",
               [practitioner_id, secret, _now_stamp()])
    return secret


def matching_step(secret, code, at=None):
    """The time step (current, or one either side) whose code this is, or None."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now_step = int((time.time() if at is None else at) // STEP_SECONDS)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _use_step(db, practitioner_id, step, confirm):
    """Record `step` as used, only if it is after the last one: False when it was used already."""
    confirmed = ", confirmed_at = coalesce(confirmed_at, ?)" if confirm else ""
    params = [step] + ([_now_stamp()] if confirm else []) + [practitioner_id, step]
    return db.execute(f"UPDATE second_factors SET last_step = ?{confirmed} WHERE practitioner_id = ?"
                      " AND (last_step IS NULL OR last_step < ?)", params).rowcount == 1


def confirm(db, practitioner_id, code, at=None):
    """Turn the second factor on with a first right code. '' when done, else why not (plain words)."""
    row = row_of(db, practitioner_id)
    if row is None or row["confirmed_at"]:
        return "Start setting up your code again"
    step = matching_step(row["secret"], code, at)
    if step is None:
        return code_problem(code)
    if not _use_step(db, practitioner_id, step, confirm=True):
        return USED
    return ""


USED = "This code has been used already. Wait for the next code in your app and enter it"


def code_problem(code):
    code = "".join((code or "").split())
    if not code:
        return "Enter the 6-digit code from your authenticator app"
    if len(code) != 6 or not code.isdigit():
        return "The code must be 6 digits, like 123456"
    return "The code is not right. Check the time on your phone is right and enter the code shown now"


def check(db, practitioner_id, code, at=None):
    """'' when the code is right and not used before (it is then used up), else why not."""
    row = row_of(db, practitioner_id)
    if row is None or not row["confirmed_at"]:
        return "Sign in again"
    step = matching_step(row["secret"], code, at)
    if step is None:
        return code_problem(code)
    if not _use_step(db, practitioner_id, step, confirm=False):
        return USED
    return ""


def reset(db, practitioner_id):
    """An admin removes someone's second factor (a lost phone): they set up a new one. True if there was one."""
    db.execute("DELETE FROM recovery_codes WHERE practitioner_id = ?", [practitioner_id])
    return db.execute("DELETE FROM second_factors WHERE practitioner_id = ?", [practitioner_id]).rowcount == 1


# --- one-time recovery codes: for a lost or flat phone ------------------------------------------
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # as the admin's one-time codes: no 0/O, 1/I/L, U


def _recovery_hash(code):
    """16 characters of 30: 78 random bits, so a plain SHA-256 is enough."""
    return hashlib.sha256(re.sub(r"[^A-Z0-9]", "", (code or "").upper()).encode("ascii", "ignore")).hexdigest()


def looks_like_recovery_code(code):
    return len(re.sub(r"[^A-Za-z0-9]", "", code or "")) == 16


def new_recovery_codes(db, practitioner_id):
    """Ten new codes (any earlier ones stop working): shown once, only their hashes kept."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    db.execute("DELETE FROM recovery_codes WHERE practitioner_id = ?", [practitioner_id])
    db.conn.executemany("INSERT INTO recovery_codes (practitioner_id, code_hash, created_at) VALUES (?, ?, ?)",
                        [(practitioner_id, _recovery_hash(code), _now_stamp()) for code in codes])
    return codes


def use_recovery_code(db, practitioner_id, code):
    """True when this is one of the person's unused recovery codes (it is then used up)."""
    return db.execute("UPDATE recovery_codes SET used_at = ? WHERE id = (SELECT id FROM recovery_codes"
                      " WHERE practitioner_id = ? AND code_hash = ? AND used_at IS NULL LIMIT 1)",
                      [_now_stamp(), practitioner_id, _recovery_hash(code)]).rowcount == 1


def recovery_codes_left(db, practitioner_id):
    return db.execute("SELECT count(*) FROM recovery_codes WHERE practitioner_id = ? AND used_at IS NULL",
                      [practitioner_id]).fetchone()[0]


def grouped(secret):
    """The key in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret, username):
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri):
    """The otpauth URI as an inline SVG QR code (segno: pure Python; no style attribute, no script)."""
    import segno
    return segno.make(uri, error="m").svg_inline(scale=4, title="QR code of your key", light="#fff")
