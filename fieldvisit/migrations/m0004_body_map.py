"""Body maps: marks recorded on a figure at a visit, their amendments, and the escalations they raised."""

STATEMENTS = [
    # One body map per visit and child, made by its first mark (or by completing it with no marks).
    # Completing it locks it: after that every change is an amendment.
    """CREATE TABLE body_maps (
        id INTEGER PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        child_id INTEGER NOT NULL REFERENCES children(id),
        family_id INTEGER NOT NULL REFERENCES families(id),
        started_at TEXT NOT NULL,
        started_by INTEGER NOT NULL REFERENCES practitioners(id),
        completed_at TEXT,
        completed_by INTEGER REFERENCES practitioners(id),
        completion_id TEXT UNIQUE,
        UNIQUE (visit_id, child_id)
    )""",
    "CREATE INDEX body_maps_child ON body_maps(child_id)",
    "CREATE INDEX body_maps_family ON body_maps(family_id)",
    # A mark is evidence: append-only. `id` is the id made when the form was opened.
    """CREATE TABLE body_map_marks (
        id TEXT PRIMARY KEY,
        body_map_id INTEGER NOT NULL REFERENCES body_maps(id),
        child_id INTEGER NOT NULL REFERENCES children(id),
        number INTEGER NOT NULL,
        figure TEXT NOT NULL CHECK (figure IN ('baby', 'toddler', 'child', 'young_person')),
        view TEXT NOT NULL CHECK (view IN ('front', 'back', 'head', 'hands', 'feet')),
        x REAL NOT NULL,
        y REAL NOT NULL,
        region TEXT NOT NULL,
        region_label TEXT NOT NULL,
        placed_by TEXT NOT NULL CHECK (placed_by IN ('tap', 'list')),
        mark_type TEXT NOT NULL CHECK (mark_type IN ('bruise', 'possible_bruise', 'graze', 'cut', 'burn',
                                                     'scald', 'bite', 'other')),
        other_type TEXT NOT NULL DEFAULT '',
        length_cm REAL NOT NULL CHECK (length_cm > 0),
        width_cm REAL CHECK (width_cm IS NULL OR width_cm > 0),
        shape TEXT NOT NULL,
        shape_details TEXT NOT NULL DEFAULT '',
        colours TEXT NOT NULL DEFAULT '[]',
        colour_details TEXT NOT NULL DEFAULT '',
        skin_broken TEXT NOT NULL,
        swelling TEXT NOT NULL,
        surface TEXT NOT NULL DEFAULT '[]',
        pain TEXT NOT NULL,
        explanation_by TEXT NOT NULL CHECK (explanation_by IN ('child', 'carer', 'other', 'none')),
        explanation_by_other TEXT NOT NULL DEFAULT '',
        explanation TEXT NOT NULL DEFAULT '',
        consistent TEXT CHECK (consistent IS NULL OR consistent IN ('yes', 'no', 'unsure')),
        believed_birthmark INTEGER NOT NULL DEFAULT 0 CHECK (believed_birthmark IN (0, 1)),
        birthmark_confirmed_by TEXT NOT NULL DEFAULT '',
        birthmark_confirmer_profession TEXT NOT NULL DEFAULT '',
        birthmark_confirmed_on TEXT,
        pattern TEXT NOT NULL DEFAULT 'none'
            CHECK (pattern IN ('none', 'hand', 'grip', 'ligature', 'implement', 'bite')),
        clustered INTEGER NOT NULL DEFAULT 0 CHECK (clustered IN (0, 1)),
        notes TEXT NOT NULL DEFAULT '',
        observed_at TEXT NOT NULL,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        recorder_role TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        UNIQUE (body_map_id, number)
    )""",
    "CREATE INDEX body_map_marks_child_observed ON body_map_marks(child_id, observed_at)",
    # A correction of a mark keeps the original: what changed, the whole mark as amended, who and why.
    """CREATE TABLE body_map_mark_amendments (
        id TEXT PRIMARY KEY,
        mark_id TEXT NOT NULL REFERENCES body_map_marks(id),
        changes TEXT NOT NULL,
        amended TEXT NOT NULL,
        reason TEXT NOT NULL,
        practitioner_id INTEGER NOT NULL REFERENCES practitioners(id),
        recorder_role TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE INDEX body_map_mark_amendments_mark ON body_map_mark_amendments(mark_id, received_at)",
    # Which marks raised (or raised again) each escalation; the escalation itself is one per body map and rule.
    """CREATE TABLE body_map_escalation_marks (
        escalation_id INTEGER NOT NULL REFERENCES escalations(id),
        mark_id TEXT NOT NULL REFERENCES body_map_marks(id),
        PRIMARY KEY (escalation_id, mark_id)
    )""",
    "CREATE INDEX body_map_escalation_marks_mark ON body_map_escalation_marks(mark_id)",
    """CREATE TRIGGER body_map_marks_append_only BEFORE UPDATE ON body_map_marks
       BEGIN SELECT RAISE(ABORT, 'body-map marks are append-only: add an amendment'); END""",
    """CREATE TRIGGER body_map_marks_no_delete BEFORE DELETE ON body_map_marks
       BEGIN SELECT RAISE(ABORT, 'body-map marks are never deleted'); END""",
    """CREATE TRIGGER body_map_mark_amendments_append_only BEFORE UPDATE ON body_map_mark_amendments
       BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END""",
    """CREATE TRIGGER body_maps_locked BEFORE UPDATE ON body_maps WHEN OLD.completed_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a completed body map is locked: add an amendment'); END""",
    """CREATE TRIGGER body_maps_no_delete BEFORE DELETE ON body_maps
       BEGIN SELECT RAISE(ABORT, 'body maps are never deleted'); END""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
