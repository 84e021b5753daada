"""Accounts (issue 14): a password changed by its owner ends their other sessions, and an optional
second factor (TOTP, RFC 6238).

- `sessions.ended_why` may now be 'password_changed' and 'second_factor_reset' (SQLite cannot change a
  CHECK constraint in place: the table is rebuilt, rows kept, with its index and trigger).
- `second_factors`: one per practitioner, the TOTP secret kept on the server (never in the cookie),
  when it was confirmed with a first code (NULL while being set up: not yet asked for at sign-in), and
  the last time step accepted, so a code cannot be used twice.
"""

STATEMENTS = [
    "DROP TRIGGER sessions_end_on_deactivation",
    """CREATE TABLE sessions_new (
        id TEXT PRIMARY KEY,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        device TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        ended_at TEXT,
        ended_why TEXT CHECK (ended_why IN ('signed_out', 'signed_out_everywhere', 'idle', 'absolute_limit',
                                            'deactivated', 'replaced', 'password_reset', 'password_changed',
                                            'second_factor_reset'))
    )""",
    "INSERT INTO sessions_new SELECT id, practitioner_id, device, created_at, last_seen_at, ended_at, ended_why"
    " FROM sessions",
    "DROP TABLE sessions",
    "ALTER TABLE sessions_new RENAME TO sessions",
    "CREATE INDEX sessions_practitioner ON sessions(practitioner_id, ended_at)",
    """CREATE TRIGGER sessions_end_on_deactivation AFTER UPDATE OF active ON practitioners
       WHEN NEW.active = 0 AND OLD.active != 0
       BEGIN
         UPDATE sessions SET ended_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), ended_why = 'deactivated'
         WHERE practitioner_id = NEW.id AND ended_at IS NULL;
       END""",
    """CREATE TABLE second_factors (
        practitioner_id INTEGER PRIMARY KEY REFERENCES practitioners(id),
        secret TEXT NOT NULL,
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        last_step INTEGER
    )""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
