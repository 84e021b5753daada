"""The early script (static/early/govuk-supported.js) runs in <head>, before the stylesheets, and marks
<html> for GOV.UK Frontend's CSS (issue 13: a script after the stylesheets held the page's body until
they had loaded, on every page, also a kept page opened with no signal)."""
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_every_rule_of_govuk_css_reads_the_supported_class_on_an_ancestor():
    css = (STATIC / "vendor/govuk-frontend/govuk-frontend.min.css").read_text(encoding="utf-8")
    uses = [match.group(0) for match in re.finditer(r".?\.govuk-frontend-supported.?", css)]
    assert uses, "GOV.UK Frontend's CSS no longer reads govuk-frontend-supported: see govuk-supported.js"
    # Each one starts a selector (after `{`, `}` or `,`) and is followed by a space: the class on <html>
    # satisfies it as it does on <body>. A rule such as `body.govuk-frontend-supported` would not.
    assert all(use[0] in "{}," and use[-1] == " " for use in uses), sorted(set(uses))


def test_the_early_script_marks_html_and_comes_before_every_stylesheet(client):
    page = client.get("/sign-in").get_data(as_text=True)
    head = page.split("</head>", 1)[0]
    early = head.index("/static/early/govuk-supported.js")
    stylesheets = [match.start() for match in re.finditer(r'<link rel="stylesheet"', head)]
    assert stylesheets and early < min(stylesheets)
    assert "govuk-supported.js" not in page.split("<body", 1)[1]
    code = [line for line in (STATIC / "early/govuk-supported.js").read_text(encoding="utf-8").splitlines()
            if not line.startswith("//")]
    assert any("document.documentElement.classList.add" in line for line in code)
    assert not any("document.body" in line for line in code)  # there is no <body> yet in <head>
