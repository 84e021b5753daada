"""The audit log: every read and write of a family's or child's record (PRODUCT.md principle 2)."""
from datetime import datetime, timezone


def now_utc():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def record(db, practitioner_id, action, entity, entity_id, route):
    """Append one line to the audit log: who, what, when, from which route."""
    db.execute(
        "INSERT INTO audit_log (at, practitioner_id, action, entity, entity_id, route)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [now_utc(), practitioner_id, action, entity, None if entity_id is None else str(entity_id), route],
    )


def record_many(db, practitioner_id, action, entity, entity_ids, route):
    """One audit line per record, in one statement (a page listing many children)."""
    at = now_utc()
    # One transaction for all the lines: outside one, each line would be its own commit (issue 13).
    with db.atomic():
        _insert_many(db, at, practitioner_id, action, entity, entity_ids, route)


def _insert_many(db, at, practitioner_id, action, entity, entity_ids, route):
    db.conn.executemany(
        "INSERT INTO audit_log (at, practitioner_id, action, entity, entity_id, route)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(at, practitioner_id, action, entity, str(entity_id), route) for entity_id in entity_ids],
    )
