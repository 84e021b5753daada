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
    WHERE p.team_id = :team_id"""


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
