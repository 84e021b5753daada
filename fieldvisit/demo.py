"""A synthetic local authority for demonstrations and tests. Every name is made up."""
import random
import secrets
import uuid
from datetime import date, datetime, time, timedelta

from fieldvisit.families import cases
from fieldvisit.passwords import hash_password
from fieldvisit.rota.demo import seed_lead_examples
from fieldvisit.visits.domain import HOME_CONDITION_HEADINGS, record_visit

DEMO_SIGN_INS = {
    "demo-worker": ("Sam Demo-Worker", "family_support_worker", "family_support"),
    "demo-social-worker": ("Ali Demo-Social", "social_worker", "safeguarding"),
    "demo-health-visitor": ("Jo Demo-Health", "health_visitor", "health_visiting"),
    "demo-lead": ("Morgan Demo-Lead", "team_lead", "family_support"),
    "demo-admin": ("Robin Demo-Admin", "admin", None),
}
OTHER_PRACTITIONERS = [
    ("Priya Example", "family_support_worker", "family_support"),
    ("Tom Sample", "family_support_worker", "safeguarding"),
    ("Grace Specimen", "social_worker", "safeguarding"),
    ("Owen Placeholder", "social_worker", "family_support"),
    ("Nia Fictional", "health_visitor", "health_visiting"),
    ("Hannah Madeup", "team_lead", "safeguarding"),
    ("Dev Invented", "team_lead", "health_visiting"),
]
SURNAMES = ["Ashdown", "Brackley", "Caldwell", "Dunmore", "Elsworth", "Fenwick", "Garside", "Holloway",
            "Ingleby", "Jessop", "Kettering", "Lowther", "Marwood", "Netherby", "Oakridge", "Pennock",
            "Quarrie", "Redfern", "Stainton", "Thistlewood", "Underhill", "Varley", "Wetherall", "Yardley",
            "Alderton", "Birchall", "Cowlishaw", "Dacombe", "Eckersley", "Fairclough", "Gledhill",
            "Hebblethwaite", "Illingworth", "Jowett", "Kirkbride", "Lumb", "Mottershead", "Normanton",
            "Ormerod", "Pickersgill"]
CHILD_NAMES = ["Ava", "Leo", "Mia", "Noah", "Isla", "Oscar", "Ruby", "Alfie", "Freya", "Jack", "Poppy",
               "Theo", "Daisy", "Arlo", "Ivy", "Finn", "Rosie", "Reggie", "Evie", "Jude", "Maya", "Ezra",
               "Lily", "Rory", "Zara", "Milo", "Nell", "Otis", "Elsie", "Louie"]
ADULT_NAMES = ["Kerry", "Dean", "Stacey", "Lee", "Gemma", "Wayne", "Leanne", "Craig", "Donna", "Shane",
               "Jodie", "Carl", "Kelly", "Ryan", "Natalie", "Jason"]
STREETS = ["Mill Lane", "Chapel Street", "Station Road", "Quarry Bank", "Canal Side", "Foundry Close",
           "Weavers Row", "Orchard Way", "Beck View", "Tannery Court"]
TOWN = "Northfield"


def seed(db, password=None):
    """Create the demo local authority once; later runs only reset the demo sign-ins' password.

    Returns (password, created).
    """
    password = password or secrets.token_urlsafe(9)
    password_hash = hash_password(password)
    if db.execute("SELECT 1 FROM practitioners WHERE username = 'demo-worker'").fetchone():
        db.execute("UPDATE practitioners SET password_hash = ? WHERE username LIKE 'demo-%'", [password_hash])
        return password, False
    rng = random.Random(20261123)
    with db.atomic():
        teams = seed_organisations(db)
        people = seed_practitioners(db, teams, password_hash)
        seed_families(db, rng, teams, people)
        seed_lead_examples(db, people)  # issue 4: an escalation, missed appointments, an AUDIT-C
    return password, True


def seed_organisations(db):
    council = db["agencies"].insert({"name": "Northfield Children's Services", "kind": "childrens_social_care"}).last_pk
    health = db["agencies"].insert({"name": "Northfield Community Health", "kind": "health"}).last_pk
    return {
        "family_support": db["teams"].insert({"name": "Family Support Team", "agency_id": council}).last_pk,
        "safeguarding": db["teams"].insert({"name": "Safeguarding and Assessment Team", "agency_id": council}).last_pk,
        "health_visiting": db["teams"].insert({"name": "Health Visiting Team", "agency_id": health}).last_pk,
    }


def seed_practitioners(db, teams, password_hash):
    people = {}
    everyone = [(username, *details) for username, details in DEMO_SIGN_INS.items()]
    everyone += [(name.lower().replace(" ", "."), name, role, team) for name, role, team in OTHER_PRACTITIONERS]
    for username, name, role, team in everyone:
        people[username] = {"id": db["practitioners"].insert({
            "username": username, "display_name": name, "role": role,
            "team_id": teams[team] if team else None, "password_hash": password_hash, "active": 1,
        }).last_pk, "role": role, "team": team, "agency_id": None}
    for person in people.values():
        if person["team"]:
            person["agency_id"] = db.execute("SELECT agency_id FROM teams WHERE id = ?", [teams[person["team"]]]).fetchone()[0]
    seed_people_details(db)
    return people


def seed_people_details(db):
    """Issue 10: each practitioner's agency (the admin works for the council), each team's lead,
    and made-up NMC numbers for the health visitors (the format only: 2 digits, a letter, 4 digits, a letter)."""
    db.execute("UPDATE practitioners SET agency_id = (SELECT agency_id FROM teams WHERE teams.id = practitioners.team_id)"
               " WHERE team_id IS NOT NULL")
    db.execute("UPDATE practitioners SET agency_id = (SELECT min(id) FROM agencies) WHERE team_id IS NULL")
    db.execute("UPDATE teams SET lead_id = (SELECT min(p.id) FROM practitioners p WHERE p.team_id = teams.id"
               " AND p.role = 'team_lead')")
    for number, (practitioner_id,) in enumerate(db.execute(
            "SELECT id FROM practitioners WHERE role = 'health_visitor' ORDER BY id").fetchall()):
        db.execute("UPDATE practitioners SET registration_body = 'NMC', registration_number = ? WHERE id = ?",
                   [f"99Z{9000 + number:04d}X", practitioner_id])


def by_role(people, role, team):
    return [username for username, p in people.items() if p["role"] == role and p["team"] == team]


def seed_families(db, rng, teams, people):
    """Families, children, plans and assignments through the same functions as the pages (issue 10)."""
    today = date.today()
    now = datetime.now()
    workers = {"family_support": by_role(people, "family_support_worker", "family_support") + by_role(people, "social_worker", "family_support"),
               "safeguarding": by_role(people, "social_worker", "safeguarding") + by_role(people, "family_support_worker", "safeguarding")}
    health_visitors = by_role(people, "health_visitor", "health_visiting")
    admin = {"id": people["demo-admin"]["id"], "role": "admin", "team_id": None}
    for index, surname in enumerate(SURNAMES):
        team = "family_support" if index % 2 == 0 else "safeguarding"
        family = {
            "name": f"{surname} household", "address": f"{rng.randint(1, 140)} {rng.choice(STREETS)}, {TOWN}",
            "postcode": f"NF{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "team_id": teams[team], "case_reference": f"NF-{100201 + index}",
        }
        opened = today - timedelta(days=rng.randint(60, 700))
        family_id = cases.create_family(db, family, admin["id"], datetime.combine(opened, time(9)), source="demo")
        children = seed_children(db, rng, family_id, surname, today, index, admin["id"], now)
        for adult in rng.sample(ADULT_NAMES, rng.choice([1, 2, 2])):
            cases.add_adult(db, family_id, {"name": f"{adult} {surname}", "lives_in_household": "yes",
                                            "relationship": "Mother" if adult in ADULT_NAMES[::2] else "Father"},
                            admin["id"], now, source="demo")
        # demo-worker and demo-social-worker get a fair share of the families.
        worker = "demo-worker" if index % 4 == 0 else "demo-social-worker" if index % 4 == 1 else rng.choice(workers[team])
        assigned = [worker]
        if any(child["age_days"] < 5 * 365 for child in children):
            assigned.append("demo-health-visitor" if index % 3 != 2 else rng.choice(health_visitors))
        for username in assigned:
            cases.assign(db, family_id, {"practitioner_id": people[username]["id"]}, admin, now, today, source="demo")
        seed_schedule(db, rng, family_id, assigned, people, today, index)
        seed_history(db, rng, family_id, children, worker, people, today, index)


def demo_mobility(age_days, mobile):
    """The stage a demo child is recorded at, and a note for the practitioner."""
    if age_days >= 365:
        return ("walking", "") if mobile else ("not_mobile_disability",
                                               "Cerebral palsy: not independently mobile (uses a supportive seat).")
    if mobile:
        return "crawling", "Crawling"
    return ("not_yet_rolling", "Not yet rolling or crawling") if age_days < 120 else ("rolling", "Rolls over; not crawling")


def seed_children(db, rng, family_id, surname, today, index, actor_id, now):
    children = []
    count = 1 + (index % 3 != 0) + (index % 5 == 0) + (index % 4 == 0)
    plan = rng.choices(["child_protection", "child_in_need", "none"], [4, 4, 2])[0]
    category = rng.choice(["neglect", "physical_abuse", "emotional_abuse", "multiple"]) if plan == "child_protection" else None
    plan_start = (today - timedelta(days=rng.randint(20, 300))).isoformat() if plan != "none" else None
    for number in range(count):
        if number == 0 and index % 6 == 0:
            age_days = rng.randint(40, 170)  # a young baby: not independently mobile
        elif number == 0 and index % 6 == 3:
            age_days = rng.randint(190, 330)
        else:
            age_days = rng.randint(400, 15 * 365)
        mobile = age_days >= 300 if age_days < 365 else True
        if index == 9 and number == 0:
            age_days, mobile = 3 * 365 + 40, False
        first_name = rng.choice(CHILD_NAMES)
        child = {"first_name": first_name, "last_name": surname,
                 "date_of_birth": (today - timedelta(days=age_days)).isoformat(),
                 "sex": "female" if CHILD_NAMES.index(first_name) % 2 == 0 else "male"}
        child_id = cases.add_child(db, family_id, child, actor_id, now, today, source="demo")
        stage, note = demo_mobility(age_days, mobile)
        cases.record_mobility(db, child_id, {"mobility": stage, "recorded_on": today.isoformat(), "note": note},
                              actor_id, now, today, source="demo")
        if plan != "none":
            cases.start_plan(db, child_id, {"plan": plan, "category": category, "start_date": plan_start},
                             actor_id, now, today, source="demo")
        children.append({"id": child_id, "age_days": age_days})
    return children


def seed_schedule(db, rng, family_id, assigned, people, today, index):
    for offset_days, username in zip((index % 5, 1 + index % 6), assigned):
        day = today + timedelta(days=offset_days)
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        if username == "demo-worker" and index == 0:
            day = today  # demo-worker always has a visit today
        at = datetime.combine(day, time(rng.randint(9, 16), rng.choice([0, 15, 30, 45])))
        db["scheduled_visits"].insert({
            "family_id": family_id, "practitioner_id": people[username]["id"],
            "visit_type": "unannounced" if rng.random() < 0.3 else "planned", "due_at": at.isoformat(timespec="minutes"),
            "status": "scheduled", "joint": 0, "version": 1, "created_by": people["demo-lead"]["id"],
            "created_at": (today - timedelta(days=7)).isoformat()})


def seed_history(db, rng, family_id, children, worker, people, today, index):
    """A few past visits; some families are left overdue on purpose."""
    visits = 0 if index % 7 == 3 else rng.randint(1, 4)
    for number in range(visits):
        happened = datetime.combine(today - timedelta(days=rng.randint(15, 40) if index % 5 == 4 else 3 + number * 9 + rng.randint(0, 5)),
                                    time(rng.randint(9, 16), 0))
        seen_alone = number % 2 == 0
        visit = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "family_id": family_id, "scheduled_visit_id": None,
            "visit_type": "unannounced" if number % 3 == 2 else "planned", "happened_at": happened.isoformat(timespec="minutes"),
            "duration_minutes": rng.choice([30, 45, 60, 75]), "outcome": "completed",
            "children": [{"child_id": c["id"], "seen": True, "seen_alone": seen_alone and c["age_days"] > 3 * 365,
                          "bedroom_seen": number % 2 == 1, "found_alone": False,
                          "presentation": "Clean and appropriately dressed.", "words": "",
                          "demeanour": "Settled and played with toys."} for c in children],
            "adults": [], "regular_visitors": "",
            "home_conditions": [{"heading": h, "rating": rng.choice(["good", "adequate", "adequate", "poor"]), "note": ""}
                                for h in HOME_CONDITION_HEADINGS],
            "alcohol": {"containers": [{"count": 4, "type": "beer_cider_can", "where": "kitchen bin"}] if index % 8 == 1 else [],
                        "smell": False, "intoxication_observed": False, "intoxication_details": "",
                        "other_substances": "", "parent_account": "Says they drink at weekends only." if index % 8 == 1 else ""},
            "child_alone": "no", "child_alone_details": "",
            "analysis": "Home conditions broadly adequate. Plan continues.", "actions": "Continue visits as planned.",
            "next_visit_due": None, "recorded_at": happened.isoformat(timespec="minutes"),
        }
        record_visit(db, visit, {"id": people[worker]["id"], "agency_id": people[worker]["agency_id"]},
                     happened.isoformat(timespec="seconds"))
