"""Sessions on the server: start, look up, keep alive and end them (plain functions, no Flask).

The cookie holds a random token (256 bits); the table holds its SHA-256, the practitioner,
the device (its browser's description), when it started, when it was last used and when and
why it ended. A copied cookie stops working the moment its session ends.
"""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

# Writing "last seen" on every request would make each page a write; a minute is precise enough
# for an idle timeout counted in minutes.
TOUCH_EVERY_SECONDS = 60


def now_utc():
    return datetime.now(timezone.utc)


def stamp(moment):
    return moment.isoformat(timespec="seconds")


def key_of(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(db, practitioner_id, device, at=None):
    """A new session for this practitioner: the token for the cookie."""
    token = secrets.token_urlsafe(32)
    moment = stamp(at or now_utc())
    db.execute("INSERT INTO sessions (id, practitioner_id, device, created_at, last_seen_at)"
               " VALUES (?, ?, ?, ?, ?)", [key_of(token), practitioner_id, (device or "Unknown device")[:200],
                                           moment, moment])
    return token


def end(db, token, why):
    db.execute("UPDATE sessions SET ended_at = ?, ended_why = ? WHERE id = ? AND ended_at IS NULL",
               [stamp(now_utc()), why, key_of(token)])


def end_all(db, practitioner_id, why="signed_out_everywhere"):
    """End every session of this practitioner; how many were open."""
    return db.execute("UPDATE sessions SET ended_at = ?, ended_why = ? WHERE practitioner_id = ? AND ended_at IS NULL",
                      [stamp(now_utc()), why, practitioner_id]).rowcount


def end_others(db, practitioner_id, keep_token, why):
    """End every session of this practitioner but the one in use; how many ended."""
    return db.execute("UPDATE sessions SET ended_at = ?, ended_why = ? WHERE practitioner_id = ? AND ended_at IS NULL"
                      " AND id != ?", [stamp(now_utc()), why, practitioner_id, key_of(keep_token)]).rowcount


def why_not_valid(row, idle_minutes, absolute_hours, at):
    """None while the session may be used, else why it ends now."""
    if row["ended_at"] is not None:
        return row["ended_why"] or "signed_out"
    if at - datetime.fromisoformat(row["created_at"]) >= timedelta(hours=absolute_hours):
        return "absolute_limit"
    if at - datetime.fromisoformat(row["last_seen_at"]) >= timedelta(minutes=idle_minutes):
        return "idle"
    return None


def check(db, token, idle_minutes, absolute_hours):
    """(practitioner id, None) for a live session, touching it; (None, why) for one that has ended.

    A session found past a limit is ended here, so it can never come back to life.
    """
    if not token or not isinstance(token, str):
        return None, None
    rows = list(db.query("SELECT s.*, p.active FROM sessions s JOIN practitioners p ON p.id = s.practitioner_id"
                         " WHERE s.id = ?", [key_of(token)]))
    if not rows:
        return None, None
    row, at = rows[0], now_utc()
    why = why_not_valid(row, idle_minutes, absolute_hours, at)
    if why is None and not row["active"]:
        why = "deactivated"
    if why is not None:
        if row["ended_at"] is None:
            end(db, token, why)
        return None, why
    if at - datetime.fromisoformat(row["last_seen_at"]) >= timedelta(seconds=TOUCH_EVERY_SECONDS):
        db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL",
                   [stamp(at), key_of(token)])
    return row["practitioner_id"], None


def open_sessions(db, practitioner_id):
    """This practitioner's sessions that have not ended, the latest first."""
    return list(db.query("SELECT id, device, created_at, last_seen_at FROM sessions"
                         " WHERE practitioner_id = ? AND ended_at IS NULL ORDER BY last_seen_at DESC, created_at DESC",
                         [practitioner_id]))
