"""The offline app's own data: each practitioner's secret for each of their devices (combined on the
device with the PIN, docs/offline-security.md). Plain functions over `db` (no Flask)."""
import secrets


def issue_device_secret(db, practitioner_id, device_id, now):
    """(this practitioner's secret for this device, whether it was made now): the same secret on
    every call, made on the first; the time of each issue is kept."""
    created = db.execute(
        "INSERT OR IGNORE INTO device_secrets (practitioner_id, device_id, secret, created_at, last_issued_at)"
        " VALUES (?, ?, ?, ?, ?)", [practitioner_id, device_id, secrets.token_bytes(32), now, now]).rowcount
    db.execute("UPDATE device_secrets SET last_issued_at = ? WHERE practitioner_id = ? AND device_id = ?",
               [now, practitioner_id, device_id])
    secret = db.execute("SELECT secret FROM device_secrets WHERE practitioner_id = ? AND device_id = ?",
                        [practitioner_id, device_id]).fetchone()[0]
    return secret, bool(created)
