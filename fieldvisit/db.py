"""The central record: one SQLite database (WAL) opened per request through sqlite-utils."""
import sqlite3

import sqlite_utils
from flask import current_app, g

from fieldvisit.migrations import upgrade


def connect(path):
    """Open the central record with the settings every connection needs.

    `isolation_level=None` leaves transactions to us (`BEGIN IMMEDIATE` in the
    sync engine, `db.atomic()` elsewhere) instead of the driver's implicit ones.
    """
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")
    # Read speed at county scale (issue 13): a 32 MB page cache per connection, sorts and
    # temporary indexes in memory, and reads through a memory map instead of read() calls.
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA mmap_size = 268435456")
    db = sqlite_utils.Database(conn)
    if str(path) != ":memory:" and db.journal_mode != "wal":
        db.enable_wal()
    return db


def get_db():
    """The request's connection, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exception=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    app.teardown_appcontext(close_db)
    db = connect(app.config["DATABASE"])
    try:
        upgrade(db)
        # Refresh the planner's statistics where they are stale (cheap when they are not).
        db.execute("PRAGMA optimize")
    finally:
        db.close()
