"""Devices a practitioner syncs from, each with the secret the server keeps for it.

The device combines its secret with the practitioner's PIN to wrap the key of what it
stores (docs/offline-security.md); the device never keeps the secret in clear, so a
found tablet cannot be brute-forced offline without it.
"""

STATEMENTS = [
    """CREATE TABLE device_secrets (
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        device_id TEXT NOT NULL,
        secret BLOB NOT NULL CHECK (length(secret) = 32),
        created_at TEXT NOT NULL,
        last_issued_at TEXT NOT NULL,
        PRIMARY KEY (practitioner_id, device_id)
    )""",
    # Receipts by device and by author: what a device or a practitioner has sent, and when.
    "CREATE INDEX sync_receipts_device ON sync_receipts(device_id, received_at)",
    "CREATE INDEX sync_receipts_author ON sync_receipts(author_id, received_at)",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
