"""The alcohol self-assessment (SAFEGUARDING.md rule 14): AUDIT-C and AUDIT scoring and UK bands,
impossible answers refused, and the pages: stored with the visit, shown beside the observed
evidence and the parent's account, trended on the family page."""
import re

import pytest

from fieldvisit import settings
from fieldvisit.alcohol.domain import (AuditInvalid, QUESTIONS, audit_c_score, audit_score, band, is_positive,
                                      scored)

ALL_ZERO = {field: 0 for field, *_ in QUESTIONS}


def answers(**given):
    return dict(ALL_ZERO, **given)


@pytest.mark.parametrize("q1, q2, q3, score, positive", [
    (0, 0, 0, 0, False), (1, 1, 2, 4, False), (1, 2, 2, 5, True), (3, 2, 2, 7, True), (4, 4, 4, 12, True),
])
def test_audit_c_scores_and_is_positive_from_5(q1, q2, q3, score, positive):
    assert audit_c_score({"q1": q1, "q2": q2, "q3": q3}) == score
    assert is_positive(score, settings.DEFAULTS) is positive


@pytest.mark.parametrize("score, expected", [
    (0, "Lower risk"), (7, "Lower risk"), (8, "Increasing risk"), (15, "Increasing risk"),
    (16, "Higher risk"), (19, "Higher risk"), (20, "Possible dependence"), (40, "Possible dependence"),
])
def test_uk_audit_bands_at_their_boundaries(score, expected):
    assert band(score, settings.DEFAULTS) == expected


def test_the_full_audit_adds_all_ten_with_q9_and_q10_scored_0_2_or_4():
    assert audit_score(answers(q1=4, q2=4, q3=4, q4=4, q5=4, q6=4, q7=4, q8=4, q9=4, q10=4)) == 40
    assert audit_score(answers(q1=3, q2=2, q3=2, q4=1, q9=2, q10=4)) == 14


@pytest.mark.parametrize("field, value", [("q1", 5), ("q2", -1), ("q9", 1), ("q10", 3), ("q4", "2"), ("q3", None)])
def test_impossible_answers_are_refused(field, value):
    with pytest.raises(AuditInvalid) as refused:
        audit_score(answers(**{field: value}))
    assert field in refused.value.errors


def test_a_positive_screen_needs_the_remaining_questions_answered_or_declined():
    base = {"adult_name": "Kerry", "q1": 3, "q2": 2, "q3": 2}
    with pytest.raises(AuditInvalid) as refused:
        scored(base, settings.DEFAULTS)
    assert "The AUDIT-C score is 7" in refused.value.errors["full_audit"]
    declined = scored(dict(base, full_audit="declined"), settings.DEFAULTS)
    assert (declined["audit_c_score"], declined["audit_score"], declined["full_audit"]) == (7, None, "declined")
    with pytest.raises(AuditInvalid) as refused:
        scored(dict(base, full_audit="answered", q4=1), settings.DEFAULTS)
    assert set(refused.value.errors) == {"q5", "q6", "q7", "q8", "q9", "q10"}
    full = scored(dict(base, full_audit="answered", q4=1, q5=2, q6=0, q7=2, q8=1, q9=0, q10=2), settings.DEFAULTS)
    assert (full["audit_score"], full["q10"]) == (15, 2)


def test_a_negative_screen_keeps_no_remaining_answers():
    row = scored({"adult_name": "Kerry", "q1": 1, "q2": 0, "q3": 0, "q4": 4, "full_audit": "answered"}, settings.DEFAULTS)
    assert (row["audit_c_score"], row["full_audit"], row["q4"], row["audit_score"]) == (1, "not_offered", None, None)


# --- pages -------------------------------------------------------------------------------------

def a_visit_of(client, db, username="demo-worker"):
    practitioner = db.execute("SELECT id FROM practitioners WHERE username = ?", [username]).fetchone()[0]
    return db.execute(
        "SELECT v.id, v.family_id FROM visit_records v JOIN assignments a ON a.family_id = v.family_id"
        " WHERE a.practitioner_id = ? ORDER BY v.happened_at DESC LIMIT 1", [practitioner]).fetchone()


def audit_form(client, visit_id, **fields):
    html = client.get(f"/visits/{visit_id}/alcohol-audit/new").get_data(as_text=True)
    record_id = re.search(r'name="record_id" value="([^"]+)"', html).group(1)
    data = {"record_id": record_id, "adult_name": "Gemma Example", "q1": "3", "q2": "2", "q3": "2"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_an_audit_c_of_7_offers_the_full_audit_before_saving(client, auth, db):
    auth.sign_in()
    visit_id, _ = a_visit_of(client, db)
    before = db.execute("SELECT count(*) FROM alcohol_audits").fetchone()[0]
    response = client.post(f"/visits/{visit_id}/alcohol-audit/new", data=audit_form(client, visit_id))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The AUDIT-C score is 7, which is positive" in page
    assert "could not stop drinking once you had started" in page and "data-audit-remaining hidden" not in page
    assert db.execute("SELECT count(*) FROM alcohol_audits").fetchone()[0] == before


def test_worker_records_a_full_audit_and_it_shows_beside_the_alcohol_evidence(client, auth, db):
    auth.sign_in()
    visit_id, family_id = a_visit_of(client, db)
    data = audit_form(client, visit_id, full_audit="answered", q4="1", q5="2", q6="0", q7="2", q8="1", q9="0", q10="4")
    response = client.post(f"/visits/{visit_id}/alcohol-audit/new", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("#alcohol-self-assessment")
    [row] = db.query("SELECT * FROM alcohol_audits WHERE id = ?", [data["record_id"]])
    assert (row["audit_c_score"], row["audit_score"], row["visit_id"], row["family_id"]) == (7, 17, visit_id, family_id)
    visit_page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    alcohol = visit_page[visit_page.index("Alcohol and substances"):]
    assert alcohol.index("Observed") < alcohol.index("The parent's own account") < alcohol.index("Self-assessment (AUDIT-C)")
    assert "AUDIT-C 7 out of 12" in alcohol and "Full AUDIT: 17 out of 40, higher risk" in alcohol
    assert "Questions to explore about parenting" in alcohol and "not a finding" in alcohol
    family_page = client.get(f"/families/{family_id}").get_data(as_text=True)
    assert "Alcohol self-assessments over time" in family_page and "Gemma Example" in family_page


def test_a_low_score_is_saved_without_the_remaining_questions(client, auth, db):
    auth.sign_in()
    visit_id, _ = a_visit_of(client, db)
    data = audit_form(client, visit_id, q1="1", q2="0", q3="0")
    assert client.post(f"/visits/{visit_id}/alcohol-audit/new", data=data).status_code == 302
    row = db.execute("SELECT audit_c_score, full_audit FROM alcohol_audits WHERE id = ?", [data["record_id"]]).fetchone()
    assert tuple(row) == (1, "not_offered")


@pytest.mark.parametrize("fields, field", [({"q1": "5"}, "q1"), ({"q9": "1", "full_audit": "answered"}, "q9"),
                                           ({"adult_name": ""}, "adult_name"), ({"q2": None}, "q2")])
def test_impossible_answers_on_the_page_are_a_clear_error_and_nothing_is_stored(client, auth, db, fields, field):
    auth.sign_in()
    visit_id, _ = a_visit_of(client, db)
    before = db.execute("SELECT count(*) FROM alcohol_audits").fetchone()[0]
    response = client.post(f"/visits/{visit_id}/alcohol-audit/new", data=audit_form(client, visit_id, **fields))
    assert response.status_code == 400
    assert f'href="#{field}"' in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM alcohol_audits").fetchone()[0] == before


def test_nobody_outside_the_family_can_open_the_form(client, auth, db):
    visit_id, family_id = a_visit_of(client, db, "demo-health-visitor")
    for username in ("demo-admin",):
        auth.sign_in(username)
        assert client.get(f"/visits/{visit_id}/alcohol-audit/new").status_code == 404
        auth.sign_out()
    auth.sign_in("demo-worker")
    mine = {row[0] for row in db.execute(
        "SELECT family_id FROM assignments a JOIN practitioners p ON p.id = a.practitioner_id WHERE p.username = 'demo-worker'")}
    other = db.execute(f"SELECT id FROM visit_records WHERE family_id NOT IN ({','.join(map(str, mine))}) LIMIT 1").fetchone()[0]
    assert client.get(f"/visits/{other}/alcohol-audit/new").status_code == 404
    assert client.post(f"/visits/{other}/alcohol-audit/new", data={"q1": "0"}).status_code == 404
