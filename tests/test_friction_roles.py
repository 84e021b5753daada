"""Issue 12, items 7 and 8: each role gets the pages and the words that fit it; /favicon.ico."""
from tests.test_access import SessionAuth


def test_an_admin_has_no_families_page_and_their_404_speaks_of_practitioners(client, app):
    SessionAuth(client, app).sign_in("demo-admin")
    for path in ("/families", "/families/1", "/no-such-page"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert "assigned to" not in page and "Go to practitioners" in page, path


def test_a_practitioners_404_still_says_why_a_family_may_be_hidden(client, app):
    SessionAuth(client, app).sign_in("demo-worker")
    page = client.get("/families/999999").get_data(as_text=True)
    assert "You can only see the families you are assigned to" in page


def test_someone_signed_out_is_not_told_about_families(client):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert "families" not in page.split("<main", 1)[1] and 'href="/sign-in"' in page


def test_the_favicon_is_the_apps_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
