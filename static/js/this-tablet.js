// What any page does with what this tablet keeps, the sign-in page included: notice that the
// site's storage was cleared under the app (issue 14), and forget what was readable at a sign-out
// or a change of user. The sign-in page loads this without the rest of the offline app
// (static/js/sign-in-page.js); every other page through static/js/offline-ui.js.

import { deleteMeta, getMeta, setMeta } from "/static/js/idb.js";
import { currentPractitioner, removePages } from "/static/js/outbox.js";
import { askWorker } from "/static/js/worker-link.js";

// Outside IndexedDB, so that a clearing of the database is seen: {db: its storage id, waiting, at}.
const STORAGE_MARK = "fieldvisit:storage";

function readMark() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_MARK) || "null");
  } catch {
    return null;
  }
}

export function writeMark(mark) {
  try { localStorage.setItem(STORAGE_MARK, JSON.stringify(mark)); } catch { /* private mode */ }
}

/** This database's random id, made the first time it is asked for (a new or cleared database). */
async function storageId() {
  let id = await getMeta("storage_id");
  if (!id) {
    id = crypto.randomUUID();
    await setMeta("storage_id", id);
  }
  return id;
}

/**
 * The database carries an id; beside it, outside the database, the id and how many records were
 * waiting. A database with another id (or none) than the one remembered was cleared: what waited
 * in it may be lost, and the practitioner is told.
 */
export async function checkStorage() {
  const mark = readMark();
  const id = await storageId();
  if (mark && mark.db && mark.db !== id) await storageLost(mark.waiting);
  writeMark({ db: id, waiting: mark && mark.db === id ? mark.waiting : 0, at: Date.now() });
}

/** Note that the tablet's storage was cleared, with how many records were waiting (null: unknown). */
export async function storageLost(waitingCount) {
  const known = Number.isInteger(waitingCount) ? waitingCount : null;
  const previous = await getMeta("storage_lost").catch(() => null);
  if (previous) return;
  await setMeta("storage_lost", { waiting: known, at: Date.now() });
  writeMark({ db: await storageId(), waiting: 0, at: Date.now() });
}

/** Sign-out: the kept pages go, the key is locked; unsent records stay, sealed. */
export async function forgetReadableState() {
  const current = await currentPractitioner();
  await askWorker({ type: "lock" }, 5000).catch(() => {});
  if (current) {
    await removePages(current.practitioner_id);
    await deleteMeta(`pack:${current.practitioner_id}`);
  }
  await deleteMeta("current");
}
