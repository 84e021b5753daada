"""The unannounced-visit proposer (SAFEGUARDING.md rule 16), with property-based tests: the
proposals meet the plan's frequency, fall on free working days, avoid clashes, and are not all
on one weekday or at one time of day."""
import random
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings, strategies as st

from fieldvisit.rota.domain import PRACTITIONER_GAP_MINUTES, band_of, propose_unannounced, time_bands
from fieldvisit.workdays import add_working_days, is_working_day, working_days_between

HOURS = (8, 19)
BANDS = time_bands(HOURS)

days = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 1))


@st.composite
def situations(draw):
    today = draw(days)
    every = draw(st.integers(min_value=1, max_value=25))
    last_visit = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=40).map(lambda n: today - timedelta(days=n))))
    weeks = draw(st.integers(min_value=1, max_value=8))
    until = today + timedelta(weeks=weeks)
    horizon = [today + timedelta(days=n) for n in range(1, (until - today).days + 1)]
    fixed = set(draw(st.lists(st.sampled_from(horizon), max_size=4)))
    busy = set(draw(st.lists(st.sampled_from(horizon), max_size=max(1, len(horizon) // 4))))
    history = draw(st.lists(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2025, 12, 31)).map(
        lambda d: d.replace(hour=8 + d.hour % 11, second=0, microsecond=0)), max_size=12))
    practitioner_busy = {d: [time(draw(st.integers(8, 18)), 0)] for d in draw(st.lists(st.sampled_from(horizon), max_size=3))}
    seed = draw(st.integers(min_value=0, max_value=2**32))
    return dict(today=today, every=every, last_visit=last_visit, until=until, fixed_days=fixed, busy_days=busy,
                history=history, practitioner_busy=practitioner_busy, rng=random.Random(seed), hours=HOURS)


def run(situation):
    return propose_unannounced(**situation)


def free(day, s):
    return is_working_day(day) and day not in s["busy_days"] and day not in s["fixed_days"] and day > s["today"]


@settings(max_examples=300, deadline=None)
@given(situations())
def test_proposals_are_on_free_working_days_in_the_future_and_never_clash(s):
    proposals = run(s)
    assert len({p.day for p in proposals}) == len(proposals)  # never two on one day
    for p in proposals:
        assert is_working_day(p.day)
        assert p.day > s["today"]
        assert p.day not in s["busy_days"], "another agency is visiting that day"
        assert p.day not in s["fixed_days"], "a visit is already on the rota that day"
        assert HOURS[0] <= p.at.hour < HOURS[1] and p.at.minute % 15 == 0


@settings(max_examples=300, deadline=None)
@given(situations())
def test_proposals_meet_the_frequency_whenever_a_free_day_allows(s):
    proposals = run(s)
    anchor = s["last_visit"] or s["today"]
    timeline = sorted({p.day for p in proposals} | {d for d in s["fixed_days"] if d > s["today"]})
    for day in timeline:
        deadline = add_working_days(anchor, s["every"])
        if day > deadline:
            earliest = s["today"] + timedelta(days=1)
            window = [anchor + timedelta(days=n) for n in range(1, (deadline - anchor).days + 1)]
            # Only allowed when the plan was already overdue, or every day within it was taken.
            assert deadline < earliest or not any(free(d, s) for d in window), (anchor, day, deadline)
        anchor = day
    # The last visit leaves no gap before the end of the proposals' weeks.
    assert add_working_days(anchor, s["every"]) > s["until"] or not proposals and not any(
        free(s["today"] + timedelta(days=n), s) for n in range(1, (s["until"] - s["today"]).days + 1))


@settings(max_examples=300, deadline=None)
@given(situations())
def test_consecutive_proposals_change_weekday_and_time_of_day(s):
    proposals = run(s)
    for before, after in zip(proposals, proposals[1:]):
        assert band_of(before.at, BANDS) != band_of(after.at, BANDS)
    if len(proposals) >= 3:
        assert len({p.day.weekday() for p in proposals}) >= 2, "all on one weekday"
        assert len({band_of(p.at, BANDS) for p in proposals}) >= 2, "all at one time of day"


@settings(max_examples=200, deadline=None)
@given(situations())
def test_proposals_keep_clear_of_the_practitioners_other_visits(s):
    for p in run(s):
        for other in s["practitioner_busy"].get(p.day, []):
            gap = abs((p.at.hour * 60 + p.at.minute) - (other.hour * 60 + other.minute))
            assert gap >= PRACTITIONER_GAP_MINUTES


def test_no_busy_days_means_no_two_consecutive_proposals_share_a_weekday():
    for seed in range(200):
        proposals = propose_unannounced(today=date(2026, 11, 16), every=10, last_visit=date(2026, 11, 13),
                                        until=date(2027, 2, 1), rng=random.Random(seed), hours=HOURS)
        assert len(proposals) >= 5
        for before, after in zip(proposals, proposals[1:]):
            assert before.day.weekday() != after.day.weekday()
            assert working_days_between(before.day, after.day) <= 10


def test_the_familys_habitual_weekday_and_time_are_avoided():
    """A family always visited on Tuesday mornings rarely gets a Tuesday or a morning."""
    history = [datetime(2026, 9, 1, 10, 0) + timedelta(weeks=n) for n in range(10)]  # Tuesdays at 10am
    first_days, first_bands = [], []
    for seed in range(300):
        [first, *_] = propose_unannounced(today=date(2026, 11, 16), every=10, last_visit=date(2026, 11, 10),
                                          until=date(2026, 12, 14), rng=random.Random(seed), history=history,
                                          hours=HOURS)
        first_days.append(first.day.weekday())
        first_bands.append(band_of(first.at, BANDS))
    assert first_days.count(1) == 0  # the last visit was a Tuesday: never the next
    assert first_bands.count(band_of(time(10, 0), BANDS)) == 0
    assert len(set(first_days)) >= 3 and len(set(first_bands)) >= 3  # and not one fixed pattern instead


def test_an_overdue_child_gets_a_visit_within_days():
    [first, *_] = propose_unannounced(today=date(2026, 11, 16), every=10, last_visit=date(2026, 10, 1),
                                      until=date(2026, 12, 14), rng=random.Random(1), hours=HOURS)
    assert working_days_between(date(2026, 11, 16), first.day) <= 5


def test_when_every_day_clashes_the_first_free_day_after_is_proposed_and_marked_late():
    today = date(2026, 11, 16)
    busy = {today + timedelta(days=n) for n in range(1, 8)}
    [first, *_] = propose_unannounced(today=today, every=3, last_visit=today, until=date(2026, 12, 14),
                                      rng=random.Random(3), busy_days=busy, hours=HOURS)
    assert first.late and first.day == date(2026, 11, 24)


def test_an_overdue_child_counts_a_visit_already_on_the_rota_in_the_next_days():
    """Found by the property tests: the first proposal ignored a visit fixed two days ahead."""
    proposals = propose_unannounced(today=date(2026, 1, 2), every=1, last_visit=date(2026, 1, 1),
                                    until=date(2026, 1, 9), rng=random.Random(0), fixed_days={date(2026, 1, 4)},
                                    hours=HOURS)
    assert [p.day for p in proposals] == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7), date(2026, 1, 8),
                                          date(2026, 1, 9)]
