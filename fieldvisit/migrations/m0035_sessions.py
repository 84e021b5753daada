"""Sessions kept on the server (issue 14, "Sign-out does not end the session").

The signed cookie only carries a random token; the row here says whose session it is and
whether it has ended. `id` is the SHA-256 of that token, so a copy of the database does not
hand out live sessions. A session ends at sign-out, on "sign out everywhere", when the
practitioner is made inactive (the trigger below, whichever page or command does it), after
the idle timeout and at the absolute limit (partnership settings).
"""

STATEMENTS = [
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        device TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        ended_at TEXT,
        ended_why TEXT CHECK (ended_why IN ('signed_out', 'signed_out_everywhere', 'idle', 'absolute_limit',
                                            'deactivated', 'replaced', 'password_reset'))
    )""",
    "CREATE INDEX sessions_practitioner ON sessions(practitioner_id, ended_at)",
    """CREATE TRIGGER sessions_end_on_deactivation AFTER UPDATE OF active ON practitioners
       WHEN NEW.active = 0 AND OLD.active != 0
       BEGIN
         UPDATE sessions SET ended_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), ended_why = 'deactivated'
         WHERE practitioner_id = NEW.id AND ended_at IS NULL;
       END""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
