"""Every table that holds evidence is append-only: no row is changed or removed, however it is reached.

A correction is an amendment that keeps the original (PRODUCT.md principle 2); the audit
log and sync receipts are never rewritten.
"""

NEVER_CHANGED = ["visit_children", "visit_adults", "visit_home_conditions", "visit_young_carers", "sync_receipts"]
NEVER_DELETED = NEVER_CHANGED + ["amendments", "audit_log", "body_map_mark_amendments", "alcohol_audits",
                                 "scheduled_visit_changes", "visiting_rules", "conflict_reviews"]


def upgrade(db):
    tables = set(db.table_names())
    for table in NEVER_CHANGED:
        if table in tables:
            db.execute(f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is evidence: it is never changed'); END""")
    for table in NEVER_DELETED:
        if table in tables:
            db.execute(f"""CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is evidence: it is never deleted'); END""")
