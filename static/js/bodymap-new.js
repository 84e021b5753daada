// The body map of a child at a visit saved on this tablet (/children/<id>/body-map/new?visit=<id>).
// Today's pack keeps one copy of this page per child, fetched without the query (the server
// cannot know the visits a tablet will record), and the service worker serves that copy for
// any ?visit=. So the visit comes from the address: it is checked here and put into the mark
// form's context, which the outbox sends as the item's payload (visit_id, child_id, fields).
// With no visit id in the address the form is hidden and the page says to save the visit first.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The visit id in the address, in lower case, or null when there is none or it is not a UUID. */
export function visitFromAddress(search = location.search) {
  const value = (new URLSearchParams(search).get("visit") || "").trim().toLowerCase();
  return UUID.test(value) ? value : null;
}

function needVisit(form) {
  const notice = document.querySelector("[data-fv-visit-needed]");
  const layout = form.closest("[data-fv-visit-form]") || form;
  layout.hidden = true;
  if (notice) {
    notice.hidden = false;
    notice.focus();
  }
}

function start() {
  const form = document.querySelector("form[data-bodymap-new]");
  if (!form) return;
  const visitId = visitFromAddress();
  if (!visitId) {
    needVisit(form);
    return;
  }
  let context = {};
  try { context = JSON.parse(form.dataset.recordContext || "{}"); } catch { context = {}; }
  form.dataset.recordContext = JSON.stringify({ ...context, visit_id: visitId });
  // Links to this page with another figure keep the visit.
  document.querySelectorAll("a[data-fv-keep-visit]").forEach((link) => {
    const url = new URL(link.href, location.href);
    url.searchParams.set("visit", visitId);
    link.href = url.pathname + url.search;
  });
  const fromCache = Boolean(document.querySelector("[data-fv-cached-at]"));
  if (fromCache) {
    // Only the figure for the child's age is kept on this tablet.
    document.querySelectorAll("[data-fv-other-figures]").forEach((node) => { node.hidden = true; });
    document.querySelectorAll("[data-fv-other-figures-offline]").forEach((node) => { node.hidden = false; });
  }
  // "Seen on" is filled with now on this tablet by record-forms.js (time-now.js), kept copy or not.
}

start();
