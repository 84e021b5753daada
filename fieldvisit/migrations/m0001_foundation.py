"""People, families, children, scheduled visits, visit records, amendments, audit."""

STATEMENTS = [
    """CREATE TABLE agencies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('childrens_social_care', 'health', 'early_help', 'other'))
    )""",
    """CREATE TABLE teams (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        agency_id INTEGER NOT NULL REFERENCES agencies(id)
    )""",
    """CREATE TABLE practitioners (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('family_support_worker', 'social_worker',
                                         'health_visitor', 'team_lead', 'admin')),
        team_id INTEGER REFERENCES teams(id),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    )""",
    "CREATE INDEX practitioners_team ON practitioners(team_id)",
    """CREATE TABLE families (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        postcode TEXT NOT NULL,
        team_id INTEGER NOT NULL REFERENCES teams(id),
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX families_team ON families(team_id)",
    """CREATE TABLE children (
        id INTEGER PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        date_of_birth TEXT NOT NULL,
        independently_mobile INTEGER NOT NULL CHECK (independently_mobile IN (0, 1)),
        mobility_note TEXT NOT NULL DEFAULT '',
        plan TEXT NOT NULL DEFAULT 'none' CHECK (plan IN ('child_protection', 'child_in_need', 'none')),
        plan_category TEXT,
        plan_start_date TEXT
    )""",
    "CREATE INDEX children_family ON children(family_id)",
    """CREATE TABLE adults (
        id INTEGER PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        name TEXT NOT NULL,
        relationship TEXT NOT NULL,
        lives_in_household INTEGER NOT NULL DEFAULT 1
    )""",
    "CREATE INDEX adults_family ON adults(family_id)",
    """CREATE TABLE assignments (
        family_id INTEGER NOT NULL REFERENCES families(id),
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        PRIMARY KEY (family_id, practitioner_id)
    )""",
    "CREATE INDEX assignments_practitioner ON assignments(practitioner_id)",
    # The rota: mutable scheduling rows. Every change bumps `version` (see OFFLINE.md).
    """CREATE TABLE scheduled_visits (
        id INTEGER PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        visit_type TEXT NOT NULL CHECK (visit_type IN ('planned', 'unannounced')),
        due_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'recorded', 'cancelled')),
        joint INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 1,
        created_by INTEGER REFERENCES practitioners(id),
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX scheduled_visits_practitioner_due ON scheduled_visits(practitioner_id, due_at)",
    "CREATE INDEX scheduled_visits_family_due ON scheduled_visits(family_id, due_at)",
    # Visit records are evidence: append-only. `id` is the id made when the form was opened.
    """CREATE TABLE visit_records (
        id TEXT PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        scheduled_visit_id INTEGER REFERENCES scheduled_visits(id),
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        agency_id INTEGER REFERENCES agencies(id),
        visit_type TEXT NOT NULL CHECK (visit_type IN ('planned', 'unannounced')),
        happened_at TEXT NOT NULL,
        duration_minutes INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('completed', 'no_answer', 'refused_entry', 'not_at_home')),
        regular_visitors TEXT NOT NULL DEFAULT '',
        alcohol_containers TEXT NOT NULL DEFAULT '[]',
        alcohol_smell INTEGER NOT NULL DEFAULT 0,
        intoxication_observed INTEGER NOT NULL DEFAULT 0,
        intoxication_details TEXT NOT NULL DEFAULT '',
        other_substances TEXT NOT NULL DEFAULT '',
        parent_alcohol_account TEXT NOT NULL DEFAULT '',
        child_alone TEXT NOT NULL DEFAULT 'no' CHECK (child_alone IN ('no', 'alone', 'unsuitable_carer')),
        child_alone_details TEXT NOT NULL DEFAULT '',
        analysis TEXT NOT NULL DEFAULT '',
        actions TEXT NOT NULL DEFAULT '',
        next_visit_due TEXT,
        recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE INDEX visit_records_family_happened ON visit_records(family_id, happened_at)",
    "CREATE INDEX visit_records_practitioner ON visit_records(practitioner_id, happened_at)",
    """CREATE TABLE visit_children (
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        child_id INTEGER NOT NULL REFERENCES children(id),
        seen INTEGER NOT NULL CHECK (seen IN (0, 1)),
        seen_alone INTEGER NOT NULL CHECK (seen_alone IN (0, 1)),
        bedroom_seen INTEGER NOT NULL CHECK (bedroom_seen IN (0, 1)),
        found_alone INTEGER NOT NULL DEFAULT 0,
        presentation TEXT NOT NULL DEFAULT '',
        words TEXT NOT NULL DEFAULT '',
        demeanour TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (visit_id, child_id)
    )""",
    "CREATE INDEX visit_children_child ON visit_children(child_id, seen)",
    """CREATE TABLE visit_adults (
        id INTEGER PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        name TEXT NOT NULL,
        relationship TEXT NOT NULL DEFAULT '',
        presence TEXT NOT NULL CHECK (presence IN ('present', 'expected_absent'))
    )""",
    "CREATE INDEX visit_adults_visit ON visit_adults(visit_id)",
    """CREATE TABLE visit_home_conditions (
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        heading TEXT NOT NULL,
        rating TEXT NOT NULL CHECK (rating IN ('good', 'adequate', 'poor', 'not_seen')),
        note TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (visit_id, heading)
    )""",
    # A correction keeps the original: the amendment says which field, the new text and why.
    """CREATE TABLE amendments (
        id TEXT PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        field TEXT NOT NULL,
        original_value TEXT NOT NULL,
        amended_value TEXT NOT NULL,
        reason TEXT NOT NULL,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE INDEX amendments_visit ON amendments(visit_id, received_at)",
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        practitioner_id INTEGER REFERENCES practitioners(id),
        action TEXT NOT NULL CHECK (action IN ('read', 'write', 'sign_in', 'sign_out', 'denied')),
        entity TEXT NOT NULL,
        entity_id TEXT,
        route TEXT NOT NULL
    )""",
    "CREATE INDEX audit_log_entity ON audit_log(entity, entity_id)",
    "CREATE INDEX audit_log_practitioner ON audit_log(practitioner_id, at)",
    # Partnership settings: thresholds of the local safeguarding partnership (SAFEGUARDING.md).
    """CREATE TABLE partnership_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    # Audit rows and evidence rows are never changed or removed.
    """CREATE TRIGGER visit_records_append_only BEFORE UPDATE ON visit_records
       BEGIN SELECT RAISE(ABORT, 'visit records are append-only: add an amendment'); END""",
    """CREATE TRIGGER visit_records_no_delete BEFORE DELETE ON visit_records
       BEGIN SELECT RAISE(ABORT, 'visit records are never deleted'); END""",
    """CREATE TRIGGER amendments_append_only BEFORE UPDATE ON amendments
       BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
