"""The sync path's visit check (fieldvisit/visits/checks.py) against the page's form, its reference.

Thousands of generated posts (a realistic visit, then fields changed, blanked, left out, doubled
or added: rows numbered out of order, too many containers, text at and over its limits, refused
characters, dates in the future and before 2000, every outcome and child-alone answer, the sleep
questions) go to both; they must agree on every one: the same errors, word for word, in page
order, or the same record. A rule changed in one and not the other fails here."""
import uuid
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from fieldvisit import device_clock, records
from fieldvisit.visits import checks
from fieldvisit.visits.forms import VisitRecordForm, to_visit
from sync import Rejected
from tests.sync_fakes import HEADINGS, visit_fields

TODAY = date.today()
# Far enough from now that the two checks, a few milliseconds apart, judge "the future" alike.
DAYS = [TODAY - timedelta(days=1), TODAY - timedelta(days=400), TODAY + timedelta(days=2), date(1999, 12, 31),
        date(2000, 1, 1)]
CHOICES = {
    "visit_type": ["planned", "unannounced"], "outcome": ["completed", "no_answer", "refused_entry", "not_at_home"],
    "child_alone": ["no", "alone", "unsuitable_carer"], "seen": ["yes", "no"], "presence": ["present",
    "expected_absent", "not_expected"], "rating": ["good", "adequate", "poor", "not_seen"],
    "container_type": ["", "wine_bottle", "spirits_bottle", "beer_cider_can", "other"],
    "sleep_places": ["cot_parents_room", "cot_own_room", "bed_with_adult", "sofa_with_adult", "other"],
    "carer_risks": ["alcohol", "smoking", "drowsy_medication", "drugs", "none"],
}
ODD = ["", " ", "  x ", "yes", "no", "maybe", "1", "0", "-1", "00", " 5 ", "721", "1000", "abc", "1.5", "١٢", "²",
       "true", "false", "None", "2026-02-30", "2026-1-5", "31/12/2026", "10:30", "25:00", "9:05",
       str(uuid.uuid4()), str(uuid.uuid4()).upper(), "{" + str(uuid.uuid4()) + "}", "not-a-uuid",
       "Dad\u202e said no", "re\u200bferral", "x\x00y", "\u0645\u06cc\u06ba", "<b>", "x" * 200, "x" * 201,
       "y" * 500, "y" * 501, "z" * 10_000, "z" * 10_001, " " + "w" * 10_000 + " "]


def field_names(child_count, extra_child):
    names = ["record_id", "scheduled_visit_id", "visit_type", "visit_date", "visit_time", "duration_minutes",
             "outcome", "regular_visitors", "alcohol_smell", "intoxication_observed", "intoxication_details",
             "other_substances", "parent_alcohol_account", "child_alone", "child_alone_details", "analysis",
             "actions", "next_visit_due"]
    names += [f"children-{i}-{f}" for i in range(child_count + extra_child)
              for f in checks.CHILD_FIELDS]
    names += [f"adults-{i}-{f}" for i in range(3) for f in checks.ADULT_FIELDS]
    names += [f"containers-{i}-{f}" for i in (0, 1, 2, 4, 11) for f in checks.CONTAINER_FIELDS]
    names += [f"home_conditions-{h}-{f}" for h in HEADINGS for f in ("rating", "note")]
    names += ["children", "adults-x", "childrenx-0-seen", "children-٣-seen", "containers-12-count"]
    return names


def values_for(name):
    last = name.rsplit("-", 1)[-1]
    sensible = CHOICES.get(last, [])
    if last in ("visit_date", "next_visit_due"):
        sensible = [day.isoformat() for day in DAYS]
    elif last in ("seen_alone", "bedroom_seen", "shares_bed", "shares_sofa", "alcohol_smell", "intoxication_observed"):
        sensible = ["yes", "no"]
    elif last in ("sleep_asked", "found_alone", "looking_after"):
        sensible = ["1", "y", ""]
    elif last == "child_id":
        sensible = ["1", "2", "3", "99999999999999999999"]
    return st.sampled_from(sensible + ODD) if sensible else st.sampled_from(ODD)


@st.composite
def posts(draw):
    child_count = draw(st.integers(min_value=0, max_value=3))
    day = draw(st.sampled_from(DAYS[:2]))
    record_id = str(uuid.uuid4())
    fields = visit_fields(record_id, list(range(1, child_count + 1)), day.isoformat())
    names = field_names(child_count, extra_child=draw(st.sampled_from([0, 0, 0, 1])))
    for name in draw(st.lists(st.sampled_from(names), max_size=draw(st.sampled_from([1, 2, 4, 8])))):
        change = draw(st.sampled_from(["value", "value", "blank", "omit", "two"]))
        if change == "omit":
            fields.pop(name, None)
        elif change == "blank":
            fields[name] = [""]
        elif change == "two":
            fields[name] = [draw(values_for(name)), draw(values_for(name))]
        else:
            fields[name] = [draw(values_for(name))]
    for name in draw(st.lists(st.sampled_from(["sleep_places", "carer_risks"]), max_size=2)):
        child = draw(st.integers(min_value=0, max_value=max(child_count - 1, 0)))
        fields[f"children-{child}-sleep_asked"] = ["1"]
        fields[f"children-{child}-{name}"] = draw(st.lists(st.sampled_from(CHOICES[name] + ["bogus", "x"]),
                                                           max_size=3))
    return fields


def by_the_form(fields):
    pairs = [(name, value) for name, values in fields.items() for value in values]
    form = VisitRecordForm(formdata=MultiDict(pairs), meta={"csrf": False})
    if not form.validate():
        return "rejected", records.form_errors(form)
    visit = to_visit(form, 7, "2026-01-01T10:00:00")
    del visit["family_id"], visit["recorded_at"]
    return "valid", visit


def by_the_check(fields):
    try:
        return "valid", checks.check_visit(fields)
    except Rejected as rejected:
        return "rejected", rejected.errors


def agree(fields, offset=None):
    with device_clock.judging_with(offset):
        form, check = by_the_form(fields), by_the_check(fields)
    assert check[0] == form[0], (form, check)
    if form[0] == "rejected":
        assert list(check[1].items()) == list(form[1].items()), (fields, check[1], form[1])
    else:
        assert check[1] == form[1]
    return form[0]


@pytest.fixture
def form_context(app):
    with app.test_request_context("/"):
        yield


@settings(max_examples=1500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(fields=posts())
def test_the_check_and_the_form_agree_on_generated_posts(form_context, fields):
    agree(fields)


def test_they_agree_on_visits_written_out(form_context):
    record_id = str(uuid.uuid4())
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    cases = {
        "a completed visit": visit_fields(record_id, [1, 2], yesterday),
        "nothing posted": {},
        "no answer at the door": visit_fields(record_id, [1], yesterday, outcome="no_answer",
                                             **{"children-0-seen": "no", "children-0-seen_alone": "",
                                                "children-0-bedroom_seen": ""}),
        "a baby's sleep, contradicting": visit_fields(record_id, [1], yesterday, **{
            "children-0-sleep_asked": "1", "children-0-sleep_places": "cot_own_room",
            "children-0-shares_bed": "yes", "children-0-shares_sofa": "no", "children-0-carer_risks": "none"}),
        "a child found alone, no child ticked": visit_fields(record_id, [1], yesterday, child_alone="alone",
                                                             child_alone_details="Found alone in the flat"),
        "rows numbered 5 and 9": {**visit_fields(record_id, [], yesterday), "children-5-child_id": ["1"],
                                  "children-5-seen": ["no"], "adults-9-full_name": ["Bob"]},
        "the visit in the future": visit_fields(record_id, [1], (TODAY + timedelta(days=1)).isoformat()),
    }
    outcomes = {name: agree(fields) for name, fields in cases.items()}
    assert outcomes["a completed visit"] == "valid"
    assert outcomes["nothing posted"] == outcomes["a baby's sleep, contradicting"] == "rejected"
    assert outcomes["the visit in the future"] == "rejected"


def test_the_tablets_clock_is_judged_alike(form_context):
    """Issue 14: a visit 'in the future' by the server's clock is accepted when the tablet's clock was behind."""
    today = TODAY.isoformat()
    fields = visit_fields(str(uuid.uuid4()), [1], today, visit_time="23:59")
    for offset in (None, -2 * 24 * 3600 * 1000):
        agree(fields, offset)


def test_a_row_number_int_cannot_read_is_rejected_not_a_fault():
    fields = {"children-²-seen": ["yes"]}
    with pytest.raises(Rejected) as rejected:
        checks.check_visit(fields)
    assert rejected.value.errors == {"children": checks.ROWS_NUMBERED_WRONGLY}
