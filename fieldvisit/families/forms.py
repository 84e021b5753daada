"""What the family pages post, as plain data for families/cases.py (which validates it, for the
pages and the import alike). The form token is checked for every POST by CSRFProtect."""
from fieldvisit.families.cases import ADULT_FIELDS, CHILD_FIELDS, FAMILY_FIELDS

FAMILY_CLOSE_FIELDS = ("closed_on", "reason")
TRANSFER_FIELDS = ("team_id", "reason")
PLAN_FIELDS = ("plan", "category", "start_date", "review_date")
PLAN_END_FIELDS = ("end_date", "end_reason", "next_plan", "next_category", "next_review_date")
MOBILITY_FIELDS = ("mobility", "recorded_on", "note")
ASSIGN_FIELDS = ("practitioner_id",)
END_ASSIGNMENT_FIELDS = ("ended_on", "reason")
FIELDS = {"family": FAMILY_FIELDS, "child": CHILD_FIELDS + ("mobility",), "adult": ADULT_FIELDS,
          "close": FAMILY_CLOSE_FIELDS, "transfer": TRANSFER_FIELDS, "plan": PLAN_FIELDS,
          "plan_end": PLAN_END_FIELDS, "mobility": MOBILITY_FIELDS, "assign": ASSIGN_FIELDS,
          "end_assignment": END_ASSIGNMENT_FIELDS}
LONGEST = 4000


def posted(formdata, kind):
    """The fields of this kind of form, as stripped strings (a missing field is empty)."""
    return {field: (formdata.get(field) or "")[:LONGEST].strip() for field in FIELDS[kind]}


def shown(row, kind):
    """A stored row as the form's values (None as empty, numbers as text)."""
    values = {}
    for field in FIELDS[kind]:
        value = row.get(field) if row else None
        if field == "lives_in_household" and value is not None:
            value = "yes" if value else "no"
        values[field] = "" if value is None else str(value)
    return values
