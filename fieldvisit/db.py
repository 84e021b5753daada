"""The central record: one SQLite database (WAL) opened per request through sqlite-utils."""
import contextlib
import os
import sqlite3

import sqlite_utils
from flask import current_app, g

from fieldvisit import audit
from fieldvisit.migrations import upgrade


class Database(sqlite_utils.Database):
    """sqlite-utils' Database, whose `atomic()` takes the write lock when it begins.

    sqlite-utils begins with a plain (deferred) BEGIN: the transaction reads first and asks for the
    write lock at its first write. In WAL mode, if another connection committed in between, SQLite
    refuses that at once with SQLITE_BUSY (the busy timeout does not apply), and the page answered
    500 (a browser test caught it: a team lead's "Mark done" while the tablet's sync was writing).
    BEGIN IMMEDIATE waits for the lock, up to the busy timeout, as the sync engine's transactions do.
    Nested blocks are savepoints, as before."""

    @contextlib.contextmanager
    def atomic(self):
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise


def connect(path):
    """Open the central record with the settings every connection needs.

    `isolation_level=None` leaves transactions to us (`BEGIN IMMEDIATE` in the
    sync engine, `db.atomic()` elsewhere) instead of the driver's implicit ones.
    """
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    # Every commit is durable (issue 14): in WAL mode NORMAL may roll back the last commits after a
    # power cut, and a commit here may be a visit someone was just told is "saved". FULL costs one
    # fsync of the WAL per commit; the sync engine also insists on it for its acknowledgements.
    conn.execute("PRAGMA synchronous = FULL")
    audit.register_hash_function(conn)
    # Read speed at county scale (issue 13): a 32 MB page cache per connection, sorts and
    # temporary indexes in memory, and reads through a memory map instead of read() calls.
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA mmap_size = 268435456")
    fault_disk_full(conn)
    db = Database(conn)
    if str(path) != ":memory:" and db.journal_mode != "wal":
        db.enable_wal()
    return db


# SQLite's "database or disk is full" (SQLITE_FULL), and the write errors a full disk gives (SQLITE_IOERR).
STORAGE_FULL_CODES = {13, 10}

# A fault-injection hook, for tests and benchmarks/fault_injection.py ONLY (docs/fault-injection.md):
# while the file this variable names exists, every connection opened is limited to the database's
# present size (`PRAGMA max_page_count`), so a write that needs a new page fails as on a full disk.
# Never set it in production.
FAULT_DISK_FULL = "FIELDVISIT_FAULT_DISK_FULL"


def fault_disk_full(conn):
    flag = os.environ.get(FAULT_DISK_FULL)
    if flag and os.path.exists(flag):
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        if pages:
            conn.execute(f"PRAGMA max_page_count = {int(pages)}")


def is_storage_full(error):
    """Whether a SQLite error says the disk (or the database's size limit) is full."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in STORAGE_FULL_CODES
    message = str(error).lower()
    return "disk is full" in message or "disk i/o" in message


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
    finally:
        db.close()


def keep_open(app):
    """Hold one idle connection for the life of the server process, so that a request's connection
    is never the last one closed: closing the last connection checkpoints the whole WAL into the
    database and takes its write lock, which cost a third of a page's time at county scale (issue 13).
    Checkpoints still happen, as SQLite makes them after commits (wal_autocheckpoint)."""
    app.extensions["fieldvisit_keeper"] = connect(app.config["DATABASE"])
