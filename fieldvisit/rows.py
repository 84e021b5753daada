"""Plain helpers for the data layer (no Flask), shared by the domain modules."""


def grouped_rows(db, sql, ids, key, params=()):
    """{row[key]: [rows]} of a query over a list of ids, in the query's order, in one round trip.

    `sql` has an `{ids}` slot that becomes one `?` per id (the ids are bound, never spliced);
    `params` are bound after the ids. No ids: no query.
    """
    ids = list(ids)
    grouped = {}
    if not ids:
        return grouped
    for row in db.query(sql.format(ids=", ".join("?" for _ in ids)), ids + list(params)):
        grouped.setdefault(row[key], []).append(row)
    return grouped
