"""A small, hand-built world on a fresh database, for unit tests of the domain.

Two agencies, two teams, a worker and a lead in team A, a worker in team B, an
admin; family A (team A, assigned to the worker) with a baby and a school-age
child; family B (team B, assigned to the other worker) with one child.
"""
import uuid

from fieldvisit.db import connect
from fieldvisit.migrations import upgrade
from fieldvisit.visits.domain import HOME_CONDITION_HEADINGS


def fresh_db(path=":memory:"):
    db = connect(path)
    upgrade(db)
    return db


def build_world(db):
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
                                      "team_id": team, "created_at": "2026-01-01"}).last_pk

    def child(family_id, first_name, born, plan="none", mobile=1, start=None):
        return db["children"].insert({
            "family_id": family_id, "first_name": first_name, "last_name": "Test",
            "date_of_birth": born, "independently_mobile": mobile, "plan": plan,
            "plan_category": "neglect" if plan == "child_protection" else None,
            "plan_start_date": start}).last_pk

    world["family_a"] = family("Family A", team_a)
    world["family_b"] = family("Family B", team_b)
    world["baby"] = child(world["family_a"], "Baby", "2026-08-01", "child_protection", mobile=0, start="2026-09-01")
    world["older"] = child(world["family_a"], "Older", "2018-03-15", "child_protection", start="2026-09-01")
    world["child_b"] = child(world["family_b"], "Bee", "2020-05-05", "child_in_need", start="2026-06-01")
    db["assignments"].insert({"family_id": world["family_a"], "practitioner_id": world["worker"]["id"]})
    db["assignments"].insert({"family_id": world["family_b"], "practitioner_id": world["other"]["id"]})
    return world


def scheduled(db, family_id, practitioner_id, due_at="2026-11-20T10:00"):
    return db["scheduled_visits"].insert({
        "family_id": family_id, "practitioner_id": practitioner_id, "visit_type": "planned",
        "due_at": due_at, "status": "scheduled", "joint": 0, "version": 1,
        "created_by": practitioner_id, "created_at": "2026-11-01"}).last_pk


def child_entry(child_id, seen=True, alone=False, bedroom=False, **extra):
    entry = {"child_id": child_id, "seen": seen, "seen_alone": alone, "bedroom_seen": bedroom,
             "found_alone": False, "presentation": "", "words": "", "demeanour": ""}
    entry.update(extra)
    return entry


def visit_data(family_id, children, **overrides):
    """The plain data `record_visit` takes: a completed visit unless overridden."""
    visit = {
        "id": str(uuid.uuid4()),
        "family_id": family_id,
        "scheduled_visit_id": None,
        "visit_type": "unannounced",
        "happened_at": "2026-11-20T10:30",
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
        "next_visit_due": "2026-11-27",
        "recorded_at": "2026-11-20T11:30:00",
    }
    visit.update(overrides)
    return visit
