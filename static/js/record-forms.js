// Record forms (every <form data-record-kind>) save to the outbox first, with or without
// signal: the item is on disk (the IndexedDB transaction has completed) before the
// practitioner reads "Saved on this tablet — not sent yet". The sync then runs at once;
// when the receipt comes back on a page that came from the network, the form's own
// submission follows, and the server answers it as a duplicate of the same id: the usual
// page or redirect, one path for online and offline. Without JavaScript the plain post works.
//
// A draft's record id is owned by one tab (a Web Lock), and an id already used on this
// tablet is never used again, so a kept form opened twice cannot make two records with
// one id (OFFLINE.md, enketo-express #567).

import { OutboxError, deviceTime, idState, item as outboxEntry, readAheadForSave, saveRecord } from "/static/js/outbox.js";
import { SYNC_TAG, syncNow } from "/static/js/sync.js";
import { fillNow } from "/static/js/time-now.js";
import { askWorker } from "/static/js/worker-link.js";

const KIND_LINKS = {
  visit: (receipt) => receipt.ref && `/visits/${receipt.ref}`,
  amendment: (receipt, payload) => payload.visit_id && `/visits/${payload.visit_id}`,
};
const held = new Map(); // record id → releases its draft lock
const notices = new Map(); // form → {item, at}: a "Saved on this tablet — not sent yet" notice shown
const state = { practitionerId: null, fromCache: false, enabled: false, onSaved: () => {}, onSynced: () => {} };

/** Make every record form on the page save through the outbox. */
export async function attachRecordForms({ practitionerId, fromCache, canSeal, onSaved, onSynced }) {
  const forms = [...document.querySelectorAll("form[data-record-kind]")];
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("fieldvisit:status", (event) => updateNotices(event.detail));
  // The visit happens now, not when the page was kept (issue 14): see time-now.js.
  for (const form of forms) fillNow(form);
  if (!forms.length || practitionerId == null) return;
  Object.assign(state, { practitionerId, fromCache, onSaved: onSaved || (() => {}), onSynced: onSynced || (() => {}) });
  for (const form of forms) await claimDraft(form);
  state.enabled = canSeal;
  await refillFromHash();
  if (!canSeal) return;
  readAheadForSave(practitionerId); // what the first save seals with, read before Save is pressed
  // Saves now go through the outbox (tests and the curious can see it).
  for (const form of forms) form.dataset.fvOutbox = "ready";
}

function recordIdInput(form) {
  const input = form.elements.namedItem("record_id");
  return input instanceof HTMLInputElement ? input : null;
}

/** Give the form a record id that no other tab holds and this tablet has not used. */
async function claimDraft(form) {
  const input = recordIdInput(form);
  if (!input) return null;
  let id = (input.value || "").toLowerCase();
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (id && (await idState(id, state.practitionerId)) !== "used" && (await holdDraft(id))) {
      input.value = id;
      return id;
    }
    id = crypto.randomUUID();
  }
  return null;
}

function holdDraft(id) {
  if (held.has(id) || !navigator.locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.locks.request(`fieldvisit-draft:${id}`, { ifAvailable: true }, (lock) => {
      if (!lock) { resolve(false); return undefined; }
      resolve(true);
      return new Promise((release) => held.set(id, release)); // held until this page goes
    }).catch(() => resolve(false));
  });
}

function releaseDraft(id) {
  const release = held.get(id);
  if (release) { held.delete(id); release(); }
}

function onSubmit(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("form[data-record-kind]")) return;
  if (form.dataset.fvPassThrough === "1") {
    delete form.dataset.fvPassThrough; // the form's own submission, after the receipt
    return;
  }
  if (!state.enabled || !recordIdInput(form)) return; // the plain post still works
  event.preventDefault();
  event.stopImmediatePropagation();
  if (form.dataset.fvSaving) return; // a double tap while the first save is being written
  form.dataset.fvSaving = "1";
  saveForm(form, event.submitter);
}

/** Line breaks as a browser's form submission sends them, so both paths carry the same text. */
function asSubmitted(text) {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

/** The item the form makes: {id, kind, payload: {...context, fields}, recorded_at}. */
export function itemFromForm(form, submitter) {
  const data = submitter && submitter.form === form ? new FormData(form, submitter) : new FormData(form);
  const fields = {};
  for (const [name, value] of data) {
    if (name === "csrf_token" || typeof value !== "string") continue;
    (fields[asSubmitted(name)] ||= []).push(asSubmitted(value));
  }
  let context = {};
  try { context = JSON.parse(form.dataset.recordContext || "{}"); } catch { context = {}; }
  return {
    id: recordIdInput(form).value.toLowerCase(), kind: form.dataset.recordKind,
    payload: { ...context, fields }, recorded_at: deviceTime(),
  };
}

function pageTitle() {
  return document.title.replace(/^Error: /, "").replace(/ – Fieldvisit$/, "");
}

/** Is the form still showing this saved item (not "Record another" since)? */
function stillShowing(form, item) {
  return form.hidden && recordIdInput(form).value === item.id;
}

async function saveForm(form, submitter) {
  const item = itemFromForm(form, submitter);
  try {
    await saveRecord(item, { practitionerId: state.practitionerId, pageUrl: location.pathname + location.search,
      title: pageTitle() });
  } catch (error) {
    delete form.dataset.fvSaving;
    showNotice(form, "error", "Not saved yet", [
      error instanceof OutboxError && error.reason === "id-in-use"
        ? "This record is already saved on this tablet. To record something new, open the form again."
        : `This tablet could not save the record (${error.message}). What you wrote is still on this page: try again.`,
    ]);
    return;
  }
  clearErrors(form);
  showSaved(form, item);
  // On disk: the escalation the record raises is shown now, with no signal (escalation-preview.js).
  form.dispatchEvent(new CustomEvent("fieldvisit:saved", { bubbles: true, detail: { item } }));
  delete form.dataset.fvSaving; // on disk: the practitioner may go on to the next record
  state.onSaved(item);
  requestBackgroundSync();
  const outcome = await syncNow({ pack: "skip", wait: true });
  state.onSynced(outcome); // no signal, or slow: the page's timer tries again with backoff
  if (!stillShowing(form, item)) return; // they have moved on; the status area tells the rest
  const receipt = await receiptFor(item, outcome);
  if (!receipt) {
    showWaiting(form, item, outcome.state);
    return;
  }
  form.dispatchEvent(new CustomEvent("fieldvisit:receipt", { bubbles: true, detail: { item, receipt } }));
  if (!state.fromCache) {
    // The server knows this id now: its own answer to the form (a redirect to the record,
    // or the form again with its errors) is the page to show.
    if (receipt.status === "stored" || receipt.status === "duplicate") showSent(form, item, receipt);
    passThrough(form, submitter);
    return;
  }
  showReceipt(form, item, receipt);
}

/**
 * The central record's answer for this item: from this sync, or from a sync already under way
 * that sent it first (this one then found nothing to send). The outbox lets an item go only on
 * a stored or duplicate receipt, and keeps a refused one with its status.
 */
async function receiptFor(item, outcome) {
  const receipt = outcome.receipts && outcome.receipts[item.id];
  if (receipt || outcome.state !== "done") return receipt || null;
  const entry = await outboxEntry(item.id);
  if (!entry) return { id: item.id, status: "duplicate" };
  if (entry.status === "rejected" || entry.status === "conflict") return { id: item.id, status: entry.status };
  return null;
}

function passThrough(form, submitter) {
  form.dataset.fvPassThrough = "1";
  form.noValidate = true;
  if (submitter && submitter.form === form) form.requestSubmit(submitter);
  else form.requestSubmit();
}

async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register(SYNC_TAG);
  } catch { /* Background Sync is a bonus: the page's own triggers still run */ }
}

// ---- What the practitioner reads after saving ----

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function link(href, text) {
  return element("a", { class: "govuk-link", href }, text);
}

/** A GOV.UK notification banner just before the form, replacing any earlier one. */
function showNotice(form, tone, heading, lines, actions = [], more = [], focus = true) {
  const previous = form.previousElementSibling;
  if (previous && previous.matches("[data-fv-save-notice]")) previous.remove();
  const titleId = `fv-save-notice-${Date.now()}`;
  const banner = element("div", {
    class: `govuk-notification-banner${tone === "success" ? " govuk-notification-banner--success" : ""} fv-save-notice`,
    role: tone === "error" ? "alert" : "status", "aria-labelledby": titleId, "data-fv-save-notice": tone,
    tabindex: "-1",
  },
  element("div", { class: "govuk-notification-banner__header" },
    element("h2", { class: "govuk-notification-banner__title", id: titleId }, tone === "error" ? "There is a problem" : "Saved")),
  element("div", { class: "govuk-notification-banner__content" },
    element("p", { class: "govuk-notification-banner__heading" }, heading),
    ...lines.map((line) => element("p", { class: "govuk-body" }, line)),
    ...more,
    actions.length ? element("p", { class: "govuk-body fv-save-notice__actions" }, ...actions) : null));
  form.before(banner);
  if (focus) banner.focus();
  return banner;
}

/**
 * The save notice follows the tablet's state (issue 12, one true status): once the status area
 * no longer holds the record, the notice no longer says "not sent yet".
 */
function updateNotices(view) {
  for (const [form, shown] of notices) {
    if (!stillShowing(form, shown.item) || !form.isConnected) { notices.delete(form); continue; }
    if (!(view.readAt > shown.at)) continue; // read before the notice was shown
    const entry = view.items.find((candidate) => candidate.id === shown.item.id);
    if (entry && entry.status === "queued") continue;
    notices.delete(form);
    showReceipt(form, shown.item, entry ? { status: entry.status } : { status: "stored", ref: shown.item.id }, false);
  }
}

function showSaved(form, item) {
  form.hidden = true;
  notices.set(form, { item, at: performance.now() });
  showNotice(form, "saved", "Saved on this tablet — not sent yet", [
    "It is sending to the central record now. If there is no signal, it is sent as soon as there is.",
  ], noticeActions(form, item), followUps(form, item));
}

const WAITING = {
  offline: "There is no signal, or the central record cannot be reached. It stays on this tablet and is sent as soon as there is signal. You can close Fieldvisit.",
  signed_out: "You need to sign in again before it can be sent. It stays on this tablet until then.",
  server_error: "The central record did not answer properly. It stays on this tablet and is sent again shortly.",
  slow: "The central record is slow to answer. It stays on this tablet and is sent again shortly.",
  busy: "It is queued behind another sync and is sent in a moment.",
};

function showWaiting(form, item, reason) {
  const actions = noticeActions(form, item);
  if (reason === "signed_out") {
    actions.unshift(link(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, "Sign in again"));
  }
  notices.set(form, { item, at: performance.now() });
  showNotice(form, "saved", "Saved on this tablet — not sent yet",
    [WAITING[reason] || WAITING.offline], actions, followUps(form, item));
}

function showSent(form, item, receipt, focus = true) {
  notices.delete(form);
  const linkTo = KIND_LINKS[item.kind] && KIND_LINKS[item.kind](receipt, item.payload);
  showNotice(form, "success", "Sent to the central record",
    ["The central record has it. Nothing more is kept on this tablet for this record."],
    linkTo ? [link(linkTo, "View the record")] : [], followUps(form, item), focus);
}

function showReceipt(form, item, receipt, focus = true) {
  notices.delete(form);
  if (receipt.status === "stored" || receipt.status === "duplicate") {
    showSent(form, item, receipt, focus);
  } else {
    showNotice(form, "error", receipt.status === "conflict" ? "Kept for review" : "Not accepted by the central record",
      ["It is kept on this tablet under “Needs your attention”, with what needs changing."],
      [link("/offline/records", "See records that need your attention")], [], focus);
  }
}

function noticeActions(form, item) {
  const another = element("button", { type: "button", class: "govuk-button govuk-button--secondary govuk-!-margin-bottom-0" },
    "Record another");
  another.addEventListener("click", () => startAnother(form, item.id));
  return [link("/offline/records", "See records on this tablet"), another];
}

/**
 * What to record next from a saved visit, before it has been sent: a body map for each child
 * marked seen (the page opens from today's pack with no signal; its marks are sent after the visit).
 */
function followUps(form, item) {
  if (item.kind !== "visit") return [];
  const fields = (item.payload && item.payload.fields) || {};
  const links = [];
  for (const section of form.querySelectorAll("fieldset[data-child-id]")) {
    const seen = section.querySelector('input[type=radio][name$="-seen"]');
    if (!seen || (fields[seen.name] || [])[0] !== "yes") continue;
    const href = `/children/${encodeURIComponent(section.dataset.childId)}/body-map/new?visit=${encodeURIComponent(item.id)}`;
    links.push(element("li", {}, element("a", { class: "govuk-link fv-big-link", href, "data-fv-body-map-link": "" },
      `Record a body map for ${section.dataset.childName}`)));
  }
  if (!links.length) return [];
  return [
    element("p", { class: "govuk-body govuk-!-margin-bottom-0" }, "Any marks or injuries? Record them on a body map now:"),
    element("ul", { class: "govuk-list fv-save-notice__body-maps" }, ...links),
  ];
}

/** The same form again, empty, with a new record id. */
async function startAnother(form, previousId) {
  releaseDraft(previousId);
  form.reset();
  fillNow(form, { force: true }); // the next record happens now too
  recordIdInput(form).value = crypto.randomUUID();
  readAheadForSave(state.practitionerId);
  await claimDraft(form);
  const notice = form.previousElementSibling;
  if (notice && notice.matches("[data-fv-save-notice]")) notice.remove();
  form.hidden = false;
  form.dispatchEvent(new CustomEvent("fieldvisit:record-another", { bubbles: true }));
  const first = form.querySelector("input:not([type=hidden]), select, textarea");
  if (first) first.focus();
}

// ---- Opening a record back in its form, to fix what the server did not accept ----

async function refillFromHash() {
  const match = /fv-fix=([0-9a-f-]{36})/.exec(location.hash);
  if (!match) return;
  const id = match[1];
  let answer;
  try {
    answer = await askWorker({ type: "open-item", id });
  } catch {
    return;
  }
  if (answer.locked) {
    location.assign(`/offline/unlock?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
    return;
  }
  const form = [...document.querySelectorAll("form[data-record-kind]")]
    .find((candidate) => answer.ok && candidate.dataset.recordKind === answer.item.kind);
  if (!form) return;
  if (!answer.item.readable) {
    showNotice(form, "error", "This record cannot be opened on this tablet", [
      "It was kept before your current PIN was set, so only the central record can read it. It is still sent.",
    ]);
    return;
  }
  releaseDraft(recordIdInput(form).value);
  fillForm(form, answer.item.readable.payload.fields || {});
  recordIdInput(form).value = id;
  await holdDraft(id);
  showErrors(form, (answer.item.notice && answer.item.notice.errors) || {});
  history.replaceState(null, "", location.pathname + location.search);
}

/** Put saved values back into a form: {name: [values]} as the outbox keeps them. */
export function fillForm(form, fields) {
  const used = new Map();
  for (const control of form.elements) {
    const { name } = control;
    if (!name || name === "csrf_token" || ["submit", "button", "reset", "file"].includes(control.type)) continue;
    const values = (fields[name] || []).map((value) => value.replace(/\r\n/g, "\n"));
    if (control.type === "radio" || control.type === "checkbox") {
      control.checked = values.includes(control.value);
    } else if (control instanceof HTMLSelectElement && control.multiple) {
      for (const option of control.options) option.selected = values.includes(option.value);
    } else if (name in fields || control.type !== "hidden") {
      const index = used.get(name) || 0;
      used.set(name, index + 1);
      control.value = index < values.length ? values[index] : "";
    }
  }
}

function clearErrors(form) {
  document.querySelectorAll("[data-fv-error]").forEach((node) => node.remove());
  form.querySelectorAll(".govuk-form-group--error").forEach((group) => group.classList.remove("govuk-form-group--error"));
}

/** The server's errors in GOV.UK's way: a summary linking to each field, and a message at the field. */
export function showErrors(form, errors) {
  clearErrors(form);
  const entries = Object.entries(errors);
  if (!entries.length) return;
  const list = element("ul", { class: "govuk-list govuk-error-summary__list" });
  for (const [name, message] of entries) {
    const field = document.getElementById(name);
    list.append(element("li", {}, field ? link(`#${name}`, message) : message));
    const group = field && field.closest(".govuk-form-group");
    if (!group) continue;
    group.classList.add("govuk-form-group--error");
    const note = element("p", { class: "govuk-error-message", id: `${name}-error`, "data-fv-error": "" },
      element("span", { class: "govuk-visually-hidden" }, "Error:"), ` ${message}`);
    const anchor = group.querySelector(".govuk-radios, .govuk-checkboxes") || field;
    anchor.before(note);
  }
  const summary = element("div", { class: "govuk-error-summary", "data-fv-error": "", tabindex: "-1" },
    element("div", { role: "alert" },
      element("h2", { class: "govuk-error-summary__title" }, "The central record did not accept this record"),
      element("div", { class: "govuk-error-summary__body" },
        element("p", { class: "govuk-body" }, "Fix what is shown and save it again. It is kept on this tablet until then."),
        list)));
  form.before(summary);
  if (!document.title.startsWith("Error: ")) document.title = `Error: ${document.title}`;
  summary.focus();
}
