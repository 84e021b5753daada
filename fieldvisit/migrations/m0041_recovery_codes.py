"""One-time recovery codes for the second factor (issue 14): ten per person, made when the second
factor is turned on and shown once; only each code's SHA-256 is kept (80 random bits: no slow hash
is needed against guessing), and each works once."""

STATEMENTS = [
    """CREATE TABLE recovery_codes (
        id INTEGER PRIMARY KEY,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        code_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at TEXT
    )""",
    "CREATE INDEX recovery_codes_practitioner ON recovery_codes(practitioner_id, code_hash)",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
