"""The sync client reads JSON: unknown addresses and wrong methods under /api/ answer in JSON."""


def test_unknown_api_path_is_json_404(client, auth):
    auth.sign_in()
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_wrong_method_on_api_is_json_405(client, auth):
    auth.sign_in()
    response = client.get("/api/sync/push")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"


def test_unknown_page_is_still_the_html_404(client, auth):
    auth.sign_in()
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
