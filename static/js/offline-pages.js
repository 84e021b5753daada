// The offline pages (templates/offline/): entering and setting the PIN, the records kept on
// this tablet with "Needs your attention", and "not available offline".

import { attemptsLeft, fetchDeviceSecret, hasPin, pinProblem } from "/static/js/keystore.js";
import { setMeta } from "/static/js/idb.js";
import { letGo } from "/static/js/outbox.js";
import { describe, timeOfDay } from "/static/js/offline-words.js";
import { askWorker } from "/static/js/worker-link.js";

const context = { practitioner: null, syncNow: async () => {}, render: async () => {} };

export async function startOfflinePage(options) {
  Object.assign(context, options);
  const marker = document.querySelector("[data-fv-offline-page]");
  if (!marker) return;
  const pages = { unlock: unlockPage, pin: pinPage, records: recordsPage, unavailable: unavailablePage,
    locked: lockedPage };
  const startPage = pages[marker.dataset.fvOfflinePage];
  document.querySelectorAll("[data-fv-name]").forEach((node) => {
    node.textContent = context.practitioner ? context.practitioner.display_name : "";
  });
  if (startPage) await startPage(marker);
}

function show(selector, visible = true) {
  document.querySelectorAll(selector).forEach((node) => { node.hidden = !visible; });
}

/** Only a path on this site (never //elsewhere), else Today. */
export function safeNext(value) {
  if (value && value.startsWith("/") && !value.startsWith("//") && !value.includes("\\")) return value;
  return "/today";
}

/** A GOV.UK error summary and field error on a one-field or two-field page. */
function showFieldErrors(form, errors) {
  const summary = form.querySelector("[data-fv-error-summary]");
  const list = summary.querySelector("ul");
  list.replaceChildren();
  form.querySelectorAll(".govuk-form-group").forEach((group) => group.classList.remove("govuk-form-group--error"));
  form.querySelectorAll("[data-fv-field-error]").forEach((node) => { node.hidden = true; });
  for (const [name, message] of Object.entries(errors)) {
    const item = document.createElement("li");
    const anchor = document.createElement("a");
    anchor.href = `#${name}`;
    anchor.textContent = message;
    item.append(anchor);
    list.append(item);
    const input = form.querySelector(`#${name}`);
    const group = input && input.closest(".govuk-form-group");
    if (group) group.classList.add("govuk-form-group--error");
    const note = form.querySelector(`[data-fv-field-error="${name}"]`);
    if (note) {
      note.hidden = false;
      note.querySelector("[data-fv-message]").textContent = message;
    }
  }
  summary.hidden = !list.children.length;
  if (list.children.length) {
    if (!document.title.startsWith("Error: ")) document.title = `Error: ${document.title}`;
    summary.focus();
  } else {
    document.title = document.title.replace(/^Error: /, "");
  }
}

// ---- Enter your PIN ----

async function unlockPage() {
  const form = document.querySelector("[data-fv-unlock-form]");
  const who = context.practitioner;
  if (!who || !(await hasPin(who.practitioner_id))) {
    show("[data-fv-unlock]", false);
    show(who ? "[data-fv-no-pin]" : "[data-fv-no-one]");
    return;
  }
  const tries = document.querySelector("[data-fv-attempts]");
  const left = await attemptsLeft(who.practitioner_id);
  tries.textContent = `You have ${left === 1 ? "1 try" : `${left} tries`} before the copies on this tablet are wiped.`;
  const next = safeNext(new URLSearchParams(location.search).get("next"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = form.querySelector("#pin");
    const pin = input.value.trim();
    if (!pin) {
      showFieldErrors(form, { pin: "Enter your PIN" });
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "Checking your PIN…";
    let answer;
    try {
      answer = await askWorker({ type: "unlock", pin });
    } catch (error) {
      answer = { ok: false, error: error.message };
    }
    input.value = "";
    button.disabled = false;
    button.textContent = "Unlock";
    if (answer.ok) {
      location.replace(next);
    } else if (answer.lockedOut) {
      show("[data-fv-unlock]", false);
      show("[data-fv-locked-out]");
      document.querySelector("[data-fv-locked-out]").focus();
    } else if (answer.attemptsLeft != null) {
      const word = answer.attemptsLeft === 1 ? "1 try" : `${answer.attemptsLeft} tries`;
      tries.textContent = `You have ${word} before the copies on this tablet are wiped.`;
      showFieldErrors(form, { pin: `That PIN is not right. You have ${word} left.` });
    } else {
      showFieldErrors(form, { pin: answer.error || "This tablet could not check your PIN. Try again." });
    }
  });
}

// ---- Set or change your PIN ----

async function pinPage() {
  const form = document.querySelector("[data-fv-pin-form]");
  const who = context.practitioner;
  if (!who) {
    show("[data-fv-set-pin]", false);
    show("[data-fv-no-one]");
    return;
  }
  const changing = await hasPin(who.practitioner_id);
  show("[data-fv-changing]", changing);
  const params = new URLSearchParams(location.search);
  const next = safeNext(params.get("next"));
  for (const link of document.querySelectorAll("[data-fv-skip], [data-fv-pin-next]")) link.href = next;
  if (params.get("welcome") === "1" && !changing) {
    // The first sign-in on this tablet leads here (Today's "Set it up now"): say why, let it wait.
    show("[data-fv-welcome]");
    document.querySelector("h1").textContent = "Set up this tablet to work with no signal";
    const nextLink = document.querySelector("[data-fv-pin-next]");
    if (nextLink && next !== "/today") nextLink.textContent = "Continue";
  }
  if (changing) {
    document.querySelector("h1").textContent = "Set a new PIN";
    document.title = document.title.replace("Set a PIN", "Set a new PIN");
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pin = form.querySelector("#pin").value.trim();
    const confirm = form.querySelector("#pin_confirm").value.trim();
    const problem = pinProblem(pin);
    const errors = {};
    if (problem) errors.pin = problem;
    else if (pin !== confirm) errors.pin_confirm = "The two PINs are not the same. Enter your PIN again";
    showFieldErrors(form, errors);
    if (Object.keys(errors).length) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "Setting your PIN…";
    try {
      // A fresh device secret: only the signed-in practitioner (with signal) can set a PIN.
      const secret = await fetchDeviceSecret(who.practitioner_id).catch(() => ({ ok: false, status: 0 }));
      if (!secret.ok) {
        showFieldErrors(form, { pin: secret.status === 401
          ? "You have been signed out. Sign in again, then set your PIN"
          : "You need signal to set your PIN. Try again when you have signal" });
        return;
      }
      const answer = await askWorker({ type: "set-pin", pin });
      if (!answer.ok) {
        showFieldErrors(form, { pin: answer.error || "Your PIN could not be set. Try again" });
        return;
      }
      form.reset();
      await askPersistence();
      show("[data-fv-set-pin]", false);
      show("[data-fv-pin-done]");
      document.querySelector("[data-fv-pin-done]").focus();
      const outcome = await context.syncNow();
      const kept = document.querySelector("[data-fv-pages-kept]");
      if (kept) {
        kept.textContent = outcome && outcome.pages != null
          ? `${outcome.pages === 1 ? "1 page" : `${outcome.pages} pages`} of your visits are now kept on this tablet.`
          : "The pages of your visits are kept at the next sync.";
      }
    } finally {
      button.disabled = false;
      button.textContent = changing ? "Set new PIN" : "Set PIN";
    }
  });
}

// ---- Records on this tablet ----

async function recordsPage() {
  document.addEventListener("fieldvisit:status", (event) => {
    renderRecords(event.detail);
    renderMyRecords(event.detail);
  });
  const lock = document.querySelector("[data-fv-lock]");
  if (lock) {
    lock.addEventListener("click", async () => {
      await askWorker({ type: "lock" }).catch(() => {});
      await context.render();
    });
  }
  if (!context.practitioner) show("[data-fv-no-one]");
}

function cell(tag, text, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function linkTo(href, text) {
  const anchor = cell("a", text, "govuk-link");
  anchor.href = href;
  return anchor;
}

function renderRecords(view) {
  const attention = view.items.filter((entry) => entry.status !== "queued");
  const waiting = view.items.filter((entry) => entry.status === "queued");
  show("[data-fv-locked-note]", !view.unlocked && view.items.length > 0 && view.pinSet);
  show("[data-fv-lock]", view.unlocked);
  const attentionBox = document.querySelector("[data-fv-attention]");
  attentionBox.replaceChildren(...(attention.length ? attention.map((entry) => attentionCard(entry, view))
    : [cell("p", "Nothing needs your attention.", "govuk-body")]));
  const rows = document.querySelector("[data-fv-waiting]");
  rows.replaceChildren(...waiting.map((entry) => {
    const row = cell("tr", null, "govuk-table__row");
    row.dataset.fvItem = entry.id;
    const title = (view.titles.get(entry.id) || {}).title || describe.kind(entry.kind);
    const first = cell("td", title, "govuk-table__cell");
    first.dataset.label = "Record";
    const saved = cell("td", timeOfDay(entry.saved_at), "govuk-table__cell");
    saved.dataset.label = "Saved";
    const status = cell("td", describe.itemStatus(entry), "govuk-table__cell");
    status.dataset.label = "Status";
    row.append(first, saved, status);
    return row;
  }));
  show("[data-fv-waiting-table]", waiting.length > 0);
  show("[data-fv-none-waiting]", waiting.length === 0);
  const facts = document.querySelector("[data-fv-records-facts]");
  if (facts) {
    facts.replaceChildren(...describe.facts(view).map(([label, value]) => {
      const row = cell("div", null, "govuk-summary-list__row");
      row.append(cell("dt", label, "govuk-summary-list__key"), cell("dd", value, "govuk-summary-list__value"));
      return row;
    }));
  }
}

// ---- My records: what the outbox holds, merged with what the central record holds ----

const sent = { records: null, fetchedFor: null, asking: null };

/** The records the central record holds of mine (last 7 days); kept in memory only. */
async function fetchSent(lastSync) {
  if (sent.asking || sent.fetchedFor === lastSync) return;
  sent.asking = (async () => {
    try {
      const response = await fetch("/api/sync/my-records", { credentials: "same-origin", cache: "no-store" });
      if (response.ok) sent.records = (await response.json()).records;
      sent.fetchedFor = lastSync;
    } catch { /* no signal: the outbox is still listed */ }
  })();
  await sent.asking;
  sent.asking = null;
}

const WHERE = { queued: "On this tablet, not sent yet", rejected: "Needs your attention", conflict: "Needs your attention" };

function sentTitle(record) {
  const what = describe.kind(record.kind);
  if (!record.family) return what;
  const when = record.happened_at ? `, ${timeOfDay(Date.parse(record.happened_at))}` : "";
  return `${what}: ${record.family}${when}`;
}

async function renderMyRecords(view) {
  await fetchSent(view.sync.last_success_at || 0);
  const rows = [];
  const onTablet = new Set(view.items.map((entry) => entry.id));
  for (const entry of view.items) {
    const title = (view.titles.get(entry.id) || {}).title || describe.kind(entry.kind);
    const href = entry.status === "queued" ? "#waiting" : "#attention";
    rows.push({ id: entry.id, at: entry.saved_at, title, href, where: WHERE[entry.status] || WHERE.queued, state: entry.status });
  }
  for (const record of sent.records || []) {
    if (onTablet.has(record.id)) continue;
    rows.push({ id: record.id, at: Date.parse(record.recorded_at) || Date.parse(record.received_at), title: sentTitle(record),
      href: record.href, where: "Sent to the central record", state: "sent" });
  }
  rows.sort((a, b) => b.at - a.at);
  const body = document.querySelector("[data-fv-my-records]");
  if (!body) return;
  body.replaceChildren(...rows.map((entry) => {
    const row = cell("tr", null, "govuk-table__row");
    row.dataset.fvItem = entry.id;
    row.dataset.fvState = entry.state;
    const first = cell("td", null, "govuk-table__cell");
    first.append(entry.href ? linkTo(entry.href, entry.title) : entry.title);
    first.dataset.label = "Record";
    const saved = cell("td", Number.isFinite(entry.at) ? timeOfDay(entry.at) : "", "govuk-table__cell");
    saved.dataset.label = "Saved";
    const where = cell("td", entry.where, "govuk-table__cell");
    where.dataset.label = "Where it is";
    row.append(first, saved, where);
    return row;
  }));
  show("[data-fv-my-records-table]", rows.length > 0);
  const note = document.querySelector("[data-fv-my-records-note]");
  note.textContent = sent.records === null
    ? "Records already sent are listed here when there is signal."
    : rows.length ? "" : "You have not saved any records in the last 7 days.";
  note.hidden = !note.textContent;
}

function attentionCard(entry, view) {
  const described = view.titles.get(entry.id) || {};
  const card = cell("div", null, "govuk-summary-card fv-attention-card");
  card.dataset.fvItem = entry.id;
  card.dataset.fvStatus = entry.status;
  const header = cell("div", null, "govuk-summary-card__title-wrapper");
  header.append(cell("h3", `${described.title || describe.kind(entry.kind)}, saved ${timeOfDay(entry.saved_at)}`,
    "govuk-summary-card__title"));
  const body = cell("div", null, "govuk-summary-card__content");
  body.append(cell("p", entry.status === "conflict"
    ? "A different record with the same id had already reached the central record. The central record has kept this copy too, for your team lead to review."
    : "The central record did not accept this record. Fix what is listed and save it again.", "govuk-body"));
  if (described.errors) {
    const list = cell("ul", null, "govuk-list govuk-list--bullet");
    for (const message of Object.values(described.errors)) list.append(cell("li", message));
    body.append(list);
  } else if (!view.unlocked && view.pinSet) {
    body.append(cell("p", `${entry.notice_fields ? entry.notice_fields.length : "Some"} things to fix. Enter your PIN to see them.`, "govuk-body"));
  }
  const actions = cell("p", null, "govuk-body");
  if (!view.unlocked && view.pinSet) {
    actions.append(linkTo(`/offline/unlock?next=${encodeURIComponent("/offline/records")}`, "Enter your PIN to open it"));
  } else if (entry.status === "rejected" && described.page_url) {
    actions.append(linkTo(`${described.page_url}#fv-fix=${entry.id}`, "Open it and fix it"));
  } else if (entry.status === "rejected") {
    actions.append("It was saved before a PIN was set on this tablet, so it cannot be opened here. Tell your team lead.");
  }
  body.append(actions);
  body.append(letGoButton(entry));
  card.append(header, body);
  return card;
}

// Records whose "remove / discard?" question is open: the list is drawn again at every change of
// the status (a sync, another tab), and the question must stay open through that.
const asking = new Set();

/** Remove a conflict (the central record kept it) or discard a rejected record: asked twice. */
function letGoButton(entry) {
  const wrapper = cell("div", null, "govuk-button-group");
  const conflict = entry.status === "conflict";
  const first = cell("button", conflict ? "Remove it from this tablet" : "Discard it",
    "govuk-button govuk-button--secondary govuk-!-margin-bottom-0");
  first.type = "button";
  const warning = cell("p", conflict
    ? "The central record has kept this copy for your team lead. Remove it from this tablet?"
    : "A discarded record never reaches the central record, and cannot be got back. Discard it?", "govuk-body govuk-!-font-weight-bold");
  const confirm = cell("button", conflict ? "Yes, remove it" : "Yes, discard it",
    "govuk-button govuk-button--warning govuk-!-margin-bottom-0");
  confirm.type = "button";
  const askNow = (open) => {
    first.hidden = open;
    warning.hidden = !open;
    confirm.hidden = !open;
  };
  askNow(asking.has(entry.id));
  first.addEventListener("click", () => {
    asking.add(entry.id);
    askNow(true);
    confirm.focus();
  });
  confirm.addEventListener("click", async () => {
    asking.delete(entry.id);
    await letGo(entry.id, entry.practitioner_id);
    await context.render();
  });
  wrapper.append(first, warning, confirm);
  return wrapper;
}

// ---- Not available offline ----

function unavailablePage() {
  if (location.pathname.startsWith("/offline/")) return;
  const asked = document.querySelector("[data-fv-asked]");
  if (asked) {
    asked.querySelector("code").textContent = location.pathname;
    asked.hidden = false;
  }
  if (location.pathname === "/sign-in") show("[data-fv-sign-in-needs-signal]");
}

// ---- Locked: too long without contact (offline-lock.js, issue 14) ----

function lockedPage() {
  const params = new URLSearchParams(location.search);
  const hours = Number(params.get("hours"));
  const text = document.querySelector("[data-fv-lock-hours]");
  if (text && Number.isInteger(hours) && hours > 0) text.textContent = hours === 1 ? "1 hour" : `${hours} hours`;
  const link = document.querySelector("[data-fv-lock-sign-in]");
  if (link) link.href = `/sign-in?next=${encodeURIComponent(safeNext(params.get("next")))}`;
}

/**
 * At PIN set-up, ask the browser to keep this site's storage from being cleared when space runs
 * low (Safari and Chrome may clear it otherwise); Today says so when the browser refuses (issue 14).
 */
async function askPersistence() {
  if (!navigator.storage || !navigator.storage.persist) return;
  let granted = null;
  try { granted = await navigator.storage.persist(); } catch { granted = null; }
  await setMeta("persistence_asked", { granted, at: Date.now() }).catch(() => {});
}
