// Find a family with no signal (issue 12). The Today page and the families list carry the families
// whose pages this tablet keeps (families/_find.html: only what those kept pages show, inside the page,
// so a kept copy holds it encrypted like the rest). With signal, the search box asks the central
// record as usual; on a kept copy, or when the tablet knows it has no signal, it searches that list
// here and links to the kept family pages.

const form = document.querySelector("[data-fv-family-search]");
const found = document.querySelector("[data-fv-family-found]");

/** Lower-case words, as the index's text is written (families.queries.search_index). */
export function words(text) {
  return String(text || "").toLowerCase().split(/\s+/).filter(Boolean);
}

/** Whether an index entry's text holds every word asked for (as the central search does). */
export function matches(text, asked) {
  return asked.every((word) => text.includes(word));
}

function noSignal() {
  const status = document.querySelector("[data-fv-sync]");
  return Boolean(document.querySelector("[data-fv-cached-at]")) || navigator.onLine === false
    || Boolean(status && status.dataset.fvSignal === "none");
}

function searchHere(query) {
  const asked = words(query);
  const entries = [...found.querySelectorAll("[data-fv-search]")];
  let count = 0;
  for (const entry of entries) {
    const hit = asked.length > 0 && matches(entry.dataset.fvSearch, asked);
    entry.hidden = !hit;
    if (hit) count += 1;
  }
  const note = found.querySelector("[data-fv-family-found-note]");
  const families = count === 1 ? "1 family" : `${count} families`;
  note.textContent = asked.length
    ? `No signal: ${families} found for ‘${query.trim()}’ among the ${entries.length} families kept on this tablet.`
      + " With signal, the search covers all your families."
    : "Type a surname, a child's name, an address, a postcode or a case reference.";
  found.hidden = false;
  found.dataset.fvFound = String(count);
}

if (form && found) {
  form.addEventListener("submit", (event) => {
    if (!noSignal()) return; // the central record answers, over every family I may see
    event.preventDefault();
    searchHere(form.querySelector("input[name=q]").value);
  });
}
