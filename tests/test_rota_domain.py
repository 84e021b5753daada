"""The rota as plain data: working days, visiting rules and overdue, seen-alone and bedroom
alternation, scheduling with its history and conflicts, clashes (SAFEGUARDING.md rules 15-17)."""
from datetime import date, datetime

import pytest

from fieldvisit import settings
from fieldvisit.families.domain import alternation, children_with_status
from fieldvisit.rota import domain
from fieldvisit.visits.domain import record_visit
from fieldvisit.workdays import add_working_days, working_days_between
from tests.factories import build_world, child_entry, fresh_db, scheduled, visit_data

NOW = datetime(2026, 11, 16, 9, 0)  # a Monday


@pytest.fixture
def db():
    database = fresh_db()
    yield database
    database.close()


@pytest.fixture
def world(db):
    """The world of 25 November 2026 (the baby 3 months old, the plans from 1 September): every test
    here passes its own day or time (NOW) to the function it tests, so both dates are explicit."""
    return build_world(db, today=date(2026, 11, 25))


# --- working days across weekends and bank holidays -----------------------------------------

@pytest.mark.parametrize("start, count, expected", [
    (date(2026, 11, 20), 1, date(2026, 11, 23)),    # Friday + 1: the weekend is skipped
    (date(2026, 11, 16), 10, date(2026, 11, 30)),   # two working weeks
    (date(2026, 12, 23), 2, date(2026, 12, 29)),    # Christmas Day (Fri) and Boxing Day substitute (Mon 28th)
    (date(2027, 12, 23), 1, date(2027, 12, 24)),
    (date(2027, 12, 24), 1, date(2027, 12, 29)),    # 2027: Christmas on Saturday, substitutes Mon 27th and Tue 28th
    (date(2026, 4, 2), 1, date(2026, 4, 7)),        # Easter 2026: Good Friday 3 April, Easter Monday 6 April
    (date(2027, 3, 25), 1, date(2027, 3, 30)),      # Easter 2027: Good Friday 26 March, Easter Monday 29 March
])
def test_working_days_skip_weekends_and_bank_holidays(start, count, expected):
    assert add_working_days(start, count) == expected
    assert working_days_between(start, expected) == count


def test_working_days_between_counts_backwards_as_negative():
    assert working_days_between(date(2026, 12, 29), date(2026, 12, 23)) == -2


# --- visiting rules and overdue (rule 15) --------------------------------------------------

def rows(db, family_id):
    return list(db.query("SELECT * FROM children WHERE family_id = ? ORDER BY date_of_birth DESC", [family_id]))


def test_a_plans_own_visiting_rules_decide_when_the_next_visit_is_due(db, world):
    record_visit(db, visit_data(world["family_a"], [child_entry(world["baby"]), child_entry(world["older"])],
                                happened_at="2026-11-02T10:00"), world["worker"], "2026-11-02T11:00")
    domain.set_visiting_rules(db, world["older"], {"every_working_days": 5, "seen_alone_every_visits": 1,
                                                   "bedroom_seen_every_visits": 3, "reason": "Core group 1 Nov"},
                              world["lead"]["id"], NOW)
    baby, older = children_with_status(db, rows(db, world["family_a"]), date(2026, 11, 16), settings.DEFAULTS)
    assert baby["next_due"] == date(2026, 11, 16) and baby["overdue_working_days"] == 0   # default 10 working days
    assert older["next_due"] == date(2026, 11, 9) and older["overdue_working_days"] == 5  # its own 5
    assert older["rules"]["from_plan"] and older["rules"]["set_by_name"] == "Lead"
    assert not baby["rules"]["from_plan"]


def test_overdue_is_counted_in_working_days_over_christmas(db, world):
    record_visit(db, visit_data(world["family_a"], [child_entry(world["baby"]), child_entry(world["older"])],
                                happened_at="2026-12-17T10:00"), world["worker"], "2026-12-17T11:00")
    [_, older] = children_with_status(db, rows(db, world["family_a"]), date(2027, 1, 8), settings.DEFAULTS)
    # 10 working days from Thursday 17 December, skipping 25 and 28 December and 1 January.
    assert older["next_due"] == date(2027, 1, 5)
    assert older["overdue_working_days"] == 3


def test_frequency_zero_or_no_reason_is_refused_and_nothing_is_stored(db, world):
    with pytest.raises(domain.RotaInvalid) as refused:
        domain.set_visiting_rules(db, world["older"], {"every_working_days": 0, "seen_alone_every_visits": 2,
                                                       "bedroom_seen_every_visits": 2, "reason": ""},
                                  world["lead"]["id"], NOW)
    assert set(refused.value.errors) == {"every_working_days", "reason"}
    assert db.execute("SELECT count(*) FROM visiting_rules").fetchone()[0] == 0


def test_visiting_rules_keep_every_earlier_version(db, world):
    for every in (10, 5):
        domain.set_visiting_rules(db, world["older"], {"every_working_days": every, "seen_alone_every_visits": 2,
                                                       "bedroom_seen_every_visits": 2, "reason": f"Every {every}"},
                                  world["lead"]["id"], NOW)
    assert [r["every_working_days"] for r in domain.visiting_rules_history(db, world["older"])] == [5, 10]
    with pytest.raises(Exception):
        db.execute("UPDATE visiting_rules SET every_working_days = 1")


# --- seen alone and bedroom seen at least every other visit ---------------------------------

@pytest.mark.parametrize("flags, every, expected", [
    ([], 2, {"visits_since": 0, "due_next": False, "missed": False}),
    ([True], 2, {"visits_since": 0, "due_next": False, "missed": False}),
    ([False], 2, {"visits_since": 1, "due_next": True, "missed": False}),
    ([False, True], 2, {"visits_since": 1, "due_next": True, "missed": False}),
    ([False, False], 2, {"visits_since": 2, "due_next": True, "missed": True}),
    ([False, False, True], 3, {"visits_since": 2, "due_next": True, "missed": False}),
    ([False], 1, {"visits_since": 1, "due_next": True, "missed": True}),
])
def test_alternation_newest_first(flags, every, expected):
    assert alternation(flags, every) == expected


def test_seen_alone_and_bedroom_alternation_from_the_visits_that_count(db, world):
    older, baby = world["older"], world["baby"]
    for day, alone, bedroom in (("2026-11-02", True, False), ("2026-11-05", False, True), ("2026-11-09", False, False)):
        record_visit(db, visit_data(world["family_a"], [child_entry(baby), child_entry(older, True, alone, bedroom)],
                                    happened_at=f"{day}T10:00"), world["worker"], f"{day}T11:00")
    # A visit where the child was not seen does not count (rule 17).
    record_visit(db, visit_data(world["family_a"], [child_entry(baby, False), child_entry(older, False)],
                                happened_at="2026-11-10T10:00", outcome="no_answer", home_conditions=[]),
                 world["worker"], "2026-11-10T11:00")
    baby_row, older_row = children_with_status(db, rows(db, world["family_a"]), date(2026, 11, 11), settings.DEFAULTS)
    assert older_row["seen_alone_rule"] == {"visits_since": 2, "due_next": True, "missed": True}
    assert older_row["bedroom_rule"] == {"visits_since": 1, "due_next": True, "missed": False}
    assert baby_row["seen_alone_rule"] is None  # a 3-month-old is not asked to be seen alone (setting)
    assert older_row["counted_visits"] == 3


def test_no_visit_since_the_plan_started(db, world):
    record_visit(db, visit_data(world["family_a"], [child_entry(world["baby"]), child_entry(world["older"])],
                                happened_at="2026-08-20T10:00"), world["worker"], "2026-08-20T11:00")
    baby, older = children_with_status(db, rows(db, world["family_a"]), date(2026, 9, 10), settings.DEFAULTS)
    assert baby["no_visit_since_plan_start"] and older["no_visit_since_plan_start"]  # plan from 1 September


# --- scheduling, its history and conflicts -------------------------------------------------

def schedule(db, world, **overrides):
    values = dict(family_id=world["family_a"], practitioner_id=world["worker"]["id"], visit_type="planned",
                  due_at=datetime(2026, 11, 18, 10, 0), joint=False, reason="Plan visit",
                  author_id=world["lead"]["id"], now=NOW)
    values.update(overrides)
    return domain.schedule_visit(db, **values)


def test_scheduling_keeps_who_when_and_why(db, world):
    visit_id = schedule(db, world)
    [change] = domain.changes_for(db, [visit_id])[visit_id]
    assert (change["version"], change["change"], change["reason"], change["changed_by_name"]) == (1, "scheduled", "Plan visit", "Lead")
    assert change["after"] == {"practitioner_id": world["worker"]["id"], "visit_type": "planned",
                               "due_at": "2026-11-18T10:00", "joint": 0, "status": "scheduled"}


@pytest.mark.parametrize("overrides, field", [
    ({"due_at": datetime(2026, 11, 16, 8, 0)}, "due_date"),          # in the past
    ({"practitioner_id": "other"}, "practitioner_id"),               # another team's practitioner, not assigned
    ({"practitioner_id": "admin"}, "practitioner_id"),
    ({"visit_type": "surprise"}, "visit_type"),
])
def test_scheduling_in_the_past_or_with_someone_outside_the_team_is_refused(db, world, overrides, field):
    if overrides.get("practitioner_id") in ("other", "admin"):
        overrides["practitioner_id"] = world[overrides["practitioner_id"]]["id"]
    with pytest.raises(domain.RotaInvalid) as refused:
        schedule(db, world, **overrides)
    assert field in refused.value.errors
    assert db.execute("SELECT count(*) FROM scheduled_visits").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM scheduled_visit_changes").fetchone()[0] == 0


def test_a_practitioner_of_another_agency_assigned_to_the_family_may_be_scheduled(db, world):
    db["assignments"].insert({"family_id": world["family_a"], "practitioner_id": world["other"]["id"]})
    assert schedule(db, world, practitioner_id=world["other"]["id"])


def test_reassigning_bumps_the_version_and_keeps_the_before_and_after(db, world):
    visit_id = schedule(db, world)
    version = domain.change_visit(db, visit_id, base_version=1, practitioner_id=world["lead"]["id"],
                                  due_at=datetime(2026, 11, 19, 14, 0), joint=False, reason="Worker on leave",
                                  author_id=world["lead"]["id"], now=NOW)
    assert version == 2
    row = db["scheduled_visits"].get(visit_id)
    assert (row["practitioner_id"], row["due_at"], row["version"]) == (world["lead"]["id"], "2026-11-19T14:00", 2)
    change = domain.changes_for(db, [visit_id])[visit_id][-1]
    assert change["before"]["practitioner_id"] == world["worker"]["id"] and change["reason"] == "Worker on leave"


def test_a_change_from_an_older_version_is_a_conflict_and_changes_nothing(db, world):
    visit_id = schedule(db, world)
    domain.cancel_visit(db, visit_id, base_version=1, reason="Family away", author_id=world["worker"]["id"], now=NOW)
    with pytest.raises(domain.RotaConflict) as conflict:
        domain.change_visit(db, visit_id, base_version=1, practitioner_id=world["worker"]["id"],
                            due_at=datetime(2026, 11, 20, 9, 0), joint=False, reason="Move",
                            author_id=world["lead"]["id"], now=NOW)
    assert conflict.value.current["status"] == "cancelled"
    assert [c["change"] for c in conflict.value.changes] == ["cancelled"]
    row = db["scheduled_visits"].get(visit_id)
    assert (row["due_at"], row["version"], row["status"]) == ("2026-11-18T10:00", 2, "cancelled")


def test_a_change_that_changes_nothing_or_has_no_reason_is_refused(db, world):
    visit_id = schedule(db, world)
    with pytest.raises(domain.RotaInvalid) as refused:
        domain.change_visit(db, visit_id, base_version=1, practitioner_id=world["worker"]["id"],
                            due_at=datetime(2026, 11, 18, 10, 0), joint=False, reason="",
                            author_id=world["lead"]["id"], now=NOW)
    assert "reason" in refused.value.errors
    with pytest.raises(domain.RotaInvalid) as refused:
        domain.change_visit(db, visit_id, base_version=1, practitioner_id=world["worker"]["id"],
                            due_at=datetime(2026, 11, 18, 10, 0), joint=False, reason="Why not",
                            author_id=world["lead"]["id"], now=NOW)
    assert "Nothing has changed" in refused.value.errors["due_date"]
    assert db["scheduled_visits"].get(visit_id)["version"] == 1


def test_the_history_is_append_only(db, world):
    schedule(db, world)
    with pytest.raises(Exception):
        db.execute("UPDATE scheduled_visit_changes SET reason = 'rewritten'")


# --- clashes (rule 16) ---------------------------------------------------------------------

def visit(id, family, due, agency, joint=0, status="scheduled"):
    return {"id": id, "family_id": family, "due_at": due, "agency_id": agency, "joint": joint, "status": status}


def test_two_agencies_on_one_family_on_one_day_clash_unless_both_are_joint():
    visits = [visit(1, 7, "2026-11-18T10:00", 1), visit(2, 7, "2026-11-18T15:00", 2),
              visit(3, 7, "2026-11-19T10:00", 1), visit(4, 7, "2026-11-19T11:00", 1),   # same agency: no clash
              visit(5, 8, "2026-11-18T10:00", 2),                                        # another family
              visit(6, 9, "2026-11-20T10:00", 1, joint=1), visit(7, 9, "2026-11-20T10:00", 2, joint=1),
              visit(8, 10, "2026-11-20T10:00", 1), visit(9, 10, "2026-11-20T12:00", 2, status="cancelled")]
    assert domain.clashing_ids(visits) == {1, 2}


def test_due_this_week_lists_overdue_first_then_by_due_date():
    children = [
        {"id": 1, "next_due": date(2026, 11, 19), "overdue_working_days": 0, "date_of_birth": "2020-01-01"},
        {"id": 2, "next_due": date(2026, 11, 2), "overdue_working_days": 10, "date_of_birth": "2020-01-01"},
        {"id": 3, "next_due": date(2026, 11, 30), "overdue_working_days": 0, "date_of_birth": "2020-01-01"},
        {"id": 4, "next_due": date(2026, 11, 12), "overdue_working_days": 2, "date_of_birth": "2020-01-01"},
        {"id": 5, "next_due": None, "overdue_working_days": 0, "date_of_birth": "2020-01-01"},
    ]
    assert [c["id"] for c in domain.due_this_week(children, date(2026, 11, 20))] == [2, 4, 1]


def test_a_recorded_visit_is_no_longer_scheduled(db, world):
    scheduled_id = scheduled(db, world["family_a"], world["worker"]["id"], "2026-11-20T10:00")
    record_visit(db, visit_data(world["family_a"], [child_entry(world["baby"]), child_entry(world["older"])],
                                scheduled_visit_id=scheduled_id), world["worker"], "2026-11-20T11:00")
    with pytest.raises(domain.RotaInvalid):
        domain.cancel_visit(db, scheduled_id, base_version=2, reason="x", author_id=world["lead"]["id"], now=NOW)
