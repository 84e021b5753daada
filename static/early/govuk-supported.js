// The first thing in <body>, a small classic script loaded before anything is drawn (GOV.UK
// Frontend's template does this inline; our Content-Security-Policy allows no inline script).
// GOV.UK Frontend's CSS draws its scripted components (tabs, the header's menu, accordions) as
// such only under `govuk-frontend-supported`: set from the first paint, they are not drawn as plain
// lists and then redrawn when static/js/govuk-init.js runs (a layout shift). Browsers that cannot
// run ES modules never run govuk-init.js, so they keep the plain, working lists.
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("js-enabled", "govuk-frontend-supported");
}
