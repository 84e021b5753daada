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
  box.hidden = false;
  box.dataset.fvReady = ready ? "yes" : "no";
  box.querySelector("[data-fv-readiness-setup]").hidden = ready || putAway;
  box.querySelector("[data-fv-readiness-not-ready]").hidden = ready || !putAway;
  box.querySelector("[data-fv-readiness-ready]").hidden = !ready;
  if (ready) {
    const pages = view.pages.length;
    box.querySelector("[data-fv-readiness-detail]").textContent = pages
      ? `The pages of your visits are kept on this tablet (${pages === 1 ? "1 page" : `${pages} pages`}).`
      : "The pages of your visits are kept at the next sync.";
  }
}
