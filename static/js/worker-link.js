// Talking to the service worker from a page: registering it, and asking it things (the PIN,
// reading a record back), since only it holds the practitioner's reader key.

export const WORKER_URL = "/sw.js";
const ANSWER_TIMEOUT_MS = 60 * 1000;

/** Register the service worker (an ES module) for the whole app; resolves to the registration or null. */
export async function registerWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    return await navigator.serviceWorker.register(WORKER_URL, { scope: "/", type: "module", updateViaCache: "none" });
  } catch {
    return null; // e.g. not a secure context: pages and plain form posts still work
  }
}

/** Send a message to the active service worker and resolve with its answer. */
export function askWorker(message, timeout = ANSWER_TIMEOUT_MS) {
  if (!("serviceWorker" in navigator)) return Promise.reject(new Error("No service worker in this browser"));
  return new Promise((resolve, reject) => {
    // The time limit covers waiting for a worker too: there may never be one (e.g. not a secure context).
    const timer = setTimeout(() => reject(new Error("The service worker did not answer")), timeout);
    navigator.serviceWorker.ready.then((registration) => {
      const worker = navigator.serviceWorker.controller || registration.active;
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => { clearTimeout(timer); resolve(event.data); };
      worker.postMessage(message, [channel.port2]);
    });
  });
}
