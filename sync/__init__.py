"""Fieldvisit's sync engine: exactly-once ingest of items queued on devices.

Independent of Flask and of `fieldvisit`: the app registers one applier per item
kind and the engine calls it inside the transaction that stores the receipt.
"""
from sync.engine import Receipt, Rejected, SyncEngine, content_hash, SCHEMA

__all__ = ["Receipt", "Rejected", "SyncEngine", "content_hash", "SCHEMA"]
