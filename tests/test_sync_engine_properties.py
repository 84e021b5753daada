"""Property-based tests of exactly-once ingest (issue #5).

Random interleavings of pushes (with repeats and in any order), acknowledgements
lost on the way back, a server dying in the middle of a batch, server restarts
(the database file closed and opened again), corrections of rejected items and a
second version of an item sent under the same id. Whatever happens, the client
re-sends whatever it has not seen acknowledged, and in the end each item is stored
exactly once, with the content the client holds, and every acknowledged item was
stored from the moment it was acknowledged.
"""
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldvisit import create_app
from fieldvisit.visits.kinds import apply_visit
from fieldvisit.auth.views import find_practitioner
from fieldvisit.db import connect
from sync import SyncEngine
from tests.sync_fakes import (apply_note, assert_visits_whole, assert_whole, families_of, note, open_db,
                              prepare, visit_ids, visit_item)

CONTEXT = {"author_id": 1, "device_id": "5f0c3f4e-1d2a-4b3c-8d9e-0a1b2c3d4e5f"}
DRAIN_ROUNDS = 3


class Crash(BaseException):
    """The server process dies here: nothing after this point of the batch happens."""


def crashing(applier, crash_ids):
    """The applier, dying (after it wrote, before the receipt) on the items in `crash_ids`."""
    def apply(db, item, context):
        ref = applier(db, item, context)
        if item["id"] in crash_ids:
            raise Crash(item["id"])
        return ref
    return apply


def push_step(n_items):
    index = st.integers(0, n_items - 1)
    return st.one_of(
        st.tuples(st.just("push"), st.lists(index, max_size=10), st.booleans(), st.none() | st.integers(0, 9)),
        st.tuples(st.just("restart")),
        st.tuples(st.just("fix"), index),
        st.tuples(st.just("second_version"), index),
    )


@st.composite
def scenarios(draw):
    n_items = draw(st.integers(1, 8))
    valid = draw(st.lists(st.booleans(), min_size=n_items, max_size=n_items))
    steps = draw(st.lists(push_step(n_items), max_size=25))
    return valid, steps


class Client:
    """A device's outbox: an item leaves only on a stored or duplicate receipt."""

    def __init__(self, items):
        self.items = items
        self.outbox = set(range(len(items)))
        self.acknowledged = set()

    def acknowledge(self, index, receipt):
        assert receipt.item_id == self.items[index]["id"]
        if receipt.status in ("stored", "duplicate"):
            self.outbox.discard(index)
            self.acknowledged.add(index)


class Server:
    """The engine over a database file, which can die and be started again."""

    def __init__(self, path, appliers, open_database):
        self.path, self.appliers, self.open_database = path, appliers, open_database
        self.crash_ids = set()
        self.start()

    def start(self):
        self.db = self.open_database(self.path)
        self.engine = SyncEngine()
        for kind, applier in self.appliers.items():
            self.engine.register(kind, crashing(applier, self.crash_ids))

    def restart(self):
        self.db.close()
        self.start()

    def push(self, items, context):
        return self.engine.push(self.db, items, context)


def run(server, client, steps, context, make_valid, second_version, check):
    """Play the steps, then let the client drain its outbox; `check` runs after every step."""
    conflicts_expected = set()
    for step in steps:
        if step[0] == "push":
            _, chosen, ack_lost, crash_at = step
            batch = [client.items[i] for i in chosen]
            server.crash_ids.clear()
            if crash_at is not None and crash_at < len(batch):
                server.crash_ids.add(batch[crash_at]["id"])
            try:
                receipts = server.push(batch, context)
            except Crash:
                server.restart()  # the client saw no answer: nothing acknowledged
            else:
                assert len(receipts) == len(batch)
                if not ack_lost:
                    for index, receipt in zip(chosen, receipts):
                        client.acknowledge(index, receipt)
        elif step[0] == "restart":
            server.restart()
        elif step[0] == "fix":
            client.items[step[1]] = make_valid(client.items[step[1]])
        elif step[0] == "second_version":
            item = client.items[step[1]]
            if check.stored(server.db, item["id"]):
                other = second_version(item)
                server.crash_ids.clear()
                [receipt] = server.push([other], context)
                assert receipt.status == "conflict"
                conflicts_expected.add(item["id"])
        check(server.db, client)
    server.crash_ids.clear()
    for index in range(len(client.items)):
        client.items[index] = make_valid(client.items[index])
    for _ in range(DRAIN_ROUNDS):
        waiting = sorted(client.outbox)
        if not waiting:
            break
        for index, receipt in zip(waiting, server.push([client.items[i] for i in waiting], context)):
            client.acknowledge(index, receipt)
        check(server.db, client)
    assert client.outbox == set(), "an item never reached the central record"
    server.restart()
    check(server.db, client)
    conflicts = {row[0] for row in server.db.execute("SELECT item_id FROM sync_conflicts")}
    assert conflicts == conflicts_expected


# -- with a tiny fake kind, the engine alone ---------------------------------------------------

class NoteChecks:
    def __init__(self):
        self.first_seen = {}

    def stored(self, db, item_id):
        return db.execute("SELECT 1 FROM notes WHERE item_id = ?", [item_id]).fetchone() is not None

    def __call__(self, db, client):
        assert_whole(db)
        counts = dict(db.execute("SELECT item_id, count(*) FROM notes GROUP BY item_id").fetchall())
        assert all(count == 1 for count in counts.values()), f"stored twice: {counts}"
        for index in client.acknowledged:
            assert client.items[index]["id"] in counts, "acknowledged but not stored"
        for item_id, body in db.execute("SELECT item_id, body FROM notes"):
            assert self.first_seen.setdefault(item_id, body) == body, "a stored record changed"


def open_notes_db(path):
    db = open_db(path)
    prepare(db, SyncEngine())
    return db


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_any_interleaving_ends_with_each_note_stored_exactly_once(scenario):
    valid, steps = scenario
    items = [note(f"note {n} words" if ok else "") for n, ok in enumerate(valid)]
    with tempfile.TemporaryDirectory() as directory:
        server = Server(Path(directory) / "central.db", {"note": apply_note}, open_notes_db)
        client = Client(items)
        checks = NoteChecks()
        run(server, client, steps, CONTEXT,
            make_valid=lambda item: item if item["payload"]["body"] else dict(item, payload={"body": "fixed words"}),
            second_version=lambda item: dict(item, payload={"body": item["payload"]["body"] + " edited"}),
            check=checks)
        final = dict(server.db.execute("SELECT item_id, body FROM notes").fetchall())
        assert final == {item["id"]: item["payload"]["body"] for item in client.items}
        server.db.close()


# -- through the real app's `visit` applier ---------------------------------------------------

@pytest.fixture(scope="module")
def visit_world(seeded_db_file, tmp_path_factory):
    """An app (for the forms' context), the seeded database, and demo-worker's families."""
    folder = tmp_path_factory.mktemp("visit_world")
    shutil.copy(seeded_db_file, folder / "seed.db")
    app = create_app({"DATABASE": str(folder / "seed.db"), "SECRET_KEY": "test", "TESTING": True,
                      "SYNC_PRIVATE_KEY_FILE": str(folder / "key.pem")})
    db = connect(folder / "seed.db")
    author_id, families = families_of(db, "demo-worker")
    author = find_practitioner(db, author_id)
    seeded = visit_ids(db)
    db.close()
    return app, author, families, seeded


class VisitChecks:
    def __init__(self, seeded):
        self.seeded = seeded
        self.first_seen = {}

    def stored(self, db, item_id):
        return db.execute("SELECT 1 FROM visit_records WHERE id = ?", [item_id]).fetchone() is not None

    def __call__(self, db, client):
        received = assert_visits_whole(db, self.seeded)
        for index in client.acknowledged:
            assert client.items[index]["id"] in received, "acknowledged but not stored"
        for visit_id, analysis in db.execute("SELECT id, analysis FROM visit_records"):
            assert self.first_seen.setdefault(visit_id, analysis) == analysis, "a stored record changed"


def with_analysis(item, analysis):
    fields = dict(item["payload"]["fields"], analysis=[analysis])
    return dict(item, payload=dict(item["payload"], fields=fields))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scenario=scenarios(), family_choices=st.lists(st.integers(0, 100), min_size=8, max_size=8))
def test_any_interleaving_ends_with_each_visit_stored_exactly_once(visit_world, scenario, family_choices):
    app, author, families, seeded = visit_world
    valid, steps = scenario
    family_ids = sorted(families)
    day = (date.today() - timedelta(days=1)).isoformat()
    items = []
    for n, ok in enumerate(valid):
        family_id = family_ids[family_choices[n] % len(family_ids)]
        items.append(visit_item(family_id, families[family_id], day=day,
                                analysis=f"Visit {n}: seen and well." if ok else ""))
    context = {"author_id": author["id"], "author": author, "device_id": CONTEXT["device_id"],
               "route": "/api/sync/push"}
    with tempfile.TemporaryDirectory() as directory, app.app_context():
        path = Path(directory) / "central.db"
        shutil.copy(app.config["DATABASE"], path)
        server = Server(path, {"visit": apply_visit}, connect)
        client = Client(items)
        run(server, client, steps, context,
            make_valid=lambda item: item if item["payload"]["fields"]["analysis"] != [""]
            else with_analysis(item, "Corrected: seen and well."),
            second_version=lambda item: with_analysis(item, "A second version of this visit."),
            check=VisitChecks(seeded))
        final = dict(server.db.execute(
            "SELECT v.id, v.analysis FROM visit_records v JOIN sync_receipts r ON r.item_id = v.id").fetchall())
        assert final == {item["id"]: item["payload"]["fields"]["analysis"][0] for item in client.items}
        server.db.close()
