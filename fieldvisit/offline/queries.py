"""What the central record holds of a practitioner's own recent records, for "My records" on the
tablet (issue 12, item 4): the sent ones, beside what the tablet's outbox still holds."""
from fieldvisit import access

# Kinds whose record opens at a visit's page: the visit itself, or the visit an amendment corrects.
MY_RECORDS_SQL = """
SELECT r.item_id, r.kind, r.recorded_at, r.received_at,
       CASE r.kind WHEN 'visit' THEN v.id WHEN 'amendment' THEN a.visit_id END AS visit_id,
       COALESCE(v.family_id, av.family_id) AS family_id,
       COALESCE(v.happened_at, av.happened_at) AS happened_at
FROM sync_receipts r
LEFT JOIN visit_records v ON r.kind = 'visit' AND v.id = r.ref
LEFT JOIN amendments a ON r.kind = 'amendment' AND a.id = r.ref
LEFT JOIN visit_records av ON av.id = a.visit_id
WHERE r.author_id = ? AND r.received_at >= ?
ORDER BY r.received_at DESC
LIMIT ?
"""
MY_RECORDS_LIMIT = 200


def my_recent_records(db, practitioner, since):
    """The records this practitioner sent since `since` (ISO text), newest first, as plain dicts.
    A family they may no longer see is not named (need to know): its record shows no link."""
    visible = access.visible_family_ids(db, practitioner)
    rows = db.execute(MY_RECORDS_SQL, [practitioner["id"], since, MY_RECORDS_LIMIT]).fetchall()
    names = {}
    family_ids = sorted({row[5] for row in rows if row[5] in visible})
    if family_ids:
        marks = ",".join("?" * len(family_ids))
        names = dict(db.execute(f"SELECT id, name FROM families WHERE id IN ({marks})", family_ids).fetchall())
    records = []
    for item_id, kind, recorded_at, received_at, visit_id, family_id, happened_at in rows:
        seen = family_id in names
        records.append({
            "id": item_id, "kind": kind, "recorded_at": recorded_at, "received_at": received_at,
            "family": names.get(family_id) if seen else None,
            "happened_at": happened_at if seen else None,
            "href": f"/visits/{visit_id}" if seen and visit_id else None,
        })
    return records
