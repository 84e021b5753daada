"""The SQL a page runs, and where its query plans read the whole of a large table (issue 13).

`capture(app, client, path)` requests a page with the test client while every connection the app
opens traces its statements; `full_scans(db, sql)` runs EXPLAIN QUERY PLAN on a statement and
names the large tables it scans whole (a SCAN, or an automatic index, which is built by a scan).
Used by tests/test_query_plans.py and benchmarks/pages.py.
"""
import re
from contextlib import contextmanager

import fieldvisit.db

# Tables that grow with every record ever stored: a page must never read one whole.
LARGE_TABLES = {
    "visit_records", "visit_children", "visit_adults", "visit_home_conditions", "visit_young_carers", "amendments",
    "body_maps", "body_map_marks", "body_map_mark_amendments", "body_map_escalation_marks", "audit_log",
    "scheduled_visits", "scheduled_visit_changes", "appointment_events", "alcohol_audits", "escalations",
    "escalation_actions", "concerns", "sync_receipts", "sync_conflicts", "children", "families", "adults",
    "assignments", "visiting_rules",
}
ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+\[?(\w+)\]?(?:\s+(?:AS\s+)?(?!ON\b|WHERE\b|JOIN\b|LEFT\b|INNER\b|CROSS\b|"
                   r"GROUP\b|ORDER\b|LIMIT\b|USING\b|NATURAL\b|UNION\b)(\w+))?", re.I)
SCAN = re.compile(r"^SCAN (\w+)|USING AUTOMATIC (?:COVERING |PARTIAL )*INDEX")
INDEX = re.compile(r"USING (?:COVERING )?INDEX (\w+)")
QUERIES = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE)\b", re.I)


@contextmanager
def traced():
    """Every statement run on a connection opened by fieldvisit.db.connect meanwhile."""
    statements, original = [], fieldvisit.db.connect

    def connect(path):
        db = original(path)
        db.conn.set_trace_callback(statements.append)
        return db

    fieldvisit.db.connect = connect
    try:
        yield statements
    finally:
        fieldvisit.db.connect = original


def tables_of(sql):
    """{name used in the query: table} for the tables and aliases of a statement."""
    names = {}
    for table, alias in ALIAS.findall(sql):
        names[table.lower()] = table.lower()
        if alias:
            names[alias.lower()] = table.lower()
    return names


def full_scans(db, sql):
    """The large tables whose every row (or every index entry) this statement reads, with the plan line."""
    if not QUERIES.match(sql):
        return []
    names = tables_of(sql)
    found = []
    for row in db.execute("EXPLAIN QUERY PLAN " + sql).fetchall():
        detail = row[3]
        match = SCAN.search(detail)
        if not match:
            continue
        index = INDEX.search(detail)
        indexed = index and db.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?",
                                       [index.group(1)]).fetchone()
        if match.group(1) and indexed:
            # The index names its table for sure: an alias may stand for two tables in one statement
            # (agencies `a` in the query, assignments `a` in its subquery).
            table = indexed[0].lower()
        elif match.group(1):
            table = names.get(match.group(1).lower(), match.group(1).lower())
        else:  # an automatic index: the table is the one it searches
            word = detail.split()[1]
            table = names.get(word.lower(), word.lower())
        if table in LARGE_TABLES:
            found.append((table, detail))
    return found
