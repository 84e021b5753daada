"""The audit log becomes a hash chain (issue 14, tamper-evident audit; fieldvisit/audit.py).

Each entry gets the hash of the entry before it and its own hash; the entries already there
are chained in id order. A trigger refuses an entry that is not the next link of the chain.
"""
from fieldvisit.audit import FIELDS, GENESIS, entry_hash


def upgrade(db):
    db.execute("ALTER TABLE audit_log ADD COLUMN prev_hash TEXT")
    db.execute("ALTER TABLE audit_log ADD COLUMN hash TEXT")
    db.execute("DROP TRIGGER audit_log_append_only")
    previous = GENESIS
    rows = db.conn.execute(f"SELECT {', '.join(FIELDS[:-1])} FROM audit_log ORDER BY id").fetchall()
    for row in rows:
        digest = entry_hash(*row, previous)
        db.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", [previous, digest, row[0]])
        previous = digest
    db.execute("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""")
    db.execute(f"""CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log
       WHEN NEW.hash IS NULL
         OR NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit_log)
         OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '{GENESIS}')
       BEGIN SELECT RAISE(ABORT, 'the audit log is a chain: write entries through fieldvisit.audit.record'); END""")
