"""Thresholds of the local safeguarding partnership (SAFEGUARDING.md: every one is a setting).

Defaults are the values SAFEGUARDING.md gives; an instance overrides any of them in
the `partnership_settings` table (key -> JSON value).
"""
import hashlib
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
    # Rule 9: a pattern of Was Not Brought escalates only for children on these plans (SAFEGUARDING.md rule 9).
    "was_not_brought_pattern_plans": ["child_protection", "child_in_need"],
    # Rule 12: co-sleeping risk is asked about for babies under N months (Lullaby Trust; NICE NG194 1.3.20).
    "safe_sleep_under_months": 12,
    # Rule 12: premature (born before N weeks) and low birth weight (under N kg) are risk factors (Lullaby Trust).
    "safe_sleep_premature_before_weeks": 37,
    "safe_sleep_low_birth_weight_kg": 2.5,
    # Rule 12: the partnership's safer-sleep advice, each an action marked done (Lullaby Trust; NICE NG194).
    "safe_sleep_actions": [
        "Discuss the risks of sharing a bed or sofa with the baby with the carer, and what makes them worse",
        "Give the Lullaby Trust safer sleep leaflet and talk it through",
        "Agree where the baby will sleep tonight: on their back, in their own clear, flat cot or Moses basket",
        "Tell the team lead and the child's health visitor, and check at the next visit"],
    "safe_sleep_deadline_hours": 24,
    # Sessions (issue 14; NCSC and OWASP ASVS 3.3): signed out after this many minutes unused, and at most this many hours after signing in.
    "session_idle_minutes": 30,
    "session_absolute_hours": 10,
    # Issue 14 (NCSC, OWASP ASVS 2.7/2.8): team leads and admins must use a second factor (an authenticator app's code) to sign in; off by default.
    "second_factor_required_for_leads_and_admins": False,
    # Issue 14 item 5 (NCSC end-user device guidance): a tablet's offline pages lock after this many hours without contact.
    "offline_lock_hours": 72,
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


# --- Editing the settings (issue 10): what each one is, its kind and its range -------------------
# kind: "int" (min..max), "int_map" (one int per key, min..max; "ascending" when the keys' values
# must rise in order), "hours" ([from, to] hours of the day), "pathways" (per injury rule: hours to
# the deadline and the required actions, one a line). A key with no entry here (added later) is
# edited as JSON of the same shape as its default.
SETTINGS_SCHEMA = {
    "visit_every_working_days": {"label": "Visit at least every (working days), by plan", "kind": "int_map",
                                 "min": 1, "max": 60, "help": "Rule 15: how often each child on a plan is visited."},
    "seen_alone_every_visits": {"label": "Child seen alone at least every (visits)", "kind": "int", "min": 1, "max": 10,
                                "help": "Rule 15: 2 means at least every other visit."},
    "bedroom_seen_every_visits": {"label": "Bedroom seen at least every (visits)", "kind": "int", "min": 1, "max": 10,
                                  "help": "Rule 15: 2 means at least every other visit."},
    "recording_deadline_working_days": {"label": "A visit record is due within (working days)", "kind": "int",
                                        "min": 1, "max": 20, "help": "Rule 18."},
    "critical_recording_deadline_hours": {"label": "A critical event's record is due within (hours)", "kind": "int",
                                          "min": 1, "max": 72, "help": "Rule 18."},
    "non_mobile_under_months": {"label": "Every baby under this age counts as not independently mobile (months)",
                                "kind": "int", "min": 6, "max": 36,
                                "help": "Rule 1 (CSPRP 2022, NICE CG89): never lower than 6 months."},
    "bodymap_pathways": {"label": "Injury pathways: hours to the deadline and the required actions", "kind": "pathways",
                         "min": 1, "max": 168, "help": "Rules 1 to 3: one action a line."},
    "ten4_facesp_under_months": {"label": "TEN-4-FACESp prompt for children under (months)", "kind": "int",
                                 "min": 1, "max": 216, "help": "Rule 4 (advisory)."},
    "ten4_facesp_any_bruise_up_to_months": {"label": "TEN-4-FACESp: any bruise at this age or under (months)",
                                            "kind": "int", "min": 0, "max": 48, "help": "Rule 4 (advisory)."},
    "bodymap_figure_from_months": {"label": "Body map figure offered from this age (months)", "kind": "int_map",
                                   "min": 0, "max": 216, "ascending": True,
                                   "help": "Each figure from a greater age than the one before."},
    "was_not_brought_pattern_count": {"label": "Was Not Brought pattern: how many", "kind": "int", "min": 2, "max": 20,
                                      "help": "Rule 9: this many within the weeks below is a pattern."},
    "was_not_brought_pattern_weeks": {"label": "Was Not Brought pattern: within (weeks)", "kind": "int",
                                      "min": 1, "max": 52, "help": "Rule 9."},
    "parent_cancellation_pattern_count": {"label": "Cancellations by a parent: how many", "kind": "int",
                                          "min": 2, "max": 20, "help": "Rule 9: possible disguised compliance."},
    "parent_cancellation_pattern_weeks": {"label": "Cancellations by a parent: within (weeks)", "kind": "int",
                                          "min": 1, "max": 52, "help": "Rule 9."},
    "was_not_brought_escalation_working_days": {"label": "Lead acts on a Was Not Brought pattern within (working days)",
                                                "kind": "int", "min": 1, "max": 20, "help": "Rule 9."},
    "child_alone_escalation_hours": {"label": "A child found alone: escalation overdue after (hours)", "kind": "int",
                                     "min": 1, "max": 48, "help": "Rule 10."},
    "young_carer_assessment_working_days": {"label": "Ask for a young carer's needs assessment within (working days)",
                                            "kind": "int", "min": 1, "max": 60, "help": "Rule 11 (Children Act 1989 s17ZA)."},
    "seen_alone_from_age_years": {"label": "Seen alone expected from age (years)", "kind": "int", "min": 0, "max": 17,
                                  "help": "Rule 15."},
    "unannounced_proposal_weeks": {"label": "Rota proposes unannounced visits this many weeks ahead", "kind": "int",
                                   "min": 1, "max": 26, "help": "Rule 16."},
    "unannounced_visit_hours": {"label": "Unannounced visits between these hours", "kind": "hours",
                                "min": 0, "max": 24, "help": "Rule 16: 24-hour clock, from and to."},
    "audit_c_positive_score": {"label": "AUDIT-C is positive at this score", "kind": "int", "min": 1, "max": 12,
                               "help": "Rule 14 (UK AUDIT-C: 5). Do not use US cut-offs."},
    "audit_bands": {"label": "AUDIT bands (lowest score, name)", "kind": "json",
                    "help": "Rule 14: a list of [lowest score, band name], lowest first."},
    "late_records_days_back": {"label": "Dashboard lists late records from this many days back", "kind": "int",
                               "min": 1, "max": 365, "help": "Rule 18."},
    "today_days_ahead": {"label": "Today and the tablet's pack look this many days ahead", "kind": "int",
                         "min": 0, "max": 14, "help": "More days make a larger pack on each tablet."},
    "second_factor_required_for_leads_and_admins": {
        "label": "Team leads and admins must sign in with a code from an authenticator app", "kind": "json",
        "help": "true to require it, false not to. Anyone may turn it on for themselves."},
    # Issue 14 item 5: reaches the tablets in the pack answer (offline_lock_hours).
    "offline_lock_hours": {"label": "A tablet's offline pages lock after this many hours without contact", "kind": "int",
                           "min": 1, "max": 720,
                           "help": "Issue 14: the practitioner signs in with signal to open them again. "
                                   "Records saved on the tablet are still sent."},
}


def schema_of(key):
    """How a setting is edited: its SETTINGS_SCHEMA entry, or JSON of its default's shape."""
    return SETTINGS_SCHEMA.get(key) or {"label": key.replace("_", " ").capitalize(), "kind": "json",
                                        "help": "Edited as JSON of the same shape as the default."}


def same_shape(value, default):
    """Whether `value` has the shape of `default`: same types, a dict's same keys, a list's
    items shaped like the default's items (an empty default list takes any list)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, dict):
        return isinstance(value, dict) and set(value) == set(default) and all(
            same_shape(value[k], default[k]) for k in default)
    if isinstance(default, list):
        if not isinstance(value, list):
            return False
        if len(default) and len({json.dumps(_skeleton(item)) for item in default}) > 1:
            # a fixed-length tuple of different kinds, e.g. [lower bound, band name]
            return len(value) == len(default) and all(same_shape(v, d) for v, d in zip(value, default))
        return all(same_shape(item, default[0]) for item in value) if default else True
    return value is None and default is None


def _skeleton(value):
    if isinstance(value, dict):
        return {k: _skeleton(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(v) for v in value]
    return type(value).__name__


def problems(key, value):
    """What is wrong with `value` for setting `key`, in plain words (an empty list when it is right)."""
    if key not in DEFAULTS:
        return [f"There is no setting called {key}."]
    schema, default = schema_of(key), DEFAULTS[key]
    if not same_shape(value, default):
        return ["The value must have the same shape as the default (the same keys and kinds of value)."]
    kind, low, high = schema["kind"], schema.get("min"), schema.get("max")
    found = []

    def in_range(number, what):
        if low is not None and high is not None and not low <= number <= high:
            found.append(f"{what} must be between {low} and {high}.")

    if kind == "int":
        in_range(value, schema["label"])
    elif kind == "int_map":
        for name, number in value.items():
            in_range(number, name.replace("_", " ").capitalize())
        numbers = list(value.values())
        if schema.get("ascending") and numbers != sorted(set(numbers)):
            found.append("Each must be greater than the one before.")
    elif kind == "hours":
        if len(value) != 2:
            found.append("Give two hours: from and to.")
        for number in value:
            in_range(number, "Each hour")
        if len(value) == 2 and value[0] >= value[1]:
            found.append("The first hour must be before the second.")
    elif kind == "pathways":
        for name, pathway in value.items():
            in_range(pathway["deadline_hours"], "Hours to the deadline")
            if not [action for action in pathway["actions"] if action.strip()]:
                found.append(f"Give at least one action for {name.replace('_', ' ')}.")
    if key == "audit_bands" and [band[0] for band in value] != sorted({band[0] for band in value}):
        found.append("Give the bands lowest score first, each with a different score.")
    return found


def settings_version(db):
    """A short fingerprint of the settings in force: it changes whenever any of them changes, so a
    tablet knows to fetch its pages again (their rules and warnings are rendered with them)."""
    current = json.dumps(load(db), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(current.encode("utf-8")).hexdigest()[:16]


def change(db, key, value, reason, changed_by, at):
    """Set a partnership setting for a reason, with its history (who, when, before, after, why).
    Raises ValueError with the problems when the value or the reason is not right."""
    found = problems(key, value)
    if not (reason or "").strip():
        found.append("Give the reason for the change.")
    if found:
        raise ValueError(found)
    row = db.execute("SELECT value FROM partnership_settings WHERE key = ?", [key]).fetchone()
    with db.atomic():
        db["settings_history"].insert({
            "key": key, "before_value": row[0] if row else None, "after_value": json.dumps(value),
            "reason": reason.strip(), "changed_by": changed_by, "changed_at": at})
        save(db, key, value)


def history(db, key=None):
    """Changes of the settings, latest first, with who made them."""
    sql = ("SELECT h.id, h.key, h.before_value, h.after_value, h.reason, h.changed_at, p.display_name AS changed_by"
           " FROM settings_history h JOIN practitioners p ON p.id = h.changed_by")
    params = []
    if key is not None:
        sql += " WHERE h.key = ?"
        params.append(key)
    return [dict(row, before=json.loads(row["before_value"]) if row["before_value"] is not None else DEFAULTS.get(row["key"]),
                 after=json.loads(row["after_value"]))
            for row in db.query(sql + " ORDER BY h.id DESC", params)]
