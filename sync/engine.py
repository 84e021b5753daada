"""Exactly-once ingest of queued items, with receipts and conflicts kept for review.

An item is a dict: {"id": client-made UUID, "kind": str, "payload": dict,
"recorded_at": ISO time on the device} — or, instead of "payload", "sealed": the
payload encrypted to the central record's key, opened by the `unseal` function the
caller passes (the engine knows no cryptography).

The same id with the same content is acknowledged as a duplicate; the same id with
different content is a conflict, kept and never applied (OFFLINE.md: formhub #678,
enketo #1405). Each item is applied together with its receipt, in its own transaction
(`ingest`) or in its own savepoint of a batch's transaction (`push`), so a receipt exists
if and only if the item's records do, and an acknowledgement is only ever sent for a
committed, durable transaction.
"""
import hashlib
import json
import logging
import sqlite3
import threading
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

log = logging.getLogger("sync")

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

# The payload schema this server writes; it also accepts the previous one (OFFLINE.md:
# a service-worker update must not strand items queued by the old version).
SCHEMA_VERSION = 1
# At most this many items in one push (docs/sync-protocol.md).
MAX_ITEMS = 100
MAX_TEXT = 100  # longest id, kind, device id or recorded_at we accept
# Items of a push applied in one transaction (one commit). A whole push (MAX_ITEMS) by default: the
# issue 13 runs stored 5-35% more items a second than with 20, one client or twenty. Smaller lets other
# devices' batches in sooner and loses less work to a crash mid-batch (it is sent again).
COMMIT_EVERY = MAX_ITEMS

# SQLite result codes that mean "try again later", not "this item is wrong".
TRANSIENT_SQLITE_CODES = {5, 6, 10, 13, 14, 15}  # BUSY, LOCKED, IOERR, FULL, CANTOPEN, PROTOCOL

SERVER_ERROR = ("The central record could not store this record because of an error on the server. "
                "It is kept on your device; tell your team lead or IT support.")


class Rejected(Exception):
    """Raised by an applier when an item fails validation; nothing is stored."""

    def __init__(self, errors):
        super().__init__("item rejected")
        self.errors = errors


class BatchTooLarge(ValueError):
    """More items in one push than the engine takes."""


class UnsupportedSchemaVersion(ValueError):
    """The device speaks a payload schema this server no longer (or does not yet) accept."""


class Unavailable(Exception):
    """The database could not be written just now (busy, full, I/O). Nothing of the item was
    stored; the device should retry later. Items of the batch before it were stored."""


class WriterQueue:
    """The writers of one process take the database's write lock in the order they asked for it.

    SQLite's busy handler makes a waiting writer sleep and try again, so under load one writer
    can miss every turn until its busy timeout runs out (the 503s of 100 tablets at once, issue
    13) while others get the lock again and again. Queued here first, the threads of a server
    are served first come, first served, and SQLite's own lock is then (almost) always free."""

    def __init__(self):
        self._changed = threading.Condition()
        self._waiting = deque()
        self._held = False

    @contextmanager
    def turn(self, timeout):
        me = object()
        with self._changed:
            self._waiting.append(me)
            try:
                got = self._changed.wait_for(lambda: not self._held and self._waiting[0] is me, timeout)
            finally:
                self._waiting.remove(me)
                if not got:
                    self._changed.notify_all()
            if not got:
                raise Unavailable("The write lock was not had within the busy timeout.")
            self._held = True
        try:
            yield
        finally:
            with self._changed:
                self._held = False
                self._changed.notify_all()


@contextmanager
def read_only(db):
    """The connection refuses every write while the `prepare` steps run (they must not write)."""
    already = db.execute("PRAGMA query_only").fetchone()[0]
    if not already:
        db.execute("PRAGMA query_only = 1")
    try:
        yield
    finally:
        if not already:
            db.execute("PRAGMA query_only = 0")


def busy_timeout_seconds(db):
    return db.execute("PRAGMA busy_timeout").fetchone()[0] / 1000


@dataclass
class Receipt:
    item_id: str | None
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
                           separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def utc_now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def is_uuid(value):
    """A UUID written the canonical way: lower case, with hyphens (crypto.randomUUID())."""
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def is_iso_time(value):
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_transient(error):
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in TRANSIENT_SQLITE_CODES
    message = str(error).lower()
    return "locked" in message or "busy" in message or "disk i/o" in message


class SyncEngine:
    """Applies items through the appliers registered for their kinds, each exactly once."""

    def __init__(self, clock=utc_now, schema_version=SCHEMA_VERSION, max_items=MAX_ITEMS, commit_every=COMMIT_EVERY):
        self.appliers = {}
        self.preparers = {}
        self.upgrades = {}
        self.clock = clock
        self.schema_version = schema_version
        self.max_items = max_items
        self.commit_every = commit_every
        self.writers = WriterQueue()

    def register(self, kind, applier, prepare=None):
        """`applier(db, item, context) -> ref` stores the item; raises Rejected if invalid.

        It runs inside the item's transaction: it must not commit, and whatever it
        writes is kept only together with the item's receipt.

        `prepare(db, item, context) -> value`, if given, does the item's CPU work that needs no
        write lock (validating its form) before the lock is taken, on a connection made read-only
        (PRAGMA query_only) for it: it cannot write. It raises
        Rejected for an item that can never be stored (nothing is then locked), or returns a value
        handed to the applier as `context["prepared"]` (None: nothing prepared, the applier does
        all its work itself). The applier still checks everything that depends on the database.
        """
        self.appliers[kind] = applier
        if prepare is not None:
            self.preparers[kind] = prepare

    def register_upgrade(self, kind, upgrade):
        """`upgrade(payload) -> payload` turns a payload of the previous schema version into
        the current one; without one, previous-version payloads are taken as they are."""
        self.upgrades[kind] = upgrade

    @property
    def accepted_versions(self):
        """The current payload schema version and the previous one."""
        return tuple(v for v in (self.schema_version - 1, self.schema_version) if v >= 1)

    def check_schema_version(self, version):
        if isinstance(version, bool) or not isinstance(version, int) or version not in self.accepted_versions:
            accepted = " or ".join(str(v) for v in self.accepted_versions)
            raise UnsupportedSchemaVersion(
                f"This server accepts records in schema version {accepted}, not {version!r}. "
                "Reload Fieldvisit to update it; your queued records are kept.")

    def ensure_schema(self, db):
        for statement in SCHEMA:
            db.execute(statement)

    # -- one item ---------------------------------------------------------------------

    def ingest(self, db, item, context, unseal=None, schema_version=None):
        """Apply one item in one transaction with its receipt, or recognise it as seen before.

        `db` is a sqlite_utils.Database on a connection opened with isolation_level=None
        and not inside a transaction. `context` carries at least `author_id` and may
        carry `device_id`; it is passed on to the applier. `unseal(item) -> payload`
        opens a sealed item (raising Rejected when it cannot). Raises Unavailable when
        the database cannot be written just now.
        """
        item_id = item.get("id") if isinstance(item, dict) else None
        item_id = item_id if isinstance(item_id, str) and len(item_id) <= MAX_TEXT else None
        try:
            item = self._checked(item, unseal, schema_version)
        except Rejected as rejected:
            return Receipt(item_id, "rejected", self.clock(), errors=rejected.errors)
        digest = content_hash(item["kind"], item["payload"])
        # Receipts are never deleted, so one seen outside a transaction stays true: a
        # repeat of stored content is acknowledged without waiting for the write lock.
        seen = self._receipt(db, item["id"])
        if seen is not None and seen[0] == digest:
            return Receipt(item["id"], "duplicate", self.clock(), ref=seen[1])
        try:
            with read_only(db):
                context = self._with_prepared(db, item, context)
        except Rejected as rejected:
            return Receipt(item["id"], "rejected", self.clock(), errors=rejected.errors)
        return self._in_transaction(db, item, digest, context)

    def _with_prepared(self, db, item, context):
        """The context for the item's applier, with what its kind's `prepare` did outside the write
        lock; Rejected when the item can never be stored. A fault in `prepare` only means nothing
        is prepared: the applier then does all of the work under the lock, as without one."""
        prepare = self.preparers.get(item["kind"])
        if prepare is None:
            return context
        try:
            prepared = prepare(db, item, context)
        except Rejected:
            raise
        except Exception as error:  # noqa: BLE001 - the applier does the work instead
            log.warning("sync: item %s could not be prepared outside the lock", item.get("id"), exc_info=error)
            return context
        return context if prepared is None else dict(context, prepared=prepared)

    def _checked(self, item, unseal, schema_version):
        """The item as the applier sees it (payload opened and upgraded), or Rejected."""
        if not isinstance(item, dict):
            raise Rejected({"item": "Each item must be a JSON object."})
        errors = {}
        if not is_uuid(item.get("id")):
            errors["id"] = "The item id must be a UUID in lower case, like 0b5a6f9e-3c1d-4e8a-9f2b-7d6c5e4a3b21."
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in self.appliers:
            errors["kind"] = f"Unknown kind of record: {str(kind)[:MAX_TEXT]!r}."
        if not is_iso_time(item.get("recorded_at")):
            errors["recorded_at"] = "recorded_at must be the time the record was made on the device, in ISO 8601."
        version = item.get("schema_version", schema_version if schema_version is not None else self.schema_version)
        try:
            self.check_schema_version(version)
        except UnsupportedSchemaVersion as unsupported:
            errors["schema_version"] = str(unsupported)
        has_payload, has_sealed = "payload" in item, "sealed" in item
        if has_payload == has_sealed:
            errors["payload"] = "An item carries either a payload or a sealed payload (not both, not neither)."
        elif has_payload and not isinstance(item["payload"], dict):
            errors["payload"] = "The payload must be a JSON object."
        elif has_sealed and unseal is None:
            errors["sealed"] = "This server cannot open sealed items here; send the payload instead."
        if errors:
            raise Rejected(errors)
        payload = item["payload"] if has_payload else unseal(item)
        if not isinstance(payload, dict):
            raise Rejected({"payload": "The payload must be a JSON object."})
        if version != self.schema_version and kind in self.upgrades:
            payload = self.upgrades[kind](payload)
        checked = {key: value for key, value in item.items() if key not in ("sealed", "schema_version")}
        checked["payload"] = payload
        return checked

    def opened(self, item, unseal=None, schema_version=None):
        """(the item as an applier would see it, its content hash), or Rejected; applies nothing.
        For items kept aside without being applied (issue 14: sent from a revoked device)."""
        checked = self._checked(item, unseal, schema_version)
        return checked, content_hash(checked["kind"], checked["payload"])

    def stored_ref(self, db, item_id, digest):
        """The ref of this item if the same content is stored already, else None."""
        seen = self._receipt(db, item_id)
        return seen[1] if seen is not None and seen[0] == digest else None

    def _receipt(self, db, item_id):
        return db.execute(
            "SELECT content_hash, ref FROM sync_receipts WHERE item_id = ?", [item_id]).fetchone()

    def _in_transaction(self, db, item, digest, context):
        if db.conn.in_transaction:
            raise RuntimeError("SyncEngine.ingest must be called outside a transaction: "
                               "each item is committed with its receipt on its own.")
        # An acknowledgement must survive a power cut, not only a killed process: in WAL
        # mode synchronous=NORMAL may roll back the last commits after a power loss.
        previous = db.execute("PRAGMA synchronous").fetchone()[0]
        if previous < 2:
            db.execute("PRAGMA synchronous = FULL")
        try:
            with self.writers.turn(busy_timeout_seconds(db)):
                db.execute("BEGIN IMMEDIATE")
                try:
                    receipt = self._ingest_locked(db, item, digest, context)
                    db.execute("ROLLBACK" if receipt.status == "rejected" else "COMMIT")
                except BaseException:
                    if db.conn.in_transaction:
                        db.execute("ROLLBACK")
                    raise
        finally:
            if previous < 2:
                db.execute(f"PRAGMA synchronous = {int(previous)}")
        return receipt

    def _ingest_locked(self, db, item, digest, context):
        # The time is taken once the write lock is held, so it follows the commit order.
        now = self.clock()
        seen = self._receipt(db, item["id"])
        if seen is not None:
            if seen[0] == digest:
                return Receipt(item["id"], "duplicate", now, ref=seen[1])
            self._keep_conflict(db, item, digest, context, now)
            return Receipt(item["id"], "conflict", now, ref=seen[1],
                           errors={"id": "A different record was already received with this id. "
                                         "This version is kept for your team lead to review; "
                                         "to change a record that was sent, add an amendment."})
        try:
            ref = self.appliers[item["kind"]](db, item, dict(context, received_at=now))
        except Rejected as rejected:
            return Receipt(item["id"], "rejected", now, errors=rejected.errors)
        ref = item["id"] if ref is None else str(ref)
        db.execute(
            "INSERT INTO sync_receipts (item_id, kind, content_hash, author_id, device_id,"
            " recorded_at, received_at, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [item["id"], item["kind"], digest, context["author_id"], context.get("device_id") or "",
             item["recorded_at"], now, ref],
        )
        return Receipt(item["id"], "stored", now, ref=ref)

    def _keep_conflict(self, db, item, digest, context, now):
        db.execute(
            "INSERT OR IGNORE INTO sync_conflicts (item_id, kind, content_hash, payload,"
            " author_id, device_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [item["id"], item["kind"], digest, json.dumps(item["payload"], sort_keys=True),
             context["author_id"], context.get("device_id") or "", now],
        )

    # -- a batch ----------------------------------------------------------------------

    def push(self, db, items, context, schema_version=None, unseal=None):
        """Ingest a batch: each item on its own, so one bad item never blocks the others.

        Returns one receipt per item, in order. Raises BatchTooLarge or
        UnsupportedSchemaVersion before touching anything, and Unavailable when the
        database cannot be written (the items of the transactions committed before are
        stored and will be acknowledged as duplicates when the device sends them again).

        Checking, opening and hashing the items, and recognising repeats of stored content,
        happen before the write lock is taken. The rest are applied `commit_every` at a time
        in one transaction, each item inside its own savepoint: an item that is rejected or
        fails is rolled back alone, and the others of the transaction are committed together
        with their receipts, durably (synchronous=FULL), before any receipt is returned. One
        commit (one fsync) for many items instead of one each; and a transaction kept short
        enough that twenty devices sending at once take turns (issue 13). Each group's items are
        prepared by their kind's `prepare` (their forms validated) just before the group's
        transaction, outside the write lock.
        """
        if len(items) > self.max_items:
            raise BatchTooLarge(f"Send at most {self.max_items} items at a time, not {len(items)}.")
        if schema_version is not None:
            self.check_schema_version(schema_version)
        receipts = [None] * len(items)
        waiting = []
        for index, item in enumerate(items):
            try:
                prepared = self._prepared(db, item, unseal, schema_version)
            except sqlite3.Error as error:
                if is_transient(error):
                    raise Unavailable(str(error)) from error
                receipts[index] = self._server_error(item, error)
                continue
            except Exception as error:  # a fault in one item must not lose the others
                receipts[index] = self._server_error(item, error)
                continue
            if isinstance(prepared, Receipt):
                receipts[index] = prepared
            else:
                waiting.append((index, item, *prepared))
        for start in range(0, len(waiting), self.commit_every):
            # Each group is prepared just before its transaction, not the whole batch first: the work
            # of a batch stays spread over its groups, and a crash mid-batch loses little of it.
            group = []
            with read_only(db):
                for index, original, checked, digest in waiting[start:start + self.commit_every]:
                    try:
                        group.append((index, original, checked, digest, self._with_prepared(db, checked, context)))
                    except Rejected as rejected:
                        receipts[index] = Receipt(checked["id"], "rejected", self.clock(), errors=rejected.errors)
            if group:
                self._apply_together(db, group, context, receipts)
        return receipts

    def _prepared(self, db, item, unseal, schema_version):
        """A receipt if the item is answered without the write lock (rejected, or a repeat of stored
        content), else (the item as the applier sees it, its content hash)."""
        item_id = item.get("id") if isinstance(item, dict) else None
        item_id = item_id if isinstance(item_id, str) and len(item_id) <= MAX_TEXT else None
        try:
            checked = self._checked(item, unseal, schema_version)
        except Rejected as rejected:
            return Receipt(item_id, "rejected", self.clock(), errors=rejected.errors)
        digest = content_hash(checked["kind"], checked["payload"])
        seen = self._receipt(db, checked["id"])
        if seen is not None and seen[0] == digest:
            return Receipt(checked["id"], "duplicate", self.clock(), ref=seen[1])
        return checked, digest

    def _apply_together(self, db, group, context, receipts):
        """Apply these items in one durable transaction, each in a savepoint; fill in their receipts
        only once the transaction is committed. Each of `group` is (index, item as sent, item as the
        applier sees it, content hash, the push's `context` with what was prepared for the item)."""
        if db.conn.in_transaction:
            raise RuntimeError("SyncEngine.push must be called outside a transaction: "
                               "its items are committed with their receipts.")
        previous = db.execute("PRAGMA synchronous").fetchone()[0]
        if previous < 2:
            db.execute("PRAGMA synchronous = FULL")
        done = []
        try:
            with self.writers.turn(busy_timeout_seconds(db)):
                db.execute("BEGIN IMMEDIATE")
                try:
                    for index, original, checked, digest, item_context in group:
                        done.append((index, self._apply_in_savepoint(db, original, checked, digest, item_context)))
                    db.execute("COMMIT")
                except BaseException:
                    if db.conn.in_transaction:
                        db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as error:
            if is_transient(error):
                raise Unavailable(str(error)) from error
            for index, original, *_ in group:  # nothing of the transaction was kept
                receipts[index] = self._server_error(original, error)
            return
        finally:
            if previous < 2:
                db.execute(f"PRAGMA synchronous = {int(previous)}")
        for index, receipt in done:
            receipts[index] = receipt

    def _apply_in_savepoint(self, db, original, checked, digest, context):
        db.execute("SAVEPOINT sync_item")
        try:
            receipt = self._ingest_locked(db, checked, digest, context)
        except sqlite3.Error as error:
            if not db.conn.in_transaction:
                raise  # SQLite ended the whole transaction: none of it is kept
            db.execute("ROLLBACK TO sync_item")
            db.execute("RELEASE sync_item")
            if is_transient(error):
                raise
            return self._server_error(original, error)
        except Exception as error:  # a fault in one applier rolls back that item alone
            db.execute("ROLLBACK TO sync_item")
            db.execute("RELEASE sync_item")
            return self._server_error(original, error)
        if receipt.status == "rejected":
            db.execute("ROLLBACK TO sync_item")
        db.execute("RELEASE sync_item")
        return receipt

    def _server_error(self, item, error):
        item_id = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
        log.error("sync: item %s could not be applied", item_id, exc_info=error)
        return Receipt(item_id, "rejected", self.clock(), errors={"item": SERVER_ERROR})
