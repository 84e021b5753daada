"""Rule 12, co-sleeping risk: a decision table at the boundaries (under and over 12 months, a
premature baby now older, each risk factor alone), and answers that cannot both be true."""
from datetime import date, timedelta

import pytest

from fieldvisit import settings
from fieldvisit.safe_sleep.rules import answer_conflicts, co_sleeping_risk

TODAY = date.today()
SETTINGS = settings.DEFAULTS
NO_ALCOHOL = {"containers": [], "smell": False, "intoxication_observed": False}


def months_before(day, months):
    """The date `months` months before `day` (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, last)
        except ValueError:
            continue


def baby(months=2, days_younger=0, **birth):
    born = months_before(TODAY, months) + timedelta(days=days_younger)
    return dict({"date_of_birth": born.isoformat(), "gestation_weeks": None, "birth_weight_kg": None}, **birth)


def answers(places=("cot_parents_room",), bed=False, sofa=False, risks=("none",)):
    return {"sleep_places": list(places), "shares_bed": bed, "shares_sofa": sofa, "carer_risks": list(risks),
            "sleep_place_other": ""}


BED = dict(places=("cot_parents_room", "bed_with_adult"), bed=True)
SOFA = dict(places=("cot_parents_room", "sofa_with_adult"), sofa=True)


@pytest.mark.parametrize("case, sleep, child, alcohol, flagged", [
    ("own cot, nothing else", answers(), baby(), NO_ALCOHOL, False),
    ("bed sharing with no risk factor", answers(**BED), baby(), NO_ALCOHOL, False),
    ("bed sharing, carer has drunk", answers(**BED, risks=["alcohol"]), baby(), NO_ALCOHOL, True),
    ("bed sharing, carer smokes", answers(**BED, risks=["smoking"]), baby(), NO_ALCOHOL, True),
    ("bed sharing, drowsy medication", answers(**BED, risks=["drowsy_medication"]), baby(), NO_ALCOHOL, True),
    ("bed sharing, drugs", answers(**BED, risks=["drugs"]), baby(), NO_ALCOHOL, True),
    ("bed sharing, born at 36 weeks", answers(**BED), baby(gestation_weeks=36), NO_ALCOHOL, True),
    ("bed sharing, born at 37 weeks", answers(**BED), baby(gestation_weeks=37), NO_ALCOHOL, False),
    ("bed sharing, 2.4 kg at birth", answers(**BED), baby(birth_weight_kg=2.4), NO_ALCOHOL, True),
    ("bed sharing, 2.5 kg at birth", answers(**BED), baby(birth_weight_kg=2.5), NO_ALCOHOL, False),
    ("bed sharing, smell of alcohol observed", answers(**BED), baby(), dict(NO_ALCOHOL, smell=True), True),
    ("bed sharing, intoxication observed", answers(**BED), baby(),
     dict(NO_ALCOHOL, intoxication_observed=True), True),
    ("bed sharing, empty bottles observed", answers(**BED), baby(),
     dict(NO_ALCOHOL, containers=[{"count": 3, "type": "beer_cider_can", "where": "kitchen"}]), True),
    ("sofa, no risk factor at all", answers(**SOFA), baby(), NO_ALCOHOL, True),
    ("own cot, carer smokes and drank: no co-sleeping", answers(risks=["smoking", "alcohol"]), baby(),
     dict(NO_ALCOHOL, smell=True), False),
    ("own cot, premature: no co-sleeping", answers(), baby(gestation_weeks=30), NO_ALCOHOL, False),
    ("sofa at 11 months and 30 days", answers(**SOFA), baby(months=12, days_younger=1), NO_ALCOHOL, True),
    ("sofa on the first birthday", answers(**SOFA), baby(months=12), NO_ALCOHOL, False),
    ("bed sharing and drinking, 13 months", answers(**BED, risks=["alcohol"]), baby(months=13), NO_ALCOHOL, False),
    ("a premature baby now older, bed sharing", answers(**BED), baby(months=14, gestation_weeks=30,
                                                                     birth_weight_kg=1.9), NO_ALCOHOL, False),
    ("a premature baby still under 12 months, bed sharing", answers(**BED), baby(months=11, gestation_weeks=30),
     NO_ALCOHOL, True),
])
def test_co_sleeping_risk_decision_table(case, sleep, child, alcohol, flagged):
    reasons = co_sleeping_risk(sleep, child, TODAY, alcohol, SETTINGS)
    assert bool(reasons) is flagged, (case, reasons)


def test_the_reasons_name_each_risk_factor():
    reasons = co_sleeping_risk(answers(**BED, risks=["smoking"]), baby(gestation_weeks=35, birth_weight_kg=2.2),
                               TODAY, dict(NO_ALCOHOL, smell=True), SETTINGS)
    assert reasons == ["shares a bed with an adult", "carer smokes", "alcohol observed on this visit "
                       "(a smell of alcohol)", "born premature (35 weeks)", "low birth weight (2.2 kg)"]


def test_a_sofa_is_named_first():
    assert co_sleeping_risk(answers(**SOFA), baby(), TODAY, NO_ALCOHOL, SETTINGS) == [
        "sleeps on a sofa or armchair with an adult"]


def test_the_thresholds_are_partnership_settings():
    widened = dict(SETTINGS, safe_sleep_premature_before_weeks=38)
    assert co_sleeping_risk(answers(**BED), baby(gestation_weeks=37), TODAY, NO_ALCOHOL, widened)
    older = dict(SETTINGS, safe_sleep_under_months=24)
    assert co_sleeping_risk(answers(**SOFA), baby(months=13), TODAY, NO_ALCOHOL, older)


@pytest.mark.parametrize("sleep, field, words", [
    (answers(sofa=True), "shares_sofa", ["'Yes'", "sleep on a sofa or armchair",
                                         "In their own cot or Moses basket in the parents' room"]),
    (answers(places=["cot_own_room"], bed=True), "shares_bed", ["'Yes'", "share a bed",
                                                                "In their own cot in their own room"]),
    (answers(places=["sofa_with_adult"]), "shares_sofa", ["'No'", "On a sofa or armchair with an adult"]),
    (answers(places=["bed_with_adult"]), "shares_bed", ["'No'", "In a bed with an adult"]),
    (answers(risks=["none", "smoking"]), "carer_risks", ["'None of these'", "'The carer smokes'"]),
])
def test_answers_that_cannot_both_be_true_are_named(sleep, field, words):
    conflicts = answer_conflicts(sleep)
    assert list(conflicts) == [field]
    for word in words:
        assert word in conflicts[field]


def test_consistent_answers_have_no_conflict():
    assert answer_conflicts(answers(**BED, risks=["alcohol", "smoking"])) == {}
    assert answer_conflicts(answers(**SOFA)) == {}
