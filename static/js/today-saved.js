// Today's visits already recorded on this tablet. A visit saved with no signal still showed
// "Record this visit" on Today, and still did after the sync had sent it, until the page was loaded
// again: a practitioner could record the same visit twice.
//
// The status area (offline-ui.js) tells the page what the outbox holds with each "fieldvisit:status"
// event; while the practitioner's key is unlocked it also knows the page each record was saved from
// (read from the record's encrypted readable copy: nothing new is kept in plain text). A card whose
// "Record this visit" form has a record on this tablet says so, and says when that record has been
// sent; its button becomes a secondary "Record another visit".
import { describe, timeOfDay } from "/static/js/offline-words.js";

const cards = [...document.querySelectorAll("[data-fv-record-visit]")];
const marked = new Map(); // a card's form address → the outbox entry last seen saved from it
const ACTION = "Record this visit";
const AGAIN = "Record another visit";

document.addEventListener("fieldvisit:status", ({ detail: view }) => {
  const savedFrom = new Map();
  for (const entry of view.items) {
    const described = view.titles.get(entry.id);
    if (described && described.page_url) savedFrom.set(described.page_url, entry);
  }
  const inOutbox = new Map(view.items.map((entry) => [entry.id, entry]));
  for (const link of cards) {
    const address = link.getAttribute("href");
    const known = savedFrom.get(address) || marked.get(address);
    if (!known) continue;
    const current = inOutbox.get(known.id);
    if (current) {
      marked.set(address, current);
      mark(link, current, false);
    } else if (known.status === "queued") {
      // Gone from the outbox: a queued record leaves it only when the central record's receipt comes.
      mark(link, known, true);
    } else {
      // A record the central record did not accept, which its author let go (outbox.letGo).
      marked.delete(address);
      unmark(link);
    }
  }
});

function mark(link, entry, sent) {
  let note = link.previousElementSibling;
  if (!note || !("fvSavedHere" in note.dataset)) {
    note = document.createElement("p");
    note.className = "govuk-body-s fv-visit-card__saved";
    link.before(note);
    link.classList.add("govuk-button--secondary");
    link.firstChild.textContent = AGAIN;
  }
  const state = sent ? "sent to the central record" : describe.itemStatus(entry);
  note.textContent = `You recorded this visit on this tablet at ${timeOfDay(entry.saved_at)}: ${state}.`;
  note.dataset.fvSavedHere = sent ? "sent" : entry.status;
}

function unmark(link) {
  const note = link.previousElementSibling;
  if (note && "fvSavedHere" in note.dataset) note.remove();
  link.classList.remove("govuk-button--secondary");
  link.firstChild.textContent = ACTION;
}
