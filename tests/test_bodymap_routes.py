"""Body-map pages through Flask's test client: a health visitor records marks on a baby seen at a
visit, the injury rules raise escalations, bad input loses nothing, completing locks the body map,
amendments keep the original, and the history and print views show the marks."""
import re
import uuid
from datetime import date, datetime, timedelta

import pytest

from fieldvisit import records
from fieldvisit.visits.domain import record_visit

TODAY = date.today().isoformat()


# --- a visit with a baby seen, and the mark form --------------------------------------------

def practitioner(db, username):
    return dict(zip(("id", "role", "team_id", "agency_id"), db.execute(
        "SELECT p.id, p.role, p.team_id, t.agency_id FROM practitioners p LEFT JOIN teams t ON t.id = p.team_id"
        " WHERE p.username = ?", [username]).fetchone()))


def health_visitors_baby(db):
    """The youngest child of demo-health-visitor's families who is not independently mobile (a baby)."""
    hv = practitioner(db, "demo-health-visitor")
    return list(db.query(
        "SELECT c.* FROM children c JOIN assignments a ON a.family_id = c.family_id JOIN families f ON f.id = c.family_id"
        " WHERE a.practitioner_id = ? AND c.independently_mobile = 0 AND f.team_id = ?"
        " ORDER BY c.date_of_birth DESC LIMIT 1", [hv["id"], practitioner(db, "demo-lead")["team_id"]]))[0]


def a_visit(db, family_id, username="demo-health-visitor", seen=True, day=TODAY, not_seen=(), visit_id=None):
    """A completed visit to the family (every child seen unless listed in `not_seen`); returns its id."""
    author = practitioner(db, username)
    visit_id = visit_id or str(uuid.uuid4())
    children = [row[0] for row in db.execute("SELECT id FROM children WHERE family_id = ?", [family_id])]
    record_visit(db, {
        "id": visit_id, "family_id": family_id, "visit_type": "planned", "happened_at": f"{day}T00:00",
        "duration_minutes": 30, "outcome": "completed",
        "children": [{"child_id": c, "seen": seen and c not in not_seen, "seen_alone": False, "bedroom_seen": False,
                      "found_alone": False, "presentation": "", "words": "", "demeanour": ""} for c in children],
        "adults": [], "regular_visitors": "", "home_conditions": [],
        "alcohol": {"containers": [], "smell": False, "intoxication_observed": False, "intoxication_details": "",
                    "other_substances": "", "parent_account": ""},
        "child_alone": "no", "child_alone_details": "", "analysis": "", "actions": "", "next_visit_due": None,
        "recorded_at": f"{day}T00:00"}, author, f"{day}T00:00:00")
    return visit_id


def page_url(visit_id, child_id):
    return f"/visits/{visit_id}/children/{child_id}/body-map"


def record_id_of(html):
    return re.search(r'name="record_id" value="([^"]+)"', html).group(1)


def a_bruise(record_id=None, **overrides):
    """A 2 cm blue-purple bruise on the left cheek of the baby figure, as the form posts it."""
    data = {"record_id": record_id, "figure": "baby", "region": "front/left_cheek", "x": "117.8", "y": "73.6",
            "mark_type": "bruise", "length_cm": "2", "width_cm": "", "shape": "oval", "colours": ["blue", "purple"],
            "skin_broken": "no", "swelling": "no", "pain": "not_known", "explanation_by": "carer",
            "explanation": "Mum says he bumped his face on the cot bars.", "consistent": "unsure",
            "believed_birthmark": "no", "pattern": "none", "notes": "", "observed_date": TODAY,
            "observed_time": "00:05"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def baby(db):
    return health_visitors_baby(db)


@pytest.fixture
def visit_id(db, baby):
    return a_visit(db, baby["family_id"])


@pytest.fixture
def hv(client, auth):
    auth.sign_in("demo-health-visitor")
    return client


def save_a_bruise(client, visit_id, child_id, **overrides):
    html = client.get(page_url(visit_id, child_id)).get_data(as_text=True)
    overrides.setdefault("record_id", record_id_of(html))
    return client.post(page_url(visit_id, child_id), data=a_bruise(**overrides))


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- recording ------------------------------------------------------------------------------

def test_the_non_mobile_warning_is_on_the_page_before_anything_is_saved(hv, db, baby, visit_id):
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert f"{baby['first_name']} is not independently mobile" in page
    assert "whatever the explanation, raises an escalation at once" in page
    assert "A referral never waits for the paediatric opinion" in page
    assert "TEN-4-FACESp" in page and "advisory" in page
    assert 'data-record-kind="bodymap_mark"' in page
    assert f'data-record-context=\'{{"child_id": {baby["id"]}, "visit_id": "{visit_id}"}}\'' in page
    assert count(db, "body_maps") == 0


def test_health_visitor_records_a_bruise_on_a_non_mobile_baby_and_the_escalation_is_raised(hv, db, baby, visit_id):
    response = save_a_bruise(hv, visit_id, baby["id"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("saved=1#marks")
    mark = list(db.query("SELECT * FROM body_map_marks"))[0]
    assert {k: mark[k] for k in ("number", "figure", "view", "region", "region_label", "x", "y", "placed_by",
                                 "mark_type", "length_cm", "colours", "explanation_by", "consistent",
                                 "recorder_role")} == {
        "number": 1, "figure": "baby", "view": "front", "region": "left_cheek", "region_label": "left cheek",
        "x": 117.8, "y": 73.6, "placed_by": "tap", "mark_type": "bruise", "length_cm": 2.0,
        "colours": '["purple", "blue"]', "explanation_by": "carer", "consistent": "unsure",
        "recorder_role": "health_visitor"}
    [escalation] = db.query("SELECT * FROM escalations WHERE origin_kind = 'body_map'")
    assert escalation["rule"] == "bruise_not_independently_mobile"
    assert (escalation["child_id"], escalation["family_id"], escalation["status"]) == (baby["id"], baby["family_id"], "open")
    actions = [row[0] for row in db.execute(
        "SELECT description FROM escalation_actions WHERE escalation_id = ? ORDER BY position", [escalation["id"]])]
    assert any("same day" in action for action in actions) and len(actions) == 4
    deadline = datetime.fromisoformat(escalation["deadline"]) - datetime.fromisoformat(escalation["raised_at"])
    assert deadline == timedelta(hours=8)
    page = hv.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mark 1 has been saved to the central record." in page
    assert "It raised 1 escalation for the team lead: Bruise on a child who is not independently mobile" in page
    assert "Mark 1: Bruise, left cheek (front)" in page
    assert "Mum says he bumped his face on the cot bars." in page
    assert "TEN-4-FACESp (advisory):</strong> bruising to the cheeks" in page


def test_the_team_lead_sees_the_escalation_with_its_actions(client, auth, db, baby, visit_id):
    auth.sign_in("demo-health-visitor")
    save_a_bruise(client, visit_id, baby["id"])
    auth.sign_out()
    auth.sign_in("demo-lead")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Bruise on a child who is not independently mobile" in dashboard
    assert "Arrange an urgent paediatric opinion (child protection medical)" in dashboard
    body_map = client.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "Escalations raised" in body_map and "not done yet" in body_map


def test_a_mark_sent_twice_is_stored_once(hv, db, baby, visit_id):
    html = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    data = a_bruise(record_id_of(html))
    first = hv.post(page_url(visit_id, baby["id"]), data=data)
    second = hv.post(page_url(visit_id, baby["id"]), data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, "body_map_marks") == 1 and count(db, "escalations WHERE origin_kind = 'body_map'") == 1


def test_a_second_bruise_numbers_on_and_joins_the_same_escalation(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    response = save_a_bruise(hv, visit_id, baby["id"], region="back/lower_back", x=None, y=None)
    assert response.headers["Location"].endswith("saved=2#marks")
    assert [row[0] for row in db.execute("SELECT number FROM body_map_marks ORDER BY number")] == [1, 2]
    assert count(db, "escalations WHERE origin_kind = 'body_map'") == 1
    assert count(db, "body_map_escalation_marks") == 2
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "by marks 1, 2" in page


def test_a_region_chosen_from_the_list_without_a_tap_is_placed_on_that_region(hv, db, baby, visit_id):
    assert save_a_bruise(hv, visit_id, baby["id"], region="head/left_eyelids", x="", y="").status_code == 302
    mark = list(db.query("SELECT * FROM body_map_marks"))[0]
    assert (mark["view"], mark["region_label"], mark["placed_by"]) == ("head", "left eyelids", "list")


@pytest.mark.parametrize("overrides, message", [
    ({"length_cm": "0"}, "Enter the length in centimetres as a number greater than 0"),
    ({"length_cm": "-2"}, "Enter the length in centimetres as a number greater than 0"),
    ({"length_cm": "two"}, "Enter the length in centimetres as a number greater than 0"),
    ({"length_cm": ""}, "Enter the length in centimetres as a number greater than 0"),
    ({"length_cm": "150"}, "Enter a length of 100 cm or less"),
    ({"width_cm": "0"}, "Enter the width in centimetres as a number greater than 0"),
    ({"x": "3", "y": "3"}, "The point tapped is outside the figure"),
    ({"x": "-50", "y": "900"}, "The point tapped is outside the figure"),
    ({"x": "NaN", "y": "1"}, "The point tapped on the figure was not recorded"),
    ({"x": "82", "y": "73.6"}, "The point tapped is on the right cheek, but the region chosen is the left cheek"),
    ({"region": "front/elbow_of_nowhere", "x": "", "y": ""}, "Choose where the mark is"),
    ({"region": "", "x": "", "y": ""}, "Choose where the mark is"),
    ({"figure": "giant"}, "Choose a figure"),
    ({"mark_type": None}, "Choose the type of mark"),
    ({"mark_type": "other"}, "Say what kind of mark it is"),
    ({"colours": None}, "Choose at least one colour you see"),
    ({"explanation": ""}, "Enter the explanation, in their words"),
    ({"consistent": None}, "Say whether the mark is consistent with the explanation"),
    ({"explanation_by": "none"}, "You said no explanation was given"),
    ({"believed_birthmark": "yes", "birthmark_confirmed_by": "Dr Example"}, "Enter their profession"),
    ({"believed_birthmark": "yes", "birthmark_confirmed_by": "Dr Example", "birthmark_confirmer_profession": "GP"},
     "Enter the date they confirmed it is a birthmark"),
    ({"believed_birthmark": "no", "birthmark_confirmed_by": "Dr Example"}, "clear who confirmed it"),
    ({"explanation_by": "other"}, "Say who gave the explanation"),
    ({"consistent": "perhaps"}, "Not a valid choice"),
    ({"record_id": "not-a-uuid"}, "This form has lost its record id"),
    ({"observed_date": (date.today() + timedelta(days=2)).isoformat()}, "must not be in the future"),
    ({"observed_date": (date.today() - timedelta(days=2)).isoformat()}, "cannot be before the visit"),
])
def test_bad_input_is_refused_clearly_nothing_is_saved_and_nothing_typed_is_lost(hv, db, baby, visit_id,
                                                                                  overrides, message):
    response = save_a_bruise(hv, visit_id, baby["id"], **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert message in page
    if "explanation" not in overrides:
        assert "Mum says he bumped his face on the cot bars." in page
    assert (count(db, "body_maps"), count(db, "body_map_marks"), count(db, "sync_receipts WHERE kind LIKE 'bodymap%'")) \
        == (0, 0, 0)


def test_after_an_error_the_marker_stays_where_it_was_put(hv, baby, visit_id):
    page = save_a_bruise(hv, visit_id, baby["id"], length_cm="0").get_data(as_text=True)
    assert 'class="bm-marker bm-marker--pending" transform="translate(117.8 73.6)"' in page
    assert '<option value="front/left_cheek" selected>' in page


def test_a_child_not_seen_on_the_visit_has_no_body_map_on_it(hv, db, baby):
    visit_id = a_visit(db, baby["family_id"], not_seen={baby["id"]})
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "was not seen on this visit" in page and 'data-record-kind="bodymap_mark"' not in page
    response = hv.post(page_url(visit_id, baby["id"]), data=a_bruise(str(uuid.uuid4())))
    assert response.status_code == 400
    assert "was not seen on this visit, so no body map can be recorded" in response.get_data(as_text=True)
    assert count(db, "body_maps") == count(db, "body_map_marks") == 0


def test_a_child_of_another_family_is_not_in_this_visit(app, hv, db, baby, visit_id):
    hv_id = practitioner(db, "demo-health-visitor")["id"]
    other = db.execute("SELECT c.id FROM children c JOIN assignments a ON a.family_id = c.family_id"
                       " WHERE a.practitioner_id = ? AND c.family_id != ? LIMIT 1", [hv_id, baby["family_id"]]).fetchone()[0]
    assert hv.get(page_url(visit_id, other)).status_code == 404
    assert hv.post(page_url(visit_id, other), data=a_bruise(str(uuid.uuid4()))).status_code == 404
    # and through the sync engine, where there is no page to 404
    item = {"id": str(uuid.uuid4()), "kind": "bodymap_mark", "recorded_at": TODAY + "T00:05",
            "payload": {"visit_id": visit_id, "child_id": other, "fields": {}}}
    item["payload"]["fields"] = {k: v if isinstance(v, list) else [v] for k, v in a_bruise(item["id"]).items()}
    with app.app_context():
        receipt = records.ingest(db, item, practitioner(db, "demo-health-visitor"), "/api/sync/push")
    assert receipt.status == "rejected" and "not part of this visit" in receipt.errors["child_id"]
    assert count(db, "body_maps") == 0


@pytest.mark.parametrize("username", ["demo-worker", "demo-social-worker", "demo-admin"])
def test_practitioners_who_cannot_see_the_family_get_404(client, auth, db, baby, visit_id, username):
    auth.sign_in("demo-health-visitor")
    save_a_bruise(client, visit_id, baby["id"])
    mark_id = db.execute("SELECT id FROM body_map_marks").fetchone()[0]
    body_map_id = db.execute("SELECT id FROM body_maps").fetchone()[0]
    auth.sign_out()
    auth.sign_in(username)
    from fieldvisit.access import can_see_family
    if can_see_family(db, practitioner(db, username), baby["family_id"]):
        pytest.skip(f"{username} is assigned to this family")
    for url in (page_url(visit_id, baby["id"]), page_url(visit_id, baby["id"]) + "/print",
                f"/body-map-marks/{mark_id}/amend", f"/body-maps/{body_map_id}",
                f"/children/{baby['id']}/body-map-history", f"/children/{baby['id']}/body-map-history/figure"):
        assert client.get(url).status_code == 404, url
    assert client.post(page_url(visit_id, baby["id"]), data=a_bruise(str(uuid.uuid4()))).status_code == 404
    assert count(db, "body_map_marks") == 1


def test_there_is_no_photograph_upload_and_no_ageing_by_colour(hv, baby, visit_id):
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert 'type="file"' not in page and "enctype" not in page
    assert "Do not estimate how old a bruise is from its colour: colour cannot tell you its age." in page
    assert "There is nowhere to add photographs: the body map is the record." in page


def test_the_figure_is_chosen_from_the_childs_age_and_can_be_changed(hv, baby, visit_id):
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "Figure: <strong>Baby</strong> (for" in page and 'name="figure" value="baby"' in page
    page = hv.get(page_url(visit_id, baby["id"]) + "?figure=toddler").get_data(as_text=True)
    assert "Figure: <strong>Toddler</strong>." in page and 'name="figure" value="toddler"' in page


def test_a_child_on_a_protection_plan_is_warned_about_before_saving(hv, db, baby, visit_id):
    db.execute("UPDATE children SET plan = 'child_protection' WHERE id = ?", [baby["id"]])
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "is on a child protection plan. Any injury raises an escalation" in page
    save_a_bruise(hv, visit_id, baby["id"], mark_type="graze", colours=["red"])
    rules = {row[0] for row in db.execute("SELECT rule FROM escalations WHERE origin_kind = 'body_map'")}
    assert rules == {"injury_child_protection_plan"}


def test_a_mobile_child_with_a_consistent_graze_raises_nothing(client, auth, db):
    lead_team = practitioner(db, "demo-lead")["team_id"]
    child = list(db.query("SELECT c.* FROM children c JOIN families f ON f.id = c.family_id WHERE f.team_id = ?"
                          " AND c.independently_mobile = 1 AND c.plan != 'child_protection'"
                          " AND c.date_of_birth < date('now', '-5 years') LIMIT 1", [lead_team]))[0]
    visit_id = a_visit(db, child["family_id"], username="demo-lead")
    auth.sign_in("demo-lead")
    response = save_a_bruise(client, visit_id, child["id"], figure="child", x="", y="", mark_type="graze",
                             consistent="yes", colours=["red"])
    assert response.status_code == 302
    assert count(db, "escalations WHERE origin_kind = 'body_map'") == 0
    page = client.get(page_url(visit_id, child["id"])).get_data(as_text=True)
    assert "not independently mobile" not in page and "Escalations raised" not in page


# --- completing and amending --------------------------------------------------------------------

def complete(client, visit_id, child_id, confirm=True):
    data = {"record_id": str(uuid.uuid4())}
    if confirm:
        data["confirm"] = "y"
    return client.post(page_url(visit_id, child_id) + "/complete", data=data)


def test_completing_needs_a_confirmation(hv, db, baby, visit_id):
    response = complete(hv, visit_id, baby["id"], confirm=False)
    assert response.status_code == 400
    assert "Confirm you have recorded every mark you saw" in response.get_data(as_text=True)
    assert count(db, "body_maps") == 0


def test_a_completed_body_map_is_locked_and_a_later_mark_is_refused_with_nothing_lost(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    assert complete(hv, visit_id, baby["id"]).status_code == 302
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "Completed and locked" in page and 'data-record-kind="bodymap_mark"' not in page
    assert "Amend mark 1" in page
    response = hv.post(page_url(visit_id, baby["id"]), data=a_bruise(str(uuid.uuid4()), explanation="Fell off the sofa"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is locked. To correct a mark, amend it." in page
    assert count(db, "body_map_marks") == 1
    second = complete(hv, visit_id, baby["id"])
    assert second.status_code == 400 and "already completed" in second.get_data(as_text=True)
    with pytest.raises(Exception, match="locked"):
        db.execute("UPDATE body_maps SET completed_at = NULL")


def test_an_empty_body_map_can_be_completed_to_record_that_no_marks_were_seen(hv, db, baby, visit_id):
    assert complete(hv, visit_id, baby["id"]).status_code == 302
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "the body map was completed with no marks" in page


def amend(client, mark_id, **overrides):
    html = client.get(f"/body-map-marks/{mark_id}/amend").get_data(as_text=True)
    data = a_bruise(record_id_of(html), **dict({"reason": "Measured again with a tape measure"}, **overrides))
    return client.post(f"/body-map-marks/{mark_id}/amend", data=data)


def test_amending_a_locked_mark_keeps_the_original_and_says_who_when_and_why(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    complete(hv, visit_id, baby["id"])
    mark_id = db.execute("SELECT id FROM body_map_marks").fetchone()[0]
    form = hv.get(f"/body-map-marks/{mark_id}/amend").get_data(as_text=True)
    assert 'data-record-kind="bodymap_mark_amendment"' in form and 'value="2"' in form
    response = amend(hv, mark_id, length_cm="3")
    assert response.status_code == 302
    assert db.execute("SELECT length_cm FROM body_map_marks").fetchone()[0] == 2.0  # the original is kept
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "3 cm" in page and "Amended" in page and "Jo Demo-Health" in page
    assert "Reason: Measured again with a tape measure" in page
    assert re.search(r'Length \(cm\): <span class="fv-original">2 cm</span> → 3 cm', page)
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE body_map_marks SET length_cm = 9")


def test_an_amendment_must_change_something_and_give_a_reason(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    mark_id = db.execute("SELECT id FROM body_map_marks").fetchone()[0]
    unchanged = amend(hv, mark_id)
    assert unchanged.status_code == 400 and "You have not changed anything" in unchanged.get_data(as_text=True)
    no_reason = amend(hv, mark_id, length_cm="3", reason="")
    assert no_reason.status_code == 400 and "Say why the mark needs correcting" in no_reason.get_data(as_text=True)
    assert count(db, "body_map_mark_amendments") == 0


def test_an_amendment_recording_the_explanation_as_not_consistent_raises_suspect_maltreatment(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    mark_id = db.execute("SELECT id FROM body_map_marks").fetchone()[0]
    assert amend(hv, mark_id, consistent="no").status_code == 302
    rules = [row[0] for row in db.execute("SELECT rule FROM escalations WHERE origin_kind = 'body_map' ORDER BY id")]
    assert rules == ["bruise_not_independently_mobile", "suspect_maltreatment"]


def test_moving_a_mark_by_amendment_is_checked_like_a_new_one(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    mark_id = db.execute("SELECT id FROM body_map_marks").fetchone()[0]
    refused = amend(hv, mark_id, x="1", y="1")
    assert refused.status_code == 400 and "outside the figure" in refused.get_data(as_text=True)
    moved = amend(hv, mark_id, region="front/right_cheek", x="", y="")
    assert moved.status_code == 302
    page = hv.get(page_url(visit_id, baby["id"])).get_data(as_text=True)
    assert "Where on the body: <span class=\"fv-original\">left cheek (front)</span> → right cheek (front)" in page


# --- replayed from a device ----------------------------------------------------------------

def test_a_mark_made_offline_raises_its_escalation_when_it_arrives(client, auth, db, baby, visit_id):
    """An item queued on a tablet hours ago goes through the sync API and raises the escalation on arrival."""
    auth.sign_in("demo-health-visitor")
    item_id = str(uuid.uuid4())
    item = {"id": item_id, "kind": "bodymap_mark", "recorded_at": TODAY + "T00:06",
            "payload": {"visit_id": visit_id, "child_id": baby["id"],
                        "fields": {k: v if isinstance(v, list) else [v] for k, v in a_bruise(item_id).items()}}}
    response = client.post("/api/sync/push", json={"device_id": str(uuid.uuid4()), "schema_version": 1, "items": [item]})
    assert response.status_code == 200, response.get_data(as_text=True)
    [receipt] = response.get_json()["receipts"]
    assert (receipt["status"], receipt["ref"]) == ("stored", item_id)
    assert db.execute("SELECT recorded_at FROM body_map_marks WHERE id = ?", [item_id]).fetchone()[0] == TODAY + "T00:06"
    assert count(db, "escalations WHERE rule = 'bruise_not_independently_mobile'") == 1


def test_a_rejected_item_leaves_nothing_behind(app, db, baby, visit_id):
    item_id = str(uuid.uuid4())
    fields = {k: v if isinstance(v, list) else [v] for k, v in a_bruise(item_id, x="1", y="1").items()}
    with app.app_context():
        receipt = records.ingest(db, {"id": item_id, "kind": "bodymap_mark", "recorded_at": TODAY,
                                      "payload": {"visit_id": visit_id, "child_id": baby["id"], "fields": fields}},
                                 practitioner(db, "demo-health-visitor"), "/api/sync/push")
    assert receipt.status == "rejected" and "outside the figure" in receipt.errors["region"]
    assert (count(db, "body_maps"), count(db, "body_map_marks"), count(db, "escalations WHERE origin_kind = 'body_map'")) \
        == (0, 0, 0)


# --- print, history, links ---------------------------------------------------------------------

def test_the_printable_body_map_has_the_figure_numbers_and_a_table_of_marks(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    page = hv.get(page_url(visit_id, baby["id"]) + "/print").get_data(as_text=True)
    assert f"Body map: {baby['first_name']} {baby['last_name']}" in page
    assert '<g class="bm-marker" transform="translate(117.8 73.6)">' in page and ">1</text>" in page
    assert "left cheek (front)" in page and "2 cm" in page and "purple, blue" in page
    assert "Jo Demo-Health, Health visitor" in page
    assert "Bruise on a child who is not independently mobile" in page
    assert 'type="file"' not in page


def test_history_shows_earlier_marks_with_their_dates_and_filters_by_date(hv, db, baby, visit_id):
    earlier_day = (date.today() - timedelta(days=20)).isoformat()
    earlier_visit = a_visit(db, baby["family_id"], day=earlier_day)
    save_a_bruise(hv, earlier_visit, baby["id"], observed_date=earlier_day, region="back/lower_back", x="", y="")
    save_a_bruise(hv, visit_id, baby["id"])
    page = hv.get(f"/children/{baby['id']}/body-map-history").get_data(as_text=True)
    assert "2 marks recorded" in page and "lower back (back)" in page
    assert page.count('class="bm-marker bm-marker--faded"') == 2
    earlier = date.fromisoformat(earlier_day)
    assert f">{earlier.day}/{earlier.month}/{earlier.year % 100:02d}</text>" in page
    since = (date.today() - timedelta(days=5)).isoformat()
    partial = hv.get(f"/children/{baby['id']}/body-map-history/figure?push=1&date_from={since}")
    assert partial.status_code == 200
    assert partial.headers["HX-Push-Url"] == f"/children/{baby['id']}/body-map-history?date_from={since}&date_to="
    html = partial.get_data(as_text=True)
    assert "<!DOCTYPE html>" not in html and "1 mark recorded" in html and "lower back (back)" not in html
    wrong = hv.get(f"/children/{baby['id']}/body-map-history?date_from={TODAY}&date_to={earlier_day}")
    assert wrong.status_code == 400
    assert "The &#39;to&#39; date must be the same as or after the &#39;from&#39; date" in wrong.get_data(as_text=True)


def test_the_visit_and_child_pages_lead_to_the_body_map_and_its_history(hv, baby, visit_id):
    visit = hv.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert f'href="{page_url(visit_id, baby["id"])}"' in visit
    child = hv.get(f"/children/{baby['id']}").get_data(as_text=True)
    assert f'hx-get="/children/{baby["id"]}/body-map-history/figure"' in child
    assert f'href="/children/{baby["id"]}/body-map-history"' in child


def test_an_escalations_origin_leads_to_its_body_map(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    origin = db.execute("SELECT origin_id FROM escalations WHERE origin_kind = 'body_map'").fetchone()[0]
    response = hv.get(f"/body-maps/{origin}")
    assert response.status_code == 302 and response.headers["Location"] == page_url(visit_id, baby["id"])
    assert hv.get("/body-maps/999999").status_code == 404


def test_reads_and_writes_are_in_the_audit_log(hv, db, baby, visit_id):
    save_a_bruise(hv, visit_id, baby["id"])
    mark_id = db.execute("SELECT id FROM body_map_marks").fetchone()[0]
    rows = {(row[0], row[1], row[2]) for row in db.execute("SELECT action, entity, entity_id FROM audit_log")}
    assert ("read", "child", str(baby["id"])) in rows
    assert ("write", "bodymap_mark", mark_id) in rows
