"""child_visit_history (migration m0030): each child's visits by time, kept by a trigger in the
same transaction as the visit, read by the pages instead of every visit the child ever had."""
import random
from datetime import date, datetime, time, timedelta

from fieldvisit.families.domain import last_seen, recent_counted_visits
from fieldvisit.migrations import m0030_child_visit_history as child_visit_history_migration
from fieldvisit.visits.domain import record_visit
from tests.factories import build_world, child_entry, fresh_db, visit_data


def history(db):
    return sorted(db.execute("SELECT child_id, happened_at, visit_id, completed, seen, seen_alone, bedroom_seen"
                             " FROM child_visit_history").fetchall())


def from_evidence(db):
    return sorted(db.execute(
        "SELECT vc.child_id, v.happened_at, vc.visit_id, v.outcome = 'completed', vc.seen, vc.seen_alone,"
        " vc.bedroom_seen FROM visit_children vc JOIN visit_records v ON v.id = vc.visit_id").fetchall())


def brute_force(db, child_id, limit=12):
    """What the pages showed before m0030: every visit of the child, newest first."""
    rows = db.execute(
        "SELECT v.happened_at, vc.seen, vc.seen_alone, vc.bedroom_seen, v.outcome FROM visit_children vc"
        " JOIN visit_records v ON v.id = vc.visit_id WHERE vc.child_id = ? ORDER BY v.happened_at DESC",
        [child_id]).fetchall()
    done = [r for r in rows if r[4] == "completed"]
    latest = {flag: next((r[0] for r in done if r[i]), None)
              for i, flag in ((1, "last_seen"), (2, "last_seen_alone"), (3, "bedroom_last_seen"))}
    recent = [(bool(r[2]), bool(r[3])) for r in done if r[1]][:limit]
    return latest, recent


def test_the_history_holds_exactly_the_visits_children_and_agrees_with_the_evidence():
    db = fresh_db()
    world = build_world(db)
    rng = random.Random(13)
    start = date.today() - timedelta(days=400)
    for n in range(60):
        happened = datetime.combine(start + timedelta(days=rng.randint(0, 399)), time(10, rng.randint(0, 59)))
        outcome = rng.choice(["completed"] * 4 + ["no_answer"])
        went_ahead = outcome == "completed"
        children = []
        for key in ("baby", "older"):
            seen = went_ahead and rng.random() < 0.8
            children.append(child_entry(world[key], seen, seen and rng.random() < 0.4, seen and rng.random() < 0.3))
        record_visit(db, visit_data(world["family_a"], children, happened_at=happened.isoformat(timespec="minutes"),
                                    outcome=outcome),
                     world["worker"], happened.isoformat(timespec="seconds"))
    assert len(history(db)) == 120
    assert history(db) == from_evidence(db)
    for key in ("baby", "older"):
        child = world[key]
        latest, recent = brute_force(db, child)
        assert {k: v for k, v in last_seen(db, [child])[child].items() if k != "child_id"} == latest
        assert recent_counted_visits(db, [child])[child] == recent
        assert recent_counted_visits(db, [child], limit=3)[child] == recent[:3]
    db.close()


def test_the_migration_fills_the_history_from_visits_already_stored(tmp_path):
    db = fresh_db(tmp_path / "old.db")
    world = build_world(db)
    record_visit(db, visit_data(world["family_a"], [child_entry(world["baby"]), child_entry(world["older"], alone=True)]),
                 world["worker"], "2026-11-20T10:30:00")
    expected = history(db)
    db.execute("DROP TRIGGER child_visit_history_add")
    db.execute("DROP TRIGGER child_visit_history_append_only")
    db.execute("DROP TABLE child_visit_history")
    # Later migrations are applied already, so the runner would not go back to m0030: run it itself.
    child_visit_history_migration.upgrade(db)
    assert history(db) == expected == from_evidence(db) and len(expected) == 2
    db.close()
