"""Each child's visits by time, kept beside the evidence so that a page reads a child's latest visits
from one index instead of joining every visit the child ever had (issue 13: Today, the family and
child pages and the dashboard took 40-80x longer once 40,000 visits were stored).

`child_visit_history` is derived, never entered: a trigger adds a row whenever a child is recorded
on a visit (in the same transaction, so it holds exactly the rows of visit_children), and this
migration fills it from the visits already stored. Visit records and their children are
append-only, so the rows never change.
"""
STATEMENTS = [
    """CREATE TABLE child_visit_history (
        child_id INTEGER NOT NULL REFERENCES children(id),
        happened_at TEXT NOT NULL,
        visit_id TEXT NOT NULL REFERENCES visit_records(id),
        completed INTEGER NOT NULL,
        seen INTEGER NOT NULL,
        seen_alone INTEGER NOT NULL,
        bedroom_seen INTEGER NOT NULL,
        PRIMARY KEY (child_id, happened_at, visit_id)
    ) WITHOUT ROWID""",
    """INSERT INTO child_visit_history (child_id, happened_at, visit_id, completed, seen, seen_alone, bedroom_seen)
       SELECT vc.child_id, v.happened_at, vc.visit_id, v.outcome = 'completed', vc.seen, vc.seen_alone, vc.bedroom_seen
       FROM visit_children vc JOIN visit_records v ON v.id = vc.visit_id""",
    """CREATE TRIGGER child_visit_history_add AFTER INSERT ON visit_children
       BEGIN
         INSERT INTO child_visit_history (child_id, happened_at, visit_id, completed, seen, seen_alone, bedroom_seen)
         SELECT NEW.child_id, v.happened_at, NEW.visit_id, v.outcome = 'completed', NEW.seen, NEW.seen_alone,
                NEW.bedroom_seen
         FROM visit_records v WHERE v.id = NEW.visit_id;
       END""",
    """CREATE TRIGGER child_visit_history_append_only BEFORE UPDATE ON child_visit_history
       BEGIN SELECT RAISE(ABORT, 'child_visit_history follows visit_children: it is never changed'); END""",
]


def upgrade(db):
    for statement in STATEMENTS:
        db.execute(statement)
