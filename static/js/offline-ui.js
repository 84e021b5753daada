// Fieldvisit with or without signal, on every page: registers the service worker; keeps
// the outbox moving (on app start, the `online` event, the app becoming visible again, a
// timer with capped exponential backoff and jitter, the "Sync now" button, and Background
// Sync in the service worker); shows what waits on this tablet; wipes the readable state
// at sign-out and at a change of user, after warning about records not yet sent.

import { deleteMeta, getMeta, onStorageLost, setMeta } from "/static/js/idb.js";
import { hasPin, sealingKey } from "/static/js/keystore.js";
import {
  countOthers, currentPractitioner, forgetOldIds, itemsOf, onChange, packOf, pagesOf,
  removePagesOfOthers, setCurrentPractitioner, syncState,
} from "/static/js/outbox.js";
import { activity, backoffDelay, hooks, syncNow } from "/static/js/sync.js";
import { askWorker, registerWorker } from "/static/js/worker-link.js";
import { showReadiness } from "/static/js/offline-setup.js";
import { describe, tabletState, timeOfDay } from "/static/js/offline-words.js";
import { lockOf } from "/static/js/offline-lock.js";
import { checkStorage, forgetReadableState, storageLost, writeMark } from "/static/js/this-tablet.js";

const KEEPALIVE_MS = 20 * 1000; // keeps the service worker (and the unlocked key) while the app is open
const CHECK_AGAIN_MS = 60 * 1000;
const BUSY_AGAIN_MS = 5 * 1000;

const OPENED_AT = Date.now();
const page = {
  status: null, practitioner: null, fromCache: false, persisted: null,
  failures: 0, timer: null, running: null, renders: 0, kept: null,
};

hooks.switchPractitioner = switchPractitioner;

start().catch((error) => console.error("Fieldvisit offline:", error));

async function start() {
  if (!window.isSecureContext || !window.indexedDB || !window.crypto || !crypto.subtle) {
    // Nothing can be kept on this browser: the status area has nothing true to say.
    document.querySelectorAll("[data-fv-sync]").forEach((status) => {
      status.classList.remove("fv-sync--pending");
      status.hidden = true;
    });
    return;
  }
  const registering = registerWorker();
  await checkStorage().catch(() => {}); // a browser with no usable storage still shows the pages
  onStorageLost(() => { storageLost(page.kept).then(() => render()).catch(() => {}); });
  page.status = document.querySelector("[data-fv-sync]");
  page.fromCache = Boolean(page.status && page.status.dataset.fvCachedAt);
  document.addEventListener("submit", interceptSignOut, true);

  const signedIn = page.status && page.status.dataset.fvPractitioner
    ? { practitioner_id: Number(page.status.dataset.fvPractitioner), username: page.status.dataset.fvUsername,
      display_name: page.status.dataset.fvName }
    : null;
  const fresh = signedIn && !page.fromCache ? await identify(signedIn) : false;
  if (!signedIn && document.querySelector('form[action="/sign-out"]')) {
    // Someone signed in who keeps nothing offline (an administrator): a change of user too.
    await forgetReadableState();
  }
  page.practitioner = signedIn || (await currentPractitioner()) || null;
  const id = page.practitioner ? page.practitioner.practitioner_id : null;

  // The record forms' and the offline pages' code is fetched only by the pages that have them
  // (most pages have neither): less script on every other page (issue 13).
  if (document.querySelector("form[data-record-kind]")) {
    const { attachRecordForms } = await import("/static/js/record-forms.js");
    await attachRecordForms({
      practitionerId: id, fromCache: page.fromCache, canSeal: Boolean(await sealingKey()),
      onSaved: () => render(),
      onSynced: (outcome) => { if (!page.running) schedule(outcome); },
    });
  }
  if (document.querySelector("[data-fv-offline-page]")) {
    const { startOfflinePage } = await import("/static/js/offline-pages.js");
    await startOfflinePage({
      practitioner: page.practitioner, render,
      syncNow: async () => {
        const outcome = await syncNow({ pack: "force", wait: true });
        await render();
        return outcome;
      },
    });
  }

  if (page.status) {
    page.status.hidden = false;
    document.querySelectorAll("[data-fv-sync-now]").forEach((button) =>
      button.addEventListener("click", () => trigger({ pack: "force" }, true)));
  }
  onChange(() => render());
  document.addEventListener("fieldvisit:sync-activity", () => render());
  showReadiness();
  page.persisted = await persistedNow(); // before the first render: its line does not change after
  await render();
  const registration = await registering;
  if (registration && !navigator.serviceWorker.controller) {
    // Opened while the service worker was being installed: ask it to take this page too.
    navigator.serviceWorker.ready.then(() => askWorker({ type: "claim" }, 10000)).catch(() => {});
  }
  // At sign-in, look for a new version of the app while there is signal.
  if (fresh && registration) registration.update().catch(() => {});
  setInterval(() => { askWorker({ type: "keepalive" }, 5000).catch(() => {}); }, KEEPALIVE_MS);
  window.addEventListener("online", () => trigger({ pack: "force" }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") trigger({});
  });
  if (id != null) {
    forgetOldIds().catch(() => {});
    trigger(fresh ? { pack: "force", secret: true } : {});
  }
}

/**
 * The practitioner on a page from the server. A different one from before is a change of
 * user: the previous one's pages are wiped and their key locked (their unsent records stay,
 * sealed, until they sign in again). Returns true when a full sync is due (sign-in).
 */
async function identify(signedIn) {
  const current = await currentPractitioner();
  let fresh = false;
  if (!current || current.practitioner_id !== signedIn.practitioner_id) {
    await switchPractitioner(signedIn);
    fresh = true;
  } else if (current.display_name !== signedIn.display_name) {
    await setCurrentPractitioner(signedIn);
  }
  if (await getMeta("signing_in")) {
    await deleteMeta("signing_in");
    fresh = true;
  }
  return fresh;
}

async function switchPractitioner(practitioner) {
  await askWorker({ type: "lock" }, 5000).catch(() => {});
  await removePagesOfOthers(practitioner.practitioner_id);
  await setCurrentPractitioner(practitioner);
}

/** Is this site's storage persistent? (Asked for at PIN set-up: offline-pages.js.) */
async function persistedNow() {
  if (!navigator.storage || !navigator.storage.persisted) return null;
  try {
    return await navigator.storage.persisted();
  } catch {
    return null;
  }
}

/** How many records wait on this tablet (every practitioner's), remembered outside the database. */
async function rememberWaiting(count) {
  page.kept = count;
  const id = await getMeta("storage_id");
  if (id) writeMark({ db: id, waiting: count, at: Date.now() });
}

// ---- The sync loop's triggers ----

function trigger(options, byHand = false) {
  if (page.running) return page.running;
  if (byHand) announceLive("Syncing…");
  page.running = (async () => {
    try {
      const outcome = await syncNow(options);
      schedule(outcome);
      if (byHand) announceLive(outcome.state === "done" ? "Sync finished" : describe.problem(outcome.state));
      return outcome;
    } finally {
      page.running = null;
      await render();
    }
  })();
  return page.running;
}

function schedule(outcome) {
  clearTimeout(page.timer);
  if (["offline", "slow", "server_error", "error"].includes(outcome.state)) {
    page.failures += 1;
    page.timer = setTimeout(() => trigger({}), backoffDelay(page.failures));
  } else if (outcome.state === "busy") {
    page.timer = setTimeout(() => trigger({}), BUSY_AGAIN_MS);
  } else if (outcome.state !== "signed_out") {
    // Paused when signed out: signing in again starts it.
    page.failures = 0;
    page.timer = setTimeout(() => trigger({}), CHECK_AGAIN_MS);
  }
}

// ---- Signing out: warn about unsent records, never destroy them ----

function interceptSignOut(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || new URL(form.action, location.href).pathname !== "/sign-out") return;
  if (form.dataset.fvPassThrough === "1") return;
  event.preventDefault();
  event.stopImmediatePropagation();
  signOut(form, false);
}

async function signOut(form, confirmed) {
  const who = await currentPractitioner();
  const unsent = who ? (await itemsOf(who.practitioner_id)).length : 0;
  if (unsent && !confirmed) {
    warnBeforeSignOut(form, unsent);
    return;
  }
  await forgetReadableState();
  const token = (form.elements.namedItem("csrf_token") || {}).value || "";
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    location.assign(response.redirected ? response.url : "/sign-in?signed_out=1");
  } catch {
    // No signal: signed out on this tablet now; the server hears of it at the next chance.
    await setMeta("pending_sign_out", { token, at: Date.now() });
    location.assign("/offline/signed-out");
  }
}

function warnBeforeSignOut(form, unsent) {
  const main = document.querySelector("main") || document.body;
  const existing = document.getElementById("fv-sign-out-warning");
  if (existing) existing.remove();
  const records = unsent === 1 ? "1 record" : `${unsent} records`;
  const panel = document.createElement("div");
  panel.id = "fv-sign-out-warning";
  panel.className = "govuk-notification-banner fv-sign-out-warning";
  panel.setAttribute("role", "alert");
  panel.setAttribute("aria-labelledby", "fv-sign-out-warning-title");
  panel.tabIndex = -1;
  panel.innerHTML = `<div class="govuk-notification-banner__header">
      <h2 class="govuk-notification-banner__title" id="fv-sign-out-warning-title">Important</h2></div>
    <div class="govuk-notification-banner__content">
      <p class="govuk-notification-banner__heading">You have ${records} on this tablet not yet sent to the central record</p>
      <p class="govuk-body">Send them before you sign out. If you sign out anyway, they stay on this tablet, locked,
        and are sent the next time you sign in here.</p>
      <div class="govuk-button-group">
        <button type="button" class="govuk-button" data-fv-send-first>Send them now</button>
        <button type="button" class="govuk-button govuk-button--warning" data-fv-sign-out-anyway>Sign out anyway</button>
      </div>
      <p class="govuk-body" data-fv-sign-out-result aria-live="polite"></p>
    </div>`;
  main.prepend(panel);
  panel.focus();
  panel.querySelector("[data-fv-sign-out-anyway]").addEventListener("click", () => signOut(form, true));
  panel.querySelector("[data-fv-send-first]").addEventListener("click", async () => {
    const result = panel.querySelector("[data-fv-sign-out-result]");
    result.textContent = "Sending…";
    const outcome = await trigger({ pack: "skip" });
    const who = await currentPractitioner();
    const left = who ? (await itemsOf(who.practitioner_id)).length : 0;
    if (!left) {
      result.textContent = "All sent. Signing you out…";
      await signOut(form, true);
    } else {
      result.textContent = `${left === 1 ? "1 record is" : `${left} records are`} still not sent: `
        + `${describe.problem(outcome && outcome.state)} You can try again, or sign out anyway.`;
    }
  });
}

// ---- The status area on every page ----

function announceLive(text) {
  const live = page.status && page.status.querySelector("[data-fv-sync-live]");
  if (live) live.textContent = text;
}

async function render() {
  if (!page.status) return;
  const seq = ++page.renders; // renders overlap: only the latest one writes
  const who = await currentPractitioner();
  if (seq !== page.renders) return;
  if (!who) {
    page.status.classList.remove("fv-sync--pending");
    page.status.hidden = true;
    return;
  }
  const id = who.practitioner_id;
  const readAt = performance.now(); // what is read below is as new as this, or newer
  const [items, sync, pinSet, pages, pack, others, lost, persistAsked] = await Promise.all([
    itemsOf(id), syncState(id), hasPin(id), pagesOf(id), packOf(id), countOthers(id), getMeta("storage_lost"),
    getMeta("persistence_asked")]);
  await rememberWaiting(items.length + others);
  const worker = await askWorker({ type: "status" }, 3000).catch(() => ({ unlocked: false }));
  let titles = new Map();
  if (worker.unlocked && items.length) {
    const described = await askWorker({ type: "describe-items" }, 10000).catch(() => null);
    if (described && described.ok) titles = new Map(described.items.map((entry) => [entry.id, entry]));
  }
  if (seq !== page.renders) return;
  const view = {
    items, sync, pinSet, pages, pack, others, titles, unlocked: Boolean(worker.unlocked),
    persisted: page.persisted, fromCache: page.fromCache,
    cachedAt: page.fromCache ? Number(page.status.dataset.fvCachedAt) : null,
    openedAt: OPENED_AT, syncing: activity.running > 0, readAt, lock: lockOf(sync, pack),
    storageLost: lost || null, persistAsked: Boolean(persistAsked),
  };
  const state = tabletState(view);
  page.status.querySelector("[data-fv-sync-summary]").textContent = describe.summary(view);
  fillFacts(page.status.querySelector("[data-fv-sync-facts]"), describe.facts(view));
  fillItems(page.status.querySelector("[data-fv-sync-items]"), view);
  fillAlerts(page.status.querySelector("[data-fv-sync-alerts]"), view);
  // The same state, for styles and tests: one source for every statement on the page.
  Object.assign(page.status.dataset, {
    fvCountWaiting: String(state.waiting), fvCountAttention: String(state.attention), fvSignal: state.signal,
    fvLastSync: state.lastSync ? String(state.lastSync) : "", fvSyncing: state.syncing ? "yes" : "no",
    fvOfflineReady: state.offlineReady ? "yes" : "no",
  });
  page.status.classList.remove("fv-sync--pending");
  document.dispatchEvent(new CustomEvent("fieldvisit:status", { detail: view }));
}

function fillFacts(list, facts) {
  if (!list) return;
  list.replaceChildren(...facts.map(([label, value]) => {
    const row = document.createElement("div");
    row.className = "govuk-summary-list__row";
    const key = document.createElement("dt");
    key.className = "govuk-summary-list__key";
    key.textContent = label;
    const text = document.createElement("dd");
    text.className = "govuk-summary-list__value";
    text.textContent = value;
    row.append(key, text);
    return row;
  }));
}

function fillItems(list, view) {
  if (!list) return;
  list.replaceChildren(...view.items.map((entry) => {
    const row = document.createElement("li");
    const title = (view.titles.get(entry.id) || {}).title || describe.kind(entry.kind);
    row.textContent = `${title}, saved ${timeOfDay(entry.saved_at)}: ${describe.itemStatus(entry)}`;
    row.dataset.fvItem = entry.id;
    row.dataset.fvStatus = entry.status;
    return row;
  }));
  list.hidden = !view.items.length;
}

function fillAlerts(box, view) {
  if (!box) return;
  const alerts = describe.alerts(view, location.pathname + location.search);
  box.replaceChildren(...alerts.map(({ text, href, linkText, tone, dismiss, name }) => {
    const line = document.createElement("p");
    line.className = `govuk-body fv-sync__alert fv-sync__alert--${tone}`;
    if (name) line.dataset.fvAlert = name;
    line.append(text);
    if (dismiss) {
      line.append(" ");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0";
      button.textContent = dismiss;
      button.addEventListener("click", async () => {
        await deleteMeta("storage_lost");
        await render();
      });
      line.append(button);
    }
    if (href) {
      line.append(" ");
      const anchor = document.createElement("a");
      anchor.className = "govuk-link";
      anchor.href = href;
      anchor.textContent = linkText;
      line.append(anchor);
    }
    return line;
  }));
}
