"""People and settings managed in the app (issue 10): a practitioner's contact details,
professional registration and staff id, a team's lead, one-time password reset codes, and
the history of every change to a partnership setting."""

STATEMENTS = [
    # The staff directory's id (imports match on it, or on the username); phone and email for
    # the team; professional registration (e.g. NMC for a health visitor) and its body.
    "ALTER TABLE practitioners ADD COLUMN staff_id TEXT",
    "ALTER TABLE practitioners ADD COLUMN email TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE practitioners ADD COLUMN phone TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE practitioners ADD COLUMN registration_body TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE practitioners ADD COLUMN registration_number TEXT NOT NULL DEFAULT ''",
    # The agency a practitioner works for (their team's, or their own when they have no team).
    "ALTER TABLE practitioners ADD COLUMN agency_id INTEGER REFERENCES agencies(id)",
    """UPDATE practitioners SET agency_id = (SELECT agency_id FROM teams WHERE teams.id = practitioners.team_id)
       WHERE team_id IS NOT NULL""",
    "CREATE UNIQUE INDEX practitioners_staff_id ON practitioners(staff_id) WHERE staff_id IS NOT NULL",
    # Sessions signed in before this time are ended (a password set or a code issued): sessions
    # live in the signed cookie, so the server says from when they count.
    "ALTER TABLE practitioners ADD COLUMN sessions_from TEXT",
    "ALTER TABLE teams ADD COLUMN lead_id INTEGER REFERENCES practitioners(id)",
    # A one-time code to set a password: only its hash is kept; used once, before it expires.
    """CREATE TABLE password_resets (
        id INTEGER PRIMARY KEY,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        code_hash TEXT NOT NULL UNIQUE,
        issued_by INTEGER NOT NULL REFERENCES practitioners(id),
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    )""",
    "CREATE INDEX password_resets_practitioner ON password_resets(practitioner_id, issued_at)",
    # Every change of a partnership setting: who, when, before and after (JSON; NULL = the default), why.
    """CREATE TABLE settings_history (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        before_value TEXT,
        after_value TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        changed_by INTEGER NOT NULL REFERENCES practitioners(id),
        changed_at TEXT NOT NULL
    )""",
    "CREATE INDEX settings_history_key ON settings_history(key, changed_at)",
    """CREATE TRIGGER settings_history_append_only BEFORE UPDATE ON settings_history
       BEGIN SELECT RAISE(ABORT, 'the settings history is append-only'); END""",
    """CREATE TRIGGER settings_history_no_delete BEFORE DELETE ON settings_history
       BEGIN SELECT RAISE(ABORT, 'the settings history is never deleted'); END""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
