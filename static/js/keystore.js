// Keys on this tablet (docs/offline-security.md): the device's id and key, the central
// record's public key, each practitioner's device secret and PIN-wrapped reader key, and
// the PIN itself (set, checked with a limited number of attempts, reset).

import {
  PBKDF2_ITERATIONS, decryptWith, deriveWrappingKey, encryptWith, fromBase64,
  generateDeviceKey, generateReaderKeys, importSealingKey, randomBytes, unwrapPrivateKey, wrapPrivateKey,
} from "/static/js/crypto.js";
import { getMeta, getOne, metaIn, result, setMeta, write } from "/static/js/idb.js";

export const PIN_ATTEMPTS = 5;
export const PIN_MIN_LENGTH = 6;
export const PIN_MAX_LENGTH = 12;
const SERVER_KEY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** This browser's device: a random id and a non-extractable key, made once. */
export async function device() {
  const found = await getOne("device", "device");
  if (found) return found;
  const made = { name: "device", device_id: crypto.randomUUID(), device_key: await generateDeviceKey() };
  // Two pages may race to make it: keep whichever was stored first.
  return write("device", async (stores) => {
    const existing = await result(stores.device.get("device"));
    if (existing) return existing;
    await result(stores.device.put(made));
    return made;
  });
}

const SERVER_KEY = "server_key"; // in "meta": {key, spki, fetched_at}

/** The central record's key as kept ({key, spki, fetched_at}), read in a transaction the caller holds over "meta". */
export function serverKeyIn(stores) {
  return metaIn(stores, SERVER_KEY);
}

/** The central record's public key for sealing, fetched when missing or a day old. */
export async function sealingKey({ refresh = false } = {}) {
  const stored = await getMeta(SERVER_KEY);
  const fresh = stored && Date.now() - stored.fetched_at < SERVER_KEY_MAX_AGE_MS;
  if (stored && (fresh || !refresh)) return stored.key;
  try {
    const response = await fetch("/api/sync/public-key", { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) return stored ? stored.key : null;
    const body = await response.json();
    const key = await importSealingKey(body.spki);
    await setMeta(SERVER_KEY, { key, spki: body.spki, fetched_at: Date.now() });
    return key;
  } catch {
    return stored ? stored.key : null;
  }
}

export function keyRecord(practitionerId) {
  return getOne("keys", practitionerId);
}

async function updateKeyRecord(practitionerId, change) {
  return write("keys", async (stores) => {
    const record = (await result(stores.keys.get(practitionerId))) || { practitioner_id: practitionerId };
    const updated = change(record) || record;
    await result(stores.keys.put(updated));
    return updated;
  });
}

/** Ask the server for this practitioner's device secret (at sign-in) and keep it wrapped. */
export async function fetchDeviceSecret(practitionerId) {
  const { device_id: deviceId, device_key: deviceKey } = await device();
  const response = await fetch("/api/device/secret", {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ device_id: deviceId }),
  });
  if (!response.ok) {
    let error = null;
    try {
      error = (await response.json()).error || null;
    } catch {
      // not JSON: the status says enough
    }
    return { ok: false, status: response.status, error };
  }
  const body = await response.json();
  const secret = fromBase64(body.device_secret);
  const box = await encryptWith(deviceKey, secret, `device-secret:${practitionerId}`);
  secret.fill(0);
  await updateKeyRecord(practitionerId, (record) => { record.secret = box; record.secret_at = Date.now(); });
  return { ok: true };
}

async function deviceSecretBytes(practitionerId, box) {
  const { device_key: deviceKey } = await device();
  return decryptWith(deviceKey, box, `device-secret:${practitionerId}`);
}

/** What is wrong with a proposed PIN, in the practitioner's words, or null. */
export function pinProblem(pin) {
  if (!pin) return "Enter a PIN";
  if (!/^[0-9]+$/.test(pin)) return "Your PIN must only include numbers 0 to 9";
  if (pin.length < PIN_MIN_LENGTH || pin.length > PIN_MAX_LENGTH) {
    return `Your PIN must be ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} numbers long`;
  }
  const digits = [...pin].map(Number);
  const steps = new Set(digits.slice(1).map((digit, i) => (digit - digits[i] + 10) % 10));
  if (steps.size === 1 && [0, 1, 9].includes([...steps][0])) {
    return "Choose a PIN that is harder to guess: not the same number repeated or numbers in order";
  }
  return null;
}

/** Is a PIN set for this practitioner on this tablet? */
export async function hasPin(practitionerId) {
  const record = await keyRecord(practitionerId);
  return Boolean(record && record.wrapped_private);
}

/**
 * Set (or reset) the practitioner's PIN: a new reader key pair whose private half is
 * wrapped by the PIN and the device secret. Returns the usable, non-extractable private key.
 * The caller wipes what the old key could read (outbox.forgetReadableCopies).
 */
export async function setPin(practitionerId, pin) {
  const problem = pinProblem(pin);
  if (problem) throw new Error(problem);
  const record = await keyRecord(practitionerId);
  if (!record || !record.secret) {
    throw new Error("This tablet needs signal to set your PIN: sign in again when you have signal.");
  }
  const secret = await deviceSecretBytes(practitionerId, record.secret);
  const salt = randomBytes(16);
  const wrappingKey = await deriveWrappingKey(pin, secret, salt, PBKDF2_ITERATIONS);
  const pair = await generateReaderKeys();
  const aad = `reader-key:${practitionerId}`;
  const wrapped = await wrapPrivateKey(pair.privateKey, wrappingKey, aad);
  const privateKey = await unwrapPrivateKey(wrapped, wrappingKey, aad);
  await updateKeyRecord(practitionerId, (current) => {
    current.public_key = pair.publicKey;
    current.wrapped_private = { ...wrapped, salt, iterations: PBKDF2_ITERATIONS, secret: record.secret };
    current.attempts_left = PIN_ATTEMPTS;
    current.pin_set_at = Date.now();
    current.generation = (current.generation || 0) + 1;
  });
  secret.fill(0);
  return privateKey;
}

/**
 * Check a PIN and return the reader private key: {ok: true, privateKey}, or
 * {ok: false, attemptsLeft}, or {ok: false, lockedOut: true} after the last wrong attempt
 * (the caller then wipes the readable copies), or {ok: false, noPin: true}.
 * An attempt is counted before it is tried, so closing the app mid-way gains nothing.
 */
export async function unlockWithPin(practitionerId, pin) {
  const before = await keyRecord(practitionerId);
  if (!before || !before.wrapped_private) return { ok: false, noPin: true };
  if ((before.attempts_left ?? PIN_ATTEMPTS) <= 0) return { ok: false, lockedOut: true };
  const record = await updateKeyRecord(practitionerId, (current) => {
    current.attempts_left = (current.attempts_left ?? PIN_ATTEMPTS) - 1;
  });
  const wrapped = record.wrapped_private;
  try {
    const secret = await deviceSecretBytes(practitionerId, wrapped.secret);
    const wrappingKey = await deriveWrappingKey(String(pin || ""), secret, wrapped.salt, wrapped.iterations);
    secret.fill(0);
    const privateKey = await unwrapPrivateKey(wrapped, wrappingKey, `reader-key:${practitionerId}`);
    await updateKeyRecord(practitionerId, (current) => { current.attempts_left = PIN_ATTEMPTS; });
    return { ok: true, privateKey };
  } catch {
    if (record.attempts_left <= 0) return { ok: false, lockedOut: true };
    return { ok: false, attemptsLeft: record.attempts_left };
  }
}

/** A revoked device: forget the wrapped device secret, so the PIN alone can never unwrap anything here. */
export async function forgetDeviceSecret(practitionerId) {
  await updateKeyRecord(practitionerId, (current) => {
    delete current.secret;
    delete current.secret_at;
  });
}

/** After a lockout or a reset: forget the wrapped reader key (the readable copies die with it). */
export async function forgetReaderKey(practitionerId) {
  await updateKeyRecord(practitionerId, (current) => {
    delete current.wrapped_private;
    delete current.public_key;
    current.attempts_left = PIN_ATTEMPTS;
  });
}

/** The practitioner's reader public key (to encrypt copies they can read), or null. */
export async function readerPublicKey(practitionerId) {
  const record = await keyRecord(practitionerId);
  return record && record.wrapped_private ? record.public_key : null;
}

export async function attemptsLeft(practitionerId) {
  const record = await keyRecord(practitionerId);
  return record ? record.attempts_left ?? PIN_ATTEMPTS : PIN_ATTEMPTS;
}
