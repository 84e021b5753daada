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
    # Rules 1-3 (body map): the partnership's pathway for each injury rule: required actions, hours to the deadline.
    "bodymap_pathways": {
        "bruise_not_independently_mobile": {"deadline_hours": 8, "actions": [
            "Discuss the mark the same day with children's social care (the professional who saw it)",
            "Make a referral to children's social care: it never waits for the paediatric opinion",
            "Arrange an urgent paediatric opinion (child protection medical)",
            "Record the outcome of the discussion, the referral and the medical"]},
        "injury_child_protection_plan": {"deadline_hours": 24, "actions": [
            "Tell the child's social worker the same day",
            "Arrange for the injury to be examined by a suitably qualified doctor",
            "If no medical is arranged, record the rationale"]},
        "suspect_maltreatment": {"deadline_hours": 24, "actions": [
            "Make a referral to children's social care",
            "Record the actions taken and the outcome of the referral"]},
    },
    # Rule 4: the TEN-4-FACESp prompt (advisory) for children under N months; any bruise at N months or under.
    "ten4_facesp_under_months": 48,
    "ten4_facesp_any_bruise_up_to_months": 4,
    # Body map: the figure offered from each age in months (the practitioner can choose another).
    "bodymap_figure_from_months": {"toddler": 12, "child": 36, "young_person": 132},
    # Rule 9: a pattern of Was Not Brought.
    "was_not_brought_pattern_count": 3,
    "was_not_brought_pattern_weeks": 8,
    # Rule 9: repeated cancellations or re-arrangements by a parent: possible disguised compliance.
    "parent_cancellation_pattern_count": 3,
    "parent_cancellation_pattern_weeks": 8,
    # Rule 9: working days the lead has to act on a pattern of Was Not Brought.
    "was_not_brought_escalation_working_days": 2,
    # Rule 10: a child found alone is acted on at once; the escalation is overdue after N hours.
    "child_alone_escalation_hours": 4,
    # Rule 11: working days to ask for a young carer's needs assessment (Children Act 1989 s17ZA).
    "young_carer_assessment_working_days": 10,
    # Rule 15: seen alone where it fits the child's age (local procedures): from this age in years.
    "seen_alone_from_age_years": 3,
    # Rule 16: how many weeks ahead the rota proposes unannounced visits, and between which hours.
    "unannounced_proposal_weeks": 6,
    "unannounced_visit_hours": [8, 19],
    # Rule 14: AUDIT-C (UK) is positive at this score; full AUDIT bands (lower bound, band).
    "audit_c_positive_score": 5,
    "audit_bands": [[0, "Lower risk"], [8, "Increasing risk"], [16, "Higher risk"], [20, "Possible dependence"]],
    # Rule 18: how many days back the dashboard lists visit records that arrived late.
    "late_records_days_back": 30,
    # How far ahead Today and the offline pack look.
    "today_days_ahead": 7,
    # Sessions (issue 14; NCSC and OWASP ASVS 3.3): signed out after this many minutes unused, and at most this many hours after signing in.
    "session_idle_minutes": 30,
    "session_absolute_hours": 10,
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
