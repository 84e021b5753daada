"""What the central record holds of a practitioner's own recent records, for "My records" on the
tablet (issue 12, item 4): the sent ones, beside what the tablet's outbox still holds."""
from fieldvisit import access

# Each record opens at its page: a visit, AUDIT-C and an amendment at the visit's page; a body-map
# mark (or its correction) at the body map of its visit and child; a Was Not Brought event at the
# child's Was Not Brought page (issue 12, item 4).
MY_RECORDS_SQL = """
WITH mine AS (
  SELECT r.item_id, r.kind, r.recorded_at, r.received_at,
    CASE r.kind
      WHEN 'visit' THEN r.ref
      WHEN 'amendment' THEN (SELECT visit_id FROM amendments WHERE id = r.ref)
      WHEN 'alcohol_audit' THEN (SELECT visit_id FROM alcohol_audits WHERE id = r.ref)
      WHEN 'bodymap_mark' THEN (SELECT b.visit_id FROM body_map_marks m JOIN body_maps b ON b.id = m.body_map_id
                                WHERE m.id = r.ref)
      WHEN 'bodymap_mark_amendment' THEN (SELECT b.visit_id FROM body_map_mark_amendments x
                                          JOIN body_map_marks m ON m.id = x.mark_id
                                          JOIN body_maps b ON b.id = m.body_map_id WHERE x.id = r.ref)
    END AS visit_id,
    CASE r.kind
      WHEN 'bodymap_mark' THEN (SELECT child_id FROM body_map_marks WHERE id = r.ref)
      WHEN 'bodymap_mark_amendment' THEN (SELECT m.child_id FROM body_map_mark_amendments x
                                          JOIN body_map_marks m ON m.id = x.mark_id WHERE x.id = r.ref)
      WHEN 'was_not_brought' THEN (SELECT child_id FROM appointment_events WHERE id = r.ref)
    END AS child_id
  FROM sync_receipts r
  WHERE r.author_id = ? AND r.received_at >= ?
  ORDER BY r.received_at DESC
  LIMIT ?
)
SELECT mine.item_id, mine.kind, mine.recorded_at, mine.received_at, v.id AS visit_id, mine.child_id,
       COALESCE(v.family_id, c.family_id) AS family_id, v.happened_at
FROM mine
LEFT JOIN visit_records v ON v.id = mine.visit_id
LEFT JOIN children c ON c.id = mine.child_id
ORDER BY mine.received_at DESC
"""
MY_RECORDS_LIMIT = 200


def my_recent_records(db, practitioner, since):
    """The records this practitioner sent since `since` (ISO text), newest first, as plain dicts.
    A family they may no longer see is not named (need to know): its record shows no link."""
    visible = access.visible_family_ids(db, practitioner)
    rows = db.execute(MY_RECORDS_SQL, [practitioner["id"], since, MY_RECORDS_LIMIT]).fetchall()
    names = {}
    family_ids = sorted({row[6] for row in rows if row[6] in visible})
    if family_ids:
        marks = ",".join("?" * len(family_ids))
        names = dict(db.execute(f"SELECT id, name FROM families WHERE id IN ({marks})", family_ids).fetchall())
    records = []
    for item_id, kind, recorded_at, received_at, visit_id, child_id, family_id, happened_at in rows:
        seen = family_id in names
        records.append({
            "id": item_id, "kind": kind, "recorded_at": recorded_at, "received_at": received_at,
            "family": names.get(family_id) if seen else None,
            "happened_at": happened_at if seen else None,
            "href": record_page(kind, visit_id, child_id) if seen else None,
        })
    return records


def record_page(kind, visit_id, child_id):
    """The address a record of `kind` opens at, or None when it has none."""
    if kind in ("bodymap_mark", "bodymap_mark_amendment"):
        return f"/visits/{visit_id}/children/{child_id}/body-map" if visit_id and child_id else None
    if kind == "was_not_brought":
        return f"/children/{child_id}/was-not-brought" if child_id else None
    if kind == "alcohol_audit":
        return f"/visits/{visit_id}#alcohol-self-assessment" if visit_id else None
    return f"/visits/{visit_id}" if visit_id else None
