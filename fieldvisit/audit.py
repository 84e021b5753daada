"""The audit log: every read and write of a family's or child's record (PRODUCT.md principle 2).

The log is hash-chained (issue 14): each entry carries the hash of the entry before it, and its
own hash over a canonical serialisation of its fields and that previous hash. Changing,
removing or reordering an entry breaks the chain from that entry on, and `fieldvisit audit
verify` names it. An entry is written by one INSERT ... SELECT that reads the last hash and
inserts in the same statement, so it holds SQLite's write lock while it reads: with any number
of writers the chain never forks, and the entry is in the transaction of what it audits. A
trigger (m0036) refuses an entry that does not follow the last one.
"""
import hashlib
import json
from datetime import datetime, timezone

GENESIS = "0" * 64
HASH_FUNCTION = "fieldvisit_audit_hash"
FIELDS = ("id", "at", "practitioner_id", "action", "entity", "entity_id", "route", "prev_hash")

INSERT = f"""
    INSERT INTO audit_log (id, at, practitioner_id, action, entity, entity_id, route, prev_hash, hash)
    SELECT last.next_id, :at, :practitioner_id, :action, :entity, :entity_id, :route, last.hash,
           {HASH_FUNCTION}(last.next_id, :at, :practitioner_id, :action, :entity, :entity_id, :route, last.hash)
    FROM (SELECT coalesce((SELECT max(id) FROM audit_log), 0) + 1 AS next_id,
                 coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '{GENESIS}') AS hash) AS last
"""


def now_utc():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def canonical(entry_id, at, practitioner_id, action, entity, entity_id, route, prev_hash):
    """The bytes an entry's hash is taken over: a JSON array of its fields, in a fixed order and types."""
    values = [int(entry_id), str(at), None if practitioner_id is None else int(practitioner_id), str(action),
              str(entity), None if entity_id is None else str(entity_id), str(route), str(prev_hash)]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(*fields):
    return hashlib.sha256(canonical(*fields)).hexdigest()


def register_hash_function(conn):
    """Every connection that may write the log computes hashes the same way (fieldvisit.db.connect)."""
    conn.create_function(HASH_FUNCTION, 8, entry_hash, deterministic=True)


def _params(practitioner_id, action, entity, entity_id, route, at):
    return {"at": at, "practitioner_id": practitioner_id, "action": action, "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id), "route": route}


def record(db, practitioner_id, action, entity, entity_id, route):
    """Append one line to the audit log: who, what, when, from which route."""
    db.execute(INSERT, _params(practitioner_id, action, entity, entity_id, route, now_utc()))


def record_many(db, practitioner_id, action, entity, entity_ids, route):
    """One audit line per record (a page listing many children), each chained to the one before."""
    at = now_utc()
    # One transaction for all the lines: outside one, each line would be its own commit (issue 13).
    with db.atomic():
        db.conn.executemany(INSERT, [_params(practitioner_id, action, entity, entity_id, route, at)
                                     for entity_id in entity_ids])


def verify(db):
    """Walk the chain in order. (entries checked, None) when intact, else (entries checked,
    (id of the first bad entry, what is wrong with it))."""
    expected_prev, expected_id, count = GENESIS, None, 0
    for row in db.conn.execute(f"SELECT {', '.join(FIELDS)}, hash FROM audit_log ORDER BY id"):
        entry = dict(zip(FIELDS + ("hash",), row))
        if expected_id is not None and entry["id"] != expected_id:
            return count, (entry["id"], f"entries {expected_id} to {entry['id'] - 1} are missing")
        if entry["prev_hash"] != expected_prev:
            return count, (entry["id"], "it does not follow the entry before it (an entry before it was "
                                        "removed, changed or moved)")
        if entry["hash"] != entry_hash(*(entry[f] for f in FIELDS)):
            return count, (entry["id"], "its content was changed after it was written")
        expected_prev, expected_id, count = entry["hash"], entry["id"] + 1, count + 1
    return count, None


def head(db):
    """(id, hash) of the last entry: written down elsewhere, it also shows that no entry was cut off the end."""
    row = db.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def chained(db, entries):
    """Entries ({at, practitioner_id, action, entity, entity_id, route}) given the id, previous hash and
    hash that follow the log's last entry, in order, for one bulk insert in the same transaction
    (the county-sized demo writes its history this way; the m0036 trigger checks each link)."""
    last_id, last_hash = head(db)
    linked = []
    for entry in entries:
        last_id += 1
        entity_id = None if entry["entity_id"] is None else str(entry["entity_id"])
        digest = entry_hash(last_id, entry["at"], entry["practitioner_id"], entry["action"], entry["entity"],
                            entity_id, entry["route"], last_hash)
        linked.append(dict(entry, id=last_id, entity_id=entity_id, prev_hash=last_hash, hash=digest))
        last_hash = digest
    return linked
