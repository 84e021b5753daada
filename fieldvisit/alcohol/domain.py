"""The alcohol self-assessment done with a parent on a visit (SAFEGUARDING.md rule 14): AUDIT-C
in UK units, and the remaining seven AUDIT questions when AUDIT-C is positive. Plain data; the
form and pages are in alcohol_audit_views.py.

The questions are the AUDIT's topics in our own words. UK cut-offs only (rule 14: no US ones).
"""
from fieldvisit import settings
from fieldvisit.rows import grouped_rows

HOW_OFTEN = [(0, "Never"), (1, "Less than once a month"), (2, "Once a month"), (3, "Once a week"),
             (4, "Every day or nearly every day")]
EVER_HAPPENED = [(0, "No"), (2, "Yes, but not in the past year"), (4, "Yes, in the past year")]

# (field, question, hint, answers with their scores)
AUDIT_C = [
    ("q1", "How often do you drink anything with alcohol in it?", None,
     [(0, "Never"), (1, "Once a month or less"), (2, "2 to 4 times a month"), (3, "2 or 3 times a week"),
      (4, "4 or more times a week")]),
    ("q2", "On a day when you drink, how many units do you usually have?",
     "A pint of ordinary beer or cider is about 2 units; a medium (175ml) glass of wine about 2; a single measure of spirits 1.",
     [(0, "0 to 2"), (1, "3 or 4"), (2, "5 or 6"), (3, "7 to 9"), (4, "10 or more")]),
    ("q3", "How often do you have 6 or more units (for a woman) or 8 or more (for a man) in one go?", None, HOW_OFTEN),
]
REMAINING = [
    ("q4", "In the past year, how often have you found you could not stop drinking once you had started?", None, HOW_OFTEN),
    ("q5", "In the past year, how often has drinking meant you did not do something you were expected to do?", None, HOW_OFTEN),
    ("q6", "In the past year, how often have you needed a drink first thing in the morning to get going after a heavy session?", None, HOW_OFTEN),
    ("q7", "In the past year, how often have you felt guilty or bad about your drinking afterwards?", None, HOW_OFTEN),
    ("q8", "In the past year, how often could you not remember what happened the night before because you had been drinking?", None, HOW_OFTEN),
    ("q9", "Have you, or anyone else, been hurt because of your drinking?", None, EVER_HAPPENED),
    ("q10", "Has anyone close to you, or a doctor or other health worker, been worried about your drinking or suggested you cut down?", None, EVER_HAPPENED),
]
QUESTIONS = AUDIT_C + REMAINING
ALLOWED = {field: {score for score, _ in answers} for field, _, _, answers in QUESTIONS}
FULL_AUDIT = {"not_offered": "Not needed (AUDIT-C below the positive score)",
              "answered": "Answered the remaining seven questions",
              "declined": "Declined the remaining questions"}

# A positive screen prompts questions about parenting capacity. It is not a finding (rule 14).
PARENTING_PROMPTS = [
    "Who looks after the children when you have been drinking, and how do they know you are all right?",
    "How does drinking fit around the children's day: school runs, meals, bath and bedtime, night feeds?",
    "Have the children seen you drunk or unwell after drinking? What did they do, and what did they say?",
    "Does anyone else in the home drink heavily, or bring alcohol or other people into the home?",
    "Is the money for food, heating and the children's things ever short because of drinking?",
    "What would help you to drink less, and would you like to be put in touch with a local alcohol service?",
]
PROMPTS_NOTE = ("These are questions to explore with the parent and to weigh with what you observed. "
                "A self-assessment score is not a finding about their parenting.")


class AuditInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def check_answers(answers, fields):
    """{field: message} for every answer that is missing or not one the question allows."""
    errors = {}
    for field in fields:
        value = answers.get(field)
        if value is None:
            errors[field] = "Choose an answer"
        elif not isinstance(value, int) or isinstance(value, bool) or value not in ALLOWED[field]:
            errors[field] = "That is not one of the answers to this question"
    return errors


def audit_c_score(answers):
    """AUDIT-C: questions 1 to 3, each 0-4, so 0-12."""
    errors = check_answers(answers, ("q1", "q2", "q3"))
    if errors:
        raise AuditInvalid(errors)
    return answers["q1"] + answers["q2"] + answers["q3"]


def audit_score(answers):
    """The full AUDIT: questions 1-8 scored 0-4, 9 and 10 scored 0, 2 or 4, so 0-40."""
    errors = check_answers(answers, [field for field, *_ in QUESTIONS])
    if errors:
        raise AuditInvalid(errors)
    return sum(answers[field] for field, *_ in QUESTIONS)


def is_positive(audit_c, partnership):
    return audit_c >= partnership["audit_c_positive_score"]


def band(score, partnership):
    """The UK risk band of a full AUDIT score: 0-7 lower, 8-15 increasing, 16-19 higher, 20+ possible dependence."""
    name = None
    for lower, label in partnership["audit_bands"]:
        if score >= lower:
            name = label
    return name


def scored(audit, partnership):
    """The stored row as `record_alcohol_audit` will keep it, validated; raises AuditInvalid."""
    answers = {field: audit.get(field) for field, *_ in QUESTIONS}
    errors = {}
    if not (audit.get("adult_name") or "").strip():
        errors["adult_name"] = "Say which parent or carer answered"
    try:
        c_score = audit_c_score(answers)
    except AuditInvalid as invalid:
        raise AuditInvalid(dict(errors, **invalid.errors))
    row = {field: answers[field] for field in ("q1", "q2", "q3")}
    row.update({field: None for field, *_ in REMAINING}, audit_c_score=c_score, audit_score=None)
    if is_positive(c_score, partnership):
        if audit.get("full_audit") not in ("answered", "declined"):
            errors["full_audit"] = (f"The AUDIT-C score is {c_score}, which is positive: offer the remaining "
                                    "seven questions, and say whether they were answered or declined")
        elif audit["full_audit"] == "answered":
            try:
                row["audit_score"] = audit_score(answers)
                row.update({field: answers[field] for field, *_ in REMAINING})
            except AuditInvalid as invalid:
                errors.update(invalid.errors)
        row["full_audit"] = audit.get("full_audit")
    else:
        row["full_audit"] = "not_offered"
    if errors:
        raise AuditInvalid(errors)
    return row


def record_alcohol_audit(db, audit, author, received_at):
    """Store a self-assessment with its visit; returns its id. Call inside a transaction."""
    visit = db.execute("SELECT family_id FROM visit_records WHERE id = ?", [audit["visit_id"]]).fetchone()
    if visit is None:
        raise AuditInvalid({"visit_id": "That visit record does not exist."})
    row = scored(audit, settings.load(db))
    db["alcohol_audits"].insert(dict(
        row, id=audit["id"], visit_id=audit["visit_id"], family_id=visit[0], adult_name=audit["adult_name"].strip(),
        recorded_by=author["id"], recorded_at=audit["recorded_at"], received_at=received_at))
    return audit["id"]


def describe(row, partnership):
    """A stored row with what the page shows: positive or not, the band, the prompts."""
    described = dict(row)
    described["positive"] = is_positive(row["audit_c_score"], partnership)
    described["band"] = band(row["audit_score"], partnership) if row["audit_score"] is not None else None
    return described


def audits_for_visits(db, visit_ids, partnership):
    """{visit id: [self-assessments]} for these visits."""
    grouped = grouped_rows(
        db, "SELECT a.*, p.display_name AS recorded_by_name FROM alcohol_audits a"
        " JOIN practitioners p ON p.id = a.recorded_by WHERE a.visit_id IN ({ids}) ORDER BY a.received_at",
        visit_ids, "visit_id")
    return {visit_id: [describe(row, partnership) for row in rows] for visit_id, rows in grouped.items()}


def family_trend(db, family_id, partnership):
    """Every self-assessment in the family, oldest first by the visit's date, grouped by who answered."""
    rows = [describe(row, partnership) for row in db.query(
        "SELECT a.*, v.happened_at FROM alcohol_audits a JOIN visit_records v ON v.id = a.visit_id"
        " WHERE a.family_id = ? ORDER BY v.happened_at, a.received_at", [family_id])]
    by_adult = {}
    for row in rows:
        by_adult.setdefault(row["adult_name"], []).append(row)
    return by_adult
