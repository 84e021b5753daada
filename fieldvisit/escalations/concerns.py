"""Concerns: what a rule puts in front of the team lead without it being an escalation
(rule 9: one Was Not Brought for a child on a child protection plan; possible disguised
compliance). The lead acknowledges each, with who, when and a note."""


class ConcernInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def raise_concern(db, *, family_id, child_id, rule, title, detail, source, origin_kind, origin_id, raised_at):
    """Store a concern once per (rule, origin, child); returns its id."""
    existing = db.execute(
        "SELECT id FROM concerns WHERE rule = ? AND origin_kind = ? AND origin_id = ? AND child_id IS ?",
        [rule, origin_kind, str(origin_id), child_id]).fetchone()
    if existing:
        return existing[0]
    return db["concerns"].insert({
        "family_id": family_id, "child_id": child_id, "rule": rule, "title": title, "detail": detail,
        "source": source, "origin_kind": origin_kind, "origin_id": str(origin_id), "raised_at": raised_at,
    }).last_pk


def has_open_concern(db, child_id, rule):
    return db.execute("SELECT 1 FROM concerns WHERE child_id = ? AND rule = ? AND acknowledged_at IS NULL",
                      [child_id, rule]).fetchone() is not None


def family_and_title(db, concern_id):
    """(family id, title) of a concern, or None when there is no such concern."""
    return db.execute("SELECT family_id, title FROM concerns WHERE id = ?", [concern_id]).fetchone()


def acknowledge_concern(db, concern_id, practitioner_id, at, note=""):
    row = db.execute("SELECT acknowledged_at FROM concerns WHERE id = ?", [concern_id]).fetchone()
    if row is None:
        raise ConcernInvalid({"concern": "That concern does not exist."})
    if row[0] is not None:
        return False
    db.execute("UPDATE concerns SET acknowledged_at = ?, acknowledged_by = ?, acknowledged_note = ? WHERE id = ?",
               [at, practitioner_id, note.strip(), concern_id])
    return True


def open_concerns(db, families_sql, params):
    """Concerns not yet acknowledged for these families, newest first, with the child's name."""
    return list(db.query(
        "SELECT k.*, c.first_name, c.last_name, f.name AS family_name FROM concerns k"
        " JOIN families f ON f.id = k.family_id LEFT JOIN children c ON c.id = k.child_id"
        f" WHERE k.acknowledged_at IS NULL AND k.family_id IN ({families_sql})"
        " ORDER BY k.raised_at DESC", params))


def concerns_for_child(db, child_id):
    return list(db.query(
        "SELECT k.*, p.display_name AS acknowledged_by_name FROM concerns k"
        " LEFT JOIN practitioners p ON p.id = k.acknowledged_by WHERE k.child_id = ? ORDER BY k.raised_at DESC",
        [child_id]))
