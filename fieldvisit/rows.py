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


def insert_rows(db, table, rows):
    """Insert rows that all have the same columns, in one statement run once per row.

    For the hot write path (a visit synced from a tablet, issue 13): sqlite-utils' `insert_all`
    looks the table up and builds its statement on every call, several times the cost of the
    insert itself. `table` and the column names come from our code, never from input."""
    if not rows:
        return
    columns = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    db.conn.executemany(sql, [[row[column] for column in columns] for row in rows])
