"""The body-map forms: a mark, its amendment, completing a body map, and the history filter.
The same forms validate a post from the page and an item replayed from a device's outbox."""
import re
from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, Form, HiddenField, RadioField, SelectMultipleField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation, ValidationError

from fieldvisit import device_clock
from fieldvisit.bodymap import domain
from fieldvisit.bodymap.rules import REGISTERED_HEALTH_PROFESSIONS, professions_list
from fieldvisit.bodymap.domain import (COLOURS, CONSISTENT, EXPLAINED_BY, MARK_TYPES, PATTERNS, SHAPES, SURFACE,
                                       YES_NO_NOT_KNOWN)
from fieldvisit.visits.forms import CLOCK_TOLERANCE, clean_text, valid_record_id

YES_NO = [("yes", "Yes"), ("no", "No")]
LARGEST_CM = 100
SIZE_MESSAGE = "Enter the {what} in centimetres as a number greater than 0, for example 2 or 1.5"


class RequiredWhen:
    """An answer required only when another answer says so; otherwise it may be left out.

    (WTForms' Optional() would stop the field's own checks too, and an unanswered radio
    would otherwise say "Not a valid choice".)
    """

    def __init__(self, applies, message):
        self.applies = applies
        self.message = message

    def __call__(self, form, field):
        if not any((value or "").strip() for value in (field.raw_data or [])):
            field.errors[:] = []
            raise StopValidation(self.message if self.applies(form) else None)


def explained(form):
    return form.explanation_by.data in ("child", "carer", "other")


def short_text(label, limit=200):
    return StringField(label, filters=[clean_text],
                       validators=[Length(max=limit, message=f"{label} must be {limit:,} characters or fewer")])


def long_text(label, limit=4000):
    return TextAreaField(label, filters=[clean_text],
                         validators=[Length(max=limit, message=f"{label} must be {limit:,} characters or fewer")])


def centimetres(value):
    """'2', '1.5', '1,5', '2 cm' -> 2.0, 1.5, 1.5, 2.0; anything else -> None."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*(?:cm)?\s*", value or "", re.IGNORECASE)
    return float(match.group(1).replace(",", ".")) if match else None


def check_size(value, what):
    size = centimetres(value)
    if size is None or size <= 0:
        raise ValidationError(SIZE_MESSAGE.format(what=what))
    if size > LARGEST_CM:
        raise ValidationError(f"Enter a {what} of {LARGEST_CM} cm or less")


def coordinate(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) < 10_000 else None  # not NaN, not absurd


BIRTHMARK_CONFIRMERS = {
    "not_yet": "Not yet: nobody has confirmed it",
    "me": "Yes, I confirm it, as a registered health practitioner using Fieldvisit",
    "outside": "Yes, a registered health practitioner outside Fieldvisit confirmed it",
}
CONFIRMER_KIND = {"me": "fieldvisit_user", "outside": "outside"}


class MarkForm(FlaskForm):
    record_id = HiddenField(validators=[valid_record_id])
    figure = HiddenField()
    region = StringField("Where is the mark?")
    x = HiddenField()
    y = HiddenField()
    mark_type = RadioField("Type of mark", choices=list(MARK_TYPES.items()),
                           validators=[InputRequired("Choose the type of mark")])
    other_type = short_text("What kind of mark")
    length_cm = StringField("Length in cm")
    width_cm = StringField("Width in cm (optional)")
    shape = RadioField("Shape", choices=list(SHAPES.items()), validators=[InputRequired("Choose the shape of the mark")])
    shape_details = short_text("Describe the shape (optional)")
    colours = SelectMultipleField("Colours you see", choices=list(COLOURS.items()))
    colour_details = short_text("Describe the colours (optional)")
    skin_broken = RadioField("Is the skin broken?", choices=list(YES_NO_NOT_KNOWN.items()),
                             validators=[InputRequired("Say whether the skin is broken")])
    swelling = RadioField("Is there swelling?", choices=list(YES_NO_NOT_KNOWN.items()),
                          validators=[InputRequired("Say whether there is swelling")])
    surface = SelectMultipleField("Bleeding, scab or blister", choices=list(SURFACE.items()), validators=[Optional()])
    pain = RadioField("Does the child show or say they are in pain?", choices=list(YES_NO_NOT_KNOWN.items()),
                      validators=[InputRequired("Say whether the child shows or says they are in pain")])
    explanation_by = RadioField("Who gave an explanation for the mark?", choices=list(EXPLAINED_BY.items()),
                                validators=[InputRequired("Say who gave an explanation, or that none was given")])
    explanation_by_other = short_text("Who gave it")
    explanation = long_text("The explanation, in their words")
    consistent = RadioField("Is the mark consistent with the explanation?", choices=list(CONSISTENT.items()),
                            validators=[RequiredWhen(explained, "Say whether the mark is consistent with the explanation")])
    believed_birthmark = RadioField("Is the mark believed to be a birthmark?", choices=YES_NO,
                                    validators=[InputRequired("Say whether the mark is believed to be a birthmark")])
    # Rule 5: who confirmed it. An item from an older tablet has no answer here: it is not confirmed.
    birthmark_confirmer = RadioField("Has a registered health practitioner confirmed it is a birthmark?",
                                     choices=list(BIRTHMARK_CONFIRMERS.items()), validators=[Optional()])
    birthmark_confirmed_by = short_text("Name of the registered health practitioner who confirmed it")
    birthmark_confirmer_profession = short_text("Their profession")
    birthmark_confirmed_on = DateField("Date they confirmed it", validators=[RequiredWhen(
        lambda form: bool(form.birthmark_confirmed_by.data), "Enter the date they confirmed it is a birthmark")])
    pattern = RadioField("Is the mark patterned?", choices=list(PATTERNS.items()),
                         validators=[InputRequired("Say whether the mark is patterned")])
    clustered = BooleanField("This mark is one of a cluster of bruises")
    notes = long_text("Other observations (optional)")
    observed_date = DateField("Date you saw the mark", validators=[InputRequired("Enter the date you saw the mark")])
    observed_time = TimeField("Time", validators=[InputRequired("Enter the time you saw the mark")])

    where = None  # the placement worked out by validate_region

    def validate_region(self, field):
        x, y = (self.x.data or "").strip(), (self.y.data or "").strip()
        if bool(x) != bool(y) or (x and (coordinate(x) is None or coordinate(y) is None)):
            raise ValidationError("The point tapped on the figure was not recorded. Tap the figure again.")
        try:
            self.where = domain.placement(self.figure.data, field.data, coordinate(x) if x else None,
                                          coordinate(y) if y else None)
        except domain.MarkInvalid as invalid:
            raise ValidationError(next(iter(invalid.errors.values())))

    def validate_other_type(self, field):
        if self.mark_type.data == "other" and not field.data:
            raise ValidationError("Say what kind of mark it is")

    def validate_length_cm(self, field):
        check_size(field.data, "length")

    def validate_width_cm(self, field):
        if (field.data or "").strip():
            check_size(field.data, "width")

    def validate_colours(self, field):
        if not field.data:
            raise ValidationError("Choose at least one colour you see (choose Other and describe it if none fits)")

    def validate_explanation_by_other(self, field):
        if self.explanation_by.data == "other" and not field.data:
            raise ValidationError("Say who gave the explanation")

    def validate_explanation(self, field):
        if explained(self) and not field.data:
            raise ValidationError("Enter the explanation, in their words")
        if self.explanation_by.data == "none" and field.data:
            raise ValidationError("You said no explanation was given: clear the explanation, or say who gave it")

    def validate_birthmark_confirmed_by(self, field):
        confirmed = field.data or self.birthmark_confirmer_profession.data or self.birthmark_confirmed_on.data
        if confirmed and self.believed_birthmark.data != "yes":
            raise ValidationError("You said the mark is not believed to be a birthmark: clear who confirmed it")
        if confirmed and not field.data:
            raise ValidationError("Enter the name of the registered health practitioner who confirmed the birthmark")

    def validate_birthmark_confirmer_profession(self, field):
        if self.birthmark_confirmed_by.data and not field.data:
            raise ValidationError("Enter their profession (for example GP, paediatrician, health visitor)")
        if self.birthmark_confirmer.data == "outside" and field.data not in REGISTERED_HEALTH_PROFESSIONS:
            raise ValidationError("Only a registered health practitioner may confirm a birthmark: choose their "
                                  f"profession from the list ({professions_list()})")

    def validate_birthmark_confirmer(self, field):
        """Rule 5: who confirmed it agrees with the other birthmark answers."""
        if field.data in ("me", "outside") and self.believed_birthmark.data != "yes":
            raise ValidationError("You said the mark is not believed to be a birthmark: choose 'Not yet', "
                                  "or say it is believed to be a birthmark")
        if field.data == "not_yet" and (self.birthmark_confirmed_by.data or self.birthmark_confirmer_profession.data):
            raise ValidationError("You said nobody has confirmed it yet: clear who confirmed it, or choose who did")
        if field.data == "outside" and not self.birthmark_confirmed_by.data:
            raise ValidationError("Enter the name of the registered health practitioner who confirmed the birthmark")
        if field.data == "outside" and not self.birthmark_confirmed_on.data:
            raise ValidationError("Enter the date they confirmed it is a birthmark")

    def validate_birthmark_confirmed_on(self, field):
        if field.data and field.data > device_clock.latest_today():
            raise ValidationError("The date the birthmark was confirmed must not be in the future")

    def validate_observed_date(self, field):
        if field.data and self.observed_time.data:
            if datetime.combine(field.data, self.observed_time.data) > device_clock.latest_now() + CLOCK_TOLERANCE:
                raise ValidationError("The date and time you saw the mark must not be in the future")


def to_mark(form, visit_id, child_id, recorded_at):
    """The plain data that `record_mark` stores, from a validated form."""
    explained = form.explanation_by.data != "none"
    believed = form.believed_birthmark.data == "yes"
    width = (form.width_cm.data or "").strip()
    mark = {
        "id": form.record_id.data.lower(),
        "visit_id": visit_id,
        "child_id": child_id,
        "figure": form.where["figure"], "view": form.where["view"], "region": form.where["region"],
        "x": form.where["x"] if form.where["placed_by"] == "tap" else None,
        "y": form.where["y"] if form.where["placed_by"] == "tap" else None,
        "mark_type": form.mark_type.data,
        "other_type": form.other_type.data if form.mark_type.data == "other" else "",
        "length_cm": centimetres(form.length_cm.data),
        "width_cm": centimetres(width) if width else None,
        "shape": form.shape.data,
        "shape_details": form.shape_details.data,
        "colours": [colour for colour in COLOURS if colour in form.colours.data],
        "colour_details": form.colour_details.data,
        "skin_broken": form.skin_broken.data,
        "swelling": form.swelling.data,
        "surface": [kind for kind in SURFACE if kind in (form.surface.data or [])],
        "pain": form.pain.data,
        "explanation_by": form.explanation_by.data,
        "explanation_by_other": form.explanation_by_other.data if form.explanation_by.data == "other" else "",
        "explanation": form.explanation.data if explained else "",
        "consistent": form.consistent.data if explained else None,
        "believed_birthmark": believed,
        "birthmark_confirmer_kind": CONFIRMER_KIND.get(form.birthmark_confirmer.data) if believed else None,
        "birthmark_confirmed_by": form.birthmark_confirmed_by.data if believed else "",
        "birthmark_confirmer_profession": form.birthmark_confirmer_profession.data if believed else "",
        "birthmark_confirmed_on": (form.birthmark_confirmed_on.data.isoformat()
                                   if believed and form.birthmark_confirmed_on.data else None),
        "pattern": form.pattern.data,
        "clustered": bool(form.clustered.data),
        "notes": form.notes.data,
        "observed_at": datetime.combine(form.observed_date.data, form.observed_time.data).isoformat(timespec="minutes"),
        "recorded_at": recorded_at,
    }
    return mark


def mark_form_data(mark):
    """Form data showing a mark as it stands, for the amendment form."""
    observed = datetime.fromisoformat(mark["observed_at"])
    return {
        "figure": mark["figure"], "region": f"{mark['view']}/{mark['region']}",
        "x": str(mark["x"]) if mark["placed_by"] == "tap" else "", "y": str(mark["y"]) if mark["placed_by"] == "tap" else "",
        "mark_type": mark["mark_type"], "other_type": mark["other_type"],
        "length_cm": f"{mark['length_cm']:g}", "width_cm": f"{mark['width_cm']:g}" if mark["width_cm"] else "",
        "shape": mark["shape"], "shape_details": mark["shape_details"], "colours": mark["colours"],
        "colour_details": mark["colour_details"], "skin_broken": mark["skin_broken"], "swelling": mark["swelling"],
        "surface": mark["surface"], "pain": mark["pain"], "explanation_by": mark["explanation_by"],
        "explanation_by_other": mark["explanation_by_other"], "explanation": mark["explanation"],
        "consistent": mark["consistent"], "believed_birthmark": "yes" if mark["believed_birthmark"] else "no",
        "birthmark_confirmer": {"fieldvisit_user": "me", "outside": "outside"}.get(
            mark.get("birthmark_confirmer_kind"), "not_yet"),
        "birthmark_confirmed_by": mark["birthmark_confirmed_by"],
        "birthmark_confirmer_profession": mark["birthmark_confirmer_profession"],
        "birthmark_confirmed_on": date.fromisoformat(mark["birthmark_confirmed_on"]) if mark["birthmark_confirmed_on"] else None,
        "pattern": mark["pattern"], "clustered": bool(mark["clustered"]), "notes": mark["notes"],
        "observed_date": observed.date(), "observed_time": observed.time(),
    }


class MarkAmendmentForm(MarkForm):
    reason = TextAreaField("Why it needs correcting", filters=[clean_text], validators=[
        DataRequired("Say why the mark needs correcting"),
        Length(max=2000, message="The reason must be 2,000 characters or fewer")])


def to_mark_amendment(form, mark_id, recorded_at):
    amendment = to_mark(form, None, None, recorded_at)
    amendment.update({"mark_id": mark_id, "reason": form.reason.data})
    return amendment


class CompletionForm(FlaskForm):
    record_id = HiddenField(validators=[valid_record_id])
    confirm = BooleanField("I have recorded every mark I saw", validators=[
        DataRequired("Confirm you have recorded every mark you saw before you complete the body map")])


class HistoryFilterForm(Form):
    """The date range of the marks shown on a child's body-map history (a GET form)."""
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The 'to' date must be the same as or after the 'from' date")
