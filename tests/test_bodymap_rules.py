"""The injury rules (SAFEGUARDING.md rules 1-6) as plain functions: each fires when it should and
not when it should not, at the boundaries of age and mobility."""
from datetime import date

import pytest

from fieldvisit.bodymap import rules
from fieldvisit.settings import DEFAULTS

SEEN = "2026-03-10T10:30"


def born_months_before(months, on=date(2026, 3, 10)):
    """A date of birth exactly `months` whole months before `on`."""
    year, month = on.year, on.month - months
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, on.day).isoformat()


def child(months=3, mobile=False, plan="none"):
    return {"id": 1, "family_id": 1, "date_of_birth": born_months_before(months), "independently_mobile": int(mobile),
            "plan": plan}


def mark(**details):
    base = {"mark_type": "bruise", "believed_birthmark": False, "birthmark_confirmed_by": "",
            "birthmark_confirmed_on": None, "pattern": "none", "clustered": False, "consistent": "yes",
            "observed_at": SEEN}
    return dict(base, **details)


def fired(the_mark, the_child, settings=DEFAULTS):
    return [e["rule"] for e in rules.escalations_for_mark(the_mark, the_child, settings)]


# --- rule 1: a bruise on a child who is not independently mobile --------------------------------

def test_a_bruise_on_a_6_month_old_who_is_not_mobile_escalates_whatever_the_explanation():
    assert fired(mark(consistent="yes"), child(months=6, mobile=False)) == ["bruise_not_independently_mobile"]


def test_a_bruise_on_a_7_month_old_who_crawls_does_not_escalate_on_mobility():
    assert fired(mark(), child(months=7, mobile=True)) == []


def test_a_bruise_on_a_disabled_3_year_old_who_is_not_mobile_escalates():
    assert fired(mark(), child(months=40, mobile=False)) == ["bruise_not_independently_mobile"]


def test_every_baby_under_6_months_counts_as_not_mobile_even_if_recorded_as_mobile():
    assert fired(mark(), child(months=5, mobile=True)) == ["bruise_not_independently_mobile"]
    assert fired(mark(), child(months=6, mobile=True)) == []


def test_the_age_limit_is_the_partnerships_setting():
    stricter = dict(DEFAULTS, non_mobile_under_months=9)
    assert fired(mark(), child(months=7, mobile=True), stricter) == ["bruise_not_independently_mobile"]


def test_a_possible_bruise_counts_as_a_bruise():
    assert fired(mark(mark_type="possible_bruise"), child(months=2)) == ["bruise_not_independently_mobile"]


@pytest.mark.parametrize("kind", ["graze", "cut", "burn", "scald", "bite", "other"])
def test_other_injuries_on_a_non_mobile_baby_are_not_the_bruising_rule(kind):
    assert "bruise_not_independently_mobile" not in fired(mark(mark_type=kind), child(months=2))


def test_the_pathway_lists_the_required_actions_and_a_deadline():
    [escalation] = rules.escalations_for_mark(mark(), child(months=2), DEFAULTS)
    assert escalation["title"] == "Bruise on a child who is not independently mobile"
    assert escalation["deadline_hours"] == 8
    assert any("same day" in action and "children's social care" in action for action in escalation["actions"])
    assert any("paediatric opinion" in action for action in escalation["actions"])
    assert any("never waits for the paediatric opinion" in action for action in escalation["actions"])
    assert "SAFEGUARDING.md rule 1" in escalation["source"]


# --- rule 5: birthmarks ---------------------------------------------------------------------

def test_an_unconfirmed_birthmark_is_treated_as_a_possible_bruise():
    believed = mark(mark_type="other", believed_birthmark=True)
    assert rules.treated_as_possible_bruise(believed)
    assert fired(believed, child(months=2)) == ["bruise_not_independently_mobile"]


def test_a_birthmark_confirmed_by_a_registered_health_practitioner_is_not_a_bruise():
    confirmed = mark(mark_type="possible_bruise", believed_birthmark=True, birthmark_confirmed_by="Dr A Example",
                     birthmark_confirmed_on="2026-02-01", birthmark_confirmer_kind="outside",
                     birthmark_confirmer_profession="gp")
    assert not rules.counts_as_bruise(confirmed)
    assert fired(confirmed, child(months=2, plan="child_protection")) == []


def test_a_confirmation_without_a_date_is_not_a_confirmation():
    assert rules.treated_as_possible_bruise(mark(believed_birthmark=True, birthmark_confirmed_by="Dr A Example"))


# --- rule 2: a child on a child protection plan ----------------------------------------------

@pytest.mark.parametrize("kind", ["bruise", "graze", "cut", "burn", "scald", "bite", "other"])
def test_any_injury_to_a_child_on_a_protection_plan_escalates(kind):
    assert "injury_child_protection_plan" in fired(mark(mark_type=kind), child(months=100, mobile=True,
                                                                               plan="child_protection"))


@pytest.mark.parametrize("plan", ["child_in_need", "none"])
def test_an_injury_to_a_mobile_child_not_on_a_protection_plan_does_not_escalate(plan):
    assert fired(mark(mark_type="graze"), child(months=100, mobile=True, plan=plan)) == []


def test_the_protection_plan_pathway_asks_for_a_doctor_or_a_recorded_rationale():
    [escalation] = rules.escalations_for_mark(mark(mark_type="cut"), child(100, True, "child_protection"), DEFAULTS)
    assert any("suitably qualified doctor" in a for a in escalation["actions"])
    assert any("rationale" in a for a in escalation["actions"])


# --- rule 3: suspect maltreatment ------------------------------------------------------------

@pytest.mark.parametrize("details, why", [
    ({"pattern": "grip"}, "patterned mark (grip)"),
    ({"pattern": "hand"}, "patterned mark (hand)"),
    ({"pattern": "ligature"}, "patterned mark (ligature)"),
    ({"pattern": "implement"}, "patterned mark (implement)"),
    ({"pattern": "bite", "mark_type": "bite"}, "patterned mark (bite)"),
    ({"clustered": True}, "clustered bruises"),
    ({"consistent": "no"}, "explanation not consistent with the mark"),
])
def test_signs_of_maltreatment_escalate_as_suspect_maltreatment(details, why):
    [escalation] = rules.escalations_for_mark(mark(**details), child(months=100, mobile=True), DEFAULTS)
    assert escalation["rule"] == "suspect_maltreatment"
    assert escalation["title"] == f"Suspect maltreatment: {why}"
    assert any("referral to children's social care" in a.lower() for a in escalation["actions"])


@pytest.mark.parametrize("consistent", ["yes", "unsure", None])
def test_an_explanation_consistent_unsure_or_absent_is_not_suspect_maltreatment_on_its_own(consistent):
    assert fired(mark(consistent=consistent), child(months=100, mobile=True)) == []


def test_several_rules_fire_together_in_order():
    everything = mark(pattern="grip", consistent="no")
    assert fired(everything, child(months=2, plan="child_protection")) == [
        "bruise_not_independently_mobile", "injury_child_protection_plan", "suspect_maltreatment"]


# --- rule 4: TEN-4-FACESp (advisory) ---------------------------------------------------------

@pytest.mark.parametrize("months, shown", [(0, True), (47, True), (48, False), (120, False)])
def test_the_ten4_prompt_is_for_children_under_4(months, shown):
    assert rules.ten4_prompt_applies(child(months=months), SEEN, DEFAULTS) is shown


def test_ten4_reasons_name_the_region_the_age_and_a_pattern():
    assert rules.ten4_reasons(mark(pattern="grip"), "cheeks", child(months=4), DEFAULTS) == [
        "bruising to the cheeks", "a bruise at 4 months or under", "a patterned bruise"]
    assert rules.ten4_reasons(mark(), "", child(months=5), DEFAULTS) == []
    assert rules.ten4_reasons(mark(mark_type="graze"), "cheeks", child(months=4), DEFAULTS) == []
    assert rules.ten4_reasons(mark(), "torso", child(months=50), DEFAULTS) == []


def test_no_rule_or_setting_offers_to_age_a_bruise_from_its_colour():
    """Rule 6: colour cannot time a bruise, so nothing here reads a mark's colour."""
    import inspect
    assert "colour" not in inspect.getsource(rules).lower().replace("colour cannot", "")
