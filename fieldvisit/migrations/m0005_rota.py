"""Team leads: visiting rules per child, the rota's change history, was not brought,
AUDIT alcohol self-assessments, concerns for the lead, and young carers on a visit."""

STATEMENTS = [
    # Rule 15: a child's plan carries its visiting rules. A change adds a row (who, when, why);
    # the latest row is the rule in force. No row: the partnership's defaults for the plan.
    """CREATE TABLE visiting_rules (
        id INTEGER PRIMARY KEY,
        child_id INTEGER NOT NULL REFERENCES children(id),
        every_working_days INTEGER NOT NULL CHECK (every_working_days > 0),
        seen_alone_every_visits INTEGER NOT NULL CHECK (seen_alone_every_visits > 0),
        bedroom_seen_every_visits INTEGER NOT NULL CHECK (bedroom_seen_every_visits > 0),
        unannounced INTEGER NOT NULL DEFAULT 0 CHECK (unannounced IN (0, 1)),
        reason TEXT NOT NULL,
        set_by INTEGER NOT NULL REFERENCES practitioners(id),
        set_at TEXT NOT NULL
    )""",
    "CREATE INDEX visiting_rules_child ON visiting_rules(child_id, id)",
    """CREATE TRIGGER visiting_rules_append_only BEFORE UPDATE ON visiting_rules
       BEGIN SELECT RAISE(ABORT, 'visiting rules are append-only: add a new row'); END""",
    # Every change to a scheduled visit: who, when, why, and the row before and after.
    """CREATE TABLE scheduled_visit_changes (
        id INTEGER PRIMARY KEY,
        scheduled_visit_id INTEGER NOT NULL REFERENCES scheduled_visits(id),
        version INTEGER NOT NULL,
        change TEXT NOT NULL CHECK (change IN ('scheduled', 'changed', 'cancelled')),
        reason TEXT NOT NULL DEFAULT '',
        changed_by INTEGER NOT NULL REFERENCES practitioners(id),
        changed_at TEXT NOT NULL,
        before TEXT,
        after TEXT NOT NULL,
        UNIQUE (scheduled_visit_id, version)
    )""",
    """CREATE TRIGGER scheduled_visit_changes_append_only BEFORE UPDATE ON scheduled_visit_changes
       BEGIN SELECT RAISE(ABORT, 'the rota history is append-only'); END""",
    "CREATE INDEX scheduled_visits_due ON scheduled_visits(due_at)",
    # Rules 8-9: missed appointments (was not brought) and parents' cancellations, per child.
    """CREATE TABLE appointment_events (
        id TEXT PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        child_id INTEGER NOT NULL REFERENCES children(id),
        event TEXT NOT NULL CHECK (event IN ('was_not_brought', 'cancelled_by_parent', 'rearranged_by_parent')),
        appointment TEXT NOT NULL,
        service TEXT NOT NULL,
        appointment_date TEXT NOT NULL,
        rearranged_to TEXT,
        note TEXT NOT NULL DEFAULT '',
        recorded_by INTEGER NOT NULL REFERENCES practitioners(id),
        recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE INDEX appointment_events_child ON appointment_events(child_id, event, appointment_date)",
    """CREATE TRIGGER appointment_events_append_only BEFORE UPDATE ON appointment_events
       BEGIN SELECT RAISE(ABORT, 'missed appointments are append-only'); END""",
    """CREATE TRIGGER appointment_events_no_delete BEFORE DELETE ON appointment_events
       BEGIN SELECT RAISE(ABORT, 'missed appointments are never deleted'); END""",
    # Rule 14: AUDIT-C, and the full AUDIT when AUDIT-C is positive, done with a parent on a visit.
    """CREATE TABLE alcohol_audits (
        id TEXT PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        family_id INTEGER NOT NULL REFERENCES families(id),
        adult_name TEXT NOT NULL,
        q1 INTEGER NOT NULL CHECK (q1 BETWEEN 0 AND 4),
        q2 INTEGER NOT NULL CHECK (q2 BETWEEN 0 AND 4),
        q3 INTEGER NOT NULL CHECK (q3 BETWEEN 0 AND 4),
        audit_c_score INTEGER NOT NULL,
        full_audit TEXT NOT NULL CHECK (full_audit IN ('not_offered', 'answered', 'declined')),
        q4 INTEGER CHECK (q4 BETWEEN 0 AND 4),
        q5 INTEGER CHECK (q5 BETWEEN 0 AND 4),
        q6 INTEGER CHECK (q6 BETWEEN 0 AND 4),
        q7 INTEGER CHECK (q7 BETWEEN 0 AND 4),
        q8 INTEGER CHECK (q8 BETWEEN 0 AND 4),
        q9 INTEGER CHECK (q9 IN (0, 2, 4)),
        q10 INTEGER CHECK (q10 IN (0, 2, 4)),
        audit_score INTEGER,
        recorded_by INTEGER NOT NULL REFERENCES practitioners(id),
        recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE INDEX alcohol_audits_visit ON alcohol_audits(visit_id)",
    "CREATE INDEX alcohol_audits_family ON alcohol_audits(family_id, recorded_at)",
    """CREATE TRIGGER alcohol_audits_append_only BEFORE UPDATE ON alcohol_audits
       BEGIN SELECT RAISE(ABORT, 'alcohol self-assessments are append-only'); END""",
    # Rule 9: what the lead should know about without it being an escalation (one was not
    # brought on a child protection plan; possible disguised compliance). The lead acknowledges it.
    """CREATE TABLE concerns (
        id INTEGER PRIMARY KEY,
        family_id INTEGER NOT NULL REFERENCES families(id),
        child_id INTEGER REFERENCES children(id),
        rule TEXT NOT NULL,
        title TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL,
        origin_kind TEXT NOT NULL,
        origin_id TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by INTEGER REFERENCES practitioners(id),
        acknowledged_note TEXT NOT NULL DEFAULT '',
        UNIQUE (rule, origin_kind, origin_id, child_id)
    )""",
    "CREATE INDEX concerns_family_open ON concerns(family_id, acknowledged_at)",
    # A record's page lists the escalations it raised (the UNIQUE index starts with the rule).
    "CREATE INDEX escalations_origin ON escalations(origin_kind, origin_id)",
    # Rule 11: an older child found looking after a brother or sister on a visit.
    """CREATE TABLE visit_young_carers (
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        child_id INTEGER NOT NULL REFERENCES children(id),
        PRIMARY KEY (visit_id, child_id)
    )""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
