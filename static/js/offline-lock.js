// Offline data locks after the partnership's number of hours without contact (issue 14, item 5;
// setting offline_lock_hours, sent in the pack answer, default 72): a tablet left in a car keeps
// nothing readable for ever. Until the practitioner signs in with signal, the service worker shows
// no kept page and no readable copy. The records waiting on the tablet stay sealed in the outbox
// and are still sent (sending needs no reader key).

import { packOf, syncState } from "/static/js/outbox.js";

export const DEFAULT_LOCK_HOURS = 72;
const HOUR_MS = 60 * 60 * 1000;

/** The last time the central record answered this practitioner signed in (a pack or a push). */
export function lastSignedInContact(sync, pack) {
  return (sync && (sync.last_verified_at || sync.last_contact_at)) || (pack && pack.fetched_at) || null;
}

/** {locked, hours, since}: is what this tablet keeps for the practitioner locked for want of contact? */
export async function offlineLock(practitionerId, now = Date.now()) {
  if (practitionerId == null) return { locked: false, hours: DEFAULT_LOCK_HOURS, since: null };
  const [sync, pack] = await Promise.all([syncState(practitionerId), packOf(practitionerId)]);
  return lockOf(sync, pack, now);
}

export function lockOf(sync, pack, now = Date.now()) {
  const set = Number(pack && pack.offline_lock_hours);
  const hours = Number.isFinite(set) && set > 0 ? set : DEFAULT_LOCK_HOURS;
  const since = lastSignedInContact(sync, pack);
  return { locked: Boolean(since) && now - since > hours * HOUR_MS, hours, since };
}
