"""A county-sized synthetic local authority (issue 13): every name and record is made up.

`fieldvisit demo --scale county` builds 30 teams of 10 practitioners, about 5,000 families with
10,000 children, and three years of their history: visits with the children seen and the home's
conditions, body-map marks, was-not-brought events, AUDIT-Cs, escalations and concerns with
their actions, the rota (recorded, past and coming visits with their change history), sync
receipts and the audit log's write lines.

The history is written with sqlite-utils `insert_all` in one transaction per team, not through
the per-record domain functions (which would take hours): the rows are the rows those functions
write (the same columns, a receipt and an audit line per record, a scheduled visit marked
recorded with its version bumped, an escalation for every child found alone), so the pages read
them as they read real ones. Nothing here is ever mixed with other records: `build` refuses a
database that holds any practitioner or family.
"""
import hashlib
import json
import random
import sys
import uuid
from datetime import date, datetime, time, timedelta

from fieldvisit import audit
from fieldvisit.bodymap import figures
from fieldvisit.bodymap.domain import placement
from fieldvisit.children_alone.rules import HOME_ALONE_SOURCE, HOME_ALONE_STEPS
from fieldvisit.demo import ADULT_NAMES, CHILD_NAMES, DEMO_SIGN_INS, STREETS, SURNAMES
from fieldvisit.visits.domain import HOME_CONDITION_HEADINGS
from fieldvisit.was_not_brought.domain import SOURCE as WNB_SOURCE

SCALES = {"small": None, "county": 30}
FAMILIES_PER_TEAM = 167  # 30 teams: 5,010 families
PRACTITIONERS_PER_TEAM = 10
YEARS = 3
TOWNS = ["Northfield", "Eastbrook", "Westmoor", "Southdale", "Ashby Vale", "Kelsworth", "Marrowby", "Thornley"]
TEAM_ROLES = (["team_lead"] + ["family_support_worker"] * 4 + ["social_worker"] * 3 + ["health_visitor"] * 2)
NAMESPACE = uuid.UUID("3f0c7b9e-2d4a-4c61-9e8f-5a6b7c8d9e0f")
INTERVALS = {"child_protection": (9, 14), "child_in_need": (20, 30), "none": (40, 60)}
ROUTE = "demo --scale county"


class NotEmpty(Exception):
    """The database already holds records: a county demo is never mixed with them."""


def has_records(db):
    tables = set(db.table_names())
    return any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
               for table in ("practitioners", "families", "visit_records") if table in tables)


def record_id(*parts):
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def weekday_at(day, rng):
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(rng.randint(9, 16), rng.choice([0, 15, 30, 45])))


class Progress:
    """A plain progress bar on stderr: `[#####.....] 12/30 teams`."""

    def __init__(self, total, what, out=None):
        self.total, self.what, self.done, self.out = total, what, 0, out or sys.stderr

    def step(self, note=""):
        self.done += 1
        filled = int(30 * self.done / self.total)
        self.out.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {self.what} {note}   ")
        if self.done == self.total:
            self.out.write("\n")
        self.out.flush()


class Builder:
    def __init__(self, db, password_hash, teams, families_per_team, seed=2026_12_02, today=None):
        self.db, self.password_hash = db, password_hash
        self.teams, self.families_per_team = teams, families_per_team
        self.rng = random.Random(seed)
        self.today = today or date.today()
        self.start = self.today - timedelta(days=365 * YEARS)
        self.now = datetime.combine(self.today, time(8, 0))
        self.counts = {}
        self.ids = {"escalation": 0, "body_map": 0, "scheduled": 0}
        self.marks = [(figure, view, region) for figure in figures.FIGURES for view, region in
                      (("front", "right_knee"), ("front", "left_knee"), ("front", "right_shin"), ("front", "left_forearm"))
                      if figures.view(figure, view) and figures.view(figure, view).region(region)]

    def insert(self, table, rows, **options):
        if rows:
            self.db[table].insert_all(rows, batch_size=2000, **options)
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    def next_id(self, kind):
        self.ids[kind] += 1
        return self.ids[kind]

    # --- the organisation --------------------------------------------------------------------

    def organisation(self):
        self.insert("agencies", [{"id": 1, "name": "Northfield County Children's Services", "kind": "childrens_social_care"},
                                 {"id": 2, "name": "Northfield County Community Health", "kind": "health"}])
        self.insert("teams", [{"id": t, "name": f"{TOWNS[(t - 1) % len(TOWNS)]} Family Team {t}",
                               "agency_id": 1} for t in range(1, self.teams + 1)])
        people, demo = [], {role: username for username, (_, role, _) in DEMO_SIGN_INS.items()}
        self.staff = {}
        next_id = 1
        for team in range(1, self.teams + 1):
            members = []
            for number, role in enumerate(TEAM_ROLES):
                username = f"county-t{team:02d}-{number:02d}"
                name = f"{self.rng.choice(ADULT_NAMES)} {self.rng.choice(SURNAMES)}"
                if team == 1 and role in demo and not any(p["username"] == demo[role] for p in people):
                    username, name = demo[role], DEMO_SIGN_INS[demo[role]][0]
                person = {"id": next_id, "username": username, "display_name": name, "role": role,
                          "team_id": team, "password_hash": self.password_hash, "active": 1}
                people.append(person)
                members.append(dict(person, agency_id=1))
                next_id += 1
            self.staff[team] = members
        people.append({"id": next_id, "username": "demo-admin", "display_name": DEMO_SIGN_INS["demo-admin"][0],
                       "role": "admin", "team_id": None, "password_hash": self.password_hash, "active": 1})
        self.insert("practitioners", people)

    # --- one team's families and history ----------------------------------------------------

    def team(self, team):
        rng, staff = self.rng, self.staff[team]
        lead = staff[0]
        workers = [p for p in staff if p["role"] in ("family_support_worker", "social_worker")]
        visitors = [p for p in staff if p["role"] == "health_visitor"]
        rows = {name: [] for name in (
            "families", "children", "adults", "assignments", "scheduled_visits", "scheduled_visit_changes",
            "visit_records", "visit_children", "visit_home_conditions", "body_maps", "body_map_marks",
            "appointment_events", "alcohol_audits", "escalations", "escalation_actions", "concerns",
            "sync_receipts", "audit_log")}
        first_family = (team - 1) * self.families_per_team + 1
        for number in range(self.families_per_team):
            family_id = first_family + number
            surname = rng.choice(SURNAMES)
            created = self.start - timedelta(days=rng.randint(0, 400)) if rng.random() < 0.6 else \
                self.start + timedelta(days=rng.randint(0, 365 * YEARS - 30))
            rows["families"].append({
                "id": family_id, "name": f"{surname} household",
                "address": f"{rng.randint(1, 240)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}",
                "postcode": f"NF{rng.randint(1, 30)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                "team_id": team, "created_at": created.isoformat()})
            plan = rng.choices(["child_protection", "child_in_need", "none"], [3, 4, 3])[0]
            children = []
            for c in range(rng.choice([1, 2, 2, 2, 3])):
                born = self.today - timedelta(days=rng.randint(60, 16 * 365))
                child = {"id": None, "family_id": family_id, "first_name": rng.choice(CHILD_NAMES),
                         "last_name": surname, "date_of_birth": born.isoformat(),
                         "independently_mobile": int((self.today - born).days >= 300), "mobility_note": "",
                         "plan": plan,
                         "plan_category": rng.choice(["neglect", "physical_abuse", "emotional_abuse", "multiple"])
                         if plan == "child_protection" else None,
                         "plan_start_date": created.isoformat() if plan != "none" else None}
                children.append(child)
            for child in children:
                self.child_ids += 1
                child["id"] = self.child_ids
            rows["children"].extend(children)
            for adult in rng.sample(ADULT_NAMES, rng.choice([1, 2, 2])):
                rows["adults"].append({"family_id": family_id, "name": f"{adult} {surname}",
                                       "relationship": "Parent", "lives_in_household": 1})
            worker = workers[number % len(workers)]
            assigned = [worker]
            if any((self.today - date.fromisoformat(c["date_of_birth"])).days < 5 * 365 for c in children):
                assigned.append(visitors[number % len(visitors)])
            rows["assignments"].extend({"family_id": family_id, "practitioner_id": p["id"]} for p in assigned)
            self.history(rows, family_id, created, plan, children, assigned, lead)
        with self.db.atomic():
            for table, table_rows in rows.items():
                if table == "audit_log":  # hash-chained (issue 14): each line follows the last one
                    table_rows = audit.chained(self.db, table_rows)
                self.insert(table, table_rows)

    def history(self, rows, family_id, created, plan, children, assigned, lead):
        rng = self.rng
        low, high = INTERVALS[plan]
        day = max(created, self.start) + timedelta(days=rng.randint(0, high))
        # Some families are left overdue on purpose, as in the small demo.
        last = self.today - timedelta(days=rng.randint(1, 3) if rng.random() < 0.85 else rng.randint(high, 2 * high))
        rota_from = self.today - timedelta(weeks=8)
        while day <= last:
            author = assigned[0] if len(assigned) == 1 or rng.random() < 0.75 else assigned[1]
            happened = weekday_at(day, rng)
            scheduled_id = None
            if day >= rota_from:
                scheduled_id = self.scheduled(rows, family_id, author, lead, happened, "recorded")
            self.visit(rows, family_id, children, author, lead, happened, scheduled_id)
            day += timedelta(days=rng.randint(low, high))
        # The coming visits on the rota.
        coming = self.today + timedelta(days=rng.randint(0, 10))
        self.scheduled(rows, family_id, assigned[0], lead, weekday_at(coming, rng) if coming.weekday() < 5
                       else datetime.combine(coming + timedelta(days=7 - coming.weekday()), time(10, 0)), "scheduled")
        for child in children:
            self.appointments(rows, child, assigned[-1], lead)

    def scheduled(self, rows, family_id, practitioner, lead, due, status):
        scheduled_id = self.next_id("scheduled")
        created = due - timedelta(days=14)
        row = {"id": scheduled_id, "family_id": family_id, "practitioner_id": practitioner["id"],
               "visit_type": "unannounced" if self.rng.random() < 0.2 else "planned",
               "due_at": due.isoformat(timespec="minutes"), "status": "scheduled", "joint": 0, "version": 1,
               "created_by": lead["id"], "created_at": created.isoformat(timespec="seconds")}
        snapshot = {key: row[key] for key in ("practitioner_id", "visit_type", "due_at", "joint", "status")}
        rows["scheduled_visit_changes"].append({
            "scheduled_visit_id": scheduled_id, "version": 1, "change": "scheduled", "reason": "",
            "changed_by": lead["id"], "changed_at": row["created_at"], "before": None, "after": json.dumps(snapshot)})
        if status == "recorded":  # record_visit marks it recorded and bumps its version
            row.update(status="recorded", version=2)
        rows["scheduled_visits"].append(row)
        return scheduled_id

    def receipt(self, rows, item_id, kind, author, recorded_at, received_at, entity):
        rows["sync_receipts"].append({
            "item_id": item_id, "kind": kind, "content_hash": hashlib.sha256(item_id.encode()).hexdigest(),
            "author_id": author["id"], "device_id": "", "recorded_at": recorded_at,
            "received_at": received_at, "ref": item_id})
        rows["audit_log"].append({"at": received_at, "practitioner_id": author["id"], "action": "write",
                                  "entity": entity, "entity_id": item_id, "route": ROUTE})

    def visit(self, rows, family_id, children, author, lead, happened, scheduled_id):
        rng = self.rng
        visit_id = record_id("visit", family_id, happened.isoformat())
        present = [c for c in children if date.fromisoformat(c["date_of_birth"]) < happened.date()]
        outcome = "completed" if rng.random() < 0.93 else rng.choice(["no_answer", "not_at_home"])
        alone = outcome == "completed" and present and rng.random() < 0.004
        found = present[-1] if alone else None
        recorded = happened + timedelta(hours=rng.randint(1, 5))
        received = (recorded + timedelta(minutes=rng.randint(1, 600))).isoformat(timespec="seconds")
        rows["visit_records"].append({
            "id": visit_id, "family_id": family_id, "scheduled_visit_id": scheduled_id,
            "practitioner_id": author["id"], "agency_id": author["agency_id"],
            "visit_type": "unannounced" if rng.random() < 0.2 else "planned",
            "happened_at": happened.isoformat(timespec="minutes"), "duration_minutes": rng.choice([30, 45, 60, 75]),
            "outcome": outcome, "regular_visitors": "",
            "alcohol_containers": "[]", "alcohol_smell": 0, "intoxication_observed": 0, "intoxication_details": "",
            "other_substances": "", "parent_alcohol_account": "",
            "child_alone": "alone" if alone else "no",
            "child_alone_details": "No adult in the home when we arrived." if alone else "",
            "analysis": "Home conditions broadly adequate. Plan continues." if outcome == "completed"
            else "No one answered the door.",
            "actions": "Continue visits as planned.", "next_visit_due": None,
            "recorded_at": recorded.isoformat(timespec="minutes"), "received_at": received})
        self.receipt(rows, visit_id, "visit", author, recorded.isoformat(timespec="minutes"), received, "visit")
        went_ahead = outcome == "completed"
        for child in present:  # a visit that did not go ahead lists the children, none seen
            rows["visit_children"].append({
                "visit_id": visit_id, "child_id": child["id"], "seen": int(went_ahead),
                "seen_alone": int(went_ahead and rng.random() < 0.5),
                "bedroom_seen": int(went_ahead and rng.random() < 0.4), "found_alone": int(child is found),
                "presentation": "Clean and appropriately dressed." if went_ahead else "", "words": "",
                "demeanour": "Settled." if went_ahead else ""})
        if not went_ahead:
            return
        rows["visit_home_conditions"].extend(
            {"visit_id": visit_id, "heading": heading, "rating": rng.choice(["good", "adequate", "adequate", "poor"]),
             "note": ""} for heading in HOME_CONDITION_HEADINGS)
        if found is not None:
            self.escalation(rows, family_id, found, "child_found_alone",
                            f"{found['first_name']} {found['last_name']} was found alone at home", HOME_ALONE_SOURCE,
                            HOME_ALONE_STEPS, "visit", visit_id, author, lead, happened,
                            happened + timedelta(hours=24))
        if present and rng.random() < 0.03:
            self.mark(rows, visit_id, family_id, rng.choice(present), author, happened, received)
        if rng.random() < 0.01:
            self.alcohol_audit(rows, visit_id, family_id, author, recorded, received)

    def escalation(self, rows, family_id, child, rule, title, source, steps, origin_kind, origin_id, author, lead,
                   raised, deadline):
        escalation_id = self.next_id("escalation")
        closed = raised.date() < self.today - timedelta(days=30)
        closed_at = (raised + timedelta(days=5)).isoformat(timespec="seconds") if closed else None
        rows["escalations"].append({
            "id": escalation_id, "family_id": family_id, "child_id": child["id"], "rule": rule, "title": title,
            "source": source, "origin_kind": origin_kind, "origin_id": origin_id,
            "raised_at": raised.isoformat(timespec="minutes"), "raised_by": author["id"],
            "deadline": deadline.isoformat(timespec="minutes"), "status": "closed" if closed else "open",
            "closed_at": closed_at, "closed_by": lead["id"] if closed else None,
            "closing_rationale": "Strategy discussion held; plan updated." if closed else None})
        rows["escalation_actions"].extend(
            {"escalation_id": escalation_id, "position": position, "description": step,
             "done_at": closed_at, "done_by": lead["id"] if closed else None, "note": ""}
            for position, step in enumerate(steps, start=1))

    def mark(self, rows, visit_id, family_id, child, author, happened, received):
        rng = self.rng
        months = (happened.date() - date.fromisoformat(child["date_of_birth"])).days // 30
        if months < 24:
            return  # no marks on babies here: the injury rules would raise escalations for them
        figure = "toddler" if months < 36 else "child" if months < 132 else "young_person"
        options = [(v, r) for f, v, r in self.marks if f == figure]
        if not options:
            return
        view, region = rng.choice(options)
        where = placement(figure, f"{view}/{region}")
        body_map_id = self.next_id("body_map")
        observed = happened.isoformat(timespec="minutes")
        rows["body_maps"].append({
            "id": body_map_id, "visit_id": visit_id, "child_id": child["id"], "family_id": family_id,
            "started_at": received, "started_by": author["id"], "completed_at": received,
            "completed_by": author["id"], "completion_id": record_id("completion", body_map_id)})
        mark_id = record_id("mark", body_map_id, 1)
        rows["body_map_marks"].append(dict(
            where, id=mark_id, body_map_id=body_map_id, child_id=child["id"], number=1, mark_type="graze",
            other_type="", length_cm=round(rng.uniform(1, 5), 1), width_cm=round(rng.uniform(0.5, 2), 1),
            shape="irregular", shape_details="", colours=json.dumps(["red"]), colour_details="",
            skin_broken="yes", swelling="no", surface=json.dumps(["scab"]), pain="no", explanation_by="child",
            explanation_by_other="", explanation="Fell over in the playground.", consistent="yes",
            believed_birthmark=0, birthmark_confirmed_by="", birthmark_confirmer_profession="",
            birthmark_confirmed_on=None, pattern="none", clustered=0, notes="", observed_at=observed,
            practitioner_id=author["id"], recorder_role=author["role"], recorded_at=observed, received_at=received))
        self.receipt(rows, mark_id, "bodymap_mark", author, observed, received, "bodymap_mark")

    def alcohol_audit(self, rows, visit_id, family_id, author, recorded, received):
        audit_id = record_id("audit", visit_id)
        rows["alcohol_audits"].append({
            "id": audit_id, "visit_id": visit_id, "family_id": family_id, "adult_name": "Parent",
            "q1": 1, "q2": 0, "q3": 0, "audit_c_score": 1, "full_audit": "not_offered",
            "q4": None, "q5": None, "q6": None, "q7": None, "q8": None, "q9": None, "q10": None, "audit_score": None,
            "recorded_by": author["id"], "recorded_at": recorded.isoformat(timespec="minutes"),
            "received_at": received})
        self.receipt(rows, audit_id, "alcohol_audit", author, recorded.isoformat(timespec="minutes"), received,
                     "alcohol_audit")

    def appointments(self, rows, child, author, lead):
        """About one missed appointment a year, far enough apart never to make a pattern (rule 9)."""
        rng = self.rng
        born = date.fromisoformat(child["date_of_birth"])
        day = max(born, self.start) + timedelta(days=rng.randint(30, 365))
        while day < self.today:
            event_id = record_id("wnb", child["id"], day.isoformat())
            at = f"{day.isoformat()}T17:00"
            rows["appointment_events"].append({
                "id": event_id, "family_id": child["family_id"], "child_id": child["id"], "event": "was_not_brought",
                "appointment": "Health review", "service": "health_visiting", "appointment_date": day.isoformat(),
                "rearranged_to": None, "note": "", "recorded_by": author["id"], "recorded_at": at,
                "received_at": at + ":00"})
            self.receipt(rows, event_id, "was_not_brought", author, at, at + ":00", "appointment_event")
            if child["plan"] == "child_protection":  # rule 9: one is a concern for the lead
                acknowledged = day < self.today - timedelta(days=14)
                rows["concerns"].append({
                    "family_id": child["family_id"], "child_id": child["id"], "rule": "was_not_brought_cp",
                    "title": f"{child['first_name']} {child['last_name']} (child protection plan) was not brought "
                             "to Health review", "detail": f"Health visiting, {day.isoformat()}",
                    "source": WNB_SOURCE, "origin_kind": "appointment_event",
                    "origin_id": event_id, "raised_at": at + ":00",
                    "acknowledged_at": f"{(day + timedelta(days=2)).isoformat()}T09:00:00" if acknowledged else None,
                    "acknowledged_by": lead["id"] if acknowledged else None, "acknowledged_note": ""})
            day += timedelta(days=rng.randint(300, 500))

    def build(self, out=None):
        self.child_ids = 0
        with self.db.atomic():
            self.organisation()
        progress = Progress(self.teams, "teams", out)
        for team in range(1, self.teams + 1):
            self.team(team)
            progress.step(f"({self.counts.get('visit_records', 0):,} visits)")
        self.db.execute("ANALYZE")
        return self.counts


def build(db, password_hash, teams=SCALES["county"], families_per_team=FAMILIES_PER_TEAM, out=None, today=None):
    """Build the county into an empty database; raises NotEmpty if it holds any record."""
    if has_records(db):
        raise NotEmpty("This database already holds records. A county-scale demo is never mixed with other "
                       "records: build it into a new, empty database file.")
    return Builder(db, password_hash, teams, families_per_team, today=today).build(out)
