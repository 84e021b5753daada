"""Jinja filters that turn stored codes and ISO times into the words practitioners read."""
import re
from datetime import date, datetime

from fieldvisit.access import ROLES
from fieldvisit.families.domain import MOBILITY, PLAN_CATEGORIES, PLANS
from fieldvisit.visits.domain import (AMENDABLE_FIELDS, CHILD_ALONE, CONTAINER_TYPES,
                                      HOME_CONDITION_HEADINGS, HOME_CONDITION_RATINGS, OUTCOMES,
                                      PRESENCE, VISIT_TYPES)


def long_date(value):
    """'2026-11-23' -> '23 November 2026' (GOV.UK style)."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%B %Y}"


def weekday(value):
    return date.fromisoformat(str(value)[:10]).strftime("%A")


def date_time(value):
    """'2026-11-23T14:05' -> '23 November 2026 at 2:05pm'."""
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    hour = moment.hour % 12 or 12
    return f"{long_date(moment.date())} at {hour}:{moment:%M}{'am' if moment.hour < 12 else 'pm'}"


def utc_local(value):
    """A UTC time stored by the server ('...+00:00') in words, on England's clock."""
    if not value:
        return ""
    return date_time(datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone().replace(tzinfo=None))


# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder the text around them:
# a name or note holding one could make a chronology read differently from what was written.
# New text is refused with them (visits/forms.py clean_text); anything already stored is shown without
# them, everywhere a value is printed, so right-to-left text is shown by the browser's own rules.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def inert_bidi(value):
    """Jinja's `finalize`: every printed value, without bidirectional overrides or isolates."""
    if isinstance(value, str) and BIDI_CONTROLS.search(value):
        cleaned = BIDI_CONTROLS.sub("", str(value))
        return cleaned if type(value) is str else type(value)(cleaned)
    return value


def container(code, count=2):
    label = CONTAINER_TYPES.get(code, code).lower()
    return label if count == 1 else label + "s"


def lookup(table):
    return lambda code: table.get(code, code)


def register(app):
    filters = {
        "long_date": long_date, "weekday": weekday, "date_time": date_time, "container": container,
        "outcome": lookup(OUTCOMES), "visit_type": lookup(VISIT_TYPES), "role": lookup(ROLES),
        "plan": lookup(PLANS), "plan_category": lookup(PLAN_CATEGORIES), "mobility": lookup(MOBILITY),
        "heading": lookup(HOME_CONDITION_HEADINGS), "rating": lookup(HOME_CONDITION_RATINGS),
        "presence": lookup(PRESENCE), "child_alone": lookup(CHILD_ALONE),
        "amendable": lookup(AMENDABLE_FIELDS),
        "utc_local": utc_local,
    }
    app.jinja_env.filters.update(filters)
    app.jinja_env.finalize = inert_bidi
    app.jinja_env.globals["headings"] = HOME_CONDITION_HEADINGS
