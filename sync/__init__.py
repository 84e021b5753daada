"""Fieldvisit's sync engine: exactly-once ingest of items queued on devices.

Independent of Flask and of `fieldvisit`: the app registers one applier per item
kind and the engine calls it inside the transaction that stores the receipt.
"""
from sync.engine import (MAX_ITEMS, SCHEMA, SCHEMA_VERSION, BatchTooLarge, Receipt, Rejected,
                         SyncEngine, Unavailable, UnsupportedSchemaVersion, content_hash, is_uuid)

__all__ = ["MAX_ITEMS", "SCHEMA", "SCHEMA_VERSION", "BatchTooLarge", "Receipt", "Rejected",
           "SyncEngine", "Unavailable", "UnsupportedSchemaVersion", "content_hash", "is_uuid"]
