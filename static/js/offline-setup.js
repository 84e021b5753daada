// Leading a tablet to work with no signal (issue 12): Today says whether this tablet is ready,
// and until it is, offers to set it up (the PIN page in its "welcome" form), with why. "Not now"
// puts the offer away for this session; Today still says the tablet is not ready.

const LATER_KEY = "fieldvisit-offline-setup-later";

/** Fill in Today's readiness from each state of the status area. */
export function showReadiness() {
  const box = document.querySelector("[data-fv-readiness]");
  if (!box) return;
  const later = box.querySelector("[data-fv-readiness-later]");
  if (later) {
    later.addEventListener("click", () => {
      sessionStorage.setItem(LATER_KEY, "1");
      box.querySelector("[data-fv-readiness-setup]").hidden = true;
      box.querySelector("[data-fv-readiness-not-ready]").hidden = false;
    });
  }
  document.addEventListener("fieldvisit:status", (event) => render(box, event.detail));
}

function render(box, view) {
  const ready = Boolean(view.pinSet);
  const putAway = sessionStorage.getItem(LATER_KEY) === "1";
  // Ready: the status area at the top says so (its space is kept), so nothing moves on Today.
  box.hidden = ready;
  box.dataset.fvReady = ready ? "yes" : "no";
  box.querySelector("[data-fv-readiness-setup]").hidden = ready || putAway;
  box.querySelector("[data-fv-readiness-not-ready]").hidden = ready || !putAway;
}
