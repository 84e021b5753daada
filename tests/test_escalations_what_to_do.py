"""'What to do' on every escalation (issue 12): each kind a rule raises shows the section on the
escalation page and on the team lead's dashboard entry; the body-map kinds show the partnership's
own pathway, as the settings say it."""
import pathlib
import re

from fieldvisit import settings
from fieldvisit.escalations.domain import raise_escalation
from fieldvisit.escalations.guidance import GENERAL, WHAT_TO_DO, what_to_do
from tests.clock import days_ago, days_ahead, iso
from tests.test_escalations_dashboard import lead_team_family

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fieldvisit"


def kinds_raised_in_the_code():
    """Every kind of escalation raised anywhere: the literal rule= arguments to raise_escalation, the
    RULE constants of the rules modules, and the body-map pathways (one rule each)."""
    kinds = set(settings.DEFAULTS["bodymap_pathways"])
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r"raise_escalation\((.*?)\)\n", text, re.S):
            literal = re.search(r"rule=\"([a-z_]+)\"", call.group(1))
            if literal:
                kinds.add(literal.group(1))
            elif re.search(r"rule=RULE\b", call.group(1)):
                kinds.add(re.search(r"^RULE = \"([a-z_]+)\"", text, re.M).group(1))
    return kinds


def test_every_kind_raised_has_its_own_what_to_do():
    kinds = kinds_raised_in_the_code()
    assert {"child_found_alone", "young_carer", "co_sleeping_risk", "was_not_brought_pattern",
            "bruise_not_independently_mobile"} <= kinds  # the scan finds what it should
    assert kinds <= set(WHAT_TO_DO), kinds - set(WHAT_TO_DO)


def test_a_kind_with_no_entry_still_gets_plain_guidance_and_pathways_follow_the_settings():
    assert what_to_do("a_rule_not_yet_described", settings.DEFAULTS)["steps"] == GENERAL
    changed = dict(settings.DEFAULTS, bodymap_pathways={"suspect_maltreatment": {
        "deadline_hours": 6, "actions": ["Phone the duty social worker"]}})
    guide = what_to_do("suspect_maltreatment", changed)
    assert guide["pathway"] == ["Phone the duty social worker"] and guide["deadline_hours"] == 6
    assert what_to_do("young_carer", changed)["pathway"] is None


def test_every_kind_shows_what_to_do_on_its_page_and_on_the_dashboard(client, auth, db):
    family = lead_team_family(db)
    child = db.execute("SELECT id FROM children WHERE family_id = ? LIMIT 1", [family]).fetchone()[0]
    kinds = sorted(kinds_raised_in_the_code())
    ids = {kind: raise_escalation(
        db, family_id=family, child_id=child, rule=kind, title=f"Escalation of kind {kind}", source="A test",
        actions=["Do it"], deadline=iso(days_ahead(3), "00:00"), origin_kind="what_to_do_test", origin_id=kind,
        raised_by=None, raised_at=iso(days_ago(0), "00:00")) for kind in kinds}
    db.commit()
    partnership = settings.load(db)
    auth.sign_in("demo-lead")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    for kind, escalation_id in ids.items():
        guide = what_to_do(kind, partnership)
        page = client.get(f"/dashboard/escalations/{escalation_id}")
        assert page.status_code == 200, kind
        text = page.get_data(as_text=True)
        entry = re.search(rf'<li class="fv-escalation[^"]*" id="escalation-{escalation_id}">(.*?)</ol>\s*</li>',
                          dashboard, re.S)
        assert entry, kind
        for where, html in (("page", text), ("dashboard", entry.group(1))):
            assert "What to do" in html and "data-fv-what-to-do" in html, (kind, where)
            assert escape(guide["steps"][0]) in html, (kind, where)
            for step in guide["pathway"] or []:
                assert escape(step) in html, (kind, where, step)
    # The worker assigned to the family sees it on the escalation page too.
    auth.sign_out()
    auth.sign_in("demo-worker")
    text = client.get(f"/dashboard/escalations/{ids['child_found_alone']}").get_data(as_text=True)
    assert escape(WHAT_TO_DO["child_found_alone"][0]) in text


def escape(text):
    return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")
