// Fieldvisit's service worker, served at /sw.js so that its scope is the whole app.
//
// - The app shell (styles, scripts, icons, offline pages: nobody's data) comes from a cache
//   named after the build's version. A new version is cached completely at install before
//   the old cache is removed at activation; the outbox is in IndexedDB, which no update
//   touches (static/js/idb.js only ever adds stores).
// - A page of today's pack is fetched from the network first; with no network (or no
//   answer within NETWORK_TIMEOUT_MS) it is opened from the copy kept encrypted in
//   IndexedDB, decrypted here with the practitioner's reader key. That key is only ever in
//   this worker's memory: when the worker has been restarted (the browser stops idle
//   workers), a kept page sends the practitioner to the PIN page, which unlocks and returns.
// - A page not in the pack, with no network, says it is not available offline.
// - Background Sync (where the browser has it) runs the same sync as the pages.

import { unsealJson } from "/static/js/crypto.js";
import { deleteMeta, getMeta, openDatabase } from "/static/js/idb.js";
import { forgetReaderKey, hasPin, setPin, unlockWithPin } from "/static/js/keystore.js";
import { offlineLock } from "/static/js/offline-lock.js";
import {
  announce, currentPractitioner, forgetReadableCopies, item, itemsOf, keptPageFor, openKeptPage, packOf,
  removePagesOfOthers, setCurrentPractitioner,
} from "/static/js/outbox.js";
import { SYNC_TAG, hooks, keepPage, syncNow } from "/static/js/sync.js";

// Written in by fieldvisit/pwa.py when it serves this file: the version and the shell's URLs.
const BUILD = /* build */ { version: "source", shell: [] } /* end build */;
const CACHE_PREFIX = "fieldvisit-shell-";
const SHELL_CACHE = CACHE_PREFIX + BUILD.version;
const NETWORK_TIMEOUT_MS = 4000;
// "/" sends a practitioner to Today (fieldvisit/today.py): with no signal, open the kept Today.
const KEPT_ALIASES = { "/": "/today" };
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
  + "worker-src 'self'; manifest-src 'self'";

/** Practitioner id → their reader private key (non-extractable). Memory only, never stored. */
const readers = new Map();

hooks.appVersion = BUILD.version;
hooks.switchPractitioner = async (practitioner) => {
  readers.clear();
  await removePagesOfOthers(practitioner.practitioner_id);
  await setCurrentPractitioner(practitioner);
  announce({ type: "switched" });
};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // All or nothing: if one file fails, this version is not installed and the old stays.
    await cache.addAll(BUILD.shell.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    await openDatabase();
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== SHELL_CACHE) await caches.delete(name);
    }
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event, url));
  } else if (shellPath(url)) {
    event.respondWith(fromShell(request, url));
  }
});

// A shell file by its plain URL, or by the versioned URL the pages link (?v=<content hash>,
// fieldvisit/serving.py): both are answered from the copy cached under the plain URL.
const VERSIONED = /^\?v=[0-9a-f]{6,64}$/;

function shellPath(url) {
  return (!url.search || VERSIONED.test(url.search)) && BUILD.shell.includes(url.pathname);
}

async function fromShell(request, url) {
  const cached = await caches.match(url.pathname, { cacheName: SHELL_CACHE }).catch(() => null);
  if (cached) return cached;
  // Not in the cache (the site's storage was cleared): from the network, kept again for no signal.
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    caches.open(SHELL_CACHE).then((cache) => cache.put(url.pathname, copy)).catch(() => {});
  }
  return response;
}

/** An offline page from the shell cache, at the URL that was asked for. */
async function shellPage(path) {
  const cached = await caches.match(path, { cacheName: SHELL_CACHE }).catch(() => null);
  if (cached) return new Response(cached.body, { status: 200, headers: cached.headers });
  return new Response("This page is not available offline.", {
    status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/**
 * A navigation. Storage is never in the way (issue 14): when the site's storage was cleared
 * under this worker (IndexedDB closed, caches gone), any error of it falls back to the network.
 * The database is opened again at its next use (idb.js); the page tells the practitioner what
 * may have been lost (offline-ui.js).
 */
async function navigate(event, url) {
  try {
    return await navigateWithStorage(event, url);
  } catch (error) {
    console.warn("Fieldvisit: the tablet's storage failed; from the network instead", error);
    try {
      return await fromNetwork(event, 0);
    } catch {
      return new Response("There is no signal, and this tablet's storage cannot be read.", {
        status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    }
  }
}

async function navigateWithStorage(event, url) {
  const path = url.pathname + url.search;
  if (url.pathname.startsWith("/offline/")) {
    const cached = await caches.match(url.pathname, { cacheName: SHELL_CACHE }).catch(() => null);
    return cached || fetch(event.request);
  }
  const pendingSignOut = await getMeta("pending_sign_out");
  if (pendingSignOut) {
    if (!(await finishSignOut(pendingSignOut))) return shellPage("/offline/signed-out");
    // The preloaded page was asked for before the sign-out: its form tokens are dead now.
    event.waitUntil(Promise.resolve(event.preloadResponse).catch(() => {}));
    return fetch(event.request);
  }
  const who = await currentPractitioner();
  const asked = KEPT_ALIASES[path] || path;
  // A page kept for its path alone may serve any query (e.g. ?visit= of the body map of a visit
  // saved on this tablet): see keptForAnyQuery in outbox.js.
  const target = new URL(asked, url);
  const kept = who ? await keptPageFor(who.practitioner_id, target.pathname, target.search) : null;
  if (kept && self.navigator.onLine === false) return fromKeptPage(who, kept, asked);
  try {
    const response = await fromNetwork(event, kept ? NETWORK_TIMEOUT_MS : 0);
    if (who && response.ok && (await inPack(who.practitioner_id, path).catch(() => false))) {
      // Keep the kept copy as fresh as what was just seen.
      event.waitUntil(keepPage(who.practitioner_id, path, response.clone()));
    }
    return response;
  } catch {
    if (kept) return fromKeptPage(who, kept, asked);
    return shellPage("/offline/unavailable");
  }
}

function fromNetwork(event, timeout) {
  const fetching = (async () => (await event.preloadResponse) || fetch(event.request))();
  event.waitUntil(fetching.catch(() => {}));
  if (!timeout) return fetching;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer in time")), timeout);
    fetching.then((response) => { clearTimeout(timer); resolve(response); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

async function inPack(practitionerId, path) {
  const pack = await packOf(practitionerId);
  return Boolean(pack && pack.pages.includes(path));
}

/**
 * The kept copy of a page ({url it is kept under, entry}), decrypted, for the address asked
 * for; the PIN page first (returning to that address) when the key is not in memory.
 */
async function fromKeptPage(who, kept, asked) {
  const { entry } = kept;
  const lock = await lockedFor(who.practitioner_id);
  if (lock.locked) {
    return Response.redirect(`/offline/locked?hours=${lock.hours}&next=${encodeURIComponent(asked)}`, 303);
  }
  const key = readers.get(who.practitioner_id);
  if (!key) return Response.redirect(`/offline/unlock?next=${encodeURIComponent(asked)}`, 303);
  let html;
  try {
    html = await openKeptPage(key, entry, kept.url);
  } catch {
    return shellPage("/offline/unavailable"); // kept under an earlier PIN
  }
  html = html.replace("data-fv-sync", `data-fv-cached-at="${entry.fetched_at}" data-fv-sync`);
  return new Response(html, { status: 200, headers: {
    "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
    "Content-Security-Policy": entry.csp || CONTENT_SECURITY_POLICY,
  } });
}

/**
 * Too long without contact (offline-lock.js): nothing kept is shown, and the reader key leaves
 * memory, until the practitioner signs in with signal (a sync with the central record).
 */
async function lockedFor(practitionerId) {
  const lock = await offlineLock(practitionerId).catch(() => ({ locked: false }));
  if (lock.locked) readers.delete(practitionerId);
  return lock;
}

function lockedAnswer(lock) {
  return { ok: false, locked: true, expired: true, hours: lock.hours,
    error: `This tablet has not reached the central record for more than ${lock.hours} hours, so what it keeps `
      + "is locked. Sign in with signal to open it again. Records you saved on it are still sent." };
}

/** A sign-out made with no signal reaches the server at the next navigation with signal. */
async function finishSignOut(pending) {
  try {
    await fetch("/sign-out", {
      method: "POST", credentials: "same-origin", redirect: "manual",
      body: new URLSearchParams({ csrf_token: pending.token || "" }),
    });
  } catch {
    return false;
  }
  await deleteMeta("pending_sign_out");
  return true;
}

// ---- Messages from the pages: the PIN, and reading what only the reader key opens ----

self.addEventListener("message", (event) => {
  const port = event.ports && event.ports[0];
  const reply = (value) => { if (port) port.postMessage(value); };
  event.waitUntil(answer(event.data || {}).then(reply,
    (error) => reply({ ok: false, error: String((error && error.message) || error) })));
});

async function answer(message) {
  if (message.type === "keepalive") return { ok: true };
  if (message.type === "version") return { ok: true, version: BUILD.version };
  if (message.type === "claim") {
    // A page whose navigation began before this worker was active is not claimed at activation
    // if it became a page only after: it asks (see offline-ui.js), so that it works with no signal.
    await self.clients.claim();
    return { ok: true };
  }
  const who = await currentPractitioner();
  const practitionerId = who ? who.practitioner_id : null;
  switch (message.type) {
    case "status": {
      const lock = await lockedFor(practitionerId);
      return { ok: true, unlocked: readers.has(practitionerId), expired: lock.locked, version: BUILD.version };
    }
    case "unlock": {
      const lock = await lockedFor(practitionerId);
      if (lock.locked) return lockedAnswer(lock);
      return unlock(practitionerId, message.pin);
    }
    case "set-pin": {
      if (practitionerId == null) return { ok: false, error: "Sign in first." };
      const hadPin = await hasPin(practitionerId);
      const key = await setPin(practitionerId, String(message.pin || ""));
      if (hadPin) await forgetReadableCopies(practitionerId);
      readers.set(practitionerId, key);
      announce({ type: "pin" });
      return { ok: true };
    }
    case "lock":
      readers.clear();
      return { ok: true };
    case "open-item":
      return openItem(practitionerId, message.id);
    case "describe-items":
      return describeItems(practitionerId);
    default:
      return { ok: false, error: `Unknown message ${message.type}` };
  }
}

async function unlock(practitionerId, pin) {
  if (practitionerId == null) return { ok: false, noPin: true };
  const outcome = await unlockWithPin(practitionerId, String(pin || ""));
  if (outcome.ok) {
    readers.set(practitionerId, outcome.privateKey);
    announce({ type: "unlocked" });
    return { ok: true };
  }
  if (outcome.lockedOut) {
    // Too many wrong PINs: wipe what could be read. Sealed copies stay and are still sent.
    readers.delete(practitionerId);
    await forgetReaderKey(practitionerId);
    await forgetReadableCopies(practitionerId);
    return { ok: false, lockedOut: true };
  }
  return { ok: false, attemptsLeft: outcome.attemptsLeft, noPin: Boolean(outcome.noPin) };
}

async function readCopy(key, entry) {
  const copy = { readable: null, notice: null };
  if (entry.readable) copy.readable = await unsealJson(key, entry.readable, entry.id).catch(() => null);
  if (entry.notice) copy.notice = await unsealJson(key, entry.notice, `notice:${entry.id}`).catch(() => null);
  return copy;
}

async function openItem(practitionerId, id) {
  const lock = await lockedFor(practitionerId);
  if (lock.locked) return lockedAnswer(lock);
  const key = readers.get(practitionerId);
  if (!key) return { ok: false, locked: true };
  const entry = await item(id);
  if (!entry || entry.practitioner_id !== practitionerId) return { ok: false, missing: true };
  return { ok: true, item: { id: entry.id, kind: entry.kind, status: entry.status, ...(await readCopy(key, entry)) } };
}

async function describeItems(practitionerId) {
  const lock = await lockedFor(practitionerId);
  if (lock.locked) return lockedAnswer(lock);
  const key = readers.get(practitionerId);
  if (!key) return { ok: false, locked: true };
  const described = [];
  for (const entry of await itemsOf(practitionerId)) {
    const copy = await readCopy(key, entry);
    described.push({
      id: entry.id, title: copy.readable ? copy.readable.title : null,
      page_url: copy.readable ? copy.readable.page_url : null,
      errors: copy.notice ? copy.notice.errors : null,
    });
  }
  return { ok: true, items: described };
}

// ---- Background Sync: send the outbox even with no page open (not in Safari) ----

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(syncNow({ pack: "auto", wait: true }).then((outcome) => {
    // Rejecting asks the browser to try again later.
    if (["offline", "slow", "server_error"].includes(outcome.state)) throw new Error(outcome.state);
  }));
});
