// Start GOV.UK Frontend's components on this page: the ones our templates use, which are all
// that static/vendor/govuk-frontend/govuk-frontend.min.js holds (scripts/build-frontend.sh
// builds it; a template that starts using another component adds it there and here).
//
// Loaded as an ES module (no inline scripts, strict CSP); module scripts are deferred, so the
// page is parsed when this runs. The `govuk-frontend-supported` class that GOV.UK Frontend's CSS
// reads is set on <html> before the first paint by static/early/govuk-supported.js; its script
// checks <body> for it, so it is set here.
import {
  Button, ErrorSummary, NotificationBanner, SkipLink, Tabs, createAll,
} from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");

for (const Component of [Button, ErrorSummary, NotificationBanner, SkipLink, Tabs]) {
  createAll(Component);
}
