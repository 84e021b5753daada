"""Exactly-once ingest of queued items, with receipts and conflicts kept for review.

An item is a dict: {"id": client-made UUID, "kind": str, "payload": dict,
"recorded_at": ISO time on the device}. The same id with the same content is
acknowledged as a duplicate; the same id with different content is a conflict,
kept and never applied (OFFLINE.md: formhub #678, enketo #1405).
"""
import hashlib
import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sync_receipts (
        item_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        author_id INTEGER NOT NULL,
        device_id TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        ref TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS sync_conflicts (
        id INTEGER PRIMARY KEY,
        item_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        author_id INTEGER NOT NULL,
        device_id TEXT NOT NULL DEFAULT '',
        received_at TEXT NOT NULL,
        resolved_at TEXT,
        UNIQUE (item_id, content_hash)
    )""",
]


class Rejected(Exception):
    """Raised by an applier when an item fails validation; nothing is stored."""

    def __init__(self, errors):
        super().__init__("item rejected")
        self.errors = errors


@dataclass
class Receipt:
    item_id: str
    status: str  # stored | duplicate | conflict | rejected
    server_time: str
    ref: str | None = None
    errors: dict = field(default_factory=dict)

    def as_dict(self):
        return {"id": self.item_id, "status": self.status, "ref": self.ref,
                "errors": self.errors, "server_time": self.server_time}


def content_hash(kind, payload):
    """A stable hash of what an item says, independent of key order."""
    canonical = json.dumps({"kind": kind, "payload": payload}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def utc_now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def is_uuid(value):
    try:
        return str(uuid.UUID(str(value))) == str(value).lower()
    except ValueError:
        return False


class SyncEngine:
    """Applies items through the appliers registered for their kinds, each exactly once."""

    def __init__(self, clock=utc_now):
        self.appliers = {}
        self.clock = clock

    def register(self, kind, applier):
        """`applier(db, item, context) -> ref` stores the item; raises Rejected if invalid."""
        self.appliers[kind] = applier

    def ensure_schema(self, db):
        for statement in SCHEMA:
            db.execute(statement)

    def ingest(self, db, item, context):
        """Apply one item in one transaction with its receipt, or recognise it as seen before.

        `db` is a sqlite_utils.Database on a connection opened with isolation_level=None.
        `context` carries at least `author_id` and may carry `device_id`.
        """
        if item.get("kind") not in self.appliers:
            return Receipt(item.get("id", ""), "rejected", self.clock(),
                           errors={"kind": f"Unknown kind of record: {item.get('kind')!r}"})
        digest = content_hash(item["kind"], item["payload"])
        db.execute("BEGIN IMMEDIATE")
        try:
            receipt = self._ingest_locked(db, item, digest, context)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if receipt.status == "rejected":
            db.execute("ROLLBACK")
        else:
            db.execute("COMMIT")
        return receipt

    def _ingest_locked(self, db, item, digest, context):
        now = self.clock()
        seen = db.execute(
            "SELECT content_hash, ref FROM sync_receipts WHERE item_id = ?", [item["id"]]
        ).fetchone()
        if seen is not None:
            if seen[0] == digest:
                return Receipt(item["id"], "duplicate", now, ref=seen[1])
            self._keep_conflict(db, item, digest, context, now)
            return Receipt(item["id"], "conflict", now, ref=seen[1],
                           errors={"id": "A different record was already received with this id."})
        db.execute("SAVEPOINT apply_item")
        try:
            ref = self.appliers[item["kind"]](db, item, dict(context, received_at=now))
        except Rejected as rejected:
            db.execute("ROLLBACK TO SAVEPOINT apply_item")
            db.execute("RELEASE SAVEPOINT apply_item")
            return Receipt(item["id"], "rejected", now, errors=rejected.errors)
        db.execute("RELEASE SAVEPOINT apply_item")
        db.execute(
            "INSERT INTO sync_receipts (item_id, kind, content_hash, author_id, device_id,"
            " recorded_at, received_at, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [item["id"], item["kind"], digest, context["author_id"], context.get("device_id", ""),
             item.get("recorded_at") or now, now, str(ref)],
        )
        return Receipt(item["id"], "stored", now, ref=str(ref))

    def _keep_conflict(self, db, item, digest, context, now):
        db.execute(
            "INSERT OR IGNORE INTO sync_conflicts (item_id, kind, content_hash, payload,"
            " author_id, device_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [item["id"], item["kind"], digest, json.dumps(item["payload"], sort_keys=True),
             context["author_id"], context.get("device_id", ""), now],
        )

    def push(self, db, items, context):
        """Ingest a batch: each item on its own, so one bad item never blocks the others."""
        return [self.ingest(db, item, context) for item in items]
