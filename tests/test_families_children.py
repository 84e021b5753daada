"""Children's visiting status and working days.

Rule 17: a visit where the child was not seen is not a visit to that child.
Rule 15: each plan sets the visit frequency in working days; overdue is counted in working days.
Working days exclude weekends and the bank holidays of England and Wales.
"""
from datetime import date

import pytest

from fieldvisit import settings
from fieldvisit.families.domain import (age_in_months, children_with_status, describe_age, last_seen,
                                 visiting_status)
from fieldvisit.visits.domain import record_visit
from fieldvisit.workdays import add_working_days, is_working_day, to_date, working_days_between
from tests.factories import build_world, child_entry, fresh_db, visit_data
from tests.clock import days_ago, iso

# Three visits in the last month, oldest first, by the clock the app reads too.
EARLY, MIDDLE, LATEST = (iso(days_ago(n), "10:00") for n in (23, 20, 16))


@pytest.fixture
def db():
    database = fresh_db()
    yield database
    database.close()


@pytest.fixture
def world(db, today):
    return build_world(db, today)


def visit(db, world, happened_at, baby, older, outcome="completed"):
    """A visit to family A; `baby` and `older` are (seen, alone, bedroom)."""
    children = [child_entry(world["baby"], *baby), child_entry(world["older"], *older)]
    data = visit_data(world["family_a"], children, happened_at=happened_at, outcome=outcome)
    record_visit(db, data, world["worker"], happened_at)
    return data["id"]


SEEN, SEEN_ALONE, NOT_SEEN = (True, False, False), (True, True, True), (False, False, False)


# --- last_seen -----------------------------------------------------------------------------

def test_a_child_never_visited_has_never_been_seen(db, world):
    assert last_seen(db, [world["baby"]]) == {
        world["baby"]: {"child_id": world["baby"], "last_seen": None, "last_seen_alone": None,
                        "bedroom_last_seen": None}}
    assert last_seen(db, []) == {}


def test_last_seen_is_the_latest_completed_visit_where_the_child_was_seen(db, world):
    visit(db, world, EARLY, SEEN_ALONE, SEEN_ALONE)
    visit(db, world, LATEST, SEEN, SEEN)
    visit(db, world, MIDDLE, SEEN, SEEN)  # recorded late: not the latest
    assert last_seen(db, [world["baby"], world["older"]]) == {
        world["baby"]: {"child_id": world["baby"], "last_seen": LATEST,
                        "last_seen_alone": EARLY, "bedroom_last_seen": EARLY},
        world["older"]: {"child_id": world["older"], "last_seen": LATEST,
                         "last_seen_alone": EARLY, "bedroom_last_seen": EARLY},
    }


def test_a_visit_where_the_child_was_not_seen_does_not_count_rule_17(db, world):
    visit(db, world, EARLY, SEEN, SEEN)
    # A later completed visit: the older child was seen, the baby was asleep upstairs and not seen.
    visit(db, world, LATEST, NOT_SEEN, SEEN_ALONE)
    seen = last_seen(db, [world["baby"], world["older"]])
    assert seen[world["baby"]]["last_seen"] == EARLY
    assert seen[world["baby"]]["last_seen_alone"] is None
    assert seen[world["older"]]["last_seen"] == LATEST


@pytest.mark.parametrize("outcome", ["no_answer", "refused_entry", "not_at_home"])
def test_a_visit_that_did_not_go_ahead_is_not_a_visit_to_anyone(db, world, outcome):
    visit(db, world, LATEST, NOT_SEEN, NOT_SEEN, outcome=outcome)
    seen = last_seen(db, [world["baby"], world["older"]])
    assert [seen[c]["last_seen"] for c in (world["baby"], world["older"])] == [None, None]


def test_seen_alone_and_bedroom_seen_are_tracked_apart(db, world):
    visit(db, world, EARLY, (True, True, False), (True, False, True))
    visit(db, world, LATEST, (True, False, True), (True, True, False))
    seen = last_seen(db, [world["baby"], world["older"]])
    assert (seen[world["baby"]]["last_seen_alone"], seen[world["baby"]]["bedroom_last_seen"]) == \
        (EARLY, LATEST)
    assert (seen[world["older"]]["last_seen_alone"], seen[world["older"]]["bedroom_last_seen"]) == \
        (LATEST, EARLY)


def test_another_childs_visits_do_not_count(db, world):
    visit(db, world, LATEST, SEEN, SEEN)
    assert last_seen(db, [world["child_b"]])[world["child_b"]]["last_seen"] is None


# --- visiting_status -----------------------------------------------------------------------

def child(plan="child_protection", start="2026-09-01"):
    return {"plan": plan, "plan_start_date": start}


def seen_on(day, alone=None, bedroom=None):
    return {"last_seen": day, "last_seen_alone": alone, "bedroom_last_seen": bedroom}


NEVER = seen_on(None)


def test_a_child_protection_plan_is_due_10_working_days_after_last_seen():
    # Seen Monday 2 November 2026: 10 working days later is Monday 16 November.
    status = visiting_status(child(), seen_on("2026-11-02T10:00", "2026-10-26T10:00"), date(2026, 11, 10),
                             settings.DEFAULTS)
    assert status == {"days_since_seen": 8, "days_since_seen_alone": 15, "days_since_bedroom_seen": None,
                      "next_due": date(2026, 11, 16), "overdue_working_days": 0}


def test_overdue_is_counted_in_working_days():
    # Due Monday 16 November; on Wednesday 25 November it is 7 working days overdue.
    status = visiting_status(child(), seen_on("2026-11-02T10:00"), date(2026, 11, 25), settings.DEFAULTS)
    assert (status["next_due"], status["overdue_working_days"], status["days_since_seen"]) == \
        (date(2026, 11, 16), 7, 23)


def test_due_today_is_not_overdue():
    status = visiting_status(child(), seen_on("2026-11-02T10:00"), date(2026, 11, 16), settings.DEFAULTS)
    assert status["overdue_working_days"] == 0


def test_a_child_in_need_plan_is_due_20_working_days_after_last_seen():
    status = visiting_status(child("child_in_need"), seen_on("2026-11-02"), date(2026, 11, 3), settings.DEFAULTS)
    assert status["next_due"] == date(2026, 11, 30)


def test_christmas_and_new_year_bank_holidays_push_the_due_date():
    # Seen Friday 18 December 2026; 25, 28 December and 1 January are bank holidays.
    status = visiting_status(child(), seen_on("2026-12-18T10:00"), date(2026, 12, 21), settings.DEFAULTS)
    assert status["next_due"] == date(2027, 1, 6)


def test_a_child_never_seen_is_due_from_the_start_of_the_plan():
    status = visiting_status(child(start="2026-09-01"), NEVER, date(2026, 9, 22), settings.DEFAULTS)
    assert status["next_due"] == date(2026, 9, 15)
    assert status["overdue_working_days"] == 5
    assert status["days_since_seen"] is None


def test_a_child_without_a_plan_has_no_due_date():
    status = visiting_status(child("none", None), seen_on("2025-01-01"), date(2026, 11, 10), settings.DEFAULTS)
    assert (status["next_due"], status["overdue_working_days"], status["days_since_seen"]) == (None, 0, 678)


def test_the_partnership_sets_the_frequency(db):
    settings.save(db, "visit_every_working_days", {"child_protection": 5, "child_in_need": 10})
    status = visiting_status(child(), seen_on("2026-11-02"), date(2026, 11, 3), settings.load(db))
    assert status["next_due"] == date(2026, 11, 9)


def test_children_with_status_adds_each_childs_status_to_its_row(db):
    # The world as it was on 25 November 2026, the day given to children_with_status: both dates explicit.
    world = build_world(db, today=date(2026, 11, 25))
    visit(db, world, "2026-11-02T10:00", NOT_SEEN, SEEN_ALONE)
    rows = list(db.query("SELECT * FROM children WHERE family_id = ? ORDER BY id", [world["family_a"]]))
    baby, older = children_with_status(db, rows, date(2026, 11, 25), settings.DEFAULTS)
    # The baby was not seen on 2 November: due 10 working days from the plan start (1 September).
    assert (baby["days_since_seen"], baby["next_due"], baby["age"]) == (None, date(2026, 9, 15), "3 months")
    assert baby["overdue_working_days"] == working_days_between(date(2026, 9, 15), date(2026, 11, 25))
    assert (older["days_since_seen"], older["days_since_seen_alone"], older["next_due"],
            older["overdue_working_days"], older["age"]) == (23, 23, date(2026, 11, 16), 7, "8 years")
    assert older["first_name"] == "Older"  # the child's own columns are kept


# --- ages ----------------------------------------------------------------------------------

@pytest.mark.parametrize("born, on, months, words", [
    ("2026-08-01", date(2026, 11, 25), 3, "3 months"),
    ("2026-10-31", date(2026, 11, 30), 0, "0 months"),
    ("2026-10-25", date(2026, 11, 25), 1, "1 month"),
    ("2024-11-26", date(2026, 11, 25), 23, "23 months"),
    ("2024-11-25", date(2026, 11, 25), 24, "2 years"),
    ("2018-03-15", date(2026, 11, 25), 104, "8 years"),
])
def test_ages(born, on, months, words):
    assert age_in_months(born, on) == months
    assert describe_age(born, on) == words


# --- working days --------------------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    (date(2026, 11, 20), True),    # a Friday
    (date(2026, 11, 21), False),   # Saturday
    (date(2026, 11, 22), False),   # Sunday
    (date(2026, 4, 3), False),     # Good Friday
    (date(2026, 4, 6), False),     # Easter Monday
    (date(2027, 3, 29), False),    # Easter Monday 2027
    (date(2026, 5, 4), False),     # Early May bank holiday
    (date(2026, 5, 25), False),    # Spring bank holiday
    (date(2026, 8, 31), False),    # Summer bank holiday (England and Wales, not Scotland's)
    (date(2026, 8, 3), True),      # Scotland's summer bank holiday is a working day here
    (date(2026, 12, 25), False),   # Christmas Day, a Friday
    (date(2026, 12, 28), False),   # Boxing Day falls on a Saturday: substitute Monday
    (date(2026, 12, 29), True),
    (date(2027, 12, 27), False),   # Christmas Day on a Saturday: substitute Monday
    (date(2027, 12, 28), False),   # Boxing Day on a Sunday: substitute Tuesday
    (date(2027, 12, 29), True),
    (date(2022, 1, 3), False),     # New Year's Day on a Saturday: substitute Monday
    (date(2027, 1, 1), False),
    (date(2027, 1, 4), True),
    (date(2026, 3, 17), True),     # St Patrick's Day is not a bank holiday in England
    (date(2027, 1, 4), True),      # 2 January is a Scottish holiday only
])
def test_working_days_in_england(day, working):
    assert is_working_day(day) is working


def test_add_working_days_skips_weekends_and_bank_holidays():
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)   # Friday -> Monday
    assert add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)   # Saturday -> Monday
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)      # over Easter
    assert add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)  # over Christmas
    assert add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)


def test_working_days_between_counts_after_start_up_to_and_including_end():
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 23)) == 1
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 20)) == 0
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 20)) == -1
    assert working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 4  # 29, 30, 31 Dec and 4 Jan
    # The two functions agree.
    for count in range(0, 30):
        start = date(2026, 12, 10)
        assert working_days_between(start, add_working_days(start, count)) == count


def test_to_date_reads_dates_and_date_times():
    assert to_date("2026-11-20T10:30") == date(2026, 11, 20)
    assert to_date("2026-11-20") == date(2026, 11, 20)
    assert to_date(date(2026, 11, 20)) == date(2026, 11, 20)
    assert to_date(None) is None
