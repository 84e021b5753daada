"""Registered devices (issue 14, item 5): each tablet that syncs, registered to the practitioners
who sync from it, with first and last contact and its app version; an admin can revoke one.

One row per device and practitioner (a tablet may be shared); revoking a device revokes every row
of its device id, and a revoked device id is never registered again.
"""

STATEMENTS = [
    """CREATE TABLE devices (
        device_id TEXT NOT NULL,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        app_version TEXT NOT NULL DEFAULT '',
        user_agent TEXT NOT NULL DEFAULT '',
        revoked_at TEXT,
        revoked_by INTEGER REFERENCES practitioners(id),
        PRIMARY KEY (device_id, practitioner_id)
    )""",
    "CREATE INDEX devices_practitioner ON devices(practitioner_id)",
    "CREATE INDEX devices_last_seen ON devices(last_seen_at)",
    # Tablets that already have a secret were registered when they were given it.
    """INSERT INTO devices (device_id, practitioner_id, first_seen_at, last_seen_at)
       SELECT device_id, practitioner_id, created_at, last_issued_at FROM device_secrets""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
