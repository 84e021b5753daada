// The sign-in page's script. Nobody is signed in yet, so the rest of the offline app (the sync
// loop, record forms, the status area) is not loaded here: a first load on a bad network fetches
// about a third of the script (issue 13). What the sign-in page must still do: register the
// service worker, notice cleared storage, lock the reader key (whoever signs in next unlocks
// their own) and, after a sign-out, wipe what was readable; the page after signing in
// (static/js/offline-ui.js) takes it from there, `signing_in` telling it a full sync is due.

import { onStorageLost, setMeta } from "/static/js/idb.js";
import { checkStorage, forgetReadableState, storageLost } from "/static/js/this-tablet.js";
import { askWorker, registerWorker } from "/static/js/worker-link.js";

start().catch((error) => console.error("Fieldvisit sign-in:", error));

async function start() {
  if (!window.isSecureContext || !window.indexedDB || !window.crypto || !crypto.subtle) return;
  registerWorker().catch(() => {});
  await checkStorage().catch(() => {}); // a browser with no usable storage can still sign in
  onStorageLost(() => { storageLost(null).catch(() => {}); });
  await setMeta("signing_in", true);
  await askWorker({ type: "lock" }, 5000).catch(() => {});
  if (new URLSearchParams(location.search).has("signed_out")) await forgetReadableState();
}
