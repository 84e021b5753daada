"""A small, hand-built world on a fresh database, for unit tests of the domain.

Two agencies, two teams, a worker and a lead in team A, a worker in team B, an
admin; family A (team A, assigned to the worker) with a baby and a school-age
child; family B (team B, assigned to the other worker) with one child.

Every date is counted back from `today` (the clock's day unless a test passes one), so the baby
is always under six months and the plans always began a few months ago. Passing
today=date(2026, 11, 25) gives the world the tests were first written against (the baby born on
1 August 2026, the plans from 1 September), for tests that also pass that day to the function
they test.
"""
import uuid
from datetime import timedelta

from tests.clock import days_ago, iso, today as clock_today

from fieldvisit.db import connect
from fieldvisit.migrations import upgrade
from fieldvisit.visits.domain import HOME_CONDITION_HEADINGS


def fresh_db(path=":memory:"):
    db = connect(path)
    upgrade(db)
    return db


def build_world(db, today=None):
    today = today or clock_today()
    council = db["agencies"].insert({"name": "Council", "kind": "childrens_social_care"}).last_pk
    health = db["agencies"].insert({"name": "Health", "kind": "health"}).last_pk
    team_a = db["teams"].insert({"name": "Team A", "agency_id": council}).last_pk
    team_b = db["teams"].insert({"name": "Team B", "agency_id": health}).last_pk

    def person(username, role, team, agency):
        pk = db["practitioners"].insert({
            "username": username, "display_name": username.title(), "role": role,
            "team_id": team, "password_hash": "x", "active": 1}).last_pk
        return {"id": pk, "username": username, "display_name": username.title(), "role": role,
                "team_id": team, "agency_id": agency}

    world = {
        "council": council, "health": health, "team_a": team_a, "team_b": team_b,
        "worker": person("worker", "family_support_worker", team_a, council),
        "lead": person("lead", "team_lead", team_a, council),
        "other": person("other", "health_visitor", team_b, health),
        "admin": person("admin", "admin", None, None),
    }

    def family(name, team):
        return db["families"].insert({"name": name, "address": "1 Any Street", "postcode": "NF1 1AA",
                                      "team_id": team, "created_at": iso(days_ago(328, today))}).last_pk

    def child(family_id, first_name, born, plan="none", mobile=1, start=None):
        return db["children"].insert({
            "family_id": family_id, "first_name": first_name, "last_name": "Test",
            "date_of_birth": born, "independently_mobile": mobile, "plan": plan,
            "plan_category": "neglect" if plan == "child_protection" else None,
            "plan_start_date": start}).last_pk

    world["family_a"] = family("Family A", team_a)
    world["family_b"] = family("Family B", team_b)
    plan_start = iso(days_ago(85, today))
    world["today"] = today
    world["baby"] = child(world["family_a"], "Baby", iso(days_ago(116, today)), "child_protection", mobile=0,
                          start=plan_start)                                   # 3 months old
    world["older"] = child(world["family_a"], "Older", iso(days_ago(3177, today)), "child_protection",
                           start=plan_start)                                  # 8 years old
    world["child_b"] = child(world["family_b"], "Bee", iso(days_ago(2395, today)), "child_in_need",
                             start=iso(days_ago(177, today)))                 # 6 years old
    world["plan_start"] = plan_start
    db["assignments"].insert({"family_id": world["family_a"], "practitioner_id": world["worker"]["id"]})
    db["assignments"].insert({"family_id": world["family_b"], "practitioner_id": world["other"]["id"]})
    return world


def scheduled(db, family_id, practitioner_id, due_at=None):
    """A scheduled visit, by default due five days ago at 10:00 and made 24 days ago."""
    return db["scheduled_visits"].insert({
        "family_id": family_id, "practitioner_id": practitioner_id, "visit_type": "planned",
        "due_at": due_at or iso(days_ago(5), "10:00"), "status": "scheduled", "joint": 0, "version": 1,
        "created_by": practitioner_id, "created_at": iso(days_ago(24))}).last_pk


def child_entry(child_id, seen=True, alone=False, bedroom=False, **extra):
    entry = {"child_id": child_id, "seen": seen, "seen_alone": alone, "bedroom_seen": bedroom,
             "found_alone": False, "presentation": "", "words": "", "demeanour": ""}
    entry.update(extra)
    return entry


def visit_data(family_id, children, **overrides):
    """The plain data `record_visit` takes: a completed visit five days ago unless overridden."""
    day = days_ago(5)
    visit = {
        "id": str(uuid.uuid4()),
        "family_id": family_id,
        "scheduled_visit_id": None,
        "visit_type": "unannounced",
        "happened_at": iso(day, "10:30"),
        "duration_minutes": 45,
        "outcome": "completed",
        "children": children,
        "adults": [{"name": "Kerry Test", "relationship": "Mother", "presence": "present"},
                   {"name": "Dan", "relationship": "Father", "presence": "expected_absent"}],
        "regular_visitors": "Grandmother on Sundays",
        "home_conditions": [{"heading": heading, "rating": "adequate", "note": ""}
                            for heading in HOME_CONDITION_HEADINGS],
        "alcohol": {"containers": [{"count": 2, "type": "spirits_bottle", "where": "behind the sofa"}],
                    "smell": False, "intoxication_observed": False, "intoxication_details": "",
                    "other_substances": "", "parent_account": "Says she does not drink."},
        "child_alone": "no",
        "child_alone_details": "",
        "analysis": "Bottles do not match the account.",
        "actions": "Discuss with team lead.",
        "next_visit_due": iso(day + timedelta(days=7)),
        "recorded_at": iso(day, "11:30:00"),
    }
    visit.update(overrides)
    return visit
