"""A visit's posted fields checked in plain Python, by the rules of the page's form (issue 13).

A visit arrives as the fields its form posts ({name: [values]}), from the page or from a tablet's
outbox. Building the WTForms `VisitRecordForm` for one (about 105 fields with its children, adults,
home conditions and containers) took three quarters of the central record's time per visit, so
twenty tablets syncing at the end of the day queued behind it. `check_visit` reads the same fields
by the same rules, about ten times faster, and returns the plain record `domain.record_visit`
stores.

`VisitRecordForm` stays what the page draws and the reference for what is valid: the page
validates a post with it first, and tests/test_visit_checks.py sends thousands of generated posts
to both and requires the same errors, word for word and in page order. A rule changed in the form
must be changed here too; that test fails until they agree.

How it reads WTForms' way (so that the two agree): every field is read first, then checked in the
form's order. A field's check is its choices (a radio's answer must be one of them), then its
validators in turn until one stops the chain: "required" stops with its message when nothing was
posted, "optional" stops without errors when the answer is blank. Only a field's first error is
reported, under its posted name ("children-0-seen"); a list's rows are numbered from 0 in the order
they were posted.
"""
import functools
import uuid
from datetime import datetime

from fieldvisit import device_clock
from fieldvisit.safe_sleep.rules import CARER_RISKS, SLEEP_PLACES, answer_conflicts
from fieldvisit.visits.domain import (CHILD_ALONE, CONTAINER_TYPES, HOME_CONDITION_HEADINGS,
                                      HOME_CONDITION_RATINGS, OUTCOMES, VISIT_TYPES)
from fieldvisit.visits.forms import CLOCK_TOLERANCE, EARLIEST_VISIT, TEXT_LIMIT, clean_text, is_row_id_text
from sync import Rejected

# WTForms' own words for an answer it cannot read; the page shows the same.
NOT_A_CHOICE = "Not a valid choice."
NOT_A_DATE = "Not a valid date value."
NOT_A_TIME = "Not a valid time value."
NOT_A_NUMBER = "Not a valid integer value."
ROWS_NUMBERED_WRONGLY = "This form's rows are numbered in a way it does not know. Reload the page and try again."

YES_NO = ("yes", "no")
PRESENCES = ("present", "expected_absent", "not_expected")
CONTAINER_CHOICES = ("", *CONTAINER_TYPES)
FALSE_VALUES = ("false", "")  # a tick box posted with one of these is not ticked


class Post:
    """The fields of one post as WTForms reads them: `raw` as posted, `data` as read, and each
    field's errors; `names` keeps the fields in page order (the order errors are reported in)."""

    def __init__(self, fields):
        self.raw = {name: values for name, values in fields.items() if values}
        self.data, self.errors, self.names = {}, {}, []

    # -- reading a field: what WTForms' fields do with the posted values --------------------------

    def _posted(self, name):
        self.names.append(name)
        return self.raw.get(name, [])

    def hidden(self, name, default=None):
        """A hidden field, a radio or a select: the first value posted, as it was posted."""
        raw = self._posted(name)
        self.data[name] = raw[0] if raw else default

    def text(self, name):
        """A text box: the first value, trimmed; text that hides words is refused (forms.clean_text)."""
        raw = self._posted(name)
        value = raw[0] if raw else None
        try:
            value = clean_text(value)
        except ValueError as refused:
            self.errors[name] = [refused.args[0]]
        self.data[name] = value

    def tick(self, name):
        raw = self._posted(name)
        self.data[name] = bool(raw) and raw[0] not in FALSE_VALUES

    def ticks(self, name):
        """Tick boxes of one question: every value posted."""
        self.data[name] = list(self._posted(name))

    def number(self, name):
        raw = self._posted(name)
        self.data[name] = None
        if raw:
            try:
                self.data[name] = int(raw[0])
            except ValueError:
                self.errors[name] = [NOT_A_NUMBER]

    def moment(self, name, format, message, part):
        """A date or a time: every value posted, joined, read with `format`."""
        raw = self._posted(name)
        self.data[name] = None
        if raw:
            try:
                self.data[name] = part(datetime.strptime(" ".join(raw), format))
            except (ValueError, TypeError):
                self.errors[name] = [message]

    def rows(self, name, least=0, most=None):
        """A list of rows (`name-0-...`, `name-3-...`): the prefix each row is read from, and the
        prefix it is reported under (renumbered from 0), with blank rows added up to `least`."""
        self.names.append(name)
        found = set()
        for key in self.raw:
            if key.startswith(name):
                index = key[len(name) + 1:].split("-", 1)[0]
                if index.isdigit():
                    try:
                        found.add(int(index))
                    except ValueError:  # a digit int() cannot read, such as '²'
                        raise Rejected({name: ROWS_NUMBERED_WRONGLY}) from None
        indices = sorted(found)[:most] if most else sorted(found)
        rows = [(f"{name}-{index}-", f"{name}-{position}-") for position, index in enumerate(indices)]
        rows += [(f"{name}-{position}-", f"{name}-{position}-") for position in range(len(rows), least)]
        return rows

    def renamed(self, read_from, reported_as, names):
        """A row's posted values under the names it is reported by. The values stay under their own
        names too: a blank row added later (`least`) reads its own number's values as posted."""
        if read_from != reported_as:
            for field in names:
                values = self.raw.get(read_from + field)
                if values:
                    self.raw[reported_as + field] = values
                else:
                    self.raw.pop(reported_as + field, None)

    # -- checking a field: its choices, then its validators until one stops ---------------------

    def check(self, name, *validators, choices=None, several=None):
        errors = self.errors.setdefault(name, [])
        value = self.data.get(name)
        if not errors and choices is not None and value not in choices:
            errors.append(NOT_A_CHOICE)
        if not errors and several is not None and value and any(v not in several for v in value):
            unacceptable = [str(v) for v in set(value) if v not in several]
            words = ("'%(value)s' is not a valid choice for this field." if len(unacceptable) == 1
                     else "'%(value)s' are not valid choices for this field.")
            errors.append(words % {"value": "', '".join(unacceptable)})
        for validator in validators:
            if validator(self, name):
                return

    def blank(self, name):
        raw = self.raw.get(name)
        return not raw or not raw[0].strip()

    def add(self, name, message):
        self.errors.setdefault(name, []).append(message)

    def first_errors(self):
        return {name: self.errors[name][0] for name in self.names if self.errors.get(name)}


# -- validators: each returns True to stop the field's chain -------------------------------------
# A validator that depends only on its words and limits is made once and shared by every post
# (functools.cache: a visit checks ~80 fields, and making them again for each visit was 8% of its check).

@functools.cache
def required(message):
    """Something must be posted (WTForms' InputRequired)."""
    def check(post, name):
        raw = post.raw.get(name)
        if raw and raw[0]:
            return False
        post.errors[name] = [message]
        return True
    return check


def required_when(condition, message):
    """Required when `condition()` holds (forms.RequiredWhen); put before `optional`."""
    def check(post, name):
        if post.blank(name) and condition():
            post.errors[name] = [message() if callable(message) else message]
            return True
        return False
    return check


def optional(post, name):
    """A blank answer is no answer: no errors, nothing more checked (WTForms' Optional)."""
    if post.blank(name):
        post.errors[name] = []
        return True
    return False


@functools.cache
def at_most(limit, message):
    def check(post, name):
        value = post.data[name]
        if value and len(value) > limit:
            post.add(name, message)
    return check


@functools.cache
def between(low, high, message):
    def check(post, name):
        value = post.data[name]
        if value is None or not low <= value <= high:
            post.add(name, message)
    return check


def rule(broken, message):
    """One of the form's own `validate_<field>` rules: `message` when `broken()`."""
    def check(post, name):
        if broken():
            post.add(name, message)
    return check


@functools.cache
def text_limit(label):
    return at_most(TEXT_LIMIT, f"{label} must be {TEXT_LIMIT:,} characters or fewer")


# -- the visit ---------------------------------------------------------------------------------

# Each row's fields, in the form's order, with how each is read (a method of Post).
CHILD_FIELDS = {
    "child_id": "hidden", "seen": "hidden", "seen_alone": "hidden", "bedroom_seen": "hidden",
    "found_alone": "tick", "looking_after": "tick", "presentation": "text", "words": "text",
    "demeanour": "text", "sleep_asked": "hidden", "sleep_places": "ticks", "sleep_place_other": "text",
    "shares_bed": "hidden", "shares_sofa": "hidden", "carer_risks": "ticks",
}
ADULT_FIELDS = {"full_name": "text", "relationship": "text", "presence": "hidden"}
CONTAINER_FIELDS = {"count": "number", "container_type": "hidden", "where": "text"}


def check_visit(fields):
    """The visit record these posted fields make, as `domain.record_visit` takes it (without its
    family and recorded_at), or Rejected with {field name: first error} in page order. Times are
    judged as `forms.VisitRecordForm` judges them (device_clock.judging_with)."""
    post = Post(fields)
    children, adults, containers = read(post)
    validate(post, children, adults, containers)
    errors = post.first_errors()
    if errors:
        raise Rejected(errors)
    return record(post.data, children, adults, containers)


def read(post):
    """Every field read, in the form's order; the prefixes of the children's, adults' and containers' rows."""
    post.hidden("record_id")
    post.hidden("scheduled_visit_id")
    post.hidden("visit_type")
    post.moment("visit_date", "%Y-%m-%d", NOT_A_DATE, datetime.date)
    post.moment("visit_time", "%H:%M", NOT_A_TIME, datetime.time)
    post.number("duration_minutes")
    post.hidden("outcome")
    children = read_rows(post, "children", CHILD_FIELDS)
    adults = read_rows(post, "adults", ADULT_FIELDS, least=2)
    post.text("regular_visitors")
    for heading in HOME_CONDITION_HEADINGS:
        post.hidden(f"home_conditions-{heading}-rating")
        post.text(f"home_conditions-{heading}-note")
    containers = read_rows(post, "containers", CONTAINER_FIELDS, least=3, most=10)
    post.hidden("alcohol_smell", default="no")
    post.hidden("intoxication_observed", default="no")
    for name in ("intoxication_details", "other_substances", "parent_alcohol_account"):
        post.text(name)
    post.hidden("child_alone", default="no")
    for name in ("child_alone_details", "analysis", "actions"):
        post.text(name)
    post.moment("next_visit_due", "%Y-%m-%d", NOT_A_DATE, datetime.date)
    return children, adults, containers


def read_rows(post, name, fields, least=0, most=None):
    prefixes = []
    for read_from, reported_as in post.rows(name, least, most):
        post.renamed(read_from, reported_as, fields)
        for field, how in fields.items():
            getattr(post, how)(reported_as + field)
        prefixes.append(reported_as)
    return prefixes


def validate(post, children, adults, containers):
    data = post.data

    def may_have_gone_ahead():
        return data["outcome"] in ("completed", None, "")

    def visit_in_the_future():
        when, at = data["visit_date"], data["visit_time"]
        return bool(when and at and datetime.combine(when, at) > device_clock.latest_now() + CLOCK_TOLERANCE)

    post.check("record_id", rule(lambda: not is_record_id(data["record_id"]),
                                 "This form has lost its record id. Reload the page and try again."))
    post.check("scheduled_visit_id", rule(
        lambda: data["scheduled_visit_id"] and not is_row_id_text(data["scheduled_visit_id"]),
        "This form's scheduled visit is not one we know. Reload the page and try again."))
    post.check("visit_type", required("Say whether the visit was planned or unannounced"), choices=VISIT_TYPES)
    post.check("visit_date", required("Enter the date of the visit"),
               rule(visit_in_the_future, "The date and time of the visit must not be in the future"),
               rule(lambda: data["visit_date"] and data["visit_date"] < EARLIEST_VISIT,
                    "The date of the visit must be a real date, in or after 2000"))
    post.check("visit_time", required("Enter the time the visit started"))
    post.check("duration_minutes", required("Enter how long the visit lasted, in minutes"),
               between(1, 720, "Enter a length from 1 to 720 minutes"))
    post.check("outcome", required("Choose the outcome of the visit"), choices=OUTCOMES)
    for c in children:
        validate_child(post, c, may_have_gone_ahead)

    def a_child_seen_on_a_visit_that_did_not_go_ahead():
        return data["outcome"] and data["outcome"] != "completed" and any(data[c + "seen"] == "yes" for c in children)

    def no_child_ticked_as_found_alone():
        return data["child_alone"] != "no" and not any(data[c + "found_alone"] for c in children)
    post.check("children",
               rule(a_child_seen_on_a_visit_that_did_not_go_ahead, "A child cannot be seen on a visit that did not go ahead"),
               rule(no_child_ticked_as_found_alone, "Tick which child was found alone or with an unsuitable carer"))
    for a in adults:
        validate_adult(post, a)
    post.check("regular_visitors", text_limit("Regular visitors to the home"))
    for heading in HOME_CONDITION_HEADINGS:
        post.check(f"home_conditions-{heading}-rating", optional, choices=HOME_CONDITION_RATINGS)
        post.check(f"home_conditions-{heading}-note", text_limit("Note"))
    for c in containers:
        validate_container(post, c)
    post.check("alcohol_smell", choices=YES_NO)
    post.check("intoxication_observed", choices=YES_NO)
    post.check("intoxication_details", text_limit("Who, and what you saw"),
               rule(lambda: data["intoxication_observed"] == "yes" and not data["intoxication_details"],
                    "Say who appeared intoxicated and what you saw"))
    post.check("other_substances", text_limit("Other substances or drug paraphernalia seen"))
    post.check("parent_alcohol_account", text_limit("What the parent or carer said about their drinking"))
    post.check("child_alone", choices=CHILD_ALONE)
    post.check("child_alone_details", text_limit("What you found and what you did"),
               rule(lambda: data["child_alone"] != "no" and not data["child_alone_details"],
                    "Describe what you found and what you did"))
    post.check("analysis", text_limit("Your analysis"),
               rule(lambda: may_have_gone_ahead() and not data["analysis"], "Enter your analysis of the visit"))
    post.check("actions", text_limit("Actions"))
    post.check("next_visit_due", optional, rule(
        lambda: data["next_visit_due"] and data["visit_date"] and data["next_visit_due"] < data["visit_date"],
        "The next visit must be due on or after the date of this visit"))
    # After the fields' own checks, as VisitRecordForm.validate does.
    if may_have_gone_ahead():
        for heading, label in HOME_CONDITION_HEADINGS.items():
            if not data[f"home_conditions-{heading}-rating"]:
                post.add(f"home_conditions-{heading}-rating",
                         f"Rate {label.lower()} (choose 'Not seen' if you did not see it)")
    if data["outcome"] == "completed":
        for c in children:
            check_sleep(post, c)


def validate_child(post, c, may_have_gone_ahead):
    data = post.data

    def may_be_seen():
        seen = data[c + "seen"]
        return seen == "yes" or (not seen and may_have_gone_ahead())
    post.check(c + "child_id", rule(lambda: not is_row_id_text(data[c + "child_id"]),
                                    "This form lists a child it does not know. Reload the page and try again."))
    post.check(c + "seen", required("Say whether the child was seen"), choices=YES_NO)
    post.check(c + "seen_alone", required_when(may_be_seen, "Say whether the child was seen alone"), optional,
               choices=YES_NO)
    post.check(c + "bedroom_seen", required_when(may_be_seen, "Say whether the child's bedroom was seen"), optional,
               choices=YES_NO)
    for name, label in (("presentation", "Presentation"), ("words", "The child's words"), ("demeanour", "Demeanour")):
        post.check(c + name, text_limit(label))
    post.check(c + "sleep_places", several=SLEEP_PLACES)
    post.check(c + "sleep_place_other", at_most(200, "Where else must be 200 characters or fewer"))
    post.check(c + "shares_bed", optional, choices=YES_NO)
    post.check(c + "shares_sofa", optional, choices=YES_NO)
    post.check(c + "carer_risks", several=CARER_RISKS)


def validate_adult(post, a):
    data = post.data
    post.check(a + "full_name", at_most(200, "Name must be 200 characters or fewer"))
    post.check(a + "relationship", at_most(200, "Relationship must be 200 characters or fewer"))
    post.check(a + "presence",
               required_when(lambda: data[a + "full_name"], lambda: f"Say whether {data[a + 'full_name']} was present"),
               optional,
               rule(lambda: data[a + "presence"] in ("present", "expected_absent") and not data[a + "full_name"],
                    "Give a name or a description of the adult (for example, 'unknown man, introduced as a friend')"),
               choices=PRESENCES)


def validate_container(post, c):
    data = post.data
    post.check(c + "count", required_when(lambda: data[c + "container_type"] or data[c + "where"],
                                          "Enter how many empty bottles or cans were seen"),
               optional, between(1, 999, "Enter a number from 1 to 999"))
    post.check(c + "container_type", required_when(lambda: data[c + "count"],
                                                   "Choose what kind of bottles or cans were seen"),
               optional, choices=CONTAINER_CHOICES)
    post.check(c + "where", at_most(500, "Where must be 500 characters or fewer"))


def check_sleep(post, c):
    """Rule 12: every sleep question the page asked about this baby is answered, consistently."""
    data = post.data
    if data[c + "sleep_asked"] != "1" or not is_row_id_text(data[c + "child_id"]):
        return
    places = data[c + "sleep_places"] or []
    missing = {
        "sleep_places": not places and "Say where the baby sleeps",
        "sleep_place_other": ("other" in places and not data[c + "sleep_place_other"]
                              and "Say where else the baby sleeps"),
        "shares_bed": not data[c + "shares_bed"] and "Say whether the baby ever shares a bed with an adult",
        "shares_sofa": (not data[c + "shares_sofa"]
                        and "Say whether the baby ever sleeps on a sofa or armchair with an adult"),
        "carer_risks": (not data[c + "carer_risks"] and "Say whether the carer has drunk alcohol, smokes, "
                        "or has taken drowsy medication or drugs (tick 'None of these' if not)"),
    }
    if not any(missing.values()):
        missing = answer_conflicts(sleep_answers(data, c))
    for name, message in missing.items():
        if message:
            post.add(c + name, message)


def is_record_id(value):
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (TypeError, ValueError, AttributeError):
        return False


def sleep_answers(data, c):
    """A baby's sleep answers (rule 12) as the plain data the domain takes."""
    places = [place for place in SLEEP_PLACES if place in (data[c + "sleep_places"] or [])]
    return {"child_id": int(data[c + "child_id"]), "sleep_places": places,
            "sleep_place_other": data[c + "sleep_place_other"] if "other" in places else "",
            "shares_bed": data[c + "shares_bed"] == "yes", "shares_sofa": data[c + "shares_sofa"] == "yes",
            "carer_risks": [risk for risk in CARER_RISKS if risk in (data[c + "carer_risks"] or [])]}


def record(data, children, adults, containers):
    """The plain data `record_visit` stores (less its family and recorded_at), from checked fields."""
    completed = data["outcome"] == "completed"
    kids = []
    for c in children:
        seen = data[c + "seen"] == "yes"
        kids.append({
            "child_id": int(data[c + "child_id"]),
            "seen": seen,
            "seen_alone": seen and data[c + "seen_alone"] == "yes",
            "bedroom_seen": seen and data[c + "bedroom_seen"] == "yes",
            "found_alone": bool(data[c + "found_alone"]),
            "presentation": data[c + "presentation"] if seen else "",
            "words": data[c + "words"] if seen else "",
            "demeanour": data[c + "demeanour"] if seen else "",
        })
    scheduled = data["scheduled_visit_id"]
    return {
        "id": data["record_id"].lower(),
        "scheduled_visit_id": int(scheduled) if is_row_id_text(scheduled) else None,
        "visit_type": data["visit_type"],
        "happened_at": datetime.combine(data["visit_date"], data["visit_time"]).isoformat(timespec="minutes"),
        "duration_minutes": data["duration_minutes"],
        "outcome": data["outcome"],
        "children": kids,
        "adults": [{"name": data[a + "full_name"], "relationship": data[a + "relationship"],
                    "presence": data[a + "presence"]}
                   for a in adults if data[a + "presence"] in ("present", "expected_absent")],
        "regular_visitors": data["regular_visitors"],
        "home_conditions": [{"heading": h, "rating": data[f"home_conditions-{h}-rating"],
                             "note": data[f"home_conditions-{h}-note"]}
                            for h in HOME_CONDITION_HEADINGS if completed],
        "alcohol": {
            "containers": [{"count": data[c + "count"], "type": data[c + "container_type"], "where": data[c + "where"]}
                           for c in containers if data[c + "count"]],
            "smell": data["alcohol_smell"] == "yes",
            "intoxication_observed": data["intoxication_observed"] == "yes",
            "intoxication_details": data["intoxication_details"],
            "other_substances": data["other_substances"],
            "parent_account": data["parent_alcohol_account"],
        },
        "child_alone": data["child_alone"],
        "child_alone_details": data["child_alone_details"],
        "young_carers": [int(data[c + "child_id"]) for c in children if data[c + "looking_after"]],
        "safe_sleep": [sleep_answers(data, c) for c in children
                       if completed and data[c + "sleep_asked"] == "1" and is_row_id_text(data[c + "child_id"])],
        "analysis": data["analysis"],
        "actions": data["actions"],
        "next_visit_due": data["next_visit_due"].isoformat() if data["next_visit_due"] else None,
    }
