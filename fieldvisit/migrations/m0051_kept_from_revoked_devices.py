"""Items sent from a revoked device, kept aside for a team lead (issue 14, item 5).

They are kept in `sync_conflicts` (the team lead's review of records not applied as they came)
with `reason` 'revoked_device', the tablet's `recorded_at` and clock offset (to apply the item
later exactly as it was sent) and the family it is about (need to know: only leads of that
family's team see it). The lead's decision is a `conflict_reviews` row whose `decision` says
'accepted' (applied through the sync engine as its author) or 'set_aside'; a review of an
ordinary conflict says 'reviewed'.
"""

STATEMENTS = [
    "ALTER TABLE sync_conflicts ADD COLUMN reason TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE sync_conflicts ADD COLUMN recorded_at TEXT",
    "ALTER TABLE sync_conflicts ADD COLUMN clock_offset_ms INTEGER",
    "ALTER TABLE sync_conflicts ADD COLUMN family_id INTEGER",
    "ALTER TABLE conflict_reviews ADD COLUMN decision TEXT NOT NULL DEFAULT 'reviewed'",
    "CREATE INDEX sync_conflicts_reason ON sync_conflicts(reason, family_id)",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
