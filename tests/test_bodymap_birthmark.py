"""Rule 5: only a registered health practitioner may confirm a birthmark. A decision table for the
rule, then through the mark form and the sync API: a Fieldvisit user must be in a health role; someone
outside names a profession from the fixed list (anything else is refused with the list shown); an
older tablet's item without the new answer is kept, never taken as confirmed, and escalates."""
import uuid

import pytest

from fieldvisit import records
from fieldvisit.bodymap import rules
from fieldvisit.settings import DEFAULTS
from tests.test_bodymap_routes import (TODAY, a_bruise, a_visit, baby, health_visitors_baby, hv, page_url,  # noqa: F401
                                       practitioner, record_id_of, save_a_bruise, visit_id)


def believed(**details):
    mark = {"mark_type": "other", "believed_birthmark": True, "birthmark_confirmed_by": "Dr Ann Example",
            "birthmark_confirmer_profession": "gp", "birthmark_confirmed_on": TODAY,
            "birthmark_confirmer_kind": "outside", "pattern": "none", "clustered": False, "consistent": "yes",
            "observed_at": TODAY + "T10:00"}
    return dict(mark, **details)


NON_MOBILE_BABY = {"id": 1, "family_id": 1, "date_of_birth": TODAY, "independently_mobile": 0, "plan": "none"}


@pytest.mark.parametrize("case, mark, confirmed", [
    ("a GP outside Fieldvisit, named and dated", believed(), True),
    ("a midwife outside Fieldvisit", believed(birthmark_confirmer_profession="midwife"), True),
    ("a Fieldvisit health visitor", believed(birthmark_confirmer_kind="fieldvisit_user",
                                             birthmark_confirmer_profession="health_visitor"), True),
    ("a neighbour", believed(birthmark_confirmer_profession="neighbour"), False),
    ("a parent", believed(birthmark_confirmer_profession="Mother"), False),
    ("a family support worker", believed(birthmark_confirmer_kind="fieldvisit_user",
                                         birthmark_confirmer_profession="family_support_worker"), False),
    ("an older tablet's item: no confirmer kind", believed(birthmark_confirmer_kind=None,
                                                           birthmark_confirmer_profession="GP"), False),
    ("no date", believed(birthmark_confirmed_on=None), False),
    ("no name", believed(birthmark_confirmed_by=""), False),
    ("a possible bruise, not believed a birthmark", believed(believed_birthmark=False, mark_type="possible_bruise"), False),
])
def test_who_may_confirm_a_birthmark(case, mark, confirmed):
    assert rules.birthmark_confirmed(mark) is confirmed, case
    escalated = [e["rule"] for e in rules.escalations_for_mark(mark, NON_MOBILE_BABY, DEFAULTS)]
    assert escalated == ([] if confirmed else ["bruise_not_independently_mobile"]), case


def birthmark(**overrides):
    fields = dict(mark_type="other", other_type="Flat pink patch", believed_birthmark="yes")
    fields.update(overrides)
    return fields


def escalations(db):
    return [row[0] for row in db.execute("SELECT rule FROM escalations WHERE origin_kind = 'body_map'")]


# --- through the form -------------------------------------------------------------------------

def test_a_health_visitor_confirms_it_herself_and_nothing_escalates(hv, db, baby, visit_id):
    response = save_a_bruise(hv, visit_id, baby["id"], **birthmark(birthmark_confirmer="me"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    mark = dict(next(db.query("SELECT * FROM body_map_marks")))
    me = practitioner(db, "demo-health-visitor")
    assert (mark["birthmark_confirmer_kind"], mark["birthmark_confirmer_id"], mark["birthmark_confirmer_profession"],
            mark["birthmark_confirmed_on"]) == ("fieldvisit_user", me["id"], "health_visitor", TODAY)
    assert escalations(db) == []
    page = hv.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirmed by" in page and "Health visitor, using Fieldvisit" in page


def test_a_gp_outside_fieldvisit_confirms_it(hv, db, baby, visit_id):
    response = save_a_bruise(hv, visit_id, baby["id"], **birthmark(
        birthmark_confirmer="outside", birthmark_confirmed_by="Dr Ann Example", birthmark_confirmer_profession="gp",
        birthmark_confirmed_on=TODAY))
    assert response.status_code == 302
    assert escalations(db) == []


def test_not_yet_confirmed_stays_a_possible_bruise_and_escalates(hv, db, baby, visit_id):
    response = save_a_bruise(hv, visit_id, baby["id"], **birthmark(birthmark_confirmer="not_yet"))
    assert response.status_code == 302
    assert escalations(db) == ["bruise_not_independently_mobile"]
    page = hv.get(response.headers["Location"]).get_data(as_text=True)
    assert "Believed birthmark, not confirmed: treated as a possible bruise" in page


def test_a_profession_outside_the_list_is_refused_with_the_list_shown(hv, db, baby, visit_id):
    response = save_a_bruise(hv, visit_id, baby["id"], **birthmark(
        birthmark_confirmer="outside", birthmark_confirmed_by="Pat Next-Door", birthmark_confirmer_profession="neighbour",
        birthmark_confirmed_on=TODAY))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Only a registered health practitioner may confirm a birthmark" in page
    for profession in rules.REGISTERED_HEALTH_PROFESSIONS.values():
        assert profession in page
    assert "neighbour (not on the list of registered health professions)" in page  # what was typed is kept
    assert db.execute("SELECT count(*) FROM body_map_marks").fetchone()[0] == 0


@pytest.mark.parametrize("overrides, message", [
    (dict(birthmark_confirmer="outside", birthmark_confirmer_profession="gp", birthmark_confirmed_on=TODAY),
     "Enter the name of the registered health practitioner"),
    (dict(birthmark_confirmer="outside", birthmark_confirmed_by="Dr Ann Example", birthmark_confirmer_profession="gp"),
     "Enter the date they confirmed it"),
    (dict(birthmark_confirmer="not_yet", birthmark_confirmed_by="Dr Ann Example"), "clear who confirmed it"),
    (dict(believed_birthmark="no", birthmark_confirmer="me"), "not believed to be a birthmark"),
], ids=["no-name", "no-date", "not-yet-but-named", "not-believed"])
def test_confirmation_answers_must_agree(hv, db, baby, visit_id, overrides, message):
    response = save_a_bruise(hv, visit_id, baby["id"], **birthmark(**overrides))
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_team_lead_cannot_confirm_a_birthmark_themselves(client, auth, db, baby, visit_id):
    auth.sign_in("demo-lead")
    page = client.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "I confirm it, as a registered health practitioner" not in page  # not offered ...
    response = save_a_bruise(client, visit_id, baby["id"], **birthmark(birthmark_confirmer="me"))
    text = response.get_data(as_text=True)
    assert response.status_code == 400  # ... and refused when posted anyway
    assert "Only a registered health practitioner may confirm a birthmark, and a team lead is not one" in text
    assert db.execute("SELECT count(*) FROM body_map_marks").fetchone()[0] == 0


# --- through the sync API ---------------------------------------------------------------------

def mark_item(visit_id, child_id, **overrides):
    item_id = str(uuid.uuid4())
    fields = a_bruise(record_id=item_id, **birthmark(**overrides))
    return {"id": item_id, "kind": "bodymap_mark", "recorded_at": TODAY + "T10:00:00",
            "payload": {"visit_id": visit_id, "child_id": child_id,
                        "fields": {k: v if isinstance(v, list) else [v] for k, v in fields.items()}}}


def ingest(db, app, item, username="demo-health-visitor"):
    author = dict(next(db.query(
        "SELECT p.*, t.agency_id FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id WHERE username = ?",
        [username])))
    with app.app_context():
        return records.ingest(db, item, author, "/api/sync/push", device_id="tablet-1")


def test_an_older_tablets_confirmation_is_kept_but_not_taken_as_confirmed(app, db, baby, visit_id):
    item = mark_item(visit_id, baby["id"], birthmark_confirmed_by="Dr Old Version", birthmark_confirmer_profession="GP",
                     birthmark_confirmed_on=TODAY)
    receipt = ingest(db, app, item)
    assert receipt.status == "stored", receipt.errors
    mark = dict(next(db.query("SELECT * FROM body_map_marks WHERE id = ?", [item["id"]])))
    assert (mark["birthmark_confirmed_by"], mark["birthmark_confirmer_kind"]) == ("Dr Old Version", None)
    assert escalations(db) == ["bruise_not_independently_mobile"]


@pytest.mark.parametrize("username, confirmer, extra, stored, escalated", [
    ("demo-health-visitor", "me", {}, True, False),
    ("demo-health-visitor", "outside", dict(birthmark_confirmed_by="Dr Ann Example", birthmark_confirmer_profession="paediatrician",
                                            birthmark_confirmed_on=TODAY), True, False),
    ("demo-health-visitor", "outside", dict(birthmark_confirmed_by="Gran", birthmark_confirmer_profession="grandmother",
                                            birthmark_confirmed_on=TODAY), False, False),
    ("demo-lead", "me", {}, False, False),
    ("demo-lead", "not_yet", {}, True, True),
], ids=["hv-self", "paediatrician", "grandmother", "lead-self", "lead-not-yet"])
def test_the_rule_holds_through_the_sync_api(app, db, baby, visit_id, username, confirmer, extra, stored, escalated):
    receipt = ingest(db, app, mark_item(visit_id, baby["id"], birthmark_confirmer=confirmer, **extra), username)
    assert (receipt.status == "stored") is stored, receipt.errors
    if not stored:
        assert receipt.status == "rejected"
        message = " ".join(receipt.errors.values())
        assert "Only a registered health practitioner may confirm a birthmark" in message
    assert escalations(db) == (["bruise_not_independently_mobile"] if escalated else [])
