"""Families, children, adults, plans, mobility and assignments managed in the app (issue 10).

Families gain the case system's reference, known risks at the address, the lead agency and
closing; children gain sex, NHS number, school, disability, gestation and birth weight (rule
12 reads them), structured mobility (rule 1) and a plan review date; plans, mobility and
assignments keep their history; every edit is kept in `record_changes` (who, when, before
and after). Existing mobility, plans and assignments are carried over, nothing is dropped.
"""
import re

PLAN_CHECK_BEFORE = "CHECK (plan IN ('child_protection', 'child_in_need', 'none'))"
PLAN_CHECK_AFTER = ("CHECK (plan IN ('child_protection', 'child_in_need', 'looked_after', 'early_help',"
                    " 'none'))")
MOBILITY_STAGES = ("'not_yet_rolling', 'rolling', 'sitting', 'bottom_shuffling', 'crawling',"
                   " 'pulling_to_stand', 'cruising', 'walking', 'not_mobile_disability'")

STATEMENTS = [
    "ALTER TABLE families ADD COLUMN known_risks TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE families ADD COLUMN lead_agency TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE families ADD COLUMN case_reference TEXT",
    "ALTER TABLE families ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed'))",
    "ALTER TABLE families ADD COLUMN closed_on TEXT",
    "ALTER TABLE families ADD COLUMN closed_reason TEXT NOT NULL DEFAULT ''",
    # Imports are idempotent by the case system's reference: one family per reference.
    "CREATE UNIQUE INDEX families_case_reference ON families(case_reference) WHERE case_reference IS NOT NULL",
    "ALTER TABLE children ADD COLUMN case_reference TEXT",
    "ALTER TABLE children ADD COLUMN sex TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE children ADD COLUMN nhs_number TEXT",
    "ALTER TABLE children ADD COLUMN school TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE children ADD COLUMN disability TEXT NOT NULL DEFAULT ''",
    # Rule 12 (co-sleeping): premature (< 37 weeks) or low birth weight (< 2.5 kg).
    "ALTER TABLE children ADD COLUMN gestation_weeks INTEGER CHECK (gestation_weeks IS NULL OR gestation_weeks BETWEEN 20 AND 45)",
    "ALTER TABLE children ADD COLUMN birth_weight_kg REAL CHECK (birth_weight_kg IS NULL OR birth_weight_kg BETWEEN 0.2 AND 8)",
    # Rule 1: the latest mobility recorded; `independently_mobile` is kept in step with it.
    f"ALTER TABLE children ADD COLUMN mobility TEXT CHECK (mobility IS NULL OR mobility IN ({MOBILITY_STAGES}))",
    "ALTER TABLE children ADD COLUMN mobility_recorded_on TEXT",
    "ALTER TABLE children ADD COLUMN mobility_recorded_by INTEGER REFERENCES practitioners(id)",
    "ALTER TABLE children ADD COLUMN plan_review_date TEXT",
    "CREATE INDEX children_case_reference ON children(family_id, case_reference)",
    "ALTER TABLE adults ADD COLUMN phone TEXT NOT NULL DEFAULT ''",
    f"""CREATE TABLE child_mobility (
        id INTEGER PRIMARY KEY,
        child_id INTEGER NOT NULL REFERENCES children(id),
        mobility TEXT CHECK (mobility IS NULL OR mobility IN ({MOBILITY_STAGES})),
        independently_mobile INTEGER NOT NULL CHECK (independently_mobile IN (0, 1)),
        note TEXT NOT NULL DEFAULT '',
        recorded_on TEXT,
        recorded_by INTEGER REFERENCES practitioners(id),
        recorded_at TEXT NOT NULL,
        visit_id TEXT REFERENCES visit_records(id)
    )""",
    "CREATE INDEX child_mobility_child ON child_mobility(child_id, id)",
    # Every plan a child has had; the one with no end date is in force (mirrored on `children`).
    """CREATE TABLE child_plans (
        id INTEGER PRIMARY KEY,
        child_id INTEGER NOT NULL REFERENCES children(id),
        plan TEXT NOT NULL CHECK (plan IN ('child_protection', 'child_in_need', 'looked_after', 'early_help')),
        category TEXT,
        start_date TEXT NOT NULL,
        review_date TEXT,
        end_date TEXT,
        end_reason TEXT,
        recorded_by INTEGER REFERENCES practitioners(id),
        recorded_at TEXT NOT NULL
    )""",
    "CREATE INDEX child_plans_child ON child_plans(child_id, id)",
    # `assignments` holds the assignments in force (need to know reads it); this keeps every one, ended too.
    """CREATE TABLE assignment_history (
        id INTEGER PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        started_on TEXT NOT NULL,
        started_by INTEGER REFERENCES practitioners(id),
        ended_on TEXT,
        ended_by INTEGER REFERENCES practitioners(id),
        end_reason TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX assignment_history_family ON assignment_history(family_id, practitioner_id)",
    # Every edit of a family, child, adult, plan or assignment: who, when, before and after.
    """CREATE TABLE record_changes (
        id INTEGER PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        entity TEXT NOT NULL CHECK (entity IN ('family', 'child', 'adult', 'plan', 'mobility', 'assignment')),
        entity_id INTEGER NOT NULL,
        change TEXT NOT NULL,
        before TEXT NOT NULL DEFAULT '{}',
        after TEXT NOT NULL DEFAULT '{}',
        reason TEXT NOT NULL DEFAULT '',
        changed_by INTEGER REFERENCES practitioners(id),
        changed_at TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'page'
    )""",
    "CREATE INDEX record_changes_family ON record_changes(family_id, id)",
    "CREATE INDEX record_changes_entity ON record_changes(entity, entity_id)",
    """CREATE TRIGGER record_changes_append_only BEFORE UPDATE ON record_changes
       BEGIN SELECT RAISE(ABORT, 'record_changes is evidence: it is never changed'); END""",
    """CREATE TRIGGER record_changes_never_deleted BEFORE DELETE ON record_changes
       BEGIN SELECT RAISE(ABORT, 'record_changes is evidence: it is never deleted'); END""",
    """CREATE TRIGGER child_mobility_never_deleted BEFORE DELETE ON child_mobility
       BEGIN SELECT RAISE(ABORT, 'child_mobility is a history: it is never deleted'); END""",
    """CREATE TRIGGER child_plans_never_deleted BEFORE DELETE ON child_plans
       BEGIN SELECT RAISE(ABORT, 'child_plans is a history: it is never deleted'); END""",
    """CREATE TRIGGER assignment_history_never_deleted BEFORE DELETE ON assignment_history
       BEGIN SELECT RAISE(ABORT, 'assignment_history is a history: it is never deleted'); END""",
    """CREATE TRIGGER families_never_deleted BEFORE DELETE ON families
       BEGIN SELECT RAISE(ABORT, 'a family is closed or transferred, never deleted'); END""",
    """CREATE TRIGGER children_never_deleted BEFORE DELETE ON children
       BEGIN SELECT RAISE(ABORT, 'children are never deleted'); END""",
]


def allow_more_plans(db):
    """Loosen the CHECK on children.plan to the plans of issue 10.

    SQLite cannot alter a CHECK constraint, and rebuilding `children` is refused while
    foreign keys are on (they cannot be switched off inside the migration's transaction).
    Loosening a CHECK changes no stored data, so it is done the way SQLite documents for
    such changes (sqlite.org/lang_altertable.html#otheralter): rewrite the table's SQL and
    bump the schema version.
    """
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'children'").fetchone()[0]
    if PLAN_CHECK_BEFORE not in sql:
        raise RuntimeError("children.plan's CHECK is not the one this migration expects")
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'children'",
                   [sql.replace(PLAN_CHECK_BEFORE, PLAN_CHECK_AFTER)])
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")


# What the free-text mobility notes of earlier records say, most specific first.
NOTE_STAGES = [
    (re.compile(r"disab|palsy|not independently mobile", re.I), "not_mobile_disability"),
    (re.compile(r"not yet rolling", re.I), "not_yet_rolling"),
    (re.compile(r"\bwalk", re.I), "walking"),
    (re.compile(r"cruis", re.I), "cruising"),
    (re.compile(r"pull", re.I), "pulling_to_stand"),
    (re.compile(r"shuffl", re.I), "bottom_shuffling"),
    (re.compile(r"(?<!not )crawl", re.I), "crawling"),
    (re.compile(r"\bsit", re.I), "sitting"),
    (re.compile(r"\brol", re.I), "rolling"),
]
MOBILE = {"bottom_shuffling", "crawling", "pulling_to_stand", "cruising", "walking"}


def stage_from_note(note, mobile):
    """The structured stage an earlier note names, if it agrees with the yes/no recorded; else None."""
    for pattern, stage in NOTE_STAGES:
        if pattern.search(note or ""):
            return stage if (stage in MOBILE) == bool(mobile) else None
    return None


def carry_over(db):
    """Mobility, plans and assignments recorded before issue 10 become their first history rows."""
    now = db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now', 'localtime')").fetchone()[0]
    for child in db.execute("SELECT id, independently_mobile, mobility_note, plan, plan_category,"
                            " plan_start_date FROM children").fetchall():
        child_id, mobile, note, plan, category, start = child
        stage = stage_from_note(note, mobile)
        # The yes/no and the note are kept as they were; the stage only where the note says it.
        db.execute("UPDATE children SET mobility = ? WHERE id = ?", [stage, child_id])
        db.execute("INSERT INTO child_mobility (child_id, mobility, independently_mobile, note, recorded_at)"
                   " VALUES (?, ?, ?, ?, ?)", [child_id, stage, mobile, note or "", now])
        if plan != "none":
            # recorded_at is the plan's start: visiting rules set since then belong to this plan.
            db.execute("INSERT INTO child_plans (child_id, plan, category, start_date, recorded_at)"
                       " VALUES (?, ?, ?, ?, ?)", [child_id, plan, category, start or now[:10], start or ""])
    db.execute("INSERT INTO assignment_history (family_id, practitioner_id, started_on)"
               " SELECT a.family_id, a.practitioner_id, substr(f.created_at, 1, 10)"
               " FROM assignments a JOIN families f ON f.id = a.family_id")


def upgrade(db):
    allow_more_plans(db)
    for statement in STATEMENTS:
        db.execute(statement)
    carry_over(db)
