"""Forms to schedule, change and cancel visits, set a plan's visiting rules, and accept
proposed unannounced visits."""
from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField, IntegerField,
                     RadioField, SelectField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from fieldvisit.visits.domain import VISIT_TYPES
from fieldvisit.visits.forms import RequiredWhen, clean_text, is_row_id_text

NOT_IN_TEAM = "Choose a practitioner in the family's team or assigned to the family"


class PractitionerField(SelectField):
    """The practitioners who may visit this family; any other id is a clear error."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(NOT_IN_TEAM)


def practitioner_field(label="Practitioner"):
    return PractitionerField(label, coerce=int, validators=[InputRequired("Choose the practitioner")])


def reason_field(label, required=None):
    validators = [Length(max=2000, message="The reason must be 2,000 characters or fewer")]
    if required:
        validators.insert(0, DataRequired(required))
    return TextAreaField(label, filters=[clean_text], validators=validators)


def when(form):
    return datetime.combine(form.due_date.data, form.due_time.data)


class ScheduleForm(FlaskForm):
    practitioner_id = practitioner_field()
    visit_type = RadioField("Type of visit", choices=list(VISIT_TYPES.items()),
                            validators=[InputRequired("Choose planned or unannounced")])
    due_date = DateField("Date", validators=[InputRequired("Enter the date of the visit")])
    due_time = TimeField("Time", validators=[InputRequired("Enter the time of the visit")])
    joint = BooleanField("This is a joint visit with another agency")
    reason = reason_field("Why this visit (optional)")


class ChangeForm(FlaskForm):
    base_version = HiddenField()
    practitioner_id = practitioner_field()
    due_date = DateField("Date", validators=[InputRequired("Enter the date of the visit")])
    due_time = TimeField("Time", validators=[InputRequired("Enter the time of the visit")])
    joint = BooleanField("This is a joint visit with another agency")
    reason = reason_field("Why it is changing", required="Say why the visit is changing")

    def validate_base_version(self, field):
        if not is_row_id_text(field.data or ""):
            raise ValidationError("This form has lost the visit's version. Reload the page and try again.")


class CancelForm(FlaskForm):
    base_version = HiddenField()
    reason = reason_field("Why it is cancelled", required="Say why the visit is cancelled")

    validate_base_version = ChangeForm.validate_base_version


class VisitingRulesForm(FlaskForm):
    every_working_days = IntegerField("Visit at least every", validators=[
        InputRequired("Enter how often the child must be visited, in working days"),
        NumberRange(min=1, max=120, message="Enter a number of working days from 1 to 120")])
    seen_alone_every_visits = IntegerField("Seen alone at least every", validators=[
        InputRequired("Enter how often the child must be seen alone, in visits"),
        NumberRange(min=1, max=10, message="Enter a number of visits from 1 to 10")])
    bedroom_seen_every_visits = IntegerField("Bedroom seen at least every", validators=[
        InputRequired("Enter how often the child's bedroom must be seen, in visits"),
        NumberRange(min=1, max=10, message="Enter a number of visits from 1 to 10")])
    unannounced = RadioField("Are unannounced visits part of the plan?", choices=[("yes", "Yes"), ("no", "No")],
                             validators=[InputRequired("Say whether unannounced visits are part of the plan")])
    reason = reason_field("Why the rules are changing", required="Say why the visiting rules are changing")


class ProposalForm(Form):
    include = BooleanField("Schedule this visit")
    # RequiredWhen goes before Optional(), which would otherwise stop the check on an empty field.
    due_date = DateField("Date", validators=[
        RequiredWhen(lambda form: form.include.data, "Enter the date of the visit"), Optional()])
    due_time = TimeField("Time", validators=[
        RequiredWhen(lambda form: form.include.data, "Enter the time of the visit"), Optional()])


class ProposalsForm(FlaskForm):
    practitioner_id = practitioner_field("Who will visit")
    proposals = FieldList(FormField(ProposalForm), min_entries=0, max_entries=40)

    def validate_proposals(self, field):
        if not any(entry.include.data for entry in field):
            raise ValidationError("Tick at least one visit to schedule")
