"""The visit record and amendment forms: what the page draws, and what a post from it must be.
An amendment replayed from a device's outbox is validated by the same form (OFFLINE.md: one path
for both); a visit item is checked by visits/checks.py, the same rules without building the ~105
fields of this form, held to it by tests/test_visit_checks.py (issue 13)."""
import re
import uuid
from datetime import date, datetime, timedelta

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField,
                     IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField,
                     TimeField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation,
                                ValidationError)

from fieldvisit import device_clock
from fieldvisit.safe_sleep.rules import CARER_RISKS, SHARES_BED, SHARES_SOFA, SLEEP_PLACES, answer_conflicts
from fieldvisit.visits.domain import (AMENDABLE_FIELDS, CHILD_ALONE, CONTAINER_TYPES,
                                      HOME_CONDITION_HEADINGS, HOME_CONDITION_RATINGS, OUTCOMES,
                                      VISIT_TYPES)

YES_NO = [("yes", "Yes"), ("no", "No")]
TEXT_LIMIT = 10_000
# Devices' clocks drift: a visit may be up to this far "in the future" by the server's clock.
CLOCK_TOLERANCE = timedelta(minutes=10)
# A typo such as year 0026 is caught; no record in this service predates it.
EARLIEST_VISIT = date(2000, 1, 1)


def valid_record_id(form, field):
    try:
        if str(uuid.UUID(field.data)) != field.data.lower():
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError("This form has lost its record id. Reload the page and try again.")


def is_row_id_text(value):
    """A row id as posted: ASCII digits that fit SQLite's integers ('²'.isdigit() is true
    but int('²') fails; 99999999999999999999 overflows SQLite)."""
    return bool(value) and value.isascii() and value.isdigit() and len(value) <= 18


class RequiredWhen:
    """An answer required when `condition(form)` holds, for a field that is otherwise optional.

    It goes before Optional() in the validators: Optional() stops the chain on an empty
    field, so an inline `validate_<name>` never runs for the very case it is meant to catch.
    """

    def __init__(self, condition, message):
        self.condition = condition
        self.message = message

    def __call__(self, form, field):
        empty = not field.raw_data or not str(field.raw_data[0]).strip()
        if empty and self.condition(form):
            field.errors[:] = []  # not "Not a valid choice": say what to answer
            raise StopValidation(self.message(form) if callable(self.message) else self.message)


# Characters that cannot be part of what a practitioner wrote (issue 14): C0 controls but tab and the
# newlines of a note, DEL, C1 controls, invisible characters that hide words, and the bidirectional
# overrides and isolates that reorder what is shown (Trojan Source, CVE-2021-42574). Right-to-left
# text itself (Urdu, Arabic) needs none of them, and the joiners U+200C/U+200D that some scripts need stay.
REFUSED_CHARACTERS = {
    **{code: "a control character" for code in range(0x00, 0x20) if chr(code) not in "\t\n\r"},
    0x7F: "a control character", **{code: "a control character" for code in range(0x80, 0xA0)},
    0x200B: "an invisible zero-width space", 0x2060: "an invisible word joiner",
    0xFEFF: "an invisible zero-width no-break space",
    **{code: "a hidden right-to-left or left-to-right override" for code in range(0x202A, 0x202F)},
    **{code: "a hidden right-to-left or left-to-right isolate" for code in range(0x2066, 0x206A)},
}


# One pass of the regular expression engine over a note, not a Python loop per character (issue 13).
REFUSED_PATTERN = re.compile("[" + "".join(re.escape(chr(code)) for code in REFUSED_CHARACTERS) + "]")


def refused_character(text):
    """(position, code point, what it is) of the first character that cannot be stored, or None."""
    found = REFUSED_PATTERN.search(text)
    if found is None:
        return None
    return found.start(), ord(found.group()), REFUSED_CHARACTERS[ord(found.group())]


def clean_text(value):
    """Absent text is empty text; surrounding whitespace is not part of what was written.

    Text holding a character that could hide or disguise words is refused with a message (a
    filter's ValueError becomes the field's error), never stored raw nor silently changed.
    """
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    found = isinstance(text, str) and refused_character(text)
    if found:
        position, code, what = found
        raise ValueError(f"This text contains {what} (U+{code:04X}, after \u201c{text[max(0, position - 20):position]}"
                         "\u201d) that cannot be stored. Delete it, or type the text again rather than pasting it.")
    return text


def text(label, required=None):
    validators = [Length(max=TEXT_LIMIT, message=f"{label} must be {TEXT_LIMIT:,} characters or fewer")]
    if required:
        validators.insert(0, DataRequired(required))
    return TextAreaField(label, validators=validators, filters=[clean_text])


def may_be_seen(form):
    """A child's seen-alone and bedroom questions are required when the child was seen, or
    before that is answered (issue 12: every error in one round, as for the most demanding
    answer), unless the visit did not go ahead (then no child can have been seen)."""
    if form.seen.data == "yes":
        return True
    visit = getattr(form, "visit_form", None)
    went_ahead = visit is None or may_have_gone_ahead(visit)
    return not form.seen.data and went_ahead


def may_have_gone_ahead(form):
    """The questions of a completed visit are required when it was completed, or before the
    outcome is answered (issue 12: errors in one round, not in two)."""
    return form.outcome.data in ("completed", None, "")


class ChildSeenForm(Form):
    child_id = HiddenField()
    seen = RadioField("Was the child seen?", choices=YES_NO, validators=[InputRequired("Say whether the child was seen")])
    seen_alone = RadioField("Was the child seen alone?", choices=YES_NO, validators=[
        RequiredWhen(may_be_seen, "Say whether the child was seen alone"), Optional()])
    bedroom_seen = RadioField("Was the child's bedroom seen?", choices=YES_NO, validators=[
        RequiredWhen(may_be_seen, "Say whether the child's bedroom was seen"), Optional()])
    found_alone = BooleanField("This child was found alone or with an unsuitable carer")
    # Rule 11: an older child looking after a brother or sister (fieldvisit/children_alone.py).
    looking_after = BooleanField("This child was looking after a brother or sister")
    presentation = text("Presentation")
    words = text("The child's words")
    demeanour = text("Demeanour")
    # Rule 12 (fieldvisit/safe_sleep/rules.py): asked for each baby under 12 months; the page marks
    # which babies it asked about, so an item from an older tablet without these fields is accepted.
    sleep_asked = HiddenField()
    sleep_places = SelectMultipleField("Where does the baby sleep?", choices=list(SLEEP_PLACES.items()))
    sleep_place_other = StringField("Where else", filters=[clean_text], validators=[
        Length(max=200, message="Where else must be 200 characters or fewer")])
    shares_bed = RadioField(SHARES_BED, choices=YES_NO, validators=[Optional()])
    shares_sofa = RadioField(SHARES_SOFA, choices=YES_NO, validators=[Optional()])
    carer_risks = SelectMultipleField("Has the carer who sleeps with the baby, or who looks after them at night:",
                                      choices=list(CARER_RISKS.items()))

    def validate_child_id(self, field):
        if not is_row_id_text(field.data):
            raise ValidationError("This form lists a child it does not know. Reload the page and try again.")


class AdultPresentForm(Form):
    full_name = StringField("Name or description", filters=[clean_text], validators=[Length(max=200, message="Name must be 200 characters or fewer")])
    relationship = StringField("Relationship to the children", filters=[clean_text], validators=[Length(max=200, message="Relationship must be 200 characters or fewer")])
    presence = RadioField("Present?", choices=[("present", "Present"), ("expected_absent", "Expected but absent"),
                                                ("not_expected", "Not expected")], validators=[
        RequiredWhen(lambda form: form.full_name.data, lambda form: f"Say whether {form.full_name.data} was present"),
        Optional()])

    def validate_presence(self, field):
        if field.data in ("present", "expected_absent") and not self.full_name.data:
            raise ValidationError("Give a name or a description of the adult (for example, 'unknown man, introduced as a friend')")


class HomeConditionForm(Form):
    rating = RadioField("Rating", choices=list(HOME_CONDITION_RATINGS.items()), validators=[Optional()])
    note = text("Note")


class ContainerForm(Form):
    count = IntegerField("How many", validators=[
        RequiredWhen(lambda form: form.container_type.data or form.where.data,
                     "Enter how many empty bottles or cans were seen"),
        Optional(), NumberRange(min=1, max=999, message="Enter a number from 1 to 999")])
    container_type = SelectField("What", choices=[("", "Choose")] + list(CONTAINER_TYPES.items()), validators=[
        RequiredWhen(lambda form: form.count.data, "Choose what kind of bottles or cans were seen"), Optional()])
    where = StringField("Where in the home", filters=[clean_text], validators=[Length(max=500, message="Where must be 500 characters or fewer")])


class HomeConditionsForm(Form):
    """One rating and note per heading of SAFEGUARDING.md's home conditions."""


for _heading in HOME_CONDITION_HEADINGS:
    setattr(HomeConditionsForm, _heading, FormField(HomeConditionForm))


class VisitRecordForm(FlaskForm):
    record_id = HiddenField(validators=[valid_record_id])
    scheduled_visit_id = HiddenField()
    visit_type = RadioField("Type of visit", choices=list(VISIT_TYPES.items()),
                            validators=[InputRequired("Say whether the visit was planned or unannounced")])
    visit_date = DateField("Date of visit", validators=[InputRequired("Enter the date of the visit")])
    visit_time = TimeField("Time of visit", validators=[InputRequired("Enter the time the visit started")])
    duration_minutes = IntegerField("Length of visit in minutes", validators=[
        InputRequired("Enter how long the visit lasted, in minutes"),
        NumberRange(min=1, max=720, message="Enter a length from 1 to 720 minutes")])
    outcome = RadioField("Outcome", choices=list(OUTCOMES.items()), validators=[InputRequired("Choose the outcome of the visit")])
    children = FieldList(FormField(ChildSeenForm))
    adults = FieldList(FormField(AdultPresentForm), min_entries=2)
    regular_visitors = text("Regular visitors to the home")
    home_conditions = FormField(HomeConditionsForm)
    containers = FieldList(FormField(ContainerForm), min_entries=3, max_entries=10)
    alcohol_smell = RadioField("Was there a smell of alcohol?", choices=YES_NO, default="no")
    intoxication_observed = RadioField("Did any adult appear intoxicated?", choices=YES_NO, default="no")
    intoxication_details = text("Who, and what you saw")
    other_substances = text("Other substances or drug paraphernalia seen")
    parent_alcohol_account = text("What the parent or carer said about their drinking")
    child_alone = RadioField("Was any child found alone or left with an unsuitable carer?",
                             choices=list(CHILD_ALONE.items()), default="no")
    child_alone_details = text("What you found and what you did")
    analysis = text("Your analysis")
    actions = text("Actions")
    next_visit_due = DateField("Next visit due", validators=[Optional()])

    def validate_scheduled_visit_id(self, field):
        if field.data and not is_row_id_text(field.data):
            raise ValidationError("This form's scheduled visit is not one we know. Reload the page and try again.")

    def validate_visit_date(self, field):
        if field.data and self.visit_time.data:
            happened = datetime.combine(field.data, self.visit_time.data)
            if happened > device_clock.latest_now() + CLOCK_TOLERANCE:
                raise ValidationError("The date and time of the visit must not be in the future")
        if field.data and field.data < EARLIEST_VISIT:
            raise ValidationError("The date of the visit must be a real date, in or after 2000")

    def validate_next_visit_due(self, field):
        if field.data and self.visit_date.data and field.data < self.visit_date.data:
            raise ValidationError("The next visit must be due on or after the date of this visit")

    def validate_analysis(self, field):
        if may_have_gone_ahead(self) and not field.data:
            raise ValidationError("Enter your analysis of the visit")

    def validate_child_alone_details(self, field):
        if self.child_alone.data != "no" and not field.data:
            raise ValidationError("Describe what you found and what you did")

    def validate_children(self, field):
        if self.outcome.data and self.outcome.data != "completed":
            if any(entry.seen.data == "yes" for entry in field):
                raise ValidationError("A child cannot be seen on a visit that did not go ahead")
        if self.child_alone.data != "no" and not any(entry.found_alone.data for entry in field):
            raise ValidationError("Tick which child was found alone or with an unsuitable carer")

    def validate(self, extra_validators=None):
        for entry in self.children:  # each child's questions depend on the visit's outcome
            entry.form.visit_form = self
        valid = super().validate(extra_validators)
        return self._home_conditions_rated() & self._sleep_answered() and valid

    def _sleep_answered(self):
        """Rule 12: on a completed visit, every sleep question the page asked is answered, consistently."""
        if self.outcome.data != "completed":
            return True
        answered = True
        for entry in self.children:
            if entry.sleep_asked.data != "1" or not is_row_id_text(entry.child_id.data):
                continue  # a child id the form does not know has its own error
            missing = {
                "sleep_places": not entry.sleep_places.data and "Say where the baby sleeps",
                "sleep_place_other": ("other" in (entry.sleep_places.data or []) and not entry.sleep_place_other.data
                                      and "Say where else the baby sleeps"),
                "shares_bed": not entry.shares_bed.data and "Say whether the baby ever shares a bed with an adult",
                "shares_sofa": (not entry.shares_sofa.data
                                and "Say whether the baby ever sleeps on a sofa or armchair with an adult"),
                "carer_risks": (not entry.carer_risks.data and "Say whether the carer has drunk alcohol, smokes, "
                                "or has taken drowsy medication or drugs (tick 'None of these' if not)"),
            }
            if not any(missing.values()):
                missing = answer_conflicts(sleep_answers(entry))
            for name, message in missing.items():
                if message:
                    entry[name].errors = list(entry[name].errors) + [message]
                    answered = False
        return answered

    def _home_conditions_rated(self):
        """A completed visit rates every heading ('Not seen' is an answer)."""
        if not may_have_gone_ahead(self):
            return True
        rated = True
        for heading, label in HOME_CONDITION_HEADINGS.items():
            rating = self.home_conditions[heading].rating
            if not rating.data:
                rating.errors = list(rating.errors) + [f"Rate {label.lower()} (choose 'Not seen' if you did not see it)"]
                rated = False
        return rated

    def validate_intoxication_details(self, field):
        if self.intoxication_observed.data == "yes" and not field.data:
            raise ValidationError("Say who appeared intoxicated and what you saw")


def sleep_answers(entry):
    """A baby's sleep answers (rule 12) as the plain data the domain takes."""
    places = [place for place in SLEEP_PLACES if place in (entry.sleep_places.data or [])]
    return {"child_id": int(entry.child_id.data), "sleep_places": places,
            "sleep_place_other": entry.sleep_place_other.data if "other" in places else "",
            "shares_bed": entry.shares_bed.data == "yes", "shares_sofa": entry.shares_sofa.data == "yes",
            "carer_risks": [risk for risk in CARER_RISKS if risk in (entry.carer_risks.data or [])]}


def to_visit(form, family_id, recorded_at):
    """The plain data that `record_visit` stores, from a validated form: the reference that
    tests/test_visit_checks.py holds `checks.record` to (a visit is stored through visits/checks.py)."""
    def yes(value):
        return value == "yes"

    children = []
    for entry in form.children:
        seen = yes(entry.seen.data)
        children.append({
            "child_id": int(entry.child_id.data),
            "seen": seen,
            "seen_alone": seen and yes(entry.seen_alone.data),
            "bedroom_seen": seen and yes(entry.bedroom_seen.data),
            "found_alone": bool(entry.found_alone.data),
            "presentation": entry.presentation.data if seen else "",
            "words": entry.words.data if seen else "",
            "demeanour": entry.demeanour.data if seen else "",
        })
    completed = form.outcome.data == "completed"
    return {
        "id": form.record_id.data.lower(),
        "family_id": family_id,
        "scheduled_visit_id": int(form.scheduled_visit_id.data) if is_row_id_text(form.scheduled_visit_id.data) else None,
        "visit_type": form.visit_type.data,
        "happened_at": datetime.combine(form.visit_date.data, form.visit_time.data).isoformat(timespec="minutes"),
        "duration_minutes": form.duration_minutes.data,
        "outcome": form.outcome.data,
        "children": children,
        "adults": [{"name": a.full_name.data, "relationship": a.relationship.data,
                    "presence": a.presence.data}
                   for a in form.adults if a.presence.data in ("present", "expected_absent")],
        "regular_visitors": form.regular_visitors.data,
        "home_conditions": [{"heading": h, "rating": form.home_conditions[h].rating.data,
                             "note": form.home_conditions[h].note.data}
                            for h in HOME_CONDITION_HEADINGS if completed],
        "alcohol": {
            "containers": [{"count": c.count.data, "type": c.container_type.data, "where": c.where.data}
                           for c in form.containers if c.count.data],
            "smell": yes(form.alcohol_smell.data),
            "intoxication_observed": yes(form.intoxication_observed.data),
            "intoxication_details": form.intoxication_details.data,
            "other_substances": form.other_substances.data,
            "parent_account": form.parent_alcohol_account.data,
        },
        "child_alone": form.child_alone.data,
        "child_alone_details": form.child_alone_details.data,
        "young_carers": [int(entry.child_id.data) for entry in form.children if entry.looking_after.data],
        "safe_sleep": [sleep_answers(entry) for entry in form.children
                       if completed and entry.sleep_asked.data == "1" and is_row_id_text(entry.child_id.data)],
        "analysis": form.analysis.data,
        "actions": form.actions.data,
        "next_visit_due": form.next_visit_due.data.isoformat() if form.next_visit_due.data else None,
        "recorded_at": recorded_at,
    }


class AmendmentForm(FlaskForm):
    record_id = HiddenField(validators=[valid_record_id])
    field = RadioField("What are you correcting?", choices=list(AMENDABLE_FIELDS.items()),
                       validators=[InputRequired("Choose what you are correcting")])
    amended_value = text("The corrected text", required="Enter the corrected text")
    reason = TextAreaField("Why it needs correcting", filters=[clean_text], validators=[
        DataRequired("Say why the record needs correcting"),
        Length(max=2000, message="The reason must be 2,000 characters or fewer")])


def to_amendment(form, visit_id, recorded_at):
    return {
        "id": form.record_id.data.lower(),
        "visit_id": visit_id,
        "field": form.field.data,
        "amended_value": form.amended_value.data,
        "reason": form.reason.data,
        "recorded_at": recorded_at,
    }
