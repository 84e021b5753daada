"""Working days in England: weekends and the bank holidays of England and Wales excluded."""
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def bank_holidays(year):
    """Bank holidays of England and Wales in a year, from the maintained `holidays` package."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day):
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(start, count):
    """The date `count` working days after `start` (start itself is not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start, end):
    """Working days after `start` up to and including `end`; negative if end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def to_date(value):
    """A date from an ISO date or date-time string (or a date), None for None."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
