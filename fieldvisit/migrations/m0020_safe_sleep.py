"""Rule 12, co-sleeping risk: each baby's sleep answers on a visit, and whether they raised the flag.

A baby's gestation and birth weight (premature < 37 weeks, low birth weight < 2.5 kg) live on
the child's record. Another change may add those two columns first, so they are added here only
when missing.
"""

STATEMENTS = [
    """CREATE TABLE visit_safe_sleep (
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        child_id INTEGER NOT NULL REFERENCES children(id),
        sleep_places TEXT NOT NULL,
        sleep_place_other TEXT NOT NULL DEFAULT '',
        shares_bed INTEGER NOT NULL CHECK (shares_bed IN (0, 1)),
        shares_sofa INTEGER NOT NULL CHECK (shares_sofa IN (0, 1)),
        carer_risks TEXT NOT NULL,
        risk_flagged INTEGER NOT NULL CHECK (risk_flagged IN (0, 1)),
        risk_reasons TEXT NOT NULL,
        PRIMARY KEY (visit_id, child_id)
    )""",
    "CREATE INDEX visit_safe_sleep_child ON visit_safe_sleep(child_id, risk_flagged)",
    """CREATE TRIGGER visit_safe_sleep_append_only BEFORE UPDATE ON visit_safe_sleep
        BEGIN SELECT RAISE(ABORT, 'visit_safe_sleep is evidence: it is never changed'); END""",
    """CREATE TRIGGER visit_safe_sleep_never_deleted BEFORE DELETE ON visit_safe_sleep
        BEGIN SELECT RAISE(ABORT, 'visit_safe_sleep is evidence: it is never deleted'); END""",
]
BIRTH_COLUMNS = {"gestation_weeks": "INTEGER", "birth_weight_kg": "REAL"}


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
    existing = {column.name for column in db["children"].columns}
    for name, kind in BIRTH_COLUMNS.items():
        if name not in existing:
            db.execute(f"ALTER TABLE children ADD COLUMN {name} {kind}")
