"""The size of demo-worker's pack (issue 13): the body-map figures are no longer repeated in every
child's page but served once, cached, and drawn in by the page's script."""
import re

MB = 1024 * 1024


def pack_of(client):
    pages = client.get("/api/sync/pack").get_json()["pages"]
    raw = sent = 0
    answers = {}
    for path in pages:
        response = client.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, path
        sent += len(response.get_data())
        plain = client.get(path)
        raw += len(plain.get_data())
        answers[path] = plain.get_data(as_text=True)
    return pages, raw, sent, answers


def test_the_pack_is_sent_in_less_than_2_mb_and_no_page_carries_a_figure_drawing(client, auth):
    auth.sign_in("demo-worker")
    pages, raw, sent, answers = pack_of(client)
    body_maps = [path for path in pages if path.endswith("/body-map/new")]
    assert len(pages) > 150 and len(body_maps) > 20
    print(f"pack: {len(pages)} pages, {raw / MB:.2f} MB as kept, {sent / MB:.2f} MB sent compressed")
    assert sent < 2 * MB
    for path in body_maps:
        page = answers[path]
        assert 'class="bm-region"' not in page and "bm-outline" not in page
        sources = set(re.findall(r'data-figure-src="([^"]+)"', page))
        assert sources and all(re.fullmatch(r"/bodymap/figures\.svg\?v=[0-9a-f]{12}#bm-[a-z_]+-[a-z]+", s) for s in sources)
    # Before (issue 13): 214 pages, 6.9 MB, of which 3.97 MB body-map pages.
    assert sum(len(answers[path]) for path in body_maps) < 60 * 1024 * len(body_maps)


def test_the_figures_file_holds_every_view_once_and_is_cached_for_a_year(client):
    from fieldvisit.bodymap import figures
    svg = client.get("/bodymap/figures.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Cache-Control"] == "no-cache"
    text = svg.get_data(as_text=True)
    for figure in figures.FIGURES:
        for view in figures.views(figure):
            assert text.count(f'id="bm-{figure}-{view.key}"') == 1
    assert text.count('class="bm-region"') == sum(len(v.regions) for f in figures.FIGURES for v in figures.views(f))
    from fieldvisit.bodymap.views import figures_file
    with client.application.test_request_context():
        current = figures_file()[1]
    versioned = client.get(f"/bodymap/figures.svg?v={current}")
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # The service worker keeps it with the app shell, so a kept page draws its figure with no signal.
    assert '"/bodymap/figures.svg"' in client.get("/sw.js").get_data(as_text=True)
