"""A team lead's review of a sync conflict: who looked at it, when, and what they decided."""

STATEMENTS = [
    """CREATE TABLE conflict_reviews (
        conflict_id INTEGER PRIMARY KEY REFERENCES sync_conflicts(id),
        reviewed_by INTEGER NOT NULL REFERENCES practitioners(id),
        reviewed_at TEXT NOT NULL,
        note TEXT NOT NULL
    )""",
    "CREATE INDEX sync_conflicts_author ON sync_conflicts(author_id, received_at)",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
