"""A tiny record kind for testing the sync engine on its own, away from the app."""
import sqlite3
import uuid

import sqlite_utils

from sync import Rejected, SyncEngine
from tests.clock import days_ago, iso

NOTES_SCHEMA = [
    # No unique constraint on item_id on purpose: a double apply would show as two rows.
    "CREATE TABLE IF NOT EXISTS notes (n INTEGER PRIMARY KEY, item_id TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS note_words (note_n INTEGER NOT NULL REFERENCES notes(n), word TEXT NOT NULL)",
]


class Boom(Exception):
    """A fault in an applier (a bug), not a validation error."""


def apply_note(db, item, context):
    """Stores a note and its words (two tables, so a half-applied note would show)."""
    body = item["payload"].get("body")
    if not isinstance(body, str) or not body.strip():
        raise Rejected({"body": "Write something"})
    n = db.execute("INSERT INTO notes (item_id, body) VALUES (?, ?)", [item["id"], body]).lastrowid
    for word in body.split():
        if word == "reject-after-write":
            raise Rejected({"body": "Rejected after writing"})
        if word == "boom":
            raise Boom("the applier failed half way")
        db.execute("INSERT INTO note_words (note_n, word) VALUES (?, ?)", [n, word])
    return item["id"]


def note_engine(**kwargs):
    engine = SyncEngine(**kwargs)
    engine.register("note", apply_note)
    return engine


def open_db(path, busy_ms=5000):
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    db = sqlite_utils.Database(conn)
    if db.journal_mode != "wal":
        db.enable_wal()
    return db


def prepare(db, engine):
    engine.ensure_schema(db)
    for statement in NOTES_SCHEMA:
        db.execute(statement)


def note(body, item_id=None, recorded_at=None):
    """A note written on a device yesterday at 10:30 UTC unless `recorded_at` says otherwise."""
    return {"id": item_id or str(uuid.uuid4()), "kind": "note", "payload": {"body": body},
            "recorded_at": recorded_at or iso(days_ago(1), "10:30:00+00:00")}


def stored_notes(db):
    """item_id -> number of notes stored for it."""
    return dict(db.execute("SELECT item_id, count(*) FROM notes GROUP BY item_id").fetchall())


def assert_whole(db):
    """Every note has its words and its receipt, and every receipt its note."""
    receipts = {row[0] for row in db.execute("SELECT item_id FROM sync_receipts WHERE kind = 'note'")}
    notes = stored_notes(db)
    assert set(notes) == receipts, "a note without its receipt, or a receipt without its note"
    for n, body in db.execute("SELECT n, body FROM notes"):
        words = [row[0] for row in db.execute("SELECT word FROM note_words WHERE note_n = ? ORDER BY rowid", [n])]
        assert words == body.split(), f"note {n} is half applied"


# -- real visit items, for tests through the app's `visit` applier ---------------------------

HEADINGS = ("nutrition", "housing", "hygiene", "clothing", "safe_sleep", "heating", "supervision")


def visit_fields(record_id, child_ids, day, **overrides):
    """The fields a practitioner posts for a completed visit, as the outbox carries them."""
    fields = {
        "record_id": record_id, "scheduled_visit_id": "", "visit_type": "unannounced", "visit_date": day,
        "visit_time": "10:30", "duration_minutes": "45", "outcome": "completed",
        "adults-0-full_name": "Kerry Example", "adults-0-relationship": "Mother", "adults-0-presence": "present",
        "adults-1-full_name": "", "adults-1-relationship": "",
        "containers-0-count": "2", "containers-0-container_type": "spirits_bottle",
        "containers-0-where": "behind the sofa",
        "alcohol_smell": "no", "intoxication_observed": "no",
        "parent_alcohol_account": "Says she does not drink at all.",
        "child_alone": "no", "analysis": "Mismatch between the bottles and the account.",
        "actions": "Discuss with team lead.",
    }
    for heading in HEADINGS:
        fields[f"home_conditions-{heading}-rating"] = "adequate"
    for index, child_id in enumerate(child_ids):
        fields.update({f"children-{index}-child_id": str(child_id), f"children-{index}-seen": "yes",
                       f"children-{index}-seen_alone": "no", f"children-{index}-bedroom_seen": "yes",
                       f"children-{index}-words": "I like school"})
    fields.update(overrides)
    return {name: [value] for name, value in fields.items()}


def visit_item(family_id, child_ids, item_id=None, day=None, recorded_at=None, **overrides):
    """A visit saved on a tablet, by default for a visit yesterday at 10:30 recorded at 11:00."""
    day = day or iso(days_ago(1))
    recorded_at = recorded_at or f"{day}T11:00:00"
    item_id = item_id or str(uuid.uuid4())
    return {"id": item_id, "kind": "visit", "recorded_at": recorded_at,
            "payload": {"family_id": family_id, "fields": visit_fields(item_id, child_ids, day, **overrides)}}


def families_of(db, username):
    """(practitioner row id, {family id: [child ids]}) of the families assigned to this sign-in."""
    practitioner_id = db.execute("SELECT id FROM practitioners WHERE username = ?", [username]).fetchone()[0]
    families = {}
    for family_id, in db.execute(
            "SELECT family_id FROM assignments WHERE practitioner_id = ? ORDER BY family_id", [practitioner_id]):
        families[family_id] = [row[0] for row in db.execute(
            "SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id])]
    return practitioner_id, families


def visit_ids(db):
    return {row[0] for row in db.execute("SELECT id FROM visit_records")}


def assert_visits_whole(db, seeded_ids):
    """No half-applied visit: every visit record made since `seeded_ids` has its receipt and all its
    children's and home conditions' rows, and every visit receipt its visit record. Returns the
    ids of the visits received."""
    receipts = {row[0] for row in db.execute("SELECT item_id FROM sync_receipts WHERE kind = 'visit'")}
    visits = {row[0]: row[1] for row in db.execute("SELECT id, family_id FROM visit_records")}
    assert set(visits) - set(seeded_ids) == receipts, "a visit record without its receipt, or a receipt without its record"
    for visit_id in receipts:
        children = db.execute("SELECT count(*) FROM children WHERE family_id = ?", [visits[visit_id]]).fetchone()[0]
        recorded = db.execute("SELECT count(*) FROM visit_children WHERE visit_id = ?", [visit_id]).fetchone()[0]
        conditions = db.execute("SELECT count(*) FROM visit_home_conditions WHERE visit_id = ?", [visit_id]).fetchone()[0]
        assert (recorded, conditions) == (children, len(HEADINGS)), f"visit {visit_id} is half applied"
    return receipts
