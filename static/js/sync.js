// The sync loop's one pass: send the outbox to the central record and refresh today's pack.
//
// Modelled on Workbox's background-sync Queue, with its one flaw left out: an item leaves
// the outbox only on the server's receipt (stored or duplicate), never because some HTTP
// answer came back (OFFLINE.md). 401 pauses the whole queue until the practitioner signs
// in again; rejected and conflicting items are kept for their author ("Needs your
// attention"); no signal, 5xx, 408 and 429 leave everything queued for the next try, and so does
// a central record too slow to answer (a timeout: "slow", told apart from no signal, issue 14).
// Runs in a page (app start, `online`, visible again, the timer, "Sync now") or in the
// service worker (Background Sync); Web Locks make sure only one send and one pack refresh
// run at a time.

import { sealJson } from "/static/js/crypto.js";
import { getMeta } from "/static/js/idb.js";
import {
  device, fetchDeviceSecret, forgetDeviceSecret, forgetReaderKey, keyRecord, readerPublicKey, sealingKey,
} from "/static/js/keystore.js";
import {
  SCHEMA_VERSION, applyReceipts, currentPractitioner, forgetReadableCopies, itemsOf, noteAttempt, packOf, pagesOf,
  removePages,
  setPack, storePage, syncState, updateSyncState,
} from "/static/js/outbox.js";

export const SYNC_TAG = "fieldvisit-outbox";
export const LOCK_NAME = "fieldvisit-sync";
export const PACK_LOCK_NAME = "fieldvisit-pack";
export const MAX_BATCH_ITEMS = 100;
export const MAX_BATCH_BYTES = 1900 * 1024; // the server takes up to 2 MB a batch
export const PACK_MAX_AGE_MS = 30 * 60 * 1000;
export const BACKOFF_BASE_MS = 5 * 1000;
export const BACKOFF_CAP_MS = 5 * 60 * 1000;
const DEVICE_SECRET_MAX_AGE_MS = 12 * 60 * 60 * 1000;
const PAGES_AT_ONCE = 3;
// Said on a page fetched to be kept: the server leaves the person's flashed messages for the page
// they see next (fieldvisit/offline/views.py).
const KEPT_COPY_HEADER = "Fieldvisit-Kept-Copy";
// A kept page younger than this is not fetched again: 5 minutes when the practitioner asks
// (sign-in, "Sync now", a new PIN), 2 hours otherwise; opening a page online also refreshes it.
const PAGE_FRESH_MS = { force: 5 * 60 * 1000, auto: 2 * 60 * 60 * 1000 };
const RETRY_LATER = new Set([408, 429]);
// No answer within this long is "the central record is slow to answer" (issue 14), not "no
// signal": the items stay queued and are tried again with backoff. A tablet (a test) may set
// shorter ones in its database: meta "timeout:push" / "timeout:pack", in milliseconds.
export const PUSH_TIMEOUT_MS = 30 * 1000;
export const PACK_TIMEOUT_MS = 60 * 1000;

/**
 * Set by the page or the service worker: what to do when another practitioner is signed in, and
 * the app's version (the service worker's build) sent with each contact so the admin sees it.
 */
export const hooks = { switchPractitioner: async () => {}, appVersion: "page" };

/** Ends a sync early; `state` says why (offline, slow, signed_out, server_error, switched, device_revoked). */
class Stop extends Error {
  constructor(state, detail = "") {
    super(`${state} ${detail}`.trim());
    this.state = state;
  }
}

async function timeoutFor(name, fallback) {
  const set = Number(await getMeta(`timeout:${name}`).catch(() => undefined));
  return set > 0 ? set : fallback;
}

/** A fetch given up after `ms` (the answer's body too): it rejects with a TimeoutError. */
function fetchWithin(url, init, ms) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
}

function timedOut(error) {
  return Boolean(error && error.name === "TimeoutError");
}

/** The delay before try number `failures` + 1: capped exponential backoff with jitter. */
export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * One sync. Options: pack ("auto" refreshes today's pack when it is old, "force" always,
 * "skip" never); wait (queue behind a sync already running rather than skip);
 * secret (fetch the device secret again, as at sign-in).
 * Resolves with {state, receipts: {id: receipt}, sent, pages}.
 *
 * Sending and refreshing the pack hold separate Web Locks: a record just saved waits only for
 * records being sent, never behind a pack refresh fetching two hundred pages on a slow network.
 */
export async function syncNow(options = {}) {
  const sent = await underLock(LOCK_NAME, options.wait, () => running(send, options));
  if (options.pack === "skip" || !["done", "busy"].includes(sent.state)) return sent;
  const packed = await underLock(PACK_LOCK_NAME, options.wait, () => running(refresh, options));
  return {
    ...sent, pages: packed.pages === undefined ? null : packed.pages,
    state: sent.state === "busy" ? packed.state : (packed.state === "busy" ? sent.state : packed.state),
    ...(packed.detail ? { detail: packed.detail } : {}),
  };
}

function underLock(name, wait, work) {
  const locks = globalThis.navigator && navigator.locks;
  if (!locks) return work();
  return locks.request(name, { ifAvailable: !wait }, (lock) => (lock ? work() : { state: "busy", receipts: {} }));
}

/** Is a sync started from this page running now? The status area says "sending now" meanwhile. */
export const activity = { running: 0 };

async function running(phase, options) {
  activity.running += 1;
  announce();
  try {
    return await attempt(phase, options);
  } finally {
    activity.running -= 1;
    announce();
  }
}

function announce() {
  // Pages listen (offline-ui.js renders the status again); the service worker has no document.
  if (typeof document !== "undefined") document.dispatchEvent(new CustomEvent("fieldvisit:sync-activity"));
}

/** Send the outbox. */
async function send(practitionerId, outcome, { secret = false }) {
  await sealingKey({ refresh: true });
  await ensureDeviceSecret(practitionerId, secret);
  await pushOutbox(practitionerId, outcome);
}

/** Refresh today's pack when asked or when it is old. */
async function refresh(practitionerId, outcome, { pack = "auto" }) {
  if (pack === "force" || (pack === "auto" && (await packIsOld(practitionerId)))) {
    await refreshPack(practitionerId, outcome, pack);
  }
}

/** Run one phase of a sync for the practitioner signed in, and note how it went in the sync state. */
async function attempt(phase, options) {
  const who = await currentPractitioner();
  if (!who) return { state: "no_user", receipts: {} };
  const practitionerId = who.practitioner_id;
  const outcome = { state: "done", receipts: {}, sent: 0, pages: null };
  try {
    await phase(practitionerId, outcome, options);
    // A phase with nothing to do asks nothing of the network: only an answer
    // from the central record says there is signal (the status area's "signal", issue 12).
    await updateSyncState(practitionerId, {
      last_success_at: Date.now(), paused: null, last_problem: null, failures: 0,
      ...(outcome.contacted ? { last_contact_at: Date.now() } : {}),
      ...(outcome.verified ? { last_verified_at: Date.now() } : {}),
    });
  } catch (error) {
    outcome.state = error instanceof Stop ? error.state : (error instanceof TypeError ? "offline" : "error");
    outcome.detail = String(error && error.message);
    if (outcome.state !== "switched") {
      const state = await syncState(practitionerId);
      if (outcome.contacted && outcome.state !== "offline") await updateSyncState(practitionerId, { last_contact_at: Date.now() });
      if (outcome.verified) await updateSyncState(practitionerId, { last_verified_at: Date.now() });
      await updateSyncState(practitionerId, {
        last_problem: outcome.state, last_failure_at: Date.now(), failures: (state.failures || 0) + 1,
        paused: outcome.state === "signed_out" ? "signed_out" : null,
      });
    }
  }
  return outcome;
}

async function packIsOld(practitionerId) {
  const pack = await packOf(practitionerId);
  return !pack || !pack.complete || Date.now() - pack.fetched_at > PACK_MAX_AGE_MS;
}

async function ensureDeviceSecret(practitionerId, force) {
  const record = await keyRecord(practitionerId);
  if (!force && record && record.secret && Date.now() - record.secret_at < DEVICE_SECRET_MAX_AGE_MS) return;
  let answer;
  try {
    answer = await fetchDeviceSecret(practitionerId);
  } catch {
    throw new Stop("offline");
  }
  if (answer.status === 401) throw new Stop("signed_out");
  if (answer.status === 403 && answer.error === "device_revoked") await wipeRevokedDevice(practitionerId, []);
}

/**
 * An administrator revoked this device (lost or stolen): wipe what it keeps readable (kept pages,
 * readable copies, the reader key and the device secret) and stop. The sealed queued items stay in
 * the outbox, unreadable here and not accepted from this device (docs/security.md). The central record
 * keeps what it received aside for a team lead (a `conflict` receipt, issue 14): those are noted as kept.
 */
async function wipeRevokedDevice(practitionerId, ids, receipts = []) {
  await forgetReadableCopies(practitionerId);
  await forgetReaderKey(practitionerId);
  await forgetDeviceSecret(practitionerId);
  const kept = new Set((Array.isArray(receipts) ? receipts : [])
    .filter((r) => r && (r.status === "conflict" || r.status === "duplicate")).map((r) => r.id));
  if (kept.size) await noteAttempt(ids.filter((id) => kept.has(id)), "revoked_kept");
  const others = ids.filter((id) => !kept.has(id));
  if (others.length) await noteAttempt(others, "device_revoked");
  throw new Stop("device_revoked");
}

async function stopIfRevoked(practitionerId, response, ids) {
  let body = {};
  try {
    body = await response.clone().json();
  } catch {
    return;
  }
  if (body.error === "device_revoked") await wipeRevokedDevice(practitionerId, ids, body.receipts);
}

function wireItem(entry) {
  const item = { id: entry.id, kind: entry.kind, recorded_at: entry.recorded_at, sealed: entry.sealed };
  if (Number.isFinite(entry.clock_offset_ms)) item.clock_offset_ms = entry.clock_offset_ms; // issue 14
  return item;
}

/** Batches of at most MAX_BATCH_ITEMS items and MAX_BATCH_BYTES of JSON. */
function batches(entries) {
  const all = [];
  let batch = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = JSON.stringify(wireItem(entry)).length + 1;
    if (batch.length && (batch.length >= MAX_BATCH_ITEMS || bytes + size > MAX_BATCH_BYTES)) {
      all.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length) all.push(batch);
  return all;
}

async function pushOutbox(practitionerId, outcome) {
  const queued = (await itemsOf(practitionerId)).filter((entry) => entry.status === "queued" && entry.sealed);
  if (!queued.length) return;
  const { device_id: deviceId } = await device();
  for (const batch of batches(queued)) await sendBatch(practitionerId, deviceId, batch, outcome);
}

async function sendBatch(practitionerId, deviceId, batch, outcome) {
  const ids = batch.map((entry) => entry.id);
  const body = JSON.stringify({ device_id: deviceId, schema_version: SCHEMA_VERSION, items: batch.map(wireItem) });
  let response;
  let answer;
  const timeout = await timeoutFor("push", PUSH_TIMEOUT_MS);
  try {
    response = await fetchWithin("/api/sync/push", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json",
        "X-Fieldvisit-App-Version": hooks.appVersion }, body,
    }, timeout);
    if (response.ok) answer = await response.json();
  } catch (error) {
    // No answer, an answer cut off, or none in time: the server may have stored them. They stay
    // here and are sent again; the server acknowledges a repeat as a duplicate.
    const state = timedOut(error) ? "slow" : "offline";
    await noteAttempt(ids, state);
    throw new Stop(state);
  }
  outcome.contacted = true;
  if (response.status === 401) {
    await noteAttempt(ids, "signed_out");
    throw new Stop("signed_out");
  }
  if (response.status === 403) await stopIfRevoked(practitionerId, response, ids);
  if ((response.status === 413 || response.status === 400) && batch.length > 1) {
    // Send it in halves, so one bad or huge item never holds back the rest.
    const half = Math.ceil(batch.length / 2);
    await sendBatch(practitionerId, deviceId, batch.slice(0, half), outcome);
    await sendBatch(practitionerId, deviceId, batch.slice(half), outcome);
    return;
  }
  if (response.status === 413 || response.status === 400) {
    const message = response.status === 413
      ? "This record is too large to send. Shorten it and save it again."
      : await refusal(response);
    answer = { receipts: [{ id: ids[0], status: "rejected", errors: { record: message }, server_time: null }] };
  } else if (!response.ok) {
    await noteAttempt(ids, RETRY_LATER.has(response.status) ? "busy" : "server_error");
    throw new Stop("server_error", String(response.status));
  }
  outcome.verified = true; // the central record answered this practitioner, signed in (offline-lock.js)
  await takeReceipts(practitionerId, batch, answer, outcome);
}

async function refusal(response) {
  try {
    const body = await response.json();
    return `The central record could not read this record: ${body.message || body.error}`;
  } catch {
    return "The central record could not read this record.";
  }
}

/**
 * The tablet's clock against the central record's, measured at each answer that carries the server's time
 * (a push, or the pack when nothing waits). Shown, never "corrected" here (OFFLINE.md: three clocks); each
 * record saved afterwards carries it (`clock_offset_ms`, issue 14) and the server judges its times with it.
 */
async function noteClock(practitionerId, serverTime) {
  if (serverTime && !Number.isNaN(Date.parse(serverTime))) {
    await updateSyncState(practitionerId, { skew_ms: Date.parse(serverTime) - Date.now(), skew_at: Date.now() });
  }
}

async function takeReceipts(practitionerId, batch, answer, outcome) {
  const receipts = Array.isArray(answer.receipts) ? answer.receipts : [];
  const serverTime = answer.server_time || (receipts.find((r) => r.server_time) || {}).server_time;
  await noteClock(practitionerId, serverTime);
  const readerKey = await readerPublicKey(practitionerId);
  const notices = new Map();
  for (const receipt of receipts) {
    if (receipt.status !== "rejected" && receipt.status !== "conflict") continue;
    const errors = receipt.errors || {};
    notices.set(receipt.id, {
      fields: Object.keys(errors),
      sealed: readerKey ? await sealJson(readerKey, { status: receipt.status, errors, server_time: receipt.server_time },
        `notice:${receipt.id}`) : null,
    });
  }
  const sent = new Map(batch.map((entry) => [entry.id, entry.revision]));
  await applyReceipts(sent, receipts, notices);
  for (const receipt of receipts) outcome.receipts[receipt.id] = receipt;
  outcome.sent += receipts.filter((r) => r.status === "stored" || r.status === "duplicate").length;
  const answered = new Set(receipts.map((receipt) => receipt.id));
  await noteAttempt(batch.map((entry) => entry.id).filter((id) => !answered.has(id)), "no_receipt");
}

async function refreshPack(practitionerId, outcome, mode) {
  let response;
  let pack;
  const timeout = await timeoutFor("pack", PACK_TIMEOUT_MS);
  try {
    const { device_id: deviceId } = await device();
    response = await fetchWithin("/api/sync/pack", { credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/json", "X-Fieldvisit-Device": deviceId,
        "X-Fieldvisit-App-Version": hooks.appVersion } }, timeout);
    if (response.ok) pack = await response.json();
  } catch (error) {
    throw new Stop(timedOut(error) ? "slow" : "offline");
  }
  outcome.contacted = true;
  if (response.status === 401) throw new Stop("signed_out");
  if (response.status === 403) await stopIfRevoked(practitionerId, response, []);
  if (!response.ok) throw new Stop("server_error", String(response.status));
  await noteClock(practitionerId, pack.server_time);
  outcome.verified = true; // the central record answered this practitioner, signed in (offline-lock.js)
  const lockHours = Number.isInteger(pack.offline_lock_hours) ? pack.offline_lock_hours : null;
  if (pack.practitioner && pack.practitioner.id !== practitionerId) {
    await hooks.switchPractitioner({ practitioner_id: pack.practitioner.id, username: pack.practitioner.username,
      display_name: pack.practitioner.display_name });
    throw new Stop("switched");
  }
  const pages = Array.isArray(pack.pages) ? pack.pages : [];
  const previous = await packOf(practitionerId);
  // The list first (the service worker keeps pages of the pack fresh as they are opened);
  // "complete" only once every page has been fetched, so an interrupted pass is redone.
  // Pages show the partnership's rules as they were when fetched: new settings mean fetch them all again.
  const settingsVersion = pack.settings_version || null;
  const settingsChanged = Boolean(previous && previous.settings_version !== settingsVersion);
  await setPack(practitionerId, { pages, families: pack.families || [], complete: false,
    fetched_at: previous ? previous.fetched_at : null,
    settings_version: settingsChanged ? null : settingsVersion, offline_lock_hours: lockHours });
  outcome.pages = (await readerPublicKey(practitionerId))
    ? await keepPages(practitionerId, pages, settingsChanged ? 0 : PAGE_FRESH_MS[mode]) : 0;
  await removePages(practitionerId, pages);
  await setPack(practitionerId, { pages, families: pack.families || [], complete: true, fetched_at: Date.now(),
    settings_version: settingsVersion, offline_lock_hours: lockHours });
}

/**
 * Fetch each page of the pack (a few at a time) and keep it encrypted; returns how many
 * are kept. A page kept less than `freshFor` ms ago is not fetched again.
 */
async function keepPages(practitionerId, urls, freshFor) {
  const fresh = new Set((await pagesOf(practitionerId))
    .filter((page) => Date.now() - page.fetched_at < freshFor).map((page) => page.url));
  let kept = urls.filter((url) => fresh.has(url)).length;
  const queue = urls.filter((url) => !fresh.has(url));
  async function worker() {
    while (queue.length) {
      const url = queue.shift();
      if (await keepPage(practitionerId, url)) kept += 1;
    }
  }
  await Promise.all(Array.from({ length: PAGES_AT_ONCE }, worker));
  return kept;
}

/** Keep one page if it is the real page of this practitioner (not a sign-in redirect). */
export async function keepPage(practitionerId, url, response = null) {
  try {
    const answer = response || await fetch(url, { credentials: "same-origin", cache: "no-store",
      headers: { Accept: "text/html", [KEPT_COPY_HEADER]: "1" } });
    const landed = new URL(answer.url, location.origin);
    if (!answer.ok || landed.pathname + landed.search !== url) return false;
    if (!(answer.headers.get("Content-Type") || "").startsWith("text/html")) return false;
    const html = await answer.text();
    if (!html.includes(`data-fv-practitioner="${practitionerId}"`)) return false;
    return await storePage(practitionerId, url, html, answer.headers.get("Content-Security-Policy"));
  } catch {
    return false;
  }
}
