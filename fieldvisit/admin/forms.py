"""The admin's forms: a practitioner, a team, a partnership setting, a practitioners file; and the
practitioner's own "set your password" form. The forms carry the CSRF token and the typed values;
the rules (a username taken, a registration number's format, a setting's range) are in the domain,
so the pages, the import and the tests share them."""
import json

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from fieldvisit import settings
from fieldvisit.access import ROLES
from fieldvisit.admin.domain import REGISTRATION_BODIES


class PractitionerForm(FlaskForm):
    display_name = StringField("Name")
    username = StringField("Username")
    role = SelectField("Role", choices=[("", "Choose a role")] + list(ROLES.items()), validate_choice=False)
    agency_id = SelectField("Agency", validate_choice=False)
    team_id = SelectField("Team", validate_choice=False)
    staff_id = StringField("Staff id (optional)")
    email = StringField("Email address (optional)")
    phone = StringField("Phone (optional)")
    registration_body = SelectField(
        "Professional register", validate_choice=False,
        choices=[("", "Not registered")] + [(code, f"{name} ({code})") for code, (name, _, _) in REGISTRATION_BODIES.items()])
    registration_number = StringField("Registration number")

    def fill_choices(self, agencies, teams):
        self.agency_id.choices = [("", "Choose the agency")] + [(str(a["id"]), a["name"]) for a in agencies]
        self.team_id.choices = [("", "No team (admins only)")] + [
            (str(t["id"]), f"{t['name']} ({t['agency_name']})") for t in teams]
        return self


class TeamForm(FlaskForm):
    name = StringField("Team name")
    agency_id = SelectField("Agency", validate_choice=False)
    lead_id = SelectField("Team lead", validate_choice=False)

    def fill_choices(self, agencies, leads):
        self.agency_id.choices = [("", "Choose the agency")] + [(str(a["id"]), a["name"]) for a in agencies]
        self.lead_id.choices = [("", "No lead yet")] + [(str(p["id"]), p["display_name"]) for p in leads]
        return self


class ConfirmForm(FlaskForm):
    """A button that changes something (deactivate, issue a code): the CSRF token only."""


class SetPasswordForm(FlaskForm):
    username = StringField("Username", validators=[Length(max=100, message="Username must be 100 characters or fewer")])
    code = StringField("One-time code", validators=[Length(max=40, message="The code is 19 characters, like ABCD-EFGH-JKMN-PQRS")])
    password = PasswordField("New password")
    confirm = PasswordField("Type the new password again")


class SettingForm(FlaskForm):
    reason = TextAreaField("Why are you changing it?", validators=[
        Length(max=1000, message="The reason must be 1,000 characters or fewer")])


class ImportForm(FlaskForm):
    file = FileField("The staff directory export (CSV)")
    content = HiddenField()  # the file checked in the dry run, sent again to apply it


# --- a setting's fields: one per part of its value ----------------------------------------

def setting_fields(key, value):
    """The fields a setting is edited with: [{name, label, value, kind}] (kind: number, lines or json).
    One field per key of the default, so a key added to a default since the value was saved shows too."""
    kind = settings.schema_of(key)["kind"]
    default = settings.DEFAULTS[key]
    if kind in ("int_map", "pathways") and isinstance(value, dict):
        value = {name: value.get(name, default[name]) for name in default}
    if kind == "int":
        return [{"name": "value", "label": "Value", "value": value, "kind": "number"}]
    if kind == "int_map":
        return [{"name": f"value-{name}", "label": name.replace("_", " ").capitalize(), "value": number,
                 "kind": "number"} for name, number in value.items()]
    if kind == "hours":
        return [{"name": "value-from", "label": "From (hour)", "value": value[0], "kind": "number"},
                {"name": "value-to", "label": "To (hour)", "value": value[1], "kind": "number"}]
    if kind == "pathways":
        fields = []
        for name, pathway in value.items():
            words = name.replace("_", " ").capitalize()
            fields.append({"name": f"{name}-deadline_hours", "label": f"{words}: hours to the deadline",
                           "value": pathway["deadline_hours"], "kind": "number"})
            fields.append({"name": f"{name}-actions", "label": f"{words}: actions, one a line",
                           "value": "\n".join(pathway["actions"]), "kind": "lines"})
        return fields
    return [{"name": "value", "label": "Value (JSON)", "value": json.dumps(value, indent=1), "kind": "json"}]


def setting_from_form(key, form, current):
    """The value typed for a setting, and {field name: message} for what could not be read."""
    kind = settings.schema_of(key)["kind"]
    errors = {}

    def number(name, label):
        text = (form.get(name) or "").strip()
        try:
            return int(text)
        except ValueError:
            errors[name] = f"{label} must be a whole number" if text else f"Enter {label.lower()}"
            return None

    if kind == "int":
        value = number("value", "The value")
    elif kind == "int_map":
        value = {name: number(f"value-{name}", name.replace("_", " ").capitalize()) for name in current}
    elif kind == "hours":
        value = [number("value-from", "The first hour"), number("value-to", "The second hour")]
    elif kind == "pathways":
        value = {}
        for name in current:
            actions = [line.strip() for line in (form.get(f"{name}-actions") or "").splitlines() if line.strip()]
            if not actions:
                errors[f"{name}-actions"] = f"Give at least one action for {name.replace('_', ' ')}"
            value[name] = {"deadline_hours": number(f"{name}-deadline_hours", "Hours to the deadline"),
                           "actions": actions}
    else:
        try:
            value = json.loads(form.get("value") or "")
        except ValueError:
            errors["value"] = "Enter the value as JSON, like the default beside it"
            value = None
    return value, errors


def shown(value):
    """A setting's value in words for the settings page, e.g. "Child protection: 10; Child in need: 20"."""
    if isinstance(value, dict) and set(value) == {"deadline_hours", "actions"}:
        return f"{value['deadline_hours']} hours, {len(value['actions'])} action{'s' if len(value['actions']) != 1 else ''}"
    if isinstance(value, dict):
        return "; ".join(f"{name.replace('_', ' ').capitalize()}: {shown(item)}" for name, item in value.items())
    if isinstance(value, list):
        if all(isinstance(item, list) for item in value):
            return "; ".join(" ".join(shown(part) for part in item) for item in value)
        return " to ".join(shown(item) for item in value) if len(value) == 2 and all(
            isinstance(item, int) for item in value) else ", ".join(shown(item) for item in value)
    return str(value)
