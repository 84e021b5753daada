// The first script of every page, a small classic one in <head> before the stylesheets (GOV.UK
// Frontend's template does this inline at the start of <body>; our Content-Security-Policy allows
// no inline script). GOV.UK Frontend's CSS draws its scripted components (tabs, the header's menu,
// accordions) as such only under `govuk-frontend-supported`: set from the first paint, they are not
// drawn as plain lists and then redrawn when static/js/govuk-init.js runs (a layout shift).
//
// It marks <html>, not <body>: there is no <body> yet in <head>, and every rule of GOV.UK's CSS
// reads `.govuk-frontend-supported .component`, which an ancestor's class satisfies
// (tests/test_frontend_early.py checks the CSS). In <head>, before the stylesheets, the parser does
// not wait for them to load before it reads the page (issue 13: the kept pages opened with no
// signal). static/js/govuk-init.js marks <body> too, where GOV.UK Frontend's script looks.
// Browsers that cannot run ES modules never run govuk-init.js, so they keep the plain, working lists.
if ("noModule" in HTMLScriptElement.prototype) {
  document.documentElement.classList.add("js-enabled", "govuk-frontend-supported");
}
