"""A tiny record kind for testing the sync engine on its own, away from the app."""
import sqlite3
import uuid

import sqlite_utils

from sync import Rejected, SyncEngine

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


def note(body, item_id=None, recorded_at="2026-11-20T10:30:00+00:00"):
    return {"id": item_id or str(uuid.uuid4()), "kind": "note", "payload": {"body": body},
            "recorded_at": recorded_at}


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
