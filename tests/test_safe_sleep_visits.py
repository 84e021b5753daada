"""Rule 12 through the visit form and through the sync API: a baby under 12 months is asked about;
a co-sleeping risk is flagged on the visit, the child and the team lead's dashboard with the
partnership's safer-sleep actions; answers that contradict each other are refused, naming both."""
import re
import uuid
from datetime import date, timedelta

import pytest

from fieldvisit import records, settings
from tests.sync_fakes import families_of, visit_fields
from tests.test_records import practitioner

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture
def household(db):
    """demo-worker's first family, its youngest child made a baby of about 2 months."""
    _, families = families_of(db, "demo-worker")
    family_id = sorted(families)[0]
    children = families[family_id]
    baby = db.execute("SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth DESC LIMIT 1",
                      [family_id]).fetchone()[0]
    db.execute("UPDATE children SET date_of_birth = ?, independently_mobile = 0, gestation_weeks = NULL,"
               " birth_weight_kg = NULL WHERE id = ?", [(date.today() - timedelta(days=65)).isoformat(), baby])
    for other in children:
        if other != baby:
            db.execute("UPDATE children SET date_of_birth = ? WHERE id = ?",
                       [(date.today() - timedelta(days=6 * 365)).isoformat(), other])
    children = [row[0] for row in db.execute(
        "SELECT id FROM children WHERE family_id = ? ORDER BY date_of_birth", [family_id])]
    return {"family_id": family_id, "children": children, "baby": baby, "index": children.index(baby)}


def sleep(index, places=("cot_parents_room",), bed="no", sofa="no", risks=("none",)):
    fields = {f"children-{index}-sleep_asked": ["1"], f"children-{index}-sleep_places": list(places),
              f"children-{index}-shares_bed": [bed], f"children-{index}-shares_sofa": [sofa],
              f"children-{index}-carer_risks": list(risks)}
    return fields


def item(household, extra, **overrides):
    item_id = str(uuid.uuid4())
    fields = visit_fields(item_id, household["children"], YESTERDAY, **overrides)
    fields.update(extra)
    return {"id": item_id, "kind": "visit", "recorded_at": YESTERDAY + "T12:00:00",
            "payload": {"family_id": household["family_id"], "fields": fields}}


def push(client, items):
    return client.post("/api/sync/push", json={"device_id": "5f0c3f4e-1d2a-4b3c-8d9e-0a1b2c3d4e5f",
                                               "schema_version": 1, "items": items})


def flags(db, visit_id):
    return list(db.query("SELECT * FROM escalations WHERE rule = 'co_sleeping_risk' AND origin_id = ?", [visit_id]))


# --- through the form -----------------------------------------------------------------------

def test_the_form_asks_about_the_baby_only(client, auth, household):
    auth.sign_in()
    page = client.get(f"/families/{household['family_id']}/visits/new").get_data(as_text=True)
    assert f'name="children-{household["index"]}-sleep_asked" value="1"' in page
    assert page.count("sleep_asked") == 1
    assert "Does " in page and "ever sleep on a sofa or armchair with an adult?" in page


def test_a_baby_asleep_on_the_sofa_with_a_mother_who_drank_is_flagged_everywhere(client, auth, db, household):
    auth.sign_in()
    html = client.get(f"/families/{household['family_id']}/visits/new").get_data(as_text=True)
    record_id = re.search(r'name="record_id" value="([^"]+)"', html).group(1)
    data = {name: values for name, values in visit_fields(record_id, household["children"], YESTERDAY).items()}
    data.update(sleep(household["index"], places=["sofa_with_adult", "bed_with_adult"], bed="yes", sofa="yes",
                      risks=["alcohol"]))
    response = client.post(f"/families/{household['family_id']}/visits/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [flag] = flags(db, record_id)
    assert flag["child_id"] == household["baby"] and flag["title"].startswith("Rule 12: co-sleeping risk")
    assert "sleeps on a sofa or armchair with an adult" in flag["title"] and "carer has drunk alcohol" in flag["title"]
    actions = [row[0] for row in db.execute(
        "SELECT description FROM escalation_actions WHERE escalation_id = ? ORDER BY position", [flag["id"]])]
    assert actions == settings.DEFAULTS["safe_sleep_actions"]
    stored = db.execute("SELECT risk_flagged, shares_sofa FROM visit_safe_sleep WHERE visit_id = ?",
                        [record_id]).fetchone()
    assert stored == (1, 1)
    visit_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Co-sleeping risk" in visit_page and actions[1] in visit_page
    child_page = client.get(f"/children/{household['baby']}").get_data(as_text=True)
    assert "Co-sleeping risk" in child_page and "sleeps on a sofa or armchair with an adult" in child_page
    auth.sign_out()
    auth.sign_in("demo-lead")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert flag["title"] in dashboard.replace("&#39;", "'")
    for action in actions:
        assert action.replace("'", "&#39;") in dashboard or action in dashboard


def test_a_baby_in_their_own_cot_raises_nothing(client, auth, db, household):
    auth.sign_in()
    html = client.get(f"/families/{household['family_id']}/visits/new").get_data(as_text=True)
    record_id = re.search(r'name="record_id" value="([^"]+)"', html).group(1)
    data = visit_fields(record_id, household["children"], YESTERDAY)
    data.update(sleep(household["index"], risks=["smoking"]))
    assert client.post(f"/families/{household['family_id']}/visits/new", data=data).status_code == 302
    assert flags(db, record_id) == []
    assert db.execute("SELECT risk_flagged FROM visit_safe_sleep WHERE visit_id = ?", [record_id]).fetchone() == (0,)


def test_sharing_a_sofa_while_sleeping_only_in_a_cot_is_refused_naming_both_answers(client, auth, db, household):
    auth.sign_in()
    html = client.get(f"/families/{household['family_id']}/visits/new").get_data(as_text=True)
    record_id = re.search(r'name="record_id" value="([^"]+)"', html).group(1)
    data = visit_fields(record_id, household["children"], YESTERDAY)
    data.update(sleep(household["index"], places=["cot_own_room"], sofa="yes"))
    response = client.post(f"/families/{household['family_id']}/visits/new", data=data)
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 400
    assert "sleep on a sofa or armchair with an adult?" in page and "In their own cot in their own room" in page
    assert f'href="#children-{household["index"]}-shares_sofa"' in page
    assert 'value="cot_own_room" checked' in page  # what was ticked is kept
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [record_id]).fetchone()[0] == 0


def test_unanswered_sleep_questions_are_asked_for(client, auth, household):
    auth.sign_in()
    html = client.get(f"/families/{household['family_id']}/visits/new").get_data(as_text=True)
    record_id = re.search(r'name="record_id" value="([^"]+)"', html).group(1)
    data = visit_fields(record_id, household["children"], YESTERDAY)
    data[f"children-{household['index']}-sleep_asked"] = ["1"]
    page = client.post(f"/families/{household['family_id']}/visits/new", data=data).get_data(as_text=True)
    assert "Say where the baby sleeps" in page and "Say whether the baby ever shares a bed with an adult" in page


# --- through the sync API ---------------------------------------------------------------------

@pytest.fixture
def signed_in(client, auth):
    auth.sign_in("demo-worker")


NO_BOTTLES = {"containers-0-count": "", "containers-0-container_type": "", "containers-0-where": ""}
BED = {"places": ["cot_parents_room", "bed_with_adult"], "bed": "yes"}


@pytest.mark.parametrize("extra, overrides, flagged", [
    (dict(BED, risks=["drugs"]), NO_BOTTLES, True),
    (BED, NO_BOTTLES, False),
    (BED, dict(NO_BOTTLES, alcohol_smell="yes"), True),
    (BED, {}, True),  # the visit's two empty spirits bottles: alcohol observed on the same visit
    ({"places": ["sofa_with_adult"], "sofa": "yes"}, NO_BOTTLES, True),
    ({}, {}, False),
], ids=["drugs", "no-factor", "smell", "bottles", "sofa", "own-cot"])
def test_the_rule_fires_through_the_sync_api(client, signed_in, db, household, extra, overrides, flagged):
    pushed = item(household, sleep(household["index"], **extra), **overrides)
    [receipt] = push(client, [pushed]).get_json()["receipts"]
    assert receipt["status"] == "stored", receipt
    assert len(flags(db, pushed["id"])) == (1 if flagged else 0)
    again = push(client, [pushed]).get_json()["receipts"][0]
    assert again["status"] == "duplicate" and len(flags(db, pushed["id"])) == (1 if flagged else 0)


def test_an_inconsistent_item_is_rejected_whole_naming_both_answers(client, signed_in, db, household):
    pushed = item(household, sleep(household["index"], places=["cot_parents_room"], sofa="yes"))
    [receipt] = push(client, [pushed]).get_json()["receipts"]
    assert receipt["status"] == "rejected"
    message = receipt["errors"][f"children-{household['index']}-shares_sofa"]
    assert "'Yes'" in message and "In their own cot or Moses basket in the parents' room" in message
    assert db.execute("SELECT count(*) FROM visit_records WHERE id = ?", [pushed["id"]]).fetchone()[0] == 0


def test_an_older_tablets_visit_without_sleep_answers_is_still_accepted(client, signed_in, db, household):
    pushed = item(household, {})
    [receipt] = push(client, [pushed]).get_json()["receipts"]
    assert receipt["status"] == "stored"
    assert db.execute("SELECT count(*) FROM visit_safe_sleep WHERE visit_id = ?", [pushed["id"]]).fetchone()[0] == 0


def test_a_premature_baby_from_the_childs_record_counts(client, signed_in, db, household):
    db.execute("UPDATE children SET gestation_weeks = 34 WHERE id = ?", [household["baby"]])
    pushed = item(household, sleep(household["index"], places=["bed_with_adult"], bed="yes"))
    assert push(client, [pushed]).get_json()["receipts"][0]["status"] == "stored"
    [flag] = flags(db, pushed["id"])
    assert "born premature (34 weeks)" in flag["title"]


def test_the_flag_and_the_visit_are_one_transaction(app, db, household):
    """A visit the rule fails on stores nothing: no visit, no sleep answers, no escalation."""
    from fieldvisit.safe_sleep import rules
    worker = practitioner(db, "demo-worker")
    pushed = item(household, sleep(household["index"], places=["sofa_with_adult"], sofa="yes"))
    original = rules.raise_co_sleeping_risk

    def fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("the disk filled up")

    rules.raise_co_sleeping_risk = fail
    try:
        with app.app_context(), pytest.raises(RuntimeError):
            records.ingest(db, pushed, worker, "/api/sync/push", device_id="tablet-1")
    finally:
        rules.raise_co_sleeping_risk = original
    for table, column in (("visit_records", "id"), ("visit_safe_sleep", "visit_id"), ("escalations", "origin_id")):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [pushed["id"]]).fetchone()[0] == 0
