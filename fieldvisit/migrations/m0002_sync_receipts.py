"""Receipts and conflicts of the sync engine (exactly-once ingest, OFFLINE.md)."""
from sync.engine import SCHEMA


def upgrade(db):
    # The engine owns its tables' shape; a change to sync.engine.SCHEMA needs a new migration.
    for statement in SCHEMA:
        db.execute(statement)
