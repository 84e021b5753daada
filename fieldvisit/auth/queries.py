"""What signing in reads: a practitioner by id or username, and the failed sign-ins in the lockout
window. Plain functions over `db` (no Flask)."""


def find_practitioner(db, practitioner_id):
    """The signed-in practitioner with their team and agency; None when there is none or it is not active."""
    rows = list(db.query(
        "SELECT p.id, p.username, p.display_name, p.role, p.team_id, p.active, p.sessions_from,"
        " t.name AS team_name, t.agency_id, a.name AS agency_name"
        " FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id"
        " LEFT JOIN agencies a ON a.id = t.agency_id WHERE p.id = ?", [practitioner_id]))
    return rows[0] if rows and rows[0]["active"] else None


def sign_in_row(db, username):
    """(id, password hash, active) of the practitioner with this username, or None."""
    return db.execute("SELECT id, password_hash, active FROM practitioners WHERE username = ?", [username]).fetchone()


def failed_sign_ins(db, username, since):
    """Failed sign-ins for this username (as the audit log keeps it) since an ISO time."""
    return db.execute(
        "SELECT count(*) FROM audit_log WHERE entity = 'sign_in' AND entity_id = ? AND action = 'denied'"
        " AND at >= ?", [username, since]).fetchone()[0]
