"""Hypothesis over every form (issue 14, item 8): every FlaskForm subclass a POST route uses, found
from the app's URL map and the forms modules, is posted hypothesis-made values (text with NUL and
control characters, right-to-left overrides and zero-width characters, huge strings, numbers out of
range, impossible dates, missing fields, markup and spreadsheet formulas) by a signed-in practitioner
allowed to use it. Never a 5xx; a refusal shows the GOV.UK error summary linking to fields, and
stores nothing.

Kept quick (a few examples a form, derandomized so CI runs the same cases each time): the point is
breadth, every form, every run; tests/test_hardening_input_headers.py and the areas' own tests hold
the exact messages."""
import inspect
import re
import types
import uuid
from datetime import datetime, timedelta

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldvisit.db import connect
from tests.test_access import ROUTES, SessionAuth, expected_families
from tests.test_bodymap_routes import a_bruise
from tests.test_visits import full_visit, visit_form

FORMS_MODULES = ("fieldvisit.admin.forms", "fieldvisit.alcohol.forms", "fieldvisit.audit_log.forms",
                 "fieldvisit.bodymap.forms", "fieldvisit.rota.forms", "fieldvisit.visits.forms",
                 "fieldvisit.was_not_brought.forms")
# Forms that no POST route posts, each with the reason (a form added and not listed fails below).
NOT_POSTED = {
    "SearchForm": "the audit-log search is a GET form: nothing is stored",
}

NASTY = [
    "", " ", "\x00", "Seen\x00 in the kitchen", "Mum said \x1b[2J fine", "Bruise \x85 on arm",
    "Dad\u202e said no", "Name \u2067hidden\u2069", "re\u200bferral", "\ufeff", "\u0645\u06cc\u06ba \u0679\u06be\u06cc\u06a9",
    "x" * 5000, "long words " * 20000,  # huge: 220,000 characters
    "-1", "0", "-99999999999999999999", "99999999999999999999", "1e309", "NaN", "Infinity", "3.5", "١٢",
    "2026-02-30", "0000-00-00", "9999-12-31", "31/12/2026", "2026-13-01", "1900-01-01", "tomorrow",
    "25:61", "00:00", "not-a-uuid", str(uuid.UUID(int=0)),
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "=HYPERLINK(\"http://x\",\"y\")",
    "'; DROP TABLE visit_records; --", "%s%s%n", "{{7*7}}",
]
KEEP, OMIT = "\x01keep", "\x01omit"
value = st.one_of(
    st.just(KEEP), st.just(OMIT), st.sampled_from(NASTY),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
    st.integers(min_value=-2**70, max_value=2**70).map(str),
)


# -- which forms the POST routes use -----------------------------------------------------------

def form_classes():
    import importlib

    for name in FORMS_MODULES:
        importlib.import_module(name)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)
    found = {cls for cls in below(FlaskForm) if cls.__module__.startswith("fieldvisit.")}
    names = [cls.__name__ for cls in found]
    assert len(names) == len(set(names)), "two forms share a name: tell them apart here"
    return {cls.__name__: cls for cls in found}


def codes(code):
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from codes(constant)


def names_used(function, seen=None):
    """The names a view's code uses, and those of the functions of its own module it calls (a view
    may hand its form to a helper), so that a form is found wherever the view's module names it."""
    seen = set() if seen is None else seen
    seen.add(function)
    names = set()
    for code in codes(function.__code__):
        names |= set(code.co_names)
    for name in list(names):
        helper = function.__globals__.get(name)
        if isinstance(helper, types.FunctionType) and helper.__module__ == function.__module__ and helper not in seen:
            names |= names_used(helper, seen)
    return names


def forms_of_post_routes(app):
    """{(rule, endpoint): [form class, ...]} for every POST route whose view names a FlaskForm."""
    classes = form_classes()
    used = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        names = names_used(view)
        forms = sorted((classes[name] for name in names if name in classes), key=lambda cls: cls.__name__)
        if forms:
            used[(rule.rule, rule.endpoint)] = forms
    return used


# -- the data each form is posted against ------------------------------------------------------

ADMIN = "demo-admin"
LEAD = "demo-lead"


def user_for(rule):
    if ROUTES.get((rule, "POST")) == "public":
        return None
    return ADMIN if rule.startswith("/admin/") else LEAD


@pytest.fixture(scope="module")
def world(tmp_path_factory, seeded_db_file):
    """A copy of the demo database where the team lead has one of everything a form can be posted
    against: a visit where a child was found alone (an escalation with actions), the same visit sent
    again changed (a sync conflict), a bruise (a body map and its mark), a missed appointment (a
    concern), and a visit scheduled ahead. Returns (app, ids)."""
    from fieldvisit import create_app

    path = tmp_path_factory.mktemp("forms") / "fieldvisit.db"
    path.write_bytes(seeded_db_file.read_bytes())
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "test", "TESTING": True, "WTF_CSRF_ENABLED": False})
    db = connect(str(path))
    visible = expected_families(db, LEAD)
    family_id = min(f for f in visible if db.execute("SELECT count(*) FROM children WHERE family_id = ?",
                                                     [f]).fetchone()[0])
    client = app.test_client()
    SessionAuth(client, app).sign_in(LEAD)
    yesterday = (datetime.now() - timedelta(days=1)).date().isoformat()
    record_id, child_ids = visit_form(client, family_id)
    visit = full_visit(record_id, child_ids, visit_date=yesterday, child_alone="alone",
                       child_alone_details="No adult in the home.", **{"children-0-found_alone": "y"})
    assert client.post(f"/families/{family_id}/visits/new", data=visit).status_code == 302
    assert client.post(f"/families/{family_id}/visits/new",
                       data=dict(visit, analysis="A different analysis.")).status_code == 409
    mark = a_bruise(str(uuid.uuid4()), observed_date=yesterday, observed_time="11:00")
    assert client.post(f"/visits/{record_id}/children/{child_ids[0]}/body-map", data=mark).status_code in (200, 302)
    html = client.get(f"/children/{child_ids[0]}/was-not-brought/new").get_data(as_text=True)
    missed = {"record_id": re.search(r'name="record_id" value="([^"]+)"', html).group(1), "event": "was_not_brought",
              "appointment": "Hearing test", "service": "hospital", "appointment_date": yesterday, "note": ""}
    assert client.post(f"/children/{child_ids[0]}/was-not-brought/new", data=missed).status_code == 302
    # A visit sent from demo-worker's tablet after an admin revoked it: kept aside for the lead (issue 14).
    from tests.sync_fakes import families_of, visit_item
    auth, device = SessionAuth(client, app), "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"
    auth.sign_in("demo-worker")
    assert client.post("/api/sync/push", json={"device_id": device, "schema_version": 1, "items": []}).status_code == 200
    auth.sign_in(ADMIN)
    assert client.post(f"/devices/{device}/revoke").status_code == 302
    auth.sign_in("demo-worker")
    _, families = families_of(db, "demo-worker")
    sent = visit_item(sorted(families)[0], families[sorted(families)[0]], analysis="Sent from the lost tablet.")
    assert client.post("/api/sync/push", json={"device_id": device, "schema_version": 1, "items": [sent]}).status_code == 403
    auth.sign_in(LEAD)
    one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
    ids = {
        "family_id": family_id, "visit_id": record_id, "child_id": int(child_ids[0]),
        "escalation_id": one("SELECT id FROM escalations WHERE family_id = ? ORDER BY id DESC", family_id),
        "concern_id": one("SELECT id FROM concerns WHERE family_id = ? ORDER BY id DESC", family_id),
        "conflict_id": one("SELECT id FROM sync_conflicts WHERE reason <> 'revoked_device' ORDER BY id DESC"),
        "mark_id": one("SELECT m.id FROM body_map_marks m JOIN body_maps b ON b.id = m.body_map_id"
                       " WHERE b.family_id = ? ORDER BY m.id DESC", family_id),
        "scheduled_id": one("SELECT id FROM scheduled_visits WHERE status = 'scheduled' AND due_at > ? AND family_id IN"
                            f" ({','.join(map(str, visible))}) ORDER BY due_at", datetime.now().isoformat()),
        "practitioner_id": one("SELECT id FROM practitioners WHERE username = 'demo-worker'"),
        "team_id": one("SELECT min(id) FROM teams"),
        "key": "non_mobile_under_months",
    }
    ids["kept_id"] = one("SELECT id FROM sync_conflicts WHERE reason = 'revoked_device' ORDER BY id DESC")
    ids["action_id"] = one("SELECT id FROM escalation_actions WHERE escalation_id = ? ORDER BY id", ids["escalation_id"])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return app, ids


def url_of(rule, ids):
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


def page_fields(html):
    """The fields of the page's form (its largest POST form: not the sign-out button in the header),
    as the browser would send them untouched."""
    forms = [form.group(1) for form in re.finditer(r'<form[^>]*method="post"[^>]*>(.*?)</form>', html, re.S | re.I)
             if "/sign-out" not in form.group(0)[:200]]
    if not forms:
        return {}
    body, fields = max(forms, key=len), {}
    for tag in re.finditer(r"<input\b[^>]*>", body):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or name == "csrf_token" or kind in ("submit", "button", "file"):
            continue
        if kind in ("radio", "checkbox"):
            if name not in fields or "checked" in tag.group(0):
                fields[name] = attrs.get("value", "y")
            continue
        fields[name] = attrs.get("value", "")
    for tag in re.finditer(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        fields[tag.group(1)] = tag.group(2)
    for tag in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        option = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', tag.group(2)) or \
            re.search(r'<option[^>]*value="([^"]+)"', tag.group(2))
        fields[tag.group(1)] = option.group(1) if option else ""
    return fields


def class_fields(app, form_class):
    """The names a form class posts (sub-forms and lists flattened), without a page to read them from."""
    with app.test_request_context(method="POST"):
        form = form_class(meta={"csrf": False})

        def names(fields):
            for field in fields:
                if hasattr(field, "entries"):
                    yield from names(field.entries)
                elif hasattr(field, "_fields") and not hasattr(field, "data_type"):
                    yield from names(field)
                elif field.type not in ("SubmitField", "CSRFTokenField"):
                    yield field.name
        return set(names(form))


def yesterday():
    return (datetime.now() - timedelta(days=1)).date().isoformat()


def valid_visit(baseline):
    child_ids = [baseline[name] for name in sorted(baseline) if re.fullmatch(r"children-\d+-child_id", name)]
    return full_visit(baseline.get("record_id", ""), child_ids, visit_date=yesterday())


# Answers that make the main record forms acceptable as they come, so that hypothesis's changes of a
# few fields reach both sides: accepted (and stored) and refused (and nothing stored).
VALID = {
    "/families/<int:family_id>/visits/new": valid_visit,
    "/visits/<visit_id>/children/<int:child_id>/body-map":
        lambda baseline: a_bruise(observed_date=yesterday(), observed_time="11:00"),
    "/children/<int:child_id>/body-map/new":
        lambda baseline: a_bruise(observed_date=yesterday(), observed_time="11:00"),
    "/children/<int:child_id>/was-not-brought/new": lambda baseline: {
        "event": "was_not_brought", "appointment": "Hearing test", "service": "hospital",
        "appointment_date": yesterday(), "note": ""},
    "/children/<int:child_id>/visiting-rules": lambda baseline: {
        "every_working_days": "10", "seen_alone_every_visits": "2", "bedroom_seen_every_visits": "2",
        "reason": "Agreed at the core group."},
}


# -- what every answer must be ----------------------------------------------------------------

IGNORED_TABLES = {"audit_log", "sessions", "devices", "sign_in_failures", "sign_in_attempts"}


def state(db):
    """Row counts of every table that holds what people record (not the audit log, sign-in
    bookkeeping or sessions), and the number of audited writes: a refusal changes none of them."""
    counts = {table: db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
              for table in db.table_names() if table not in IGNORED_TABLES}
    writes = db.execute("SELECT count(*) FROM audit_log WHERE action = 'write'").fetchone()[0]
    return counts, writes


def check_answer(response, before, after, rule):
    """"accepted", "refused" or "refused early"; fails on a 5xx, on a refusal without the error
    summary, and on a refusal that stored something."""
    status = response.status_code
    assert status < 500, f"{rule} answered {status}"
    if status in (301, 302, 303):
        return "accepted"
    if status in (413, 429):  # too large, refused before the form is read; too many sign-ins
        assert after == before, f"{rule} refused the post ({status}) but stored something"
        return "refused early"
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    summary = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', page, re.S)
    if summary is None:
        # A page that shows what was done (a one-time code shown once) is a success, not a refusal.
        assert status == 200, f"{rule} refused ({status}) without an error summary"
        return "accepted"
    assert after == before, f"{rule} refused the post ({status}) but stored something"
    assert status in (200, 400, 409, 422), f"{rule} answered {status}"
    if status != 409:  # 409: changed by someone else since the form was opened; no one field is wrong
        assert re.findall(r'href="#([^"]+)"', summary.group(0)), f"{rule}: the error summary links to no field"
    return "refused"


# -- the test ---------------------------------------------------------------------------------

def all_post_forms():
    from fieldvisit import create_app

    app = create_app({"DATABASE": ":memory:", "SECRET_KEY": "t", "TESTING": True})
    return forms_of_post_routes(app)


POST_FORMS = all_post_forms()


def test_every_form_is_posted_by_a_route_or_says_why_not():
    posted = {cls.__name__ for forms in POST_FORMS.values() for cls in forms}
    unused = set(form_classes()) - posted - set(NOT_POSTED)
    assert not unused, f"forms no POST route uses: {sorted(unused)}; say why in NOT_POSTED"
    assert len(POST_FORMS) >= 25  # the discovery found the routes (a broken search would find none)


@pytest.mark.parametrize("rule, endpoint", sorted(POST_FORMS))
def test_hypothesis_values_on_every_form_give_no_5xx_and_a_refusal_stores_nothing(world, rule, endpoint):
    app, ids = world
    client = app.test_client()
    username = user_for(rule)
    if username:
        SessionAuth(client, app).sign_in(username)
    url = url_of(rule, dict(ids, conflict_id=ids["kept_id"]) if endpoint == "conflicts.decide_kept" else ids)
    if rule == "/set-password":
        url = "/set-password"
    get = client.get(url) if (rule, "GET") in ROUTES else None
    baseline = page_fields(get.get_data(as_text=True)) if get is not None and get.status_code == 200 else {}
    if rule in VALID:
        baseline.update(VALID[rule](baseline))
    names = set(baseline) | set().union(*(class_fields(app, cls) for cls in POST_FORMS[(rule, endpoint)]))
    names = sorted(names | {"unexpected_field"})  # a field no form has: ignored, never a 5xx
    db = connect(app.config["DATABASE"])
    outcomes = []

    @settings(max_examples=8, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(names), value, max_size=4) | st.fixed_dictionaries({n: value for n in names}))
    def post(changes):
        # A few fields changed on the page as it came (the rest as the form offered them), or every one.
        data = {name: baseline[name] for name in baseline}
        if "record_id" in data:
            data["record_id"] = str(uuid.uuid4())  # a new record each time, as a new form would be
        for name, choice in changes.items():
            if choice == OMIT:
                data.pop(name, None)
            elif choice != KEEP:
                data[name] = choice
        before = state(db)
        response = client.post(url, data=data)
        outcomes.append(check_answer(response, before, state(db), rule))
        if username:  # a form that signs out or ends sessions must not end the rest of the run
            SessionAuth(client, app).sign_in(username)

    try:
        post()
    finally:
        db.close()
    assert outcomes, "no example ran"


# -- what hypothesis found ---------------------------------------------------------------------

def test_the_last_date_there_is_gives_a_clear_answer_on_the_rota_not_a_server_error(world):
    """Found by the test above: 31 December 9999 in a rota form was an OverflowError (a 500) while the
    other agencies' visits that day were looked up, on the form and in the partial under the date."""
    app, ids = world
    client = app.test_client()
    SessionAuth(client, app).sign_in(LEAD)
    family_id = ids["family_id"]
    assert client.get(f"/families/{family_id}/rota/day?due_date=9999-12-31").status_code == 200
    db = connect(app.config["DATABASE"])
    try:
        before = state(db)
        response = client.post(f"/families/{family_id}/rota/schedule", data={
            "practitioner_id": str(ids["practitioner_id"]), "visit_type": "planned", "due_date": "9999-12-31",
            "due_time": "10:00", "reason": ""})
        assert response.status_code < 500
        if response.status_code != 302:
            assert check_answer(response, before, state(db), "schedule") == "refused"
    finally:
        db.close()


@pytest.mark.parametrize("child_id", ["", "0", "99999999999999999999", "abc", "-1"])
def test_a_visit_posted_with_a_child_not_of_the_family_is_refused_with_the_summary_not_a_server_error(world, child_id):
    """Found by the test above: the form shown again drew each posted child from the family's children,
    and one not among them was a template error (a 500)."""
    app, ids = world
    client = app.test_client()
    SessionAuth(client, app).sign_in(LEAD)
    url = f"/families/{ids['family_id']}/visits/new"
    data = valid_visit(page_fields(client.get(url).get_data(as_text=True)))
    data["children-0-child_id"] = child_id
    db = connect(app.config["DATABASE"])
    try:
        before = state(db)
        response = client.post(url, data=data)
        assert check_answer(response, before, state(db), url) == "refused"
    finally:
        db.close()


def test_ids_too_long_for_the_database_are_a_clear_error_on_the_admin_forms(world):
    """Found by the test above: an agency or team id beyond SQLite's integers was an OverflowError."""
    app, ids = world
    client = app.test_client()
    SessionAuth(client, app).sign_in(ADMIN)
    db = connect(app.config["DATABASE"])
    try:
        for url, data in (("/admin/practitioners/new", {"username": "new.person", "display_name": "New Person",
                                                        "role": "social_worker", "agency_id": "99999999999999999999",
                                                        "team_id": "99999999999999999999"}),
                          ("/admin/teams/new", {"name": "A team", "agency_id": "99999999999999999999"}),
                          ("/admin/practitioners/new", {"username": "new.person", "display_name": "New Person",
                                                        "role": "social_worker", "agency_id": "\u0661",
                                                        "team_id": "\u0661\u0662"})):
            before = state(db)
            response = client.post(url, data=data)
            assert check_answer(response, before, state(db), url) == "refused"
            assert "Choose the agency they work for" in response.get_data(as_text=True) or url.endswith("teams/new")
    finally:
        db.close()


@pytest.mark.parametrize("number", ["99999999999999999999", "\u0661\u0662", "\u00b2"])
def test_a_child_number_too_long_or_not_ascii_in_the_audit_log_search_is_no_such_child(world, number):
    """The audit-log search (a GET form) with a child's 'number' beyond SQLite's integers, or in
    digits that are not ASCII, was an OverflowError or a ValueError (a 500)."""
    app, _ = world
    client = app.test_client()
    SessionAuth(client, app).sign_in(LEAD)
    response = client.get("/audit-log", query_string={"child": number})
    assert response.status_code in (200, 400)
    assert "There is no child with that number among the families you can see" in response.get_data(as_text=True)
