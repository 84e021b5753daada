"""XSS payloads in every free-text field of a visit, through the form and through the sync API, are
shown inert (escaped) on every page that displays them: the visit, the family, the child, Today and
the team lead's dashboard (issue 14 item 8). The browser half is tests/browser/test_xss.py."""
import re
from datetime import date, timedelta

from fieldvisit import create_app
from fieldvisit.db import connect
from tests.conftest import DEMO_PASSWORD
from tests.sync_fakes import families_of, visit_item
from tests.test_visits import full_visit, visit_form

PAYLOADS = [
    '<script>alert("xss-script")</script>',
    '<img src=x onerror=alert("xss-img")>',
    '"><svg onload=alert("xss-svg")>',
    'javascript:alert("xss-url")',
    "'><a href=\"javascript:alert('xss-link')\">tap</a>",
]
# Markup that only an unescaped payload could produce.
LIVE = re.compile(r"<script>alert|<img src=x|<svg onload|<[a-z][^>]*\son(?:error|load)\s*="
                  r"|<[a-z][^>]*\s(?:href|src)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


def payload(n):
    return f"{PAYLOADS[n % len(PAYLOADS)]} field {n}"


def free_text(child_count):
    """Every free-text field of a visit, each with a payload (child left alone, so the
    escalation reaches the team lead's dashboard with its details)."""
    names = ["adults-0-full_name", "adults-0-relationship", "containers-0-where", "parent_alcohol_account",
             "analysis", "actions", "child_alone_details", "intoxication_details", "other_substances",
             "regular_visitors"]
    for index in range(child_count):
        names += [f"children-{index}-words", f"children-{index}-presentation", f"children-{index}-demeanour"]
    fields = {name: payload(n) for n, name in enumerate(names)}
    fields["child_alone"] = "alone"
    for index in range(child_count):
        fields[f"children-{index}-found_alone"] = "yes"
    return fields


def plant(database, key_file):
    """One visit with payloads through the form and one through the sync API, as demo-worker.
    Returns (visit ids, family ids, child ids)."""
    app = create_app({"DATABASE": str(database), "SECRET_KEY": "xss", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SYNC_PRIVATE_KEY_FILE": str(key_file)})
    client = app.test_client()
    assert client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD}).status_code == 302
    db = connect(str(database))
    _, families = families_of(db, "demo-worker")
    db.close()
    form_family, sync_family = sorted(families)[:2]
    day = (date.today() - timedelta(days=1)).isoformat()
    record_id, child_ids = visit_form(client, form_family)
    answer = client.post(f"/families/{form_family}/visits/new",
                         data=full_visit(record_id, child_ids, visit_date=day, **free_text(len(child_ids))))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    item = visit_item(sync_family, families[sync_family], day=day, recorded_at=f"{day}T11:00:00",
                      **free_text(len(families[sync_family])))
    pushed = client.post("/api/sync/push", json={"device_id": "0b7e3d52-2f5e-4b8e-9a57-1d2b3c4d5e6f",
                                                  "schema_version": 1, "items": [item]})
    assert [r["status"] for r in pushed.get_json()["receipts"]] == ["stored"], pushed.get_json()
    children = [int(c) for c in child_ids] + families[sync_family]
    return [record_id, item["id"]], [form_family, sync_family], children


def assert_inert(html, where):
    live = LIVE.search(html)
    assert live is None, f"{where} shows a payload unescaped: ...{html[max(0, live.start() - 80):live.end() + 80]}..."
    for text in PAYLOADS:
        assert text not in html, f"{where} shows {text!r} unescaped"


def test_payloads_in_every_free_text_field_are_shown_escaped_on_every_page(client, app, tmp_path):
    visits, families, children = plant(app.config["DATABASE"], tmp_path / "key.pem")
    pages = ["/today", "/families"] + [f"/visits/{v}" for v in visits] + [f"/families/{f}" for f in families] \
        + [f"/children/{c}" for c in children]
    client.post("/sign-in", data={"username": "demo-worker", "password": DEMO_PASSWORD})
    shown = 0
    for url in pages:
        answer = client.get(url)
        assert answer.status_code == 200, url
        html = answer.get_data(as_text=True)
        assert_inert(html, url)
        shown += html.count("&lt;script&gt;alert(")
    # The payloads are on the pages, escaped (not dropped, which would prove nothing).
    visit_page = client.get(f"/visits/{visits[1]}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;xss-script&#34;)&lt;/script&gt; field" in visit_page
    assert "&lt;img src=x onerror=alert(" in visit_page and "&lt;svg onload=alert(" in visit_page
    assert shown >= 2
    client.post("/sign-out")
    client.post("/sign-in", data={"username": "demo-lead", "password": DEMO_PASSWORD})
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    html = dashboard.get_data(as_text=True)
    assert_inert(html, "/dashboard")
    for url in [f"/visits/{v}" for v in visits] + [f"/families/{f}" for f in families]:
        answer = client.get(url)
        if answer.status_code == 200:
            assert_inert(answer.get_data(as_text=True), url + " (team lead)")
