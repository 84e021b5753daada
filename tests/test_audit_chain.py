"""The audit log is a hash chain (issue 14): a change, removal or reordering is found and named
by `fieldvisit audit verify`, and 20 writers at once never fork it."""
import sqlite3
import threading

import pytest

from fieldvisit import audit, cli
from fieldvisit.db import connect


def open_the_file_as_an_attacker(db):
    """Someone with the database file can drop the triggers; the chain must still tell."""
    for trigger in ("audit_log_append_only", "audit_log_never_deleted", "audit_log_chained"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def some_entries(db, count=10):
    for number in range(count):
        audit.record(db, None, "read", "child", number, "/test")


def verify_cli(path, capsys, *extra):
    code = cli.main(["audit", "verify", "--database", str(path), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_each_entry_carries_the_hash_of_the_one_before(db):
    some_entries(db, 3)
    rows = [dict(r) for r in db.query("SELECT * FROM audit_log ORDER BY id")]
    for before, entry in zip(rows, rows[1:]):
        assert entry["prev_hash"] == before["hash"]
        assert entry["hash"] == audit.entry_hash(*(entry[f] for f in audit.FIELDS))
    assert audit.verify(db) == (len(rows), None)


def test_the_serialisation_is_canonical():
    assert audit.canonical(7, "2026-12-02T10:00:00+00:00", "3", "read", "child", 12, "/x", "ab") == \
        b'[7,"2026-12-02T10:00:00+00:00",3,"read","child","12","/x","ab"]'
    assert audit.canonical(1, "t", None, "denied", "sign_in", "Zoë", "/", "0") == \
        '[1,"t",null,"denied","sign_in","Zoë","/","0"]'.encode()


def test_an_intact_log_verifies(app, db, capsys):
    some_entries(db)
    code, output = verify_cli(app.config["DATABASE"], capsys)
    assert code == 0 and "is intact" in output


@pytest.mark.parametrize("tamper, why", [
    ("UPDATE audit_log SET entity_id = '999' WHERE id = {target}", "its content was changed"),
    ("UPDATE audit_log SET practitioner_id = NULL, hash = 'x' || hash WHERE id = {target}", "its content was changed"),
    ("DELETE FROM audit_log WHERE id = {target}", "are missing"),
])
def test_a_changed_or_deleted_entry_is_named(app, db, capsys, tamper, why):
    some_entries(db)
    target = db.execute("SELECT max(id) - 4 FROM audit_log").fetchone()[0]
    open_the_file_as_an_attacker(db)
    db.execute(tamper.format(target=target))
    code, output = verify_cli(app.config["DATABASE"], capsys)
    assert code == 1
    assert f"entry {target if 'DELETE' not in tamper else target + 1} is the first bad entry" in output
    assert why in output


def test_a_change_that_recomputes_its_own_hash_is_still_found_at_the_next_entry(app, db, capsys):
    some_entries(db)
    target = db.execute("SELECT max(id) - 4 FROM audit_log").fetchone()[0]
    open_the_file_as_an_attacker(db)
    row = dict(next(db.query("SELECT * FROM audit_log WHERE id = ?", [target])))
    row["entity_id"] = "someone else"
    db.execute("UPDATE audit_log SET entity_id = ?, hash = ? WHERE id = ?",
               [row["entity_id"], audit.entry_hash(*(row[f] for f in audit.FIELDS)), target])
    code, output = verify_cli(app.config["DATABASE"], capsys)
    assert code == 1 and f"entry {target + 1} is the first bad entry" in output
    assert "does not follow the entry before it" in output


def test_reordered_entries_are_found(app, db, capsys):
    some_entries(db)
    first, second = [r[0] for r in db.execute("SELECT id FROM audit_log ORDER BY id DESC LIMIT 2")][::-1]
    open_the_file_as_an_attacker(db)
    # Swap the two entries' contents (with their hashes), as moving rows around would.
    a = dict(next(db.query("SELECT * FROM audit_log WHERE id = ?", [first])))
    b = dict(next(db.query("SELECT * FROM audit_log WHERE id = ?", [second])))
    db.execute("DELETE FROM audit_log WHERE id IN (?, ?)", [first, second])
    db["audit_log"].insert(dict(b, id=first))
    db["audit_log"].insert(dict(a, id=second))
    code, output = verify_cli(app.config["DATABASE"], capsys)
    assert code == 1 and f"entry {first} is the first bad entry" in output


def test_entries_cut_off_the_end_are_found_against_the_head_written_down(app, db, capsys):
    some_entries(db)
    head = "%s:%s" % audit.head(db)
    assert verify_cli(app.config["DATABASE"], capsys, "--expect-head", head)[0] == 0
    open_the_file_as_an_attacker(db)
    db.execute("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    code, output = verify_cli(app.config["DATABASE"], capsys, "--expect-head", head)
    assert code == 1 and "removed from its end" in output


def test_an_unchained_entry_is_refused(db):
    with pytest.raises(sqlite3.IntegrityError, match="the audit log is a chain"):
        db.execute("INSERT INTO audit_log (at, practitioner_id, action, entity, entity_id, route)"
                   " VALUES ('now', NULL, 'read', 'child', '1', '/x')")
    last_id, last_hash = audit.head(db)
    with pytest.raises(sqlite3.IntegrityError, match="the audit log is a chain"):
        db.execute("INSERT INTO audit_log (id, at, practitioner_id, action, entity, entity_id, route, prev_hash, hash)"
                   " VALUES (?, 'now', NULL, 'read', 'child', '1', '/x', ?, 'forged')", [last_id + 1, "f" * 64])


def test_an_entry_rolled_back_with_what_it_audits_leaves_the_chain_intact(db):
    with pytest.raises(RuntimeError):
        with db.atomic():
            audit.record(db, None, "write", "child", 1, "/x")
            raise RuntimeError("the write failed")
    some_entries(db, 2)
    assert audit.verify(db)[1] is None


def test_twenty_writers_at_once_keep_one_chain(app, db):
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    errors = []

    def writer(number):
        conn = connect(app.config["DATABASE"])
        try:
            for entry in range(15):
                if entry % 3 == 0:  # some inside a write transaction with what they audit
                    conn.execute("BEGIN IMMEDIATE")
                    audit.record(conn, None, "write", "child", f"{number}-{entry}", "/concurrent")
                    audit.record_many(conn, None, "read", "child", [f"{number}-{entry}-a", f"{number}-{entry}-b"],
                                      "/concurrent")
                    conn.execute("COMMIT")
                else:
                    audit.record(conn, None, "read", "child", f"{number}-{entry}", "/concurrent")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    count, problem = audit.verify(db)
    assert problem is None
    assert count == before + 20 * (15 + 5 * 2)
