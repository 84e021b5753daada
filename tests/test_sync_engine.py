"""The sync engine on its own (no Flask, no app): exactly-once ingest with a tiny fake kind."""
import ast
import threading
import uuid
from pathlib import Path

import pytest

from sync import BatchTooLarge, Rejected, Unavailable, UnsupportedSchemaVersion, content_hash
from tests.sync_fakes import assert_whole, note, note_engine, open_db, prepare, stored_notes

CONTEXT = {"author_id": 7, "device_id": "5f0c3f4e-1d2a-4b3c-8d9e-0a1b2c3d4e5f"}


class Clock:
    def __init__(self):
        self.tick = 0

    def __call__(self):
        self.tick += 1
        return f"2026-11-20T10:00:{self.tick:02d}.000+00:00"


@pytest.fixture
def engine():
    return note_engine(clock=Clock())


@pytest.fixture
def db(tmp_path, engine):
    database = open_db(tmp_path / "engine.db")
    prepare(database, engine)
    yield database
    database.close()


def test_an_item_is_stored_once_and_a_repeat_is_a_duplicate(engine, db):
    item = note("two bottles behind the sofa")
    first = engine.ingest(db, item, CONTEXT)
    assert (first.status, first.ref) == ("stored", item["id"])
    again = engine.ingest(db, dict(item, payload={"body": "two bottles behind the sofa"}), CONTEXT)
    assert (again.status, again.ref, again.errors) == ("duplicate", item["id"], {})
    assert stored_notes(db) == {item["id"]: 1}
    assert_whole(db)


def test_content_hash_ignores_key_order_but_not_kind_or_values():
    assert content_hash("note", {"a": 1, "b": [1, 2]}) == content_hash("note", {"b": [1, 2], "a": 1})
    assert content_hash("note", {"a": 1}) != content_hash("other", {"a": 1})
    assert content_hash("note", {"a": [1, 2]}) != content_hash("note", {"a": [2, 1]})


def test_same_id_with_different_content_is_a_conflict_kept_once_and_never_applied(engine, db):
    item = note("original words")
    engine.ingest(db, item, CONTEXT)
    changed = dict(item, payload={"body": "changed words"})
    receipts = [engine.ingest(db, changed, dict(CONTEXT, author_id=8)) for _ in range(3)]
    assert {r.status for r in receipts} == {"conflict"}
    assert receipts[0].ref == item["id"] and "already received" in receipts[0].errors["id"]
    assert db.execute("SELECT body FROM notes").fetchall() == [("original words",)]
    conflicts = db.execute("SELECT item_id, payload, author_id, device_id FROM sync_conflicts").fetchall()
    assert conflicts == [(item["id"], '{"body": "changed words"}', 8, CONTEXT["device_id"])]


def test_a_rejected_item_leaves_nothing_and_may_be_corrected_and_sent_again(engine, db):
    item = note("   ")
    rejected = engine.ingest(db, item, CONTEXT)
    assert (rejected.status, rejected.errors) == ("rejected", {"body": "Write something"})
    assert db.execute("SELECT count(*) FROM sync_receipts").fetchone()[0] == 0
    corrected = engine.ingest(db, dict(item, payload={"body": "now with words"}), CONTEXT)
    assert corrected.status == "stored"
    assert stored_notes(db) == {item["id"]: 1}


def test_an_applier_rejecting_after_it_wrote_leaves_nothing(engine, db):
    receipt = engine.ingest(db, note("one reject-after-write three"), CONTEXT)
    assert receipt.status == "rejected"
    assert db.execute("SELECT count(*) FROM notes").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM note_words").fetchone()[0] == 0


def test_a_fault_in_one_applier_rolls_back_that_item_and_the_batch_goes_on(engine, db):
    good, bad, later = note("first"), note("one boom three"), note("last")
    receipts = engine.push(db, [good, bad, later], CONTEXT)
    assert [r.status for r in receipts] == ["stored", "rejected", "stored"]
    assert [r.item_id for r in receipts] == [good["id"], bad["id"], later["id"]]
    assert "error on the server" in receipts[1].errors["item"]
    assert stored_notes(db) == {good["id"]: 1, later["id"]: 1}
    assert_whole(db)
    assert not db.conn.in_transaction


def test_a_batch_with_bad_items_applies_the_good_ones_and_reports_each_bad_one(engine, db):
    good = note("fine")
    items = [
        "not an object",
        {"id": "not-a-uuid", "kind": "note", "payload": {"body": "x"}, "recorded_at": "2026-11-20T10:00:00"},
        dict(note("x"), id=str(uuid.uuid4()).upper()),
        dict(note("x"), kind="spaceship"),
        dict(note("x"), recorded_at="yesterday-ish"),
        {k: v for k, v in note("x").items() if k != "recorded_at"},
        dict(note("x"), payload=["not", "an", "object"]),
        {k: v for k, v in note("x").items() if k != "payload"},
        dict(note("x"), sealed={"alg": "whatever"}),
        good,
        note(""),
    ]
    receipts = engine.push(db, items, CONTEXT)
    assert len(receipts) == len(items)
    assert [r.status for r in receipts] == ["rejected"] * 9 + ["stored", "rejected"]
    assert receipts[0].item_id is None and receipts[0].errors == {"item": "Each item must be a JSON object."}
    assert "UUID" in receipts[1].errors["id"] and receipts[1].item_id == "not-a-uuid"
    assert "lower case" in receipts[2].errors["id"]
    assert "Unknown kind of record: 'spaceship'" in receipts[3].errors["kind"]
    assert "ISO 8601" in receipts[4].errors["recorded_at"] and "ISO 8601" in receipts[5].errors["recorded_at"]
    assert "JSON object" in receipts[6].errors["payload"]
    assert "either a payload or a sealed payload" in receipts[7].errors["payload"]
    assert "either a payload or a sealed payload" in receipts[8].errors["payload"]
    assert receipts[10].errors == {"body": "Write something"}
    assert stored_notes(db) == {good["id"]: 1}
    assert all(r.server_time for r in receipts)


def test_a_sealed_item_is_opened_by_the_callers_unseal_and_then_ingested_like_a_plain_one(engine, db):
    item_id = str(uuid.uuid4())

    def unseal(item):
        if item["sealed"] == "garbled":
            raise Rejected({"sealed": "could not be opened"})
        return {"body": item["sealed"][::-1]}

    sealed = {"id": item_id, "kind": "note", "sealed": "sdrow delaes", "recorded_at": "2026-11-20T10:00:00Z"}
    plain = note("sealed words", item_id=item_id)
    garbled = dict(sealed, id=str(uuid.uuid4()), sealed="garbled")
    receipts = engine.push(db, [sealed, plain, garbled], CONTEXT, unseal=unseal)
    assert [r.status for r in receipts] == ["stored", "duplicate", "rejected"]
    assert receipts[2].errors == {"sealed": "could not be opened"}
    assert engine.ingest(db, sealed, CONTEXT).errors == {
        "sealed": "This server cannot open sealed items here; send the payload instead."}
    assert stored_notes(db) == {item_id: 1}


def test_every_receipt_carries_the_server_time_and_the_receipt_row_the_author_and_device(engine, db):
    item = note("hello", recorded_at="2026-11-19T23:59:00+00:00")
    stored = engine.ingest(db, item, CONTEXT)
    duplicate = engine.ingest(db, item, CONTEXT)
    assert stored.server_time.startswith("2026-11-20T10:00:") and duplicate.server_time > stored.server_time
    row = db.execute("SELECT author_id, device_id, recorded_at, received_at, content_hash FROM sync_receipts").fetchone()
    assert row == (7, CONTEXT["device_id"], "2026-11-19T23:59:00+00:00", stored.server_time,
                   content_hash("note", {"body": "hello"}))
    assert stored.as_dict() == {"id": item["id"], "status": "stored", "ref": item["id"], "errors": {},
                                "server_time": stored.server_time}


def test_more_items_than_the_limit_are_refused_before_anything_is_applied(db):
    engine = note_engine(max_items=3)
    with pytest.raises(BatchTooLarge, match="at most 3"):
        engine.push(db, [note(str(n)) for n in range(4)], CONTEXT)
    assert stored_notes(db) == {}
    assert len(engine.push(db, [note(str(n)) for n in range(3)], CONTEXT)) == 3


def test_the_current_and_the_previous_schema_version_are_accepted_and_the_previous_is_upgraded(db):
    engine = note_engine(schema_version=2)
    engine.register_upgrade("note", lambda payload: {"body": payload["text"]})
    assert engine.accepted_versions == (1, 2)
    old = {"id": str(uuid.uuid4()), "kind": "note", "payload": {"text": "old shape"},
           "recorded_at": "2026-11-20T10:00:00"}
    assert engine.push(db, [old], CONTEXT, schema_version=1)[0].status == "stored"
    # An item may carry its own version, queued before the device updated.
    own = dict(old, id=str(uuid.uuid4()), schema_version=1)
    new = note("new shape")
    assert [r.status for r in engine.push(db, [own, new], CONTEXT, schema_version=2)] == ["stored", "stored"]
    assert sorted(row[0] for row in db.execute("SELECT body FROM notes")) == ["new shape", "old shape", "old shape"]
    for version in (0, 3, "2", True, 1.0):
        with pytest.raises(UnsupportedSchemaVersion, match="schema version 1 or 2"):
            engine.push(db, [note("x")], CONTEXT, schema_version=version)
    too_new = dict(note("x"), schema_version=3)
    assert "schema_version" in engine.push(db, [too_new], CONTEXT)[0].errors


def test_version_one_alone_while_there_is_no_previous_version(engine):
    assert engine.accepted_versions == (1,)
    engine.check_schema_version(1)
    with pytest.raises(UnsupportedSchemaVersion):
        engine.check_schema_version(0)


def test_a_busy_database_is_unavailable_not_rejected_and_nothing_half_done(tmp_path, engine):
    path = tmp_path / "busy.db"
    db = open_db(path, busy_ms=100)
    prepare(db, engine)
    blocker = open_db(path)
    first, second = note("before the lock"), note("during the lock")
    engine.ingest(db, first, CONTEXT)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Unavailable):
            engine.push(db, [first, second], CONTEXT)
    finally:
        blocker.execute("ROLLBACK")
    assert not db.conn.in_transaction
    assert [r.status for r in engine.push(db, [first, second], CONTEXT)] == ["duplicate", "stored"]
    assert_whole(db)


def test_ingest_refuses_to_run_inside_someone_elses_transaction(engine, db):
    db.execute("BEGIN")
    with pytest.raises(RuntimeError, match="outside a transaction"):
        engine.ingest(db, note("x"), CONTEXT)
    db.execute("ROLLBACK")


def test_commits_are_durable_while_ingesting_and_the_connection_setting_is_restored(tmp_path):
    seen = []

    def apply_and_look(db, item, context):
        seen.append(db.execute("PRAGMA synchronous").fetchone()[0])
        return item["id"]

    engine = note_engine()
    engine.register("note", apply_and_look)
    db = open_db(tmp_path / "durable.db")
    prepare(db, engine)
    db.execute("PRAGMA synchronous = NORMAL")
    assert engine.ingest(db, note("x"), CONTEXT).status == "stored"
    assert seen == [2]  # FULL
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_two_connections_racing_on_one_item_store_it_once(tmp_path, engine):
    path = tmp_path / "race.db"
    prepare(open_db(path), engine)
    item = note("raced")
    statuses, barrier = [], threading.Barrier(8)

    def send():
        db = open_db(path)
        barrier.wait()
        statuses.append(engine.ingest(db, item, CONTEXT).status)
        db.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == ["duplicate"] * 7 + ["stored"]
    db = open_db(path)
    assert stored_notes(db) == {item["id"]: 1}
    assert_whole(db)


def test_the_engine_depends_on_neither_the_app_nor_flask():
    package = Path(__file__).resolve().parents[1] / "sync"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in ("fieldvisit", "flask", "werkzeug"), f"{source.name} imports {name}"
