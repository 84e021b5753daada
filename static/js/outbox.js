// The outbox: records saved on this tablet, kept until the central record has sent its
// receipt. Each item holds a sealed copy (encrypted to the central record's public key:
// sent without any PIN) and, once the practitioner has set a PIN, a readable copy
// encrypted to their own reader key, so they can see and fix it. Also here: the encrypted
// pages of today's pack, and the per-practitioner sync state.

import { seal, sealJson, unseal } from "/static/js/crypto.js";
import { deleteMeta, getAllBy, getMeta, getOne, metaIn, read, result, setMeta, write } from "/static/js/idb.js";
import { keyRecord, readerPublicKey, sealingKey, serverKeyIn } from "/static/js/keystore.js";

export const SCHEMA_VERSION = 1;
const USED_ID_DAYS = 90;
const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("fieldvisit-outbox");

/** Tell every page (and the service worker) that the outbox or the sync state changed. */
export function announce(change = {}) {
  if (channel) channel.postMessage({ ...change, at: Date.now() });
}

/** Listen for changes made by other pages or the service worker. */
export function onChange(listener) {
  if (channel) channel.addEventListener("message", (event) => listener(event.data));
}

/** The device's local time with its offset, e.g. 2025-03-01T10:05:00+00:00. */
export function deviceTime(date = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

export class OutboxError extends Error {
  constructor(reason, message) {
    super(message || reason);
    this.reason = reason;
  }
}

/**
 * What a save seals with, read in one transaction of ["meta", "keys"]: the central record's key
 * (kept by keystore.sealingKey), the practitioner's reader key (once a PIN is set) and the clock
 * offset known from the last sync. `stamp` changes whenever a key does: the server's key fetched
 * again, a PIN set or forgotten.
 */
async function sealingOf(stores, practitionerId) {
  const [serverKey, keys, sync] = await Promise.all([serverKeyIn(stores),
    result(stores.keys.get(practitionerId)), metaIn(stores, `sync:${practitionerId}`)]);
  const skew = sync && Number.isFinite(sync.skew_ms) ? Math.round(sync.skew_ms) : null;
  const readable = Boolean(keys && keys.wrapped_private);
  return {
    serverKey: serverKey ? serverKey.key : null, readerKey: readable ? keys.public_key : null,
    generation: readable ? keys.generation : null, clockOffset: skew,
    stamp: JSON.stringify([serverKey && serverKey.fetched_at, readable, keys && keys.generation]),
  };
}

function readSealing(practitionerId) {
  return read(["meta", "keys"], (stores) => sealingOf(stores, practitionerId));
}

// Read ahead of the next save (issue 13: each database round trip is felt on a slow tablet): a
// form reads it when it opens, so pressing Save waits for no read. The save's own transaction
// checks the stamp and, if a key changed since, the record is sealed again.
let ahead = null; // {practitionerId, reading}

/** Read what the next save of this practitioner seals with, now. */
export function readAheadForSave(practitionerId) {
  const reading = readSealing(practitionerId);
  reading.catch(() => {}); // a failed read ahead only means the save reads for itself
  ahead = { practitionerId, reading };
}

async function takeSealing(practitionerId) {
  const mine = ahead && ahead.practitionerId === practitionerId ? ahead.reading : null;
  ahead = null;
  const sealing = (mine && await mine.catch(() => null)) || await readSealing(practitionerId);
  if (sealing.serverKey) return sealing;
  // Not yet on this tablet: fetched (if there is signal), then read with the rest.
  return (await sealingKey()) ? readSealing(practitionerId) : sealing;
}

class SealingChanged extends Error {}

/**
 * Save a record {id, kind, payload, recorded_at} for this practitioner, resolving only
 * once the transaction is complete (on disk). A rejected item may be saved again with
 * the same id (corrected); any other id already used on this tablet is refused.
 */
export async function saveRecord(item, { practitionerId, pageUrl = "", title = "" }) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const entry = await saveSealed(item, practitionerId, await takeSealing(practitionerId), pageUrl, title);
      announce({ type: "saved", id: item.id });
      return entry;
    } catch (error) {
      if (!(error instanceof SealingChanged)) throw error;
      if (attempt === 3) throw new OutboxError("keys-changing", "This tablet's keys changed while saving.");
    }
  }
}

async function saveSealed(item, practitionerId, sealing, pageUrl, title) {
  if (!sealing.serverKey) throw new OutboxError("no-server-key", "This tablet has not yet had the central record's key.");
  // The two copies are sealed side by side (WebCrypto works off the page's thread).
  const [sealed, readable] = await Promise.all([
    sealJson(sealing.serverKey, item.payload, item.id),
    sealing.readerKey ? sealJson(sealing.readerKey, {
      kind: item.kind, payload: item.payload, recorded_at: item.recorded_at, page_url: pageUrl, title,
    }, item.id) : null,
  ]);
  const now = Date.now();
  return write(["outbox", "used_ids", "meta", "keys"], async (stores) => {
    const [existing, current] = await Promise.all([result(stores.outbox.get(item.id)),
      sealingOf(stores, practitionerId)]);
    if (current.stamp !== sealing.stamp) throw new SealingChanged();
    if (existing && (existing.status !== "rejected" || existing.practitioner_id !== practitionerId)) {
      throw new OutboxError("id-in-use", "This record is already saved on this tablet.");
    }
    const saved = {
      id: item.id, practitioner_id: practitionerId, kind: item.kind, recorded_at: item.recorded_at,
      saved_at: existing ? existing.saved_at : now, updated_at: now, status: "queued",
      sealed, readable, reader_generation: readable ? sealing.generation : null,
      notice: null, notice_fields: null, attempts: 0, last_attempt_at: null, last_problem: null,
      revision: (existing ? existing.revision : 0) + 1, schema_version: SCHEMA_VERSION,
      // The clock offset known when the record is saved goes with it (issue 14; docs/sync-protocol.md).
      clock_offset_ms: current.clockOffset,
    };
    await result(stores.outbox.put(saved));
    await result(stores.used_ids.put({ id: item.id, used_at: now }));
    return saved;
  });
}

/** This practitioner's items, oldest first. */
export async function itemsOf(practitionerId) {
  if (practitionerId == null) return [];
  const items = await getAllBy("outbox", "by_practitioner", practitionerId);
  return items.sort((a, b) => a.saved_at - b.saved_at);
}

export function item(id) {
  return getOne("outbox", id);
}

/** How many items on this tablet belong to other practitioners (kept for them, sealed). */
export async function countOthers(practitionerId) {
  const all = await read("outbox", (stores) => result(stores.outbox.getAll()));
  return all.filter((entry) => entry.practitioner_id !== practitionerId).length;
}

/**
 * May a form use this record id? "fresh" (never used here), "editable" (this
 * practitioner's rejected item: fix and resend with the same id) or "used".
 */
export async function idState(id, practitionerId) {
  const [entry, used] = await read(["outbox", "used_ids"], (stores) => Promise.all([
    result(stores.outbox.get(id)), result(stores.used_ids.get(id))]));
  if (entry) return entry.practitioner_id === practitionerId && entry.status === "rejected" ? "editable" : "used";
  return used ? "used" : "fresh";
}

/**
 * Apply the server's receipts in one transaction. `sent` maps id → revision sent, so a
 * receipt never applies to an item changed since. `notices` maps id → {sealed, fields}:
 * the server's explanation, encrypted to the author's reader key when there is one.
 */
export async function applyReceipts(sent, receipts, notices) {
  const now = Date.now();
  const outcome = await write(["outbox", "used_ids"], async (stores) => {
    const done = [];
    for (const receipt of receipts) {
      const entry = await result(stores.outbox.get(receipt.id));
      if (!entry || entry.revision !== sent.get(receipt.id)) continue;
      if (receipt.status === "stored" || receipt.status === "duplicate") {
        await result(stores.outbox.delete(receipt.id));
        await result(stores.used_ids.put({ id: receipt.id, used_at: now }));
      } else if (receipt.status === "rejected" || receipt.status === "conflict") {
        const notice = notices.get(receipt.id) || {};
        entry.status = receipt.status;
        entry.notice = notice.sealed || null;
        entry.notice_fields = notice.fields || Object.keys(receipt.errors || {});
        entry.server_time = receipt.server_time;
        entry.last_problem = null;
        await result(stores.outbox.put(entry));
      } else {
        continue;
      }
      done.push(receipt);
    }
    return done;
  });
  announce({ type: "receipts", ids: outcome.map((receipt) => receipt.id) });
  return outcome;
}

/** Count a send attempt that got no receipt (no signal, server error, signed out). */
export async function noteAttempt(ids, problem) {
  if (!ids.length) return;
  const now = Date.now();
  await write("outbox", async (stores) => {
    for (const id of ids) {
      const entry = await result(stores.outbox.get(id));
      if (!entry) continue;
      entry.attempts += 1;
      entry.last_attempt_at = now;
      entry.last_problem = problem;
      await result(stores.outbox.put(entry));
    }
  });
  announce({ type: "attempt" });
}

/**
 * Its author lets an item go, on purpose, from "Needs your attention": a conflict (the
 * central record has kept that copy for the team lead) or a rejected record they choose to
 * discard. Queued items can never be removed this way.
 */
export async function letGo(id, practitionerId) {
  await write("outbox", async (stores) => {
    const entry = await result(stores.outbox.get(id));
    if (entry && entry.practitioner_id === practitionerId && ["conflict", "rejected"].includes(entry.status)) {
      await result(stores.outbox.delete(id));
    }
  });
  announce({ type: "let-go", id });
}

/** Forget ids used long ago (only ids are kept, to stop a cached form reusing one). */
export async function forgetOldIds(days = USED_ID_DAYS) {
  const before = Date.now() - days * 24 * 60 * 60 * 1000;
  await write("used_ids", async (stores) => {
    const all = await result(stores.used_ids.getAll());
    for (const row of all) if (row.used_at < before) await result(stores.used_ids.delete(row.id));
  });
}

// ---- Today's pack: the pages kept for offline use, encrypted to the reader key ----

// A page is compressed (gzip) before it is sealed: a pack's pages are long forms whose markup
// repeats, and kept whole they filled 6.8 MB of a cheap tablet's storage (issue 13: at most
// 2 MB). `encoding` says how; a page kept before compression has none and opens as it was.
const PAGE_ENCODING = typeof CompressionStream === "function" ? "gzip" : "identity";

async function compressed(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function storePage(practitionerId, url, html, csp) {
  const readerKey = await readerPublicKey(practitionerId);
  if (!readerKey) return false;
  const keys = await keyRecord(practitionerId);
  const content = PAGE_ENCODING === "gzip" ? await compressed(html) : html;
  const box = await seal(readerKey, content, `page:${url}`);
  await write("pages", (stores) => result(stores.pages.put({
    practitioner_id: practitionerId, url, box, encoding: PAGE_ENCODING, csp: csp || "", fetched_at: Date.now(),
    reader_generation: keys.generation, any_query: keptForAnyQuery(html),
  })));
  return true;
}

/** The HTML of a kept page (`entry` from keptPageFor), opened with the practitioner's reader
 * key; throws when the key or the page is not the one it was kept with. */
export async function openKeptPage(readerKey, entry, url) {
  const bytes = await unseal(readerKey, entry.box, `page:${url}`);
  if (entry.encoding !== "gzip") return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

const ANY_QUERY = /<meta name="fieldvisit-kept-for-any-query" content="yes">/;

/**
 * Does the page say its kept copy serves the same path with any query string (the body map
 * of a visit saved on this tablet, /children/5/body-map/new?visit=…, reads the visit from the
 * address)? Only the <head> counts: text people wrote is escaped, so it never holds a tag.
 */
export function keptForAnyQuery(html) {
  const head = html.slice(0, Math.max(0, html.indexOf("</head>")));
  return ANY_QUERY.test(head);
}

export function pageEntry(practitionerId, url) {
  return getOne("pages", [practitionerId, url]);
}

/**
 * The kept page for an address: {url it is kept under, entry}, or null. An address with a
 * query string that is not kept as such opens the page kept for its path alone, if that page
 * serves any query (`keptForAnyQuery`).
 */
export async function keptPageFor(practitionerId, pathname, search = "") {
  const exact = await pageEntry(practitionerId, pathname + search);
  if (exact) return { url: pathname + search, entry: exact };
  if (!search) return null;
  const bare = await pageEntry(practitionerId, pathname);
  return bare && bare.any_query ? { url: pathname, entry: bare } : null;
}

/** The kept pages of a practitioner, without their contents: [{url, fetched_at}]. */
export async function pagesOf(practitionerId) {
  const rows = await getAllBy("pages", "by_practitioner", practitionerId);
  return rows.map(({ url, fetched_at: fetchedAt }) => ({ url, fetched_at: fetchedAt }));
}

/** Remove a practitioner's kept pages, all of them or those not in `keep`. */
export async function removePages(practitionerId, keep = null) {
  const keeping = keep ? new Set(keep) : null;
  await write("pages", async (stores) => {
    const keys = await result(stores.pages.index("by_practitioner").getAllKeys(practitionerId));
    for (const key of keys) if (!keeping || !keeping.has(key[1])) await result(stores.pages.delete(key));
  });
}

/** Remove every kept page of everyone but this practitioner (a change of user). */
export async function removePagesOfOthers(practitionerId) {
  await write("pages", async (stores) => {
    const keys = await result(stores.pages.getAllKeys());
    for (const key of keys) if (key[0] !== practitionerId) await result(stores.pages.delete(key));
  });
}

/**
 * After a PIN reset or a lockout: the old reader key is gone, so drop what only it could
 * read (kept pages, readable copies, the server's explanations). Sealed copies stay and
 * are still sent.
 */
export async function forgetReadableCopies(practitionerId) {
  await removePages(practitionerId);
  await write("outbox", async (stores) => {
    const items = await result(stores.outbox.index("by_practitioner").getAll(practitionerId));
    for (const entry of items) {
      entry.readable = null;
      entry.notice = null;
      entry.reader_generation = null;
      await result(stores.outbox.put(entry));
    }
  });
  await deleteMeta(`pack:${practitionerId}`);
  announce({ type: "wiped" });
}

// ---- Who uses the tablet now, and how syncing went ----

export const currentPractitioner = () => getMeta("current");
export const setCurrentPractitioner = (practitioner) => setMeta("current", practitioner);

export async function syncState(practitionerId) {
  return (await getMeta(`sync:${practitionerId}`)) || {};
}

export async function updateSyncState(practitionerId, change) {
  const state = { ...(await syncState(practitionerId)), ...change };
  await setMeta(`sync:${practitionerId}`, state);
  announce({ type: "sync-state" });
  return state;
}

export const packOf = (practitionerId) => getMeta(`pack:${practitionerId}`);
export const setPack = (practitionerId, pack) => setMeta(`pack:${practitionerId}`, pack);
