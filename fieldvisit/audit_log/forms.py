"""The audit log's search form (a GET form: it changes nothing)."""
from wtforms import DateField, Form, StringField
from wtforms.validators import Length, Optional, ValidationError

from fieldvisit.visits.forms import clean_text


class AuditSearchForm(Form):
    child = StringField("Child's name or number", filters=[clean_text], validators=[
        Optional(), Length(max=100, message="The child's name or number must be 100 characters or fewer")])
    user = StringField("Username of the person", filters=[clean_text], validators=[
        Optional(), Length(max=100, message="The username must be 100 characters or fewer")])
    date_from = DateField("From date", validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField("To date", validators=[Optional()], format="%Y-%m-%d")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("To date must be the same as or after the from date")

    def searched(self):
        return any(f.data for f in (self.child, self.user, self.date_from, self.date_to))


def errors_of(form):
    """{field name: its first message}, a date that is not one said plainly."""
    errors = {}
    for field in form:
        if field.errors:
            message = field.errors[0]
            if field.name in ("date_from", "date_to") and "valid date" in message:
                message = f"{field.label.text} must be a real date, for example 2026-11-30"
            errors[field.name] = message
    return errors
