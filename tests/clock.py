"""The one clock every date in the tests is built from.

The app reads the real clock (date.today(), datetime.now(), in Europe/London), so a test builds
its dates from the same clock rather than writing a calendar date that changes meaning as time
passes (a baby born on a fixed day is under six months only for six months). scripts/test.sh
runs the domain and route tests again with the clock a year ahead and on the day after a bank
holiday (libfaketime), which moves this clock and the app's together.

Pure functions called with both dates explicit (describe_age(born, on), working days) may keep
fixed calendar dates: nothing there is compared with today.
"""
from datetime import date, datetime, time, timedelta


def today():
    return date.today()


def now():
    return datetime.now()


def days_ago(n, on=None):
    return (on or today()) - timedelta(days=n)


def days_ahead(n, on=None):
    return (on or today()) + timedelta(days=n)


def iso(day, at=None):
    """'YYYY-MM-DD', or 'YYYY-MM-DDTHH:MM[:SS]' with a time ('10:30', '11:30:00' or a time)."""
    if at is None:
        return day.isoformat()
    if isinstance(at, time):
        at = at.isoformat(timespec="minutes")
    return f"{day.isoformat()}T{at}"


def last_weekday_before(day, weekday=0):
    """The latest `weekday` (0 Monday) strictly before `day`."""
    back = (day.weekday() - weekday) % 7 or 7
    return day - timedelta(days=back)


def earlier_today(hours=1):
    """(today 'YYYY-MM-DD', 'HH:MM') of a moment today that has passed: `hours` ago, or midnight
    when that was yesterday. A visit 'today at 09:00' is in the future, and refused, before nine."""
    moment = max(now() - timedelta(hours=hours), datetime.combine(today(), time()))
    return moment.date().isoformat(), moment.strftime("%H:%M")
