"""The AUDIT-C / AUDIT form done with a parent on a visit. The same form validates a post
from the page and an item replayed from a device's outbox."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from fieldvisit.alcohol.domain import AUDIT_C, QUESTIONS, REMAINING
from fieldvisit.visits.forms import clean_text, valid_record_id


class AnswerField(RadioField):
    """A question's answers: anything else is an impossible answer, said in plain words."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError("That is not one of the answers to this question")


def question_field(text, answers, required):
    validators = [DataRequired("Choose an answer")] if required else [Optional()]
    return AnswerField(text, choices=[(str(score), label) for score, label in answers], validators=validators)


class AlcoholAuditForm(FlaskForm):
    record_id = HiddenField(validators=[valid_record_id])
    adult_name = StringField("Who answered?", filters=[clean_text], validators=[
        DataRequired("Say which parent or carer answered"),
        Length(max=200, message="The name must be 200 characters or fewer")])
    full_audit = RadioField("The remaining seven questions", choices=[
        ("answered", "They answered the remaining questions"), ("declined", "They did not want to answer them")],
        validators=[Optional()])


for _field, _text, _hint, _answers in AUDIT_C:
    setattr(AlcoholAuditForm, _field, question_field(_text, _answers, required=True))
for _field, _text, _hint, _answers in REMAINING:
    setattr(AlcoholAuditForm, _field, question_field(_text, _answers, required=False))


def answers_of(form):
    """{q1..q10: int or None} from a validated form."""
    return {field: int(form[field].data) if form[field].data not in (None, "", "None") else None
            for field, *_ in QUESTIONS}


def to_alcohol_audit(form, visit_id, recorded_at):
    return dict(answers_of(form), id=form.record_id.data.lower(), visit_id=visit_id,
                adult_name=form.adult_name.data, full_audit=form.full_audit.data or None,
                recorded_at=recorded_at)

