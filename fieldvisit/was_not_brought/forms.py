"""The Was Not Brought form: the same form validates a post from the page and an item
replayed from a device's outbox (OFFLINE.md: one path for both)."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from fieldvisit import device_clock
from fieldvisit.visits.forms import clean_text, valid_record_id
from fieldvisit.was_not_brought.domain import EVENTS, SERVICES


class AppointmentEventForm(FlaskForm):
    record_id = HiddenField(validators=[valid_record_id])
    event = RadioField("What happened?", choices=list(EVENTS.items()),
                       validators=[InputRequired("Choose what happened")])
    appointment = StringField("What was the appointment?", filters=[clean_text], validators=[
        DataRequired("Enter what the appointment was for, for example '9 to 12 month health review'"),
        Length(max=200, message="The appointment must be 200 characters or fewer")])
    service = SelectField("Which service", choices=[("", "Choose the service")] + list(SERVICES.items()),
                          validators=[InputRequired("Choose the service")])
    appointment_date = DateField("Date of the appointment", validators=[
        InputRequired("Enter the date of the appointment")])
    rearranged_to = DateField("New date, if one was given", validators=[Optional()])
    note = TextAreaField("Notes", filters=[clean_text], validators=[
        Length(max=2000, message="Notes must be 2,000 characters or fewer")])

    def validate_service(self, field):
        if field.data not in SERVICES:
            raise ValidationError("Choose the service")

    def validate_appointment_date(self, field):
        if field.data and self.event.data == "was_not_brought" and field.data > device_clock.latest_today():
            raise ValidationError("A child can only be 'not brought' to an appointment that has already passed")

    def validate_rearranged_to(self, field):
        if field.data and self.appointment_date.data and field.data < self.appointment_date.data:
            raise ValidationError("The new date must be after the original appointment")


def to_appointment_event(form, child_id, recorded_at):
    return {
        "id": form.record_id.data.lower(), "child_id": child_id, "event": form.event.data,
        "appointment": form.appointment.data, "service": form.service.data,
        "appointment_date": form.appointment_date.data.isoformat(),
        "rearranged_to": form.rearranged_to.data.isoformat() if form.rearranged_to.data else None,
        "note": form.note.data, "recorded_at": recorded_at,
    }
