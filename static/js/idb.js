// The tablet's own database (IndexedDB): the outbox, the encrypted pages of today's pack,
// the practitioners' wrapped keys and a little state. Shared by the pages and the service
// worker. Stores are only ever added, never deleted, so no upgrade can lose queued records.

export const DB_NAME = "fieldvisit";
export const DB_VERSION = 1;

const STORES = {
  device: { keyPath: "name" },
  meta: { keyPath: "key" },
  keys: { keyPath: "practitioner_id" },
  outbox: { keyPath: "id", indexes: { by_practitioner: "practitioner_id" } },
  used_ids: { keyPath: "id" },
  pages: { keyPath: ["practitioner_id", "url"], indexes: { by_practitioner: "practitioner_id" } },
};

let opening = null;
const closeListeners = new Set();

/**
 * Called when the browser closes the database under us: the site's storage was cleared (by the
 * practitioner, or by the browser under storage pressure). The next use opens it again, empty.
 */
export function onStorageLost(listener) {
  closeListeners.add(listener);
  return () => closeListeners.delete(listener);
}

/** Open (and create or upgrade) the database once per page or worker. */
export function openDatabase() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const [name, spec] of Object.entries(STORES)) {
          const store = db.objectStoreNames.contains(name)
            ? request.transaction.objectStore(name)
            : db.createObjectStore(name, { keyPath: spec.keyPath });
          for (const [index, keyPath] of Object.entries(spec.indexes || {})) {
            if (!store.indexNames.contains(index)) store.createIndex(index, keyPath);
          }
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer version elsewhere (an updated service worker) may upgrade: let it.
        db.onversionchange = () => { db.close(); opening = null; };
        // Closed by the browser, not by us: the data is gone (issue 14). Never keep using it.
        db.onclose = () => {
          opening = null;
          for (const listener of closeListeners) {
            try { listener(); } catch { /* a listener's problem is not the database's */ }
          }
        };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

/** The result of one IndexedDB request, as a promise. */
export function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Run `work(stores)` in one transaction and resolve with its value only once the
 * transaction has completed (for "readwrite", durably: the data is on disk).
 * `work` must only use IndexedDB requests: any other await ends the transaction.
 */
export async function transaction(storeNames, mode, work) {
  const names = Array.isArray(storeNames) ? storeNames : [storeNames];
  const options = mode === "readwrite" ? { durability: "strict" } : undefined;
  let tx;
  try {
    tx = (await openDatabase()).transaction(names, mode, options);
  } catch (error) {
    // A connection closed under us (the site's storage cleared): open the database again, once.
    if (!error || error.name !== "InvalidStateError") throw error;
    opening = null;
    tx = (await openDatabase()).transaction(names, mode, options);
  }
  const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("The tablet's database refused the change."));
  });
  let value;
  try {
    value = await work(stores);
  } catch (error) {
    try { tx.abort(); } catch { /* already finished */ }
    await done.catch(() => {});
    throw error;
  }
  await done;
  return value;
}

export const read = (storeNames, work) => transaction(storeNames, "readonly", work);
export const write = (storeNames, work) => transaction(storeNames, "readwrite", work);

/** One record by key, or undefined. */
export function getOne(storeName, key) {
  return read(storeName, (stores) => result(stores[storeName].get(key)));
}

/** Every record of a store's index with this value. */
export function getAllBy(storeName, index, value) {
  return read(storeName, (stores) => result(stores[storeName].index(index).getAll(value)));
}

export function putOne(storeName, value) {
  return write(storeName, (stores) => result(stores[storeName].put(value)));
}

const valueOf = (row) => (row ? row.value : undefined); // "meta" rows are {key, value}

export async function getMeta(key) {
  return valueOf(await getOne("meta", key));
}

/** A "meta" value, read in a transaction the caller holds over "meta". */
export async function metaIn(stores, key) {
  return valueOf(await result(stores.meta.get(key)));
}

export function setMeta(key, value) {
  return putOne("meta", { key, value });
}

export function deleteMeta(key) {
  return write("meta", (stores) => result(stores.meta.delete(key)));
}
