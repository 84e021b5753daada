"""Backups and restores of the central record with SQLite's online backup API (issue 14).

A backup reads the live database in one read transaction: in WAL mode writers (the web app,
tablets pushing) go on meanwhile, and the copy is the database as it was at one instant. The
copy is written beside the destination, checked (PRAGMA integrity_check and the audit chain),
made a single self-contained file (journal_mode DELETE), flushed to disk and only then renamed
into place, so a failed backup leaves neither a half copy nor any change to the live database.

A restore checks the backup first, keeps the database it replaces as a backup beside it, and
copies the backup in through the same API, in one write transaction: a restore that fails
half way leaves the live database as it was.
"""
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from fieldvisit import audit


class BackupError(Exception):
    """A backup or restore that could not be done; the live database is untouched."""


def _open(path):
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    audit.register_hash_function(conn)
    return conn


def check(path):
    """(audit entries, (head id, head hash)) of a good database file; BackupError saying what is wrong."""
    if not Path(path).is_file():
        raise BackupError(f"There is no file at {path}.")
    conn = _open(path)
    try:
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not a Fieldvisit database ({error}).") from None
        if result != ["ok"]:
            raise BackupError(f"{path} fails SQLite's integrity check: {'; '.join(result[:5])}")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "audit_log" not in tables or "schema_version" not in tables:
            raise BackupError(f"{path} is not a Fieldvisit database (it has no audit log).")
        from sqlite_utils import Database
        db = Database(conn)
        count, problem = audit.verify(db)
        if problem:
            raise BackupError(f"The audit log of {path} has been tampered with: entry {problem[0]} is the first "
                              f"bad entry: {problem[1]}.")
        return count, audit.head(db)
    finally:
        conn.close()


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(live_path, destination, force=False, checked=True):
    """Copy the live database to `destination`, checked; (audit entries, head). Unchecked only to keep
    a database that a restore replaces, whatever state it is in."""
    live_path, destination = Path(live_path), Path(destination)
    if not live_path.is_file():
        raise BackupError(f"There is no database at {live_path} to back up.")
    if destination.resolve() == live_path.resolve():
        raise BackupError("The backup must go to another file than the live database.")
    if destination.exists() and not force:
        raise BackupError(f"{destination} already exists: choose another name, or add --force to replace it.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source, target = _open(live_path), sqlite3.connect(str(partial), isolation_level=None)
        try:
            source.backup(target)  # all pages in one step: one consistent instant of the live database
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
            source.close()
        summary = check(partial) if checked else None
        _fsync(partial)
        os.replace(partial, destination)
        _fsync(destination.parent)
        return summary
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def state_of(path):
    """'missing', 'good' (a database with a schema) or 'damaged' (a file SQLite cannot read whole)."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return "missing"
    conn = _open(path)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            return "damaged"
        has_schema = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'").fetchone()[0]
        return "good" if has_schema else "missing"
    except sqlite3.DatabaseError:
        return "damaged"
    finally:
        conn.close()


def _set_aside(live_path, kept):
    """Move a damaged database (and its WAL and shared-memory files) aside, as they are."""
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(live_path) + suffix)
        if part.exists():
            os.replace(part, Path(str(kept) + suffix))


def restore(backup_path, live_path, force=False, now=None):
    """Replace the live database's content with the backup's; (audit entries, head, where the replaced
    database was kept or None)."""
    backup_path, live_path = Path(backup_path), Path(live_path)
    if backup_path.resolve() == live_path.resolve():
        raise BackupError("The backup and the live database are the same file.")
    summary = check(backup_path)
    state, kept = state_of(live_path), None
    if state != "missing":
        if not force:
            raise BackupError(f"{live_path} already holds a database{' (damaged)' if state == 'damaged' else ''}. "
                              "Restoring replaces everything in it: if that is what you want, run again with --force "
                              "(the database there now is kept beside it).")
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
        kept = live_path.with_name(f"{live_path.name}.replaced-{stamp}")
        if state == "good":
            backup(live_path, kept, checked=False)
        else:
            _set_aside(live_path, kept)
    live_path.parent.mkdir(parents=True, exist_ok=True)
    source, target = _open(backup_path), _open(live_path)
    try:
        source.backup(target)  # one write transaction on the live database: all or nothing
    except sqlite3.Error as error:
        raise BackupError(f"The restore failed and changed nothing: {error}") from None
    finally:
        target.close()
        source.close()
    return summary[0], summary[1], kept
