"""Sync conflicts kept for review: the conflicts of a lead's team and the lead's review of one.
Plain functions over `db` (no Flask)."""
import json

# Conflicts of items sent by a practitioner of the lead's team.
TEAM_CONFLICTS_SQL = """
    SELECT c.id, c.item_id, c.kind, c.payload, c.received_at, c.device_id,
           p.display_name AS author_name, r.ref, r.received_at AS first_received_at,
           v.reviewed_at, v.note AS review_note, reviewer.display_name AS reviewer_name
    FROM sync_conflicts c
    JOIN practitioners p ON p.id = c.author_id
    LEFT JOIN sync_receipts r ON r.item_id = c.item_id
    LEFT JOIN conflict_reviews v ON v.conflict_id = c.id
    LEFT JOIN practitioners reviewer ON reviewer.id = v.reviewed_by
    WHERE p.team_id = :team_id AND c.reason = ''"""


def team_conflicts(db, lead, open_only=False):
    sql = TEAM_CONFLICTS_SQL + (" AND v.conflict_id IS NULL" if open_only else "") + " ORDER BY c.received_at DESC"
    rows = list(db.query(sql, {"team_id": lead["team_id"]}))
    for row in rows:
        payload = json.loads(row["payload"])
        row["fields"] = payload.get("fields", {}) if isinstance(payload, dict) else {}
    return rows


def record_review(db, conflict_id, reviewed_by, reviewed_at, note):
    """The lead's decision about the second copy; both copies stay as they are."""
    db["conflict_reviews"].insert({
        "conflict_id": conflict_id, "reviewed_by": reviewed_by, "reviewed_at": reviewed_at, "note": note})


# --- items kept from a revoked device (issue 14, item 5) -------------------------------------------

KEPT_SQL = """
    SELECT c.id, c.item_id, c.kind, c.payload, c.received_at, c.recorded_at, c.clock_offset_ms, c.device_id,
           c.family_id, c.author_id, c.content_hash, p.display_name AS author_name, p.team_id AS author_team_id,
           f.name AS family_name, f.team_id AS family_team_id,
           v.reviewed_at, v.note AS review_note, v.decision, reviewer.display_name AS reviewer_name,
           r.ref AS stored_ref
    FROM sync_conflicts c
    JOIN practitioners p ON p.id = c.author_id
    LEFT JOIN families f ON f.id = c.family_id
    LEFT JOIN conflict_reviews v ON v.conflict_id = c.id
    LEFT JOIN practitioners reviewer ON reviewer.id = v.reviewed_by
    LEFT JOIN sync_receipts r ON r.item_id = c.item_id AND r.content_hash = c.content_hash
    WHERE c.reason = 'revoked_device'"""


def team_kept_items(db, lead, visible_family_ids, open_only=False):
    """Items kept from revoked devices that this lead may see: about a family the lead sees (need to
    know), or, when the central record does not know the family yet (a mark for a visit also kept
    aside), sent by a practitioner of the lead's team."""
    rows = []
    for row in db.query(KEPT_SQL + (" AND v.conflict_id IS NULL" if open_only else "") + " ORDER BY c.received_at, c.id"):
        mine = (row["family_id"] in visible_family_ids if row["family_id"] is not None
                else row["author_team_id"] == lead["team_id"])
        if mine:
            payload = json.loads(row["payload"])
            row["fields"] = payload.get("fields", {}) if isinstance(payload, dict) else {}
            rows.append(row)
    return rows


def author_of(db, practitioner_id):
    """The author of a kept item as the sync engine's appliers see a signed-in practitioner (an
    account deactivated since still wrote what it wrote)."""
    return next(db.query(
        "SELECT p.id, p.username, p.display_name, p.role, p.team_id, p.active, p.sessions_from,"
        " t.name AS team_name, t.agency_id, a.name AS agency_name"
        " FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id"
        " LEFT JOIN agencies a ON a.id = t.agency_id WHERE p.id = ?", [practitioner_id]), None)


def record_decision(db, conflict_id, reviewed_by, reviewed_at, note, decision):
    """The lead's decision about an item kept from a revoked device: 'accepted' or 'set_aside'."""
    db["conflict_reviews"].insert({"conflict_id": conflict_id, "reviewed_by": reviewed_by,
                                   "reviewed_at": reviewed_at, "note": note, "decision": decision})


# --- times corrected for a tablet's clock (issue 14, "A wrong tablet clock") ---------------------

CORRECTED_SQL = """
    SELECT o.item_id, o.kind, o.clock_offset_ms, o.device_recorded_at, o.corrected_recorded_at, o.received_at,
           p.display_name AS author_name, r.ref
    FROM sync_clock_offsets o
    JOIN practitioners p ON p.id = o.author_id
    JOIN sync_receipts r ON r.item_id = o.item_id
    WHERE p.team_id = :team_id AND abs(o.clock_offset_ms) > :noticeable
    ORDER BY o.received_at DESC LIMIT :limit"""


def team_clock_corrections(db, lead, noticeable_ms, limit=200):
    """Items of the lead's team sent from a tablet whose clock was noticeably off, latest first."""
    return list(db.query(CORRECTED_SQL, {"team_id": lead["team_id"], "noticeable": noticeable_ms, "limit": limit}))


def clock_correction_of(db, item_id, noticeable_ms):
    """The clock correction kept with one stored item, if its tablet's clock was noticeably off."""
    return next(db.query("SELECT clock_offset_ms, device_recorded_at, corrected_recorded_at FROM sync_clock_offsets"
                         " WHERE item_id = ? AND abs(clock_offset_ms) > ?", [item_id, noticeable_ms]), None)
