"""GOV.UK Frontend's CSS is built with only the components our pages use (scripts/build-frontend.sh,
issue 13: less CSS to parse on every page, a kept page opened with no signal too). A page that starts
using another component must add it to the build, or it would be drawn unstyled."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSS = ROOT / "static/vendor/govuk-frontend/govuk-frontend.min.css"

# Every component of GOV.UK Frontend 6.6 (dist/govuk/components/).
GOVUK_COMPONENTS = {
    "accordion", "back-link", "breadcrumbs", "button", "character-count", "checkboxes", "cookie-banner",
    "date-input", "details", "error-message", "error-summary", "exit-this-page", "feedback", "fieldset",
    "file-upload", "footer", "generic-header", "header", "hint", "input", "inset-text", "label",
    "language-navigation", "notification-banner", "pagination", "panel", "password-input", "phase-banner",
    "radios", "select", "service-navigation", "skip-link", "summary-list", "table", "tabs", "tag",
    "task-list", "textarea", "warning-text",
}


def built_components():
    script = (ROOT / "scripts/build-frontend.sh").read_text(encoding="utf-8")
    listed = re.search(r'GOVUK_CSS_COMPONENTS="([^"]*)"', script)
    assert listed, "scripts/build-frontend.sh no longer lists GOVUK_CSS_COMPONENTS"
    return set(listed.group(1).split())


def components_used():
    """{component: a file that uses it} for every GOV.UK component class in our templates and code."""
    used = {}
    for folder in ("templates", "static/js", "fieldvisit"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".html", ".js", ".py"):
                continue
            for name in re.findall(r"(?<![\w/.-])govuk-([a-z0-9-]*[a-z0-9])", path.read_text(encoding="utf-8")):
                component = re.split(r"__|--", name)[0]
                if component in GOVUK_COMPONENTS:
                    used.setdefault(component, str(path.relative_to(ROOT)))
    return used


def test_every_component_a_page_uses_is_built_into_the_css():
    used = components_used()
    assert {"button", "radios", "summary-list", "tabs"} <= used.keys()  # the scan finds what pages use
    missing = {component: where for component, where in used.items() if component not in built_components()}
    assert not missing, f"add these to GOVUK_CSS_COMPONENTS in scripts/build-frontend.sh and rebuild: {missing}"


def test_the_vendored_css_holds_the_components_built_and_no_others():
    css = CSS.read_text(encoding="utf-8")
    built = built_components()
    assert built <= GOVUK_COMPONENTS
    for component in GOVUK_COMPONENTS:
        # A selector that starts with the component's class (the template's own rules name
        # `.govuk-exit-this-page` inside a :has(), which is no rule of that component).
        present = re.search(rf"[{{}},]\.govuk-{component}(?![a-z-])", css) is not None
        assert present == (component in built), f"govuk-{component}: rebuild with scripts/build-frontend.sh"
