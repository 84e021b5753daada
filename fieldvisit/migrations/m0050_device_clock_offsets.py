"""The tablet's clock offset kept with each item that carried one (issue 14, "A wrong tablet clock").

`clock_offset_ms` is the central record's time minus the tablet's, as the tablet knew it when the
record was saved (docs/sync-protocol.md). The tablet's own `recorded_at` stays on the receipt and
the record as it was sent (evidence); `corrected_recorded_at` is that time moved onto the central
record's clock. One row per stored item; never changed.
"""

STATEMENTS = [
    """CREATE TABLE sync_clock_offsets (
        item_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        author_id INTEGER NOT NULL REFERENCES practitioners(id),
        device_id TEXT NOT NULL DEFAULT '',
        clock_offset_ms INTEGER NOT NULL,
        device_recorded_at TEXT NOT NULL,
        corrected_recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE INDEX sync_clock_offsets_author ON sync_clock_offsets(author_id, received_at)",
    """CREATE TRIGGER sync_clock_offsets_no_update BEFORE UPDATE ON sync_clock_offsets
       BEGIN SELECT RAISE(ABORT, 'sync_clock_offsets is evidence: rows are never changed'); END""",
    """CREATE TRIGGER sync_clock_offsets_no_delete BEFORE DELETE ON sync_clock_offsets
       BEGIN SELECT RAISE(ABORT, 'sync_clock_offsets is evidence: rows are never deleted'); END""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
