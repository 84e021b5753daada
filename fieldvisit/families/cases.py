"""Keeping families right: create and edit a family, its children and adults, a child's plan and
mobility, who is assigned; close or transfer a family. Plain functions over plain data (no Flask).

Every page, the import and the demo seeder go through these functions, so a family is made one
way. Each change is kept in `record_changes` (who, when, before and after); nothing is deleted:
a family is closed or transferred, a plan or an assignment is ended and kept.
"""
import json
import re
from datetime import date

from fieldvisit.families.domain import (INDEPENDENTLY_MOBILE, MOBILITY, PLAN_CATEGORIES, PLAN_END_REASONS,
                                        PLANS)

SEXES = {"female": "Female", "male": "Male", "unknown": "Not known"}
LIVES = {"yes": "Lives in the home", "no": "Visits the home"}
FAMILY_FIELDS = ("name", "address", "postcode", "known_risks", "lead_agency", "case_reference", "team_id")
CHILD_FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "nhs_number", "school", "disability",
                "gestation_weeks", "birth_weight_kg", "case_reference")
ADULT_FIELDS = ("name", "relationship", "lives_in_household", "phone")
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
PHONE = re.compile(r"^\+?[0-9 ()-]{10,20}$")
OLDEST_CHILD_YEARS = 25


class CaseInvalid(Exception):
    """What is wrong with the data, as {field name: message for the person who typed it}."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def stamp(now):
    return now.isoformat(timespec="seconds")


# --- checks shared by the pages and the import -------------------------------------------------

def text(data, field, limit=200):
    return " ".join(str(data.get(field) or "").split())[:limit] if field not in ("address", "known_risks") \
        else str(data.get(field) or "").strip()[:2000]


def nhs_number_valid(number):
    """An NHS number: 10 digits whose last is the Modulus 11 check digit of the first nine."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def parse_date(value, field, errors, label, required=True):
    """An ISO date (YYYY-MM-DD) or None; a message in `errors` when missing or not a date."""
    value = (value or "").strip() if isinstance(value, str) else value
    if isinstance(value, date):
        return value
    if not value:
        if required:
            errors[field] = f"Enter {label}"
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"Enter {label} as a real date, for example 2026-03-27"
        return None


def clean_family(db, data, family_id=None):
    errors = {}
    clean = {field: text(data, field) for field in ("name", "address", "known_risks", "lead_agency")}
    clean["postcode"] = " ".join((data.get("postcode") or "").upper().split())
    if clean["postcode"] and " " not in clean["postcode"] and len(clean["postcode"]) > 4:
        clean["postcode"] = clean["postcode"][:-3] + " " + clean["postcode"][-3:]
    clean["case_reference"] = text(data, "case_reference", 60) or None
    if not clean["name"]:
        errors["name"] = "Enter the family's name"
    if not clean["address"]:
        errors["address"] = "Enter the family's address"
    if not clean["postcode"]:
        errors["postcode"] = "Enter the postcode"
    elif not POSTCODE.match(clean["postcode"]):
        errors["postcode"] = "Enter a real postcode, like NF1 2AB"
    try:
        clean["team_id"] = int(data.get("team_id"))
    except (TypeError, ValueError):
        clean["team_id"] = None
    if clean["team_id"] is None or not db.execute("SELECT 1 FROM teams WHERE id = ?", [clean["team_id"]]).fetchone():
        errors["team_id"] = "Choose the team that holds the family"
    if clean["case_reference"]:
        taken = db.execute("SELECT id FROM families WHERE case_reference = ? AND id IS NOT ?",
                           [clean["case_reference"], family_id]).fetchone()
        if taken:
            errors["case_reference"] = "Another family already has this case reference"
    if errors:
        raise CaseInvalid(errors)
    return clean


def clean_child(data, today):
    errors = {}
    clean = {field: text(data, field, 100) for field in ("first_name", "last_name", "school", "disability")}
    clean["disability"] = text(data, "disability", 500)
    clean["case_reference"] = text(data, "case_reference", 60) or None
    if not clean["first_name"]:
        errors["first_name"] = "Enter the child's first name"
    if not clean["last_name"]:
        errors["last_name"] = "Enter the child's last name"
    born = parse_date(data.get("date_of_birth"), "date_of_birth", errors, "the date of birth")
    if born and born > today:
        errors["date_of_birth"] = "The date of birth must be today or in the past"
    elif born and born.year < today.year - OLDEST_CHILD_YEARS:
        errors["date_of_birth"] = f"The date of birth must be within the last {OLDEST_CHILD_YEARS} years"
    clean["date_of_birth"] = born.isoformat() if born else None
    clean["sex"] = (data.get("sex") or "").strip().lower()
    if clean["sex"] not in SEXES:
        errors["sex"] = "Choose the child's sex (or Not known)"
    number = re.sub(r"[\s-]", "", data.get("nhs_number") or "")
    clean["nhs_number"] = number or None
    if number and not nhs_number_valid(number):
        errors["nhs_number"] = "Enter a real NHS number: 10 digits, the last a check digit (or leave it empty)"
    clean["gestation_weeks"] = whole_number(data.get("gestation_weeks"), "gestation_weeks", 22, 44, errors,
                                            "Enter the weeks of pregnancy at birth as a whole number from 22 to 44")
    clean["birth_weight_kg"] = decimal(data.get("birth_weight_kg"), "birth_weight_kg", 0.3, 7.0, errors,
                                       "Enter the birth weight in kilograms, from 0.3 to 7.0, like 3.2")
    if errors:
        raise CaseInvalid(errors)
    return clean


def whole_number(value, field, low, high, errors, message):
    value = str(value if value is not None else "").strip()
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,3}", value) or not low <= int(value) <= high:
        errors[field] = message
        return None
    return int(value)


def decimal(value, field, low, high, errors, message):
    value = str(value if value is not None else "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors[field] = message
        return None
    return round(number, 3)


def clean_adult(data):
    errors = {}
    clean = {"name": text(data, "name", 100), "relationship": text(data, "relationship", 60),
             "phone": " ".join((data.get("phone") or "").split())}
    if not clean["name"]:
        errors["name"] = "Enter the adult's name"
    if not clean["relationship"]:
        errors["relationship"] = "Enter how the adult is related to the children, like Mother or Mother's partner"
    lives = data.get("lives_in_household")
    if lives not in LIVES:
        errors["lives_in_household"] = "Say whether the adult lives in the home or visits"
    clean["lives_in_household"] = int(lives == "yes")
    if clean["phone"] and not PHONE.match(clean["phone"]):
        errors["phone"] = "Enter a phone number like 07700 900123 (or leave it empty)"
    if errors:
        raise CaseInvalid(errors)
    return clean


# --- the change history ---------------------------------------------------------------------------

def record_change(db, family_id, entity, entity_id, change, before, after, actor_id, now, reason="",
                  source="page", keep=()):
    """Keep who changed what, when, and the values before and after (only the fields that changed,
    and the `keep` fields that say what the change was about)."""
    before = before or {}
    after = after or {}
    # Empty text and None are the same "nothing recorded" (a new record lists only what it holds).
    changed = [key for key in after if (before.get(key) if before.get(key) != "" else None)
               != (after.get(key) if after.get(key) != "" else None)]
    changed += [key for key in keep if key not in changed]
    if before and not changed and change == "edited":
        return None
    db.execute(
        "INSERT INTO record_changes (family_id, entity, entity_id, change, before, after, reason, changed_by,"
        " changed_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [family_id, entity, entity_id, change,
         json.dumps({key: before.get(key) for key in changed} if before else {}),
         json.dumps({key: after[key] for key in changed}), reason, actor_id, stamp(now), source])
    return changed


def change_history(db, family_id, entity=None, entity_id=None, limit=100):
    """The latest changes of a family (or of one child), newest first, with who made them."""
    sql = ("SELECT r.*, p.display_name AS changed_by_name FROM record_changes r"
           " LEFT JOIN practitioners p ON p.id = r.changed_by WHERE r.family_id = ?")
    params = [family_id]
    if entity:
        sql += " AND ((r.entity = ? AND r.entity_id = ?) OR (r.entity IN ('plan', 'mobility') AND r.entity_id = ?))"
        params += [entity, entity_id, entity_id]
    rows = list(db.query(sql + " ORDER BY r.id DESC LIMIT ?", params + [limit]))
    for row in rows:
        row["before"] = json.loads(row["before"])
        row["after"] = json.loads(row["after"])
    return rows


# --- families ------------------------------------------------------------------------------------

def create_family(db, data, actor_id, now, source="page"):
    """A new family (open); returns its id."""
    clean = clean_family(db, data)
    family_id = db["families"].insert(dict(clean, created_at=stamp(now), status="open")).last_pk
    record_change(db, family_id, "family", family_id, "created", {}, clean, actor_id, now, source=source)
    return family_id


def update_family(db, family_id, data, actor_id, now, source="page"):
    """Edit a family's details; the team changes only by `transfer_family`. Returns the fields changed."""
    before = db["families"].get(family_id)
    clean = clean_family(db, dict(data, team_id=before["team_id"]), family_id)
    del clean["team_id"]
    changed = record_change(db, family_id, "family", family_id, "edited", before, clean, actor_id, now,
                            source=source)
    if changed:
        db["families"].update(family_id, {key: clean[key] for key in changed})
    return changed or []


def close_family(db, family_id, data, actor_id, now, today):
    """Close a family (with the date and why) and end its assignments; the records stay."""
    errors = {}
    family = db["families"].get(family_id)
    closed_on = parse_date(data.get("closed_on"), "closed_on", errors, "the date the case closed")
    if closed_on and closed_on > today:
        errors["closed_on"] = "The date the case closed must be today or in the past"
    reason = text(data, "reason", 2000)
    if not reason:
        errors["reason"] = "Say why the family's case is closing"
    if family["status"] == "closed":
        errors["closed_on"] = "This family is already closed"
    if errors:
        raise CaseInvalid(errors)
    after = {"status": "closed", "closed_on": closed_on.isoformat(), "closed_reason": reason}
    record_change(db, family_id, "family", family_id, "closed", family, after, actor_id, now, reason)
    db["families"].update(family_id, after)
    for practitioner_id in [row[0] for row in db.execute(
            "SELECT practitioner_id FROM assignments WHERE family_id = ?", [family_id]).fetchall()]:
        end_assignment(db, family_id, practitioner_id, {"ended_on": closed_on.isoformat(),
                                                        "reason": "The family's case closed"},
                       actor_id, now, today)


def transfer_family(db, family_id, data, actor_id, now):
    """Move a family to another team (the receiving team's lead then sees it; rule 19 step down)."""
    family = db["families"].get(family_id)
    errors = {}
    try:
        team_id = int(data.get("team_id"))
    except (TypeError, ValueError):
        team_id = None
    if team_id is None or not db.execute("SELECT 1 FROM teams WHERE id = ?", [team_id]).fetchone():
        errors["team_id"] = "Choose the team the family moves to"
    elif team_id == family["team_id"]:
        errors["team_id"] = "Choose a team other than the one that holds the family now"
    reason = text(data, "reason", 2000)
    if not reason:
        errors["reason"] = "Say why the family is moving to another team"
    if errors:
        raise CaseInvalid(errors)
    record_change(db, family_id, "family", family_id, "transferred", family, {"team_id": team_id}, actor_id,
                  now, reason)
    db["families"].update(family_id, {"team_id": team_id})


# --- children and adults ---------------------------------------------------------------------------

def add_child(db, family_id, data, actor_id, now, today, source="page"):
    """A child of the family, with no plan; their mobility when it is given."""
    clean = clean_child(data, today)
    mobility = data.get("mobility") or None
    if mobility and mobility not in MOBILITY:
        raise CaseInvalid({"mobility": "Choose how the child moves about"})
    child_id = db["children"].insert(dict(clean, family_id=family_id, independently_mobile=0, plan="none",
                                          mobility_note="")).last_pk
    record_change(db, family_id, "child", child_id, "created", {}, clean, actor_id, now, source=source)
    if mobility:
        record_mobility(db, child_id, {"mobility": mobility, "recorded_on": today.isoformat()}, actor_id, now,
                        today, source=source)
    return child_id


def update_child(db, child_id, data, actor_id, now, today, source="page"):
    before = db["children"].get(child_id)
    clean = clean_child(data, today)
    changed = record_change(db, before["family_id"], "child", child_id, "edited", before, clean, actor_id, now,
                            source=source)
    if changed:
        db["children"].update(child_id, {key: clean[key] for key in changed})
    return changed or []


def record_mobility(db, child_id, data, actor_id, now, today, visit_id=None, source="page"):
    """How the child moves about, on which date and by whom (rule 1); the history keeps every one."""
    errors = {}
    stage = data.get("mobility")
    if stage not in MOBILITY:
        errors["mobility"] = "Choose how the child moves about"
    recorded_on = parse_date(data.get("recorded_on"), "recorded_on", errors, "the date it was seen")
    if recorded_on and recorded_on > today:
        errors["recorded_on"] = "The date it was seen must be today or in the past"
    if errors:
        raise CaseInvalid(errors)
    child = db["children"].get(child_id)
    mobile = int(stage in INDEPENDENTLY_MOBILE)
    note = text(data, "note", 500)
    after = {"mobility": stage, "independently_mobile": mobile, "mobility_recorded_on": recorded_on.isoformat(),
             "mobility_recorded_by": actor_id, "mobility_note": note}
    db.execute("INSERT INTO child_mobility (child_id, mobility, independently_mobile, note, recorded_on,"
               " recorded_by, recorded_at, visit_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [child_id, stage, mobile, note, recorded_on.isoformat(), actor_id, stamp(now), visit_id])
    record_change(db, child["family_id"], "mobility", child_id, "recorded", child,
                  {"mobility": stage, "independently_mobile": mobile}, actor_id, now, note, source=source)
    db["children"].update(child_id, after)


def mobility_history(db, child_id):
    return list(db.query(
        "SELECT m.*, p.display_name AS recorded_by_name FROM child_mobility m"
        " LEFT JOIN practitioners p ON p.id = m.recorded_by WHERE m.child_id = ? ORDER BY m.id DESC", [child_id]))


def add_adult(db, family_id, data, actor_id, now, source="page"):
    clean = clean_adult(data)
    adult_id = db["adults"].insert(dict(clean, family_id=family_id)).last_pk
    record_change(db, family_id, "adult", adult_id, "created", {}, clean, actor_id, now, source=source)
    return adult_id


def update_adult(db, adult_id, data, actor_id, now):
    before = db["adults"].get(adult_id)
    clean = clean_adult(data)
    changed = record_change(db, before["family_id"], "adult", adult_id, "edited", before, clean, actor_id, now)
    if changed:
        db["adults"].update(adult_id, {key: clean[key] for key in changed})
    return changed or []


# --- plans (rule 15: the plan sets the visiting rules; rule 19: step down) -------------------------

def current_plan(db, child_id):
    rows = list(db.query("SELECT * FROM child_plans WHERE child_id = ? AND end_date IS NULL ORDER BY id DESC"
                         " LIMIT 1", [child_id]))
    return rows[0] if rows else None


def plan_history(db, child_id):
    return list(db.query(
        "SELECT c.*, p.display_name AS recorded_by_name FROM child_plans c"
        " LEFT JOIN practitioners p ON p.id = c.recorded_by WHERE c.child_id = ? ORDER BY c.id DESC", [child_id]))


def clean_plan(data, today, errors, prefix=""):
    plan = data.get(prefix + "plan")
    if plan not in PLANS or plan == "none":
        errors[prefix + "plan"] = "Choose the plan"
    category = data.get(prefix + "category") or None
    if plan == "child_protection" and category not in PLAN_CATEGORIES:
        errors[prefix + "category"] = "Choose the category of the child protection plan"
    if plan != "child_protection":
        category = None
    start = parse_date(data.get(prefix + "start_date"), prefix + "start_date", errors, "the date the plan started")
    if start and start > today:
        errors[prefix + "start_date"] = "The date the plan started must be today or in the past"
    review = parse_date(data.get(prefix + "review_date"), prefix + "review_date", errors,
                        "the review date", required=False)
    if start and review and review < start:
        errors[prefix + "review_date"] = "The review date must be on or after the date the plan started"
    return {"plan": plan, "category": category, "start_date": start and start.isoformat(),
            "review_date": review and review.isoformat()}


def mirror_plan(db, child_id, plan):
    """The plan in force, on the child's row that every page and rule reads."""
    db["children"].update(child_id, {
        "plan": plan["plan"] if plan else "none", "plan_category": plan["category"] if plan else None,
        "plan_start_date": plan["start_date"] if plan else None,
        "plan_review_date": plan["review_date"] if plan else None})


def start_plan(db, child_id, data, actor_id, now, today, source="page"):
    """Put a child on a plan; a child already on one ends it first (end_plan, e.g. a step down)."""
    errors = {}
    clean = clean_plan(data, today, errors)
    if current_plan(db, child_id):
        errors["plan"] = "End the plan the child is on before starting another"
    if errors:
        raise CaseInvalid(errors)
    return _insert_plan(db, child_id, clean, actor_id, now, source)


def _insert_plan(db, child_id, clean, actor_id, now, source):
    plan_id = db["child_plans"].insert(dict(clean, child_id=child_id, recorded_by=actor_id,
                                            recorded_at=stamp(now))).last_pk
    family_id = db["children"].get(child_id)["family_id"]
    record_change(db, family_id, "plan", child_id, "started", {}, clean, actor_id, now, source=source)
    mirror_plan(db, child_id, clean)
    return plan_id


def update_plan(db, child_id, data, actor_id, now, today, source="page"):
    """Correct the plan in force (category, start or review date); the kind of plan stays."""
    plan = current_plan(db, child_id)
    errors = {}
    clean = clean_plan(dict(data, plan=plan["plan"]) if plan else data, today, errors)
    if not plan:
        errors["plan"] = "The child is not on a plan"
    if errors:
        raise CaseInvalid(errors)
    family_id = db["children"].get(child_id)["family_id"]
    changed = record_change(db, family_id, "plan", child_id, "edited", plan, clean, actor_id, now, source=source)
    if changed:
        db["child_plans"].update(plan["id"], {key: clean[key] for key in changed})
        mirror_plan(db, child_id, clean)
    return changed or []


def end_plan(db, child_id, data, actor_id, now, today, source="page"):
    """End the plan in force, with the date and why; a step down starts the next plan the same day."""
    plan = current_plan(db, child_id)
    errors = {}
    if not plan:
        raise CaseInvalid({"end_date": "The child is not on a plan"})
    ended = parse_date(data.get("end_date"), "end_date", errors, "the date the plan ended")
    if ended and ended < date.fromisoformat(plan["start_date"]):
        errors["end_date"] = "The plan cannot end before it started"
    elif ended and ended > today:
        errors["end_date"] = "The date the plan ended must be today or in the past"
    reason = data.get("end_reason")
    if reason not in PLAN_END_REASONS:
        errors["end_reason"] = "Choose why the plan ended"
    following = None
    if reason == "step_down":
        following = clean_plan(dict(data, next_start_date=ended.isoformat() if ended else ""), today, errors,
                               prefix="next_")
        following = {key.removeprefix("next_"): value for key, value in following.items()}
        if following["plan"] == plan["plan"]:
            errors["next_plan"] = "A step down moves to a different plan"
    if errors:
        raise CaseInvalid(errors)
    after = {"end_date": ended.isoformat(), "end_reason": reason}
    family_id = db["children"].get(child_id)["family_id"]
    db["child_plans"].update(plan["id"], after)
    record_change(db, family_id, "plan", child_id, "ended", plan, after, actor_id, now,
                  PLAN_END_REASONS[reason], source=source)
    mirror_plan(db, child_id, None)
    if following:
        _insert_plan(db, child_id, following, actor_id, now, source)


# --- what the management pages list ------------------------------------------------------------

def managed_families(db, practitioner):
    """The families this practitioner manages (an admin: every team's), open first, with their team."""
    where, params = ("", []) if practitioner["role"] == "admin" else ("WHERE f.team_id = ?", [practitioner["team_id"]])
    return list(db.query(
        "SELECT f.id, f.name, f.postcode, f.status, f.case_reference, t.name AS team_name,"
        " (SELECT count(*) FROM children c WHERE c.family_id = f.id) AS children"
        f" FROM families f JOIN teams t ON t.id = f.team_id {where} ORDER BY f.status DESC, f.name", params))


def teams(db):
    return list(db.query("SELECT t.id, t.name, a.name AS agency_name FROM teams t"
                         " JOIN agencies a ON a.id = t.agency_id ORDER BY a.name, t.name"))


def household(db, family_id):
    children = list(db.query("SELECT * FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id]))
    adults = list(db.query("SELECT * FROM adults WHERE family_id = ? ORDER BY id", [family_id]))
    return children, adults


def family_of(db, entity, entity_id):
    """The family id of a child or an adult, or None when there is no such row."""
    table = {"child": "children", "adult": "adults"}[entity]
    row = db.execute(f"SELECT family_id FROM {table} WHERE id = ?", [entity_id]).fetchone()
    return row[0] if row else None


# --- who works with the family (need to know: fieldvisit/access.py) -----------------------------

def may_manage(practitioner, family):
    """Admins manage every family; a team lead their own team's; nobody else."""
    if practitioner["role"] == "admin":
        return True
    return practitioner["role"] == "team_lead" and family["team_id"] == practitioner["team_id"]


def assignable_practitioners(db, family_id):
    """Active practitioners of any agency (multi-agency core group) not assigned to the family now."""
    return list(db.query(
        "SELECT p.id, p.display_name, p.role, t.name AS team_name, a.name AS agency_name FROM practitioners p"
        " LEFT JOIN teams t ON t.id = p.team_id LEFT JOIN agencies a ON a.id = t.agency_id"
        " WHERE p.active = 1 AND p.role != 'admin'"
        " AND p.id NOT IN (SELECT practitioner_id FROM assignments WHERE family_id = ?)"
        " ORDER BY a.name, p.display_name", [family_id]))


def current_assignments(db, family_id):
    return list(db.query(
        "SELECT h.*, p.display_name, p.role, a.name AS agency_name, s.display_name AS started_by_name"
        " FROM assignments x JOIN assignment_history h ON h.family_id = x.family_id"
        "  AND h.practitioner_id = x.practitioner_id AND h.ended_on IS NULL"
        " JOIN practitioners p ON p.id = x.practitioner_id LEFT JOIN teams t ON t.id = p.team_id"
        " LEFT JOIN agencies a ON a.id = t.agency_id LEFT JOIN practitioners s ON s.id = h.started_by"
        " WHERE x.family_id = ? ORDER BY p.display_name", [family_id]))


def ended_assignments(db, family_id):
    return list(db.query(
        "SELECT h.*, p.display_name, e.display_name AS ended_by_name FROM assignment_history h"
        " JOIN practitioners p ON p.id = h.practitioner_id LEFT JOIN practitioners e ON e.id = h.ended_by"
        " WHERE h.family_id = ? AND h.ended_on IS NOT NULL ORDER BY h.ended_on DESC, h.id DESC", [family_id]))


def assign(db, family_id, data, actor, now, today, source="page"):
    """Assign a practitioner to the family: they see it (and their tablet holds it) from now on."""
    family = db["families"].get(family_id)
    errors = {}
    try:
        practitioner_id = int(data.get("practitioner_id"))
    except (TypeError, ValueError):
        practitioner_id = None
    person = db.execute("SELECT id, role, active FROM practitioners WHERE id = ?", [practitioner_id]).fetchone() \
        if practitioner_id else None
    if not may_manage(actor, family):
        errors["practitioner_id"] = "You can only assign practitioners to a family your team holds"
    elif person is None or not person[2] or person[1] == "admin":
        errors["practitioner_id"] = "Choose a practitioner to assign"
    elif practitioner_id == actor["id"]:
        errors["practitioner_id"] = "You cannot assign yourself: ask another team lead or an admin"
    elif db.execute("SELECT 1 FROM assignments WHERE family_id = ? AND practitioner_id = ?",
                    [family_id, practitioner_id]).fetchone():
        errors["practitioner_id"] = "This practitioner is already assigned to the family"
    elif family["status"] == "closed":
        errors["practitioner_id"] = "The family's case is closed: open it again before assigning anyone"
    if errors:
        raise CaseInvalid(errors)
    db["assignments"].insert({"family_id": family_id, "practitioner_id": practitioner_id})
    history_id = db["assignment_history"].insert({
        "family_id": family_id, "practitioner_id": practitioner_id, "started_on": today.isoformat(),
        "started_by": actor["id"]}).last_pk
    record_change(db, family_id, "assignment", history_id, "assigned", {},
                  {"practitioner_id": practitioner_id}, actor["id"], now, source=source)
    return history_id


def end_assignment(db, family_id, practitioner_id, data, actor_id, now, today):
    """End an assignment: kept in the history with its end date; need to know stops at once."""
    errors = {}
    ended_on = parse_date(data.get("ended_on") or today.isoformat(), "ended_on", errors, "the end date")
    reason = text(data, "reason", 500)
    if not db.execute("SELECT 1 FROM assignments WHERE family_id = ? AND practitioner_id = ?",
                      [family_id, practitioner_id]).fetchone():
        errors["practitioner_id"] = "This practitioner is not assigned to the family"
    if errors:
        raise CaseInvalid(errors)
    history = db.execute("SELECT id FROM assignment_history WHERE family_id = ? AND practitioner_id = ?"
                         " AND ended_on IS NULL ORDER BY id DESC LIMIT 1", [family_id, practitioner_id]).fetchone()
    if history is None:  # an assignment made outside these functions: give it a history row now
        history = [db["assignment_history"].insert({"family_id": family_id, "practitioner_id": practitioner_id,
                                                    "started_on": today.isoformat()}).last_pk]
    after = {"ended_on": ended_on.isoformat(), "ended_by": actor_id, "end_reason": reason}
    db["assignment_history"].update(history[0], after)
    # `assignments` is the assignments in force; the ended one is kept in assignment_history.
    db.execute("DELETE FROM assignments WHERE family_id = ? AND practitioner_id = ?", [family_id, practitioner_id])
    record_change(db, family_id, "assignment", history[0], "ended", {"practitioner_id": practitioner_id},
                  dict(after, practitioner_id=practitioner_id), actor_id, now, reason, keep=("practitioner_id",))
