"""`db.atomic()` takes SQLite's write lock when it begins (fieldvisit/db.py): a transaction that reads and
then writes is never refused because another connection committed in between (a 500 a browser test met:
a team lead's "Mark done" while the tablet's sync was writing)."""
import threading
import time

from fieldvisit.db import connect


def test_a_transaction_that_reads_then_writes_is_not_refused_when_another_connection_writes_meanwhile(tmp_path):
    path = tmp_path / "race.db"
    first, second = connect(path), connect(path)
    first.execute("CREATE TABLE t (n INTEGER)")
    other = {}

    def write_from_the_other_connection():
        try:
            second.execute("INSERT INTO t VALUES (1)")  # waits for the first's lock, up to the busy timeout
            other["done"] = True
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            other["error"] = error

    with first.atomic():
        assert first.execute("SELECT count(*) FROM t").fetchone()[0] == 0
        thread = threading.Thread(target=write_from_the_other_connection)
        thread.start()
        time.sleep(0.3)  # the other connection tries now; with a plain BEGIN it would commit first
        first.execute("INSERT INTO t VALUES (2)")  # with a plain BEGIN: "database is locked" at once
    thread.join(10)
    assert other == {"done": True}
    assert sorted(row[0] for row in first.execute("SELECT n FROM t")) == [1, 2]
    first.close()
    second.close()


def test_a_nested_block_is_a_savepoint_and_an_error_rolls_back_the_whole_transaction(tmp_path):
    db = connect(tmp_path / "nested.db")
    db.execute("CREATE TABLE t (n INTEGER)")
    try:
        with db.atomic():
            db.execute("INSERT INTO t VALUES (1)")
            with db.atomic():
                db.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("after both")
    except RuntimeError:
        pass
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    assert not db.conn.in_transaction
    with db.atomic():
        db.execute("INSERT INTO t VALUES (3)")
    assert [row[0] for row in db.execute("SELECT n FROM t")] == [3]
    db.close()
