"""Issue 12: a short help page per area, linked from every page's footer."""
import re

from fieldvisit.help.views import TOPICS


def test_every_help_page_opens_signed_out_and_the_footer_links_help(client, auth):
    index = client.get("/help").get_data(as_text=True)
    for slug, title in TOPICS.items():
        assert f'href="/help/{slug}"' in index
        page = client.get(f"/help/{slug}")
        assert page.status_code == 200 and title in page.get_data(as_text=True)
    assert client.get("/help/nothing-here").status_code == 404
    auth.sign_in()
    assert re.search(r'<footer.*href="/help"', client.get("/today").get_data(as_text=True), re.S)
