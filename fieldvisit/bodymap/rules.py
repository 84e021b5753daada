"""The injury rules of SAFEGUARDING.md (rules 1-6), as plain functions over plain data.

A mark and a child are plain dicts (a stored mark row, a children row). Each rule
returns the escalation it requires — {rule, title, source, actions, deadline_hours} —
or None; fieldvisit/bodymap/domain.py stores what they return. Thresholds and the
pathways' actions come from the partnership's settings.
"""
from fieldvisit.families.domain import age_in_months, independently_mobile
from fieldvisit.workdays import to_date

BRUISES = {"bruise", "possible_bruise"}
TEN4_SOURCE = "TEN-4-FACESp (Pierce et al., Pediatrics 2021): a US clinical decision rule, advisory only"


def months_old(child, on):
    return age_in_months(child["date_of_birth"], to_date(on))


def not_independently_mobile(child, on, settings):
    """Not crawling, shuffling, pulling to stand, cruising or walking (rolling is not mobility)."""
    # SAFEGUARDING.md rule 1; CSPRP 2022 briefing: every baby under 6 months counts, whatever the record says.
    # The stage recorded decides (families/domain.py INDEPENDENTLY_MOBILE); the age overrides it.
    return not independently_mobile(child) or months_old(child, on) < settings["non_mobile_under_months"]


# Rule 5: the registered health professions whose confirmation of a birthmark counts (registered with the
# GMC or the NMC). A profession outside this list is refused, with the list shown.
REGISTERED_HEALTH_PROFESSIONS = {
    "gp": "GP",
    "paediatrician": "Paediatrician",
    "doctor": "Another doctor registered with the GMC (for example a dermatologist)",
    "midwife": "Midwife",
    "health_visitor": "Health visitor",
    "school_nurse": "School nurse",
    "nurse": "Registered nurse",
}
# Rule 5: the Fieldvisit roles (access.ROLES) that are registered health practitioners.
HEALTH_ROLES = {"health_visitor"}
CONFIRMER_KINDS = {"fieldvisit_user", "outside"}


def birthmark_confirmed(mark):
    # SAFEGUARDING.md rule 5: only a registered health practitioner's confirmation (who, when) makes it a birthmark.
    return bool(mark["believed_birthmark"] and mark["birthmark_confirmed_by"] and mark["birthmark_confirmed_on"]
                and mark.get("birthmark_confirmer_kind") in CONFIRMER_KINDS
                and mark.get("birthmark_confirmer_profession") in REGISTERED_HEALTH_PROFESSIONS)


def professions_list():
    """The registered health professions, in words, for a message that shows the list."""
    return ", ".join(REGISTERED_HEALTH_PROFESSIONS.values())


def treated_as_possible_bruise(mark):
    # SAFEGUARDING.md rule 5: a believed birthmark not yet confirmed is treated as a possible bruise.
    return bool(mark["believed_birthmark"]) and not birthmark_confirmed(mark)


def counts_as_bruise(mark):
    """A bruise, a possible bruise, or a believed birthmark nobody qualified has confirmed."""
    if birthmark_confirmed(mark):
        return False
    return mark["mark_type"] in BRUISES or treated_as_possible_bruise(mark)


def counts_as_injury(mark):
    """Every mark on a body map is an injury unless it is a confirmed birthmark."""
    return not birthmark_confirmed(mark)


def _pathway(rule, title, source, settings):
    pathway = settings["bodymap_pathways"][rule]
    return {"rule": rule, "title": title, "source": source, "actions": list(pathway["actions"]),
            "deadline_hours": pathway["deadline_hours"]}


NON_MOBILE_TITLE = "Bruise on a child who is not independently mobile"


def non_mobile_pathway(settings):
    """Rule 1's escalation as the partnership's pathway sets it: what the team lead sees, and what the
    tablet shows the moment such a mark is saved (templates/escalations/_preview.html)."""
    return _pathway("bruise_not_independently_mobile", NON_MOBILE_TITLE,
                    "SAFEGUARDING.md rule 1; NICE CG89; CSPRP (2022) bruising in non-mobile infants", settings)


def escalate_bruise_non_mobile(mark, child, settings):
    """Rule 1: any bruise or possible bruise on a child who is not independently mobile, whatever the explanation."""
    # SAFEGUARDING.md rule 1; NICE CG89; Child Safeguarding Practice Review Panel (2022) on bruising in non-mobile infants.
    # The tablet makes the same decision offline: static/js/escalation-preview.js (change both together).
    if counts_as_bruise(mark) and not_independently_mobile(child, mark["observed_at"], settings):
        return non_mobile_pathway(settings)
    return None


def protection_plan_pathway(settings):
    return _pathway("injury_child_protection_plan", "Injury to a child on a child protection plan",
                    "SAFEGUARDING.md rule 2; local partnership procedures", settings)


def escalate_injury_on_protection_plan(mark, child, settings):
    """Rule 2: any injury to a child on a child protection plan must be examined by a suitably qualified doctor."""
    # SAFEGUARDING.md rule 2; local partnership procedures for injuries to children subject to a plan.
    # The tablet makes the same decision offline: static/js/escalation-preview.js (change both together).
    if child["plan"] == "child_protection" and counts_as_injury(mark):
        return protection_plan_pathway(settings)
    return None


def maltreatment_signs(mark):
    """Why a mark suggests maltreatment: a patterned mark, clustered bruises, an explanation not consistent."""
    signs = []
    if mark["pattern"] != "none":
        signs.append(f"patterned mark ({PATTERN_WORDS[mark['pattern']]})")
    if mark["clustered"]:
        signs.append("clustered bruises")
    if mark["consistent"] == "no":
        signs.append("explanation not consistent with the mark")
    return signs


PATTERN_WORDS = {"hand": "hand", "grip": "grip", "ligature": "ligature", "implement": "implement", "bite": "bite"}


def maltreatment_pathway(settings, signs=()):
    """Rule 3's pathway; without the signs, its title as the tablet shows it before the mark is sent."""
    return _pathway("suspect_maltreatment", "Suspect maltreatment" + (": " + "; ".join(signs) if signs else ""),
                    "SAFEGUARDING.md rule 3; NICE CG89", settings)


def escalate_suspected_maltreatment(mark, child, settings):
    """Rule 3: a patterned mark, clustered bruises, or an explanation recorded as not consistent."""
    # SAFEGUARDING.md rule 3; NICE CG89 (bruising: patterned, clustered, or without a suitable explanation).
    # The tablet makes the same decision offline: static/js/escalation-preview.js (change both together).
    signs = maltreatment_signs(mark)
    if signs:
        return maltreatment_pathway(settings, signs)
    return None


INJURY_RULES = (escalate_bruise_non_mobile, escalate_injury_on_protection_plan, escalate_suspected_maltreatment)


def escalations_for_mark(mark, child, settings):
    """Every escalation this mark requires, in the order of SAFEGUARDING.md."""
    return [escalation for rule in INJURY_RULES if (escalation := rule(mark, child, settings))]


def ten4_prompt_applies(child, on, settings):
    """Rule 4: the TEN-4-FACESp prompt is shown for children under 4."""
    # SAFEGUARDING.md rule 4; TEN-4-FACESp is a US clinical decision rule: advisory only.
    return months_old(child, on) < settings["ten4_facesp_under_months"]


def ten4_reasons(mark, region_ten4, child, settings):
    """Advisory only: which TEN-4-FACESp features this mark has, for a child under 4."""
    # SAFEGUARDING.md rule 4; TEN-4-FACESp (torso, ears, neck, frenulum, angle of jaw, cheeks, eyelids, subconjunctivae).
    if not counts_as_bruise(mark) or not ten4_prompt_applies(child, mark["observed_at"], settings):
        return []
    reasons = []
    if region_ten4:
        reasons.append(f"bruising to the {region_ten4}")
    if months_old(child, mark["observed_at"]) <= settings["ten4_facesp_any_bruise_up_to_months"]:
        reasons.append(f"a bruise at {settings['ten4_facesp_any_bruise_up_to_months']} months or under")
    if mark["pattern"] != "none":
        reasons.append("a patterned bruise")
    return reasons
