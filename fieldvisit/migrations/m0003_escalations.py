"""Escalations raised by the safeguarding rules, with their required actions."""

STATEMENTS = [
    """CREATE TABLE escalations (
        id INTEGER PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        child_id INTEGER REFERENCES children(id),
        rule TEXT NOT NULL,
        title TEXT NOT NULL,
        source TEXT NOT NULL,
        origin_kind TEXT NOT NULL,
        origin_id TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        raised_by INTEGER REFERENCES practitioners(id),
        deadline TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        closed_at TEXT,
        closed_by INTEGER REFERENCES practitioners(id),
        closing_rationale TEXT,
        UNIQUE (rule, origin_kind, origin_id, child_id)
    )""",
    "CREATE INDEX escalations_family_status ON escalations(family_id, status)",
    "CREATE INDEX escalations_status_deadline ON escalations(status, deadline)",
    """CREATE TABLE escalation_actions (
        id INTEGER PRIMARY KEY,
        escalation_id INTEGER NOT NULL REFERENCES escalations(id),
        position INTEGER NOT NULL,
        description TEXT NOT NULL,
        done_at TEXT,
        done_by INTEGER REFERENCES practitioners(id),
        note TEXT NOT NULL DEFAULT '',
        UNIQUE (escalation_id, position)
    )""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
