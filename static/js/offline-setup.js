// Leading a tablet to work with no signal (issue 12): Today says whether this tablet is ready,
// and until it is, offers to set it up (the PIN page in its "welcome" form), with why. "Not now"
// puts the offer away for this session; Today still says the tablet is not ready.
//
// So that Today never moves when this is filled in, the server draws the right state at once: two
// small cookies tell it what this browser knows (the id of the practitioner whose PIN is set on it;
// "not now" for this session). They hold no family data; the script below keeps them true.

import { currentPractitioner } from "/static/js/outbox.js";

const LATER_KEY = "fieldvisit-offline-setup-later";
export const READY_COOKIE = "fv_offline_ready";
export const LATER_COOKIE = "fv_offline_later";

function cookie(name) {
  const found = document.cookie.split("; ").find((pair) => pair.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

function setCookie(name, value, maxAge = null) {
  const age = value ? (maxAge == null ? "" : `; max-age=${maxAge}`) : "; max-age=0";
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${name}=${encodeURIComponent(value)}; path=/; SameSite=Strict${secure}${age}`;
}

/** Keep the "ready" cookie saying whose PIN is set in this browser (read by the Today page's server). */
async function remember(view) {
  const who = await currentPractitioner().catch(() => null);
  if (!who) return;
  const ready = view.pinSet ? String(who.practitioner_id) : "";
  if (ready !== cookie(READY_COOKIE)) setCookie(READY_COOKIE, ready, 400 * 24 * 3600);
}

/** Fill in Today's readiness from each state of the status area (on every page: keep the cookie). */
export function showReadiness() {
  document.addEventListener("fieldvisit:status", (event) => { remember(event.detail); });
  const box = document.querySelector("[data-fv-readiness]");
  if (!box) return;
  const later = box.querySelector("[data-fv-readiness-later]");
  if (later) {
    later.addEventListener("click", () => {
      sessionStorage.setItem(LATER_KEY, "1");
      setCookie(LATER_COOKIE, "1");  // for this browser session, like the sessionStorage above
      box.querySelector("[data-fv-readiness-setup]").hidden = true;
      box.querySelector("[data-fv-readiness-not-ready]").hidden = false;
    });
  }
  document.addEventListener("fieldvisit:status", (event) => render(box, event.detail));
}

function render(box, view) {
  const ready = Boolean(view.pinSet);
  const putAway = sessionStorage.getItem(LATER_KEY) === "1" || cookie(LATER_COOKIE) === "1";
  // Ready: the status area at the top says so (its space is kept), so nothing moves on Today.
  box.hidden = ready;
  box.dataset.fvReady = ready ? "yes" : "no";
  box.querySelector("[data-fv-readiness-setup]").hidden = ready || putAway;
  box.querySelector("[data-fv-readiness-not-ready]").hidden = ready || !putAway;
}
