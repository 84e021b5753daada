"""A push is applied a few items per transaction, each item in its own savepoint (issue 13): one
bad item is rejected alone, receipts are only returned for committed, durable transactions, and
the checking of items happens before the write lock is taken."""
import sqlite3

import pytest

from sync import Unavailable
from tests.sync_fakes import apply_note, assert_whole, note, note_engine, open_db, prepare, stored_notes

CONTEXT = {"author_id": 7, "device_id": "5f0c3f4e-1d2a-4b3c-8d9e-0a1b2c3d4e5f"}


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "batches.db")
    yield database
    database.close()


def statements_of(db, run):
    seen = []
    db.conn.set_trace_callback(seen.append)
    try:
        result = run()
    finally:
        db.conn.set_trace_callback(None)
    return result, seen


def test_a_batch_is_committed_a_group_at_a_time_not_an_item_at_a_time(db):
    engine = note_engine(commit_every=20)
    prepare(db, engine)
    items = [note(f"note {n}") for n in range(100)]
    receipts, seen = statements_of(db, lambda: engine.push(db, items, CONTEXT))
    assert [r.status for r in receipts] == ["stored"] * 100
    assert seen.count("COMMIT") == 5 and seen.count("BEGIN IMMEDIATE") == 5
    assert seen.count("SAVEPOINT sync_item") == 100
    assert len(stored_notes(db)) == 100
    assert_whole(db)
    assert not db.conn.in_transaction


def test_a_bad_item_is_rolled_back_alone_and_its_neighbours_share_the_commit(db):
    engine = note_engine(commit_every=20)
    prepare(db, engine)
    items = [note("first"), note("one reject-after-write two"), note("three boom four"), note("last")]
    receipts, seen = statements_of(db, lambda: engine.push(db, items, CONTEXT))
    assert [r.status for r in receipts] == ["stored", "rejected", "rejected", "stored"]
    assert receipts[1].errors == {"body": "Rejected after writing"}
    assert "error on the server" in receipts[2].errors["item"]
    assert seen.count("COMMIT") == 1 and seen.count("ROLLBACK TO sync_item") == 2
    assert stored_notes(db) == {items[0]["id"]: 1, items[3]["id"]: 1}
    assert_whole(db)


def test_items_are_checked_and_repeats_answered_before_the_write_lock(db):
    engine = note_engine()
    prepare(db, engine)
    stored = note("already here")
    engine.push(db, [stored], CONTEXT)
    bad = dict(note("x"), id="not-a-uuid")
    receipts, seen = statements_of(db, lambda: engine.push(db, [stored, bad, stored], CONTEXT))
    assert [r.status for r in receipts] == ["duplicate", "rejected", "duplicate"]
    assert "BEGIN IMMEDIATE" not in seen  # nothing to write: the lock was never taken


def test_the_commit_is_durable_and_the_connection_setting_restored(db):
    seen = []

    def apply_and_look(db, item, context):
        seen.append(db.execute("PRAGMA synchronous").fetchone()[0])
        return apply_note(db, item, context)

    engine = note_engine()
    engine.register("note", apply_and_look)
    prepare(db, engine)
    db.execute("PRAGMA synchronous = NORMAL")
    assert [r.status for r in engine.push(db, [note("a"), note("b")], CONTEXT)] == ["stored", "stored"]
    assert seen == [2, 2]  # FULL
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_when_the_lock_cannot_be_had_mid_batch_the_groups_before_are_kept_and_nothing_else(tmp_path):
    path = tmp_path / "busy.db"
    engine = note_engine(commit_every=2)
    db = open_db(path, busy_ms=100)
    prepare(db, engine)
    blocker = open_db(path)
    items = [note(f"n{n}") for n in range(6)]
    original = engine._apply_together

    def together(db_, group, context, receipts):
        if group[0][1] is items[2]:
            blocker.execute("BEGIN IMMEDIATE")
        return original(db_, group, context, receipts)

    engine._apply_together = together
    try:
        with pytest.raises(Unavailable):
            engine.push(db, items, CONTEXT)
    finally:
        if blocker.conn.in_transaction:
            blocker.execute("ROLLBACK")
    assert set(stored_notes(db)) == {items[0]["id"], items[1]["id"]}
    assert not db.conn.in_transaction
    engine._apply_together = original
    assert [r.status for r in engine.push(db, items, CONTEXT)] == ["duplicate"] * 2 + ["stored"] * 4
    assert_whole(db)
    blocker.close()
    db.close()


def test_a_transaction_sqlite_ends_itself_keeps_none_of_its_items(db, monkeypatch):
    engine = note_engine(commit_every=10)
    prepare(db, engine)
    items = [note("a"), note("b"), note("c")]

    def full_disk(db_, item, context):
        if item["id"] == items[1]["id"]:
            db_.execute("ROLLBACK")  # as SQLite does itself on SQLITE_FULL or an I/O error
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = 13
            raise error
        return apply_note(db_, item, context)

    engine.register("note", full_disk)
    with pytest.raises(Unavailable):
        engine.push(db, items, CONTEXT)
    assert stored_notes(db) == {}
    assert db.execute("SELECT count(*) FROM sync_receipts").fetchone()[0] == 0
    assert not db.conn.in_transaction


def test_what_a_kind_prepares_outside_the_lock_reaches_its_applier_and_a_faulty_prepare_changes_nothing(db):
    from sync import Rejected
    engine = note_engine()
    prepare(db, engine)
    seen = []

    def prepare_note(db_, item, context):
        body = item["payload"]["body"]
        if body == "never":
            raise Rejected({"body": "Never stored"})
        if body == "fault":
            raise ValueError("a bug in prepare")
        return body.upper()

    def applier(db_, item, context):
        seen.append(context.get("prepared"))
        return apply_note(db_, item, context)
    engine.register("note", applier, prepare_note)
    items = [note("first"), note("never"), note("fault")]
    receipts, statements = statements_of(db, lambda: engine.push(db, items, CONTEXT))
    assert [r.status for r in receipts] == ["stored", "rejected", "stored"]
    assert receipts[1].errors == {"body": "Never stored"}
    assert seen == ["FIRST", None]
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert set(stored_notes(db)) == {items[0]["id"], items[2]["id"]}
    single = note("never")
    assert engine.ingest(db, single, CONTEXT).status == "rejected"
    assert_whole(db)


def test_the_writers_of_a_process_take_their_turns_in_the_order_they_asked_and_give_up_after_the_timeout():
    import threading
    import time

    from sync.engine import WriterQueue
    queue, order, started = WriterQueue(), [], []

    def writer(n):
        started.append(n)
        with queue.turn(5):
            order.append(n)
    with queue.turn(1):
        threads = []
        for n in range(5):
            threads.append(threading.Thread(target=writer, args=(n,)))
            threads[-1].start()
            while len(started) <= n:
                time.sleep(0.001)
            time.sleep(0.02)  # the thread is now waiting in the queue
        with pytest.raises(Unavailable):
            with queue.turn(0.05):
                pass
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]
    with queue.turn(0.05):  # a writer that gave up leaves the queue free
        pass


def test_a_prepare_step_cannot_write_and_its_item_is_then_applied_under_the_lock(db):
    """`prepare` runs on a read-only connection (one PRAGMA per group, not three per item): a step
    that tries to write fails there, writes nothing, and its item is applied as without one."""
    engine = note_engine(commit_every=20)
    tried = []

    def writes(db_, item, context):
        tried.append(item["id"])
        db_.execute("INSERT INTO notes (item_id, body) VALUES (?, ?)", [item["id"] + "-prepared", "not allowed"])
    engine.register("note", apply_note, writes)
    prepare(db, engine)
    items = [note(f"note {n}") for n in range(30)]
    receipts, seen = statements_of(db, lambda: engine.push(db, items, CONTEXT))
    assert [r.status for r in receipts] == ["stored"] * 30
    assert len(tried) == 30
    assert stored_notes(db) == {item["id"]: 1 for item in items}  # nothing "-prepared"
    assert seen.count("PRAGMA query_only = 1") == 2  # one per group of 20
    assert db.execute("PRAGMA query_only").fetchone()[0] == 0
    assert_whole(db)
