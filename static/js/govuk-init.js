// Initialise GOV.UK Frontend components.
//
// Loaded as an ES module (no inline scripts, strict CSP), e.g. at the end of
// the base template:
//   <script type="module" src="/static/js/govuk-init.js"></script>
// Module scripts are deferred, so document.body exists when this runs.
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

// GOV.UK Frontend only initialises (and its CSS only applies JS-dependent
// styles) when <body> has the `govuk-frontend-supported` class. Browsers
// without ES module support never run this file, so they get the no-JS
// experience. `js-enabled` is the older class some styles/templates use.
document.body.classList.add("js-enabled", "govuk-frontend-supported");

initAll();
