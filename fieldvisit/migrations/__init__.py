"""Numbered schema migrations. The database records the highest one applied.

Each migration is a module `mNNNN_name.py` with an `upgrade(db)` function. Add a
new module for every change to the schema; never edit one that has shipped.
"""
import contextlib
import importlib
import pkgutil
import re
from datetime import datetime, timezone

MIGRATION_NAME = re.compile(r"^m(\d{4})_\w+$")


def available():
    """(number, module name) of every migration in this package, in order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = MIGRATION_NAME.match(info.name)
        if match:
            found.append((int(match.group(1)), info.name))
    return sorted(found)


def current_version(db):
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def upgrade(db, target=None):
    """Apply, each in its own transaction, every migration above the current version."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied = current_version(db)
    for number, name in available():
        if number <= applied or (target is not None and number > target):
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        with _write_transaction(db):
            # Look again holding the write lock: another process starting on the same
            # database (`serve` and `demo` at once) may have applied it since we looked.
            if db.execute("SELECT 1 FROM schema_version WHERE version = ?", [number]).fetchone():
                continue
            module.upgrade(db)
            db["schema_version"].insert(
                {"version": number, "name": name,
                 "applied_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            )
    return current_version(db)


@contextlib.contextmanager
def _write_transaction(db):
    """BEGIN IMMEDIATE (the write lock at once), or a savepoint inside a caller's transaction."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
