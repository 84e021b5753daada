"""A practitioner's own account: changing their password (issue 14). Plain functions over `db` (no Flask)."""
from fieldvisit import audit
from fieldvisit.auth import sessions
from fieldvisit.passwords import check_password, hash_password, password_problem


def change_password(db, practitioner_id, current, new, confirm, keep_token, route):
    """Change a signed-in practitioner's password. Returns {field: message}; empty when it changed.

    The current password is asked for, so a tablet left signed in cannot be used to take the
    account over. The new one follows the NCSC rules of fieldvisit.passwords. Every other session
    of the person ends (a thief's copy of the cookie too); the one in use (`keep_token`) stays.
    """
    errors = {}
    if not current:
        errors["current"] = "Enter your current password"
    if not new:
        errors["password"] = "Enter a new password"
    elif confirm != new:
        errors["confirm"] = "The two new passwords are not the same: type them again"
    if errors:
        return errors
    row = db.execute("SELECT username, password_hash FROM practitioners WHERE id = ? AND active",
                     [practitioner_id]).fetchone()
    if row is None or not check_password(row[1], current):
        audit.record(db, practitioner_id, "denied", "password", practitioner_id, route)
        return {"current": "Your current password is not right. Check it and try again"}
    problem = password_problem(new, row[0])
    if problem:
        return {"password": problem}
    if check_password(row[1], new):
        return {"password": "Your new password must be different from your current one"}
    with db.atomic():
        db.execute("UPDATE practitioners SET password_hash = ? WHERE id = ?", [hash_password(new), practitioner_id])
        sessions.end_others(db, practitioner_id, keep_token, why="password_changed")
        audit.record(db, practitioner_id, "write", "password", practitioner_id, route)
    return {}

