"""Rule 12, co-sleeping risk, as plain functions over plain data, and storing what they decide.

For each baby under 12 months (a setting) the visit asks where the baby sleeps, whether they
share a bed or a sofa/armchair with an adult, and the carer's alcohol, smoking, drowsy
medication or drugs. Called by `visits.domain.record_visit` inside its transaction, so a visit
replayed from a tablet's outbox is flagged exactly as one posted from the page, and once.
"""
import json
from datetime import datetime, timedelta

from fieldvisit import settings as partnership_settings
from fieldvisit.escalations import domain as escalations
from fieldvisit.families.domain import age_in_months, describe_age
from fieldvisit.workdays import to_date

# SAFEGUARDING.md rule 12; Lullaby Trust safer sleep advice; NICE NG194 1.3.20-1.3.23 (co-sleeping).
SOURCE = "SAFEGUARDING.md rule 12; Lullaby Trust safer sleep advice; NICE NG194 (co-sleeping)"
RULE = "co_sleeping_risk"

SLEEP_PLACES = {
    "cot_parents_room": "In their own cot or Moses basket in the parents' room",
    "cot_own_room": "In their own cot in their own room",
    "bed_with_adult": "In a bed with an adult",
    "sofa_with_adult": "On a sofa or armchair with an adult",
    "other": "Somewhere else",
}
CARER_RISKS = {
    "alcohol": "The carer has drunk alcohol",
    "smoking": "The carer smokes",
    "drowsy_medication": "The carer has taken medication that makes them drowsy",
    "drugs": "The carer has taken drugs",
    "none": "None of these",
}
SHARES_BED = "Does the baby ever share a bed with an adult?"
SHARES_SOFA = "Does the baby ever sleep on a sofa or armchair with an adult?"


def asked_about(child, on, settings):
    """Rule 12 asks about every baby under N months (a setting) on the day of the visit."""
    return age_in_months(child["date_of_birth"], to_date(on)) < settings["safe_sleep_under_months"]


def answer_conflicts(answers):
    """{field: message} where two answers cannot both be true, naming both answers."""
    places = set(answers["sleep_places"])
    conflicts = {}
    if "none" in answers["carer_risks"] and len(set(answers["carer_risks"])) > 1:
        others = ", ".join(f"'{CARER_RISKS[r]}'" for r in answers["carer_risks"] if r != "none")
        conflicts["carer_risks"] = f"You ticked 'None of these' and {others}: untick one of them"
    for shares, place in (("shares_bed", "bed_with_adult"), ("shares_sofa", "sofa_with_adult")):
        question = SHARES_BED if shares == "shares_bed" else SHARES_SOFA
        where = " and ".join(f"'{SLEEP_PLACES[p]}'" for p in SLEEP_PLACES if p in places) or "no place"
        if answers[shares] and place not in places:
            conflicts[shares] = (f"You answered 'Yes' to '{question}' but where the baby sleeps you chose only "
                                 f"{where}: add '{SLEEP_PLACES[place]}' or change the answer to 'No'")
        elif not answers[shares] and place in places:
            conflicts[shares] = (f"You answered 'No' to '{question}' but where the baby sleeps you chose "
                                 f"'{SLEEP_PLACES[place]}': change one of them so they agree")
    return conflicts


def co_sleeps(answers):
    return bool(answers["shares_bed"] or answers["shares_sofa"]
                or {"bed_with_adult", "sofa_with_adult"} & set(answers["sleep_places"]))


def observed_alcohol(alcohol):
    """What the practitioner saw of alcohol on this visit, in words; empty if nothing."""
    seen = []
    count = sum(container["count"] or 0 for container in alcohol.get("containers", []))
    if count:
        seen.append(f"{count} empty bottle{'s' if count != 1 else ''} or can{'s' if count != 1 else ''} seen")
    if alcohol.get("smell"):
        seen.append("a smell of alcohol")
    if alcohol.get("intoxication_observed"):
        seen.append("an adult appeared intoxicated")
    return seen


def risk_factors(answers, child, alcohol, settings):
    """Rule 12's risk factors present for this baby: the carer's, observed alcohol, the baby's birth."""
    factors = [CARER_RISKS[r].lower().replace("the carer", "carer") for r in CARER_RISKS
               if r != "none" and r in answers["carer_risks"]]
    seen = observed_alcohol(alcohol)
    if seen and "alcohol" not in answers["carer_risks"]:
        # Issue 11: alcohol observed on the same visit counts as the carer having drunk.
        factors.append("alcohol observed on this visit (" + ", ".join(seen) + ")")
    gestation, weight = child.get("gestation_weeks"), child.get("birth_weight_kg")
    if gestation is not None and gestation < settings["safe_sleep_premature_before_weeks"]:
        factors.append(f"born premature ({gestation:g} weeks)")
    if weight is not None and weight < settings["safe_sleep_low_birth_weight_kg"]:
        factors.append(f"low birth weight ({weight:g} kg)")
    return factors


def co_sleeping_risk(answers, child, on, alcohol, settings):
    """Why this baby's sleep is a co-sleeping risk (rule 12); an empty list when it is not.
    The tablet makes the same decision offline: static/js/escalation-preview.js (change both together).

    Any sleep on a sofa or armchair with an adult is a risk by itself; sharing a bed is a risk
    with any risk factor.
    """
    if not asked_about(child, on, settings):
        return []
    on_sofa = answers["shares_sofa"] or "sofa_with_adult" in answers["sleep_places"]
    factors = risk_factors(answers, child, alcohol, settings) if co_sleeps(answers) else []
    if not on_sofa and not factors:
        return []
    reasons = ["sleeps on a sofa or armchair with an adult"] if on_sofa else []
    if answers["shares_bed"] or "bed_with_adult" in answers["sleep_places"]:
        reasons.append("shares a bed with an adult")
    return reasons + factors


# --- storing what the rule decides -----------------------------------------------------------

def check_answers(db, visit):
    """{field: message} for sleep answers the domain refuses, whatever path they came by."""
    errors = {}
    if not visit.get("safe_sleep"):
        return errors
    family_children = {row[0] for row in db.execute(
        "SELECT id FROM children WHERE family_id = ?", [visit["family_id"]]).fetchall()}
    for answers in visit.get("safe_sleep", []):
        if answers["child_id"] not in family_children:
            errors["children"] = "Sleep answers were given for a child who is not in this household."
        for field, message in answer_conflicts(answers).items():
            errors[field] = message
        unknown = set(answers["sleep_places"]) - set(SLEEP_PLACES) or set(answers["carer_risks"]) - set(CARER_RISKS)
        if unknown:
            errors["sleep_places"] = "Choose where the baby sleeps from the list."
    return errors


def after_visit_recorded(db, visit, author, received_at):
    """Store each baby's sleep answers with the flag, and raise the co-sleeping escalation."""
    if not visit.get("safe_sleep"):
        return
    settings = partnership_settings.load(db)
    happened = datetime.fromisoformat(visit["happened_at"])
    children = {row["id"]: row for row in db.query(
        "SELECT * FROM children WHERE family_id = ?", [visit["family_id"]])}
    for answers in visit["safe_sleep"]:
        child = children[answers["child_id"]]
        reasons = co_sleeping_risk(answers, child, happened.date(), visit["alcohol"], settings)
        db["visit_safe_sleep"].insert({
            "visit_id": visit["id"], "child_id": child["id"], "sleep_places": json.dumps(answers["sleep_places"]),
            "sleep_place_other": answers.get("sleep_place_other", ""), "shares_bed": int(answers["shares_bed"]),
            "shares_sofa": int(answers["shares_sofa"]), "carer_risks": json.dumps(answers["carer_risks"]),
            "risk_flagged": int(bool(reasons)), "risk_reasons": json.dumps(reasons)})
        if reasons:
            raise_co_sleeping_risk(db, visit, child, reasons, author, happened, settings)


def escalation_title(child, on, reasons=()):
    """The escalation's title; without reasons, as the tablet shows it the moment the visit is saved."""
    title = f"Rule 12: co-sleeping risk for {child['first_name']} {child['last_name']}, aged " \
            f"{describe_age(child['date_of_birth'], on)}"
    return title + (": " + "; ".join(reasons) if reasons else "")


def tablet_preview(child, on, settings):
    """What the visit form needs to show rule 12's escalation at once, offline (static/js/escalation-preview.js
    makes this module's decision on the saved answers): the title, the actions and the baby's birth."""
    return {"rule": RULE, "title": escalation_title(child, on), "actions": list(settings["safe_sleep_actions"]),
            "child_id": child["id"], "gestation_weeks": "" if child.get("gestation_weeks") is None else child["gestation_weeks"],
            "birth_weight_kg": "" if child.get("birth_weight_kg") is None else child["birth_weight_kg"],
            "premature_before_weeks": settings["safe_sleep_premature_before_weeks"],
            "low_birth_weight_kg": settings["safe_sleep_low_birth_weight_kg"]}


def raise_co_sleeping_risk(db, visit, child, reasons, author, happened, settings):
    return escalations.raise_escalation(
        db, family_id=visit["family_id"], child_id=child["id"], rule=RULE,
        title=escalation_title(child, happened.date(), reasons),
        source=SOURCE, actions=list(settings["safe_sleep_actions"]),
        deadline=(happened + timedelta(hours=settings["safe_sleep_deadline_hours"])).isoformat(timespec="minutes"),
        origin_kind="visit", origin_id=visit["id"], raised_by=author["id"], raised_at=visit["happened_at"])


def describe(row):
    """A stored row of sleep answers as words for the pages."""
    places = json.loads(row["sleep_places"])
    risks = json.loads(row["carer_risks"])
    return dict(row, places=[SLEEP_PLACES[p] for p in SLEEP_PLACES if p in places],
                carer_risks_words=[CARER_RISKS[r] for r in CARER_RISKS if r in risks],
                reasons=json.loads(row["risk_reasons"]))


def for_visit(db, visit_id):
    """{child_id: sleep answers} recorded on this visit."""
    return {row["child_id"]: describe(row) for row in db.query(
        "SELECT * FROM visit_safe_sleep WHERE visit_id = ?", [visit_id])}


def flags_for_child(db, child_id, limit=5):
    """The child's latest co-sleeping risk flags, newest first, with the visit's date."""
    return [describe(row) for row in db.query(
        "SELECT s.*, v.happened_at FROM visit_safe_sleep s JOIN visit_records v ON v.id = s.visit_id"
        " WHERE s.child_id = ? AND s.risk_flagged = 1 ORDER BY v.happened_at DESC LIMIT ?", [child_id, limit])]
