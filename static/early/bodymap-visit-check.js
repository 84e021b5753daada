// The body map of a visit: with no visit in the address (?visit=<its record id>) the form cannot be
// used, and static/js/bodymap-new.js hides it and shows "save the visit first". This small classic
// script runs in the page's <head>, before anything is drawn, and marks the page so that its CSS
// draws that state from the first paint: the form no longer appears and then vanishes (a layout
// shift of the whole page, 0.107 in Lighthouse). It works the same on the copy kept on the tablet.
(function () {
  "use strict";
  var visit = (new URLSearchParams(location.search).get("visit") || "").trim();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(visit)) {
    document.documentElement.classList.add("fv-needs-visit");
  }
})();
