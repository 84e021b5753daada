"""Registered devices (plain functions, no Flask): register a tablet at each contact, refuse a
revoked one, list them for the admin, revoke one."""
from datetime import datetime, timedelta, timezone

# As a session's: a minute is precise enough for "last seen" on the admin's list of devices.
TOUCH_EVERY_SECONDS = 60


class DeviceRevoked(Exception):
    """This device was revoked: it must wipe what it keeps readable, and nothing it sends is accepted."""


def now_utc():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def is_revoked(db, device_id):
    return db.execute("SELECT 1 FROM devices WHERE device_id = ? AND revoked_at IS NOT NULL LIMIT 1",
                      [device_id]).fetchone() is not None


def register_contact(db, device_id, practitioner_id, app_version="", user_agent=""):
    """Record this contact from the device (registering it to the practitioner the first time).
    True when it was registered just now; DeviceRevoked for a revoked device.

    "Last seen" is written at most once a minute, unless the app version or browser changed: a
    write (and its fsync) on every sync push was a cost each batch paid (issue 13)."""
    if is_revoked(db, device_id):
        raise DeviceRevoked(device_id)
    at = now_utc()
    app_version, user_agent = app_version[:100], user_agent[:200]
    known = db.execute("SELECT last_seen_at, app_version, user_agent FROM devices"
                       " WHERE device_id = ? AND practitioner_id = ?", [device_id, practitioner_id]).fetchone()
    if known is None:
        created = db.execute(
            "INSERT OR IGNORE INTO devices (device_id, practitioner_id, first_seen_at, last_seen_at, app_version,"
            " user_agent) VALUES (?, ?, ?, ?, ?, ?)", [device_id, practitioner_id, at, at, app_version, user_agent]
        ).rowcount
        if created:
            return True
    elif (datetime.fromisoformat(at) - datetime.fromisoformat(known[0]) < timedelta(seconds=TOUCH_EVERY_SECONDS)
          and app_version in ("", known[1]) and user_agent in ("", known[2])):
        return False
    db.execute("UPDATE devices SET last_seen_at = ?, app_version = coalesce(nullif(?, ''), app_version),"
               " user_agent = coalesce(nullif(?, ''), user_agent) WHERE device_id = ? AND practitioner_id = ?",
               [at, app_version, user_agent, device_id, practitioner_id])
    return False


def all_devices(db):
    """Every registered device and practitioner, the latest contact first."""
    return list(db.query(
        "SELECT d.*, p.display_name, p.username, t.name AS team_name, r.display_name AS revoked_by_name"
        " FROM devices d JOIN practitioners p ON p.id = d.practitioner_id"
        " LEFT JOIN teams t ON t.id = p.team_id LEFT JOIN practitioners r ON r.id = d.revoked_by"
        " ORDER BY d.revoked_at IS NOT NULL, d.last_seen_at DESC"))


def revoke(db, device_id, admin_id):
    """Revoke every registration of the device; how many rows were revoked now (0 if unknown or done)."""
    return db.execute("UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE device_id = ? AND revoked_at IS NULL",
                      [now_utc(), admin_id, device_id]).rowcount


def exists(db, device_id):
    return db.execute("SELECT 1 FROM devices WHERE device_id = ? LIMIT 1", [device_id]).fetchone() is not None
