"""Thresholds of the local safeguarding partnership (SAFEGUARDING.md: every one is a setting).

Defaults are the values SAFEGUARDING.md gives; an instance overrides any of them in
the `partnership_settings` table (key -> JSON value).
"""
import json

DEFAULTS = {
    # Rule 15: visiting frequency in working days per plan.
    "visit_every_working_days": {"child_protection": 10, "child_in_need": 20},
    # Rule 15: seen alone / bedroom seen at least every N visits.
    "seen_alone_every_visits": 2,
    "bedroom_seen_every_visits": 2,
    # Rule 18: a visit record is due within N working days (24 hours for a critical event).
    "recording_deadline_working_days": 2,
    "critical_recording_deadline_hours": 24,
    # Rule 1: every baby under this many months counts as not independently mobile.
    "non_mobile_under_months": 6,
    # Rule 9: a pattern of Was Not Brought.
    "was_not_brought_pattern_count": 3,
    "was_not_brought_pattern_weeks": 8,
    # How far ahead Today and the offline pack look.
    "today_days_ahead": 7,
    # Minutes without activity before a practitioner is signed out.
    "idle_timeout_minutes": 30,
}


def load(db):
    """The partnership's settings: defaults overlaid by the instance's own values."""
    settings = dict(DEFAULTS)
    if "partnership_settings" in db.table_names():
        for row in db.query("SELECT key, value FROM partnership_settings"):
            settings[row["key"]] = json.loads(row["value"])
    return settings


def save(db, key, value):
    if key not in DEFAULTS:
        raise KeyError(f"Unknown partnership setting: {key}")
    db["partnership_settings"].upsert({"key": key, "value": json.dumps(value)}, pk="key")
