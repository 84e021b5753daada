// WebCrypto for what the tablet keeps (docs/offline-security.md).
//
// - seal(): hybrid encryption to an RSA-OAEP (SHA-256) public key: a fresh AES-256-GCM key
//   and a random 12-byte IV per record, the record's id as additional data. Used both for
//   the copy sent to the central record (its public key; format of the sync contract) and
//   for the copies the practitioner reads on this tablet (their own reader key pair).
// - deriveWrappingKey(): the key that wraps a practitioner's reader private key, from their
//   PIN (PBKDF2-SHA-256, many iterations) combined with the server-held device secret (HKDF).

export const SEAL_ALG = "RSA-OAEP-256+A256GCM";
export const PBKDF2_ITERATIONS = 600000;
const RSA_OAEP = { name: "RSA-OAEP", hash: "SHA-256" };
const WRAP_INFO = "fieldvisit offline reader key v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBase64(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  let text = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(text);
}

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function randomBytes(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

function concat(...parts) {
  const arrays = parts.map((part) => (part instanceof Uint8Array ? part : new Uint8Array(part)));
  const joined = new Uint8Array(arrays.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of arrays) { joined.set(part, offset); offset += part.length; }
  return joined;
}

/** The central record's public key (base64 DER SubjectPublicKeyInfo) for sealing. */
export function importSealingKey(spkiBase64) {
  return crypto.subtle.importKey("spki", fromBase64(spkiBase64), RSA_OAEP, false, ["encrypt"]);
}

/** Encrypt text or bytes to an RSA-OAEP public key, binding `aad` (e.g. the record id). */
export async function seal(publicKey, plaintext, aad) {
  const data = typeof plaintext === "string" ? encoder.encode(plaintext) : plaintext;
  const rawKey = randomBytes(32);
  const iv = randomBytes(12);
  const aesKey = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["encrypt"]);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(aad) }, aesKey, data);
  const wrappedKey = await crypto.subtle.encrypt(RSA_OAEP, publicKey, rawKey);
  rawKey.fill(0);
  return { alg: SEAL_ALG, wrapped_key: toBase64(wrappedKey), iv: toBase64(iv), ciphertext: toBase64(ciphertext) };
}

/** Decrypt what seal() made; throws if the key, the data or the additional data is wrong. */
export async function unseal(privateKey, sealed, aad) {
  if (!sealed || sealed.alg !== SEAL_ALG) throw new Error("Not a sealed record");
  const rawKey = new Uint8Array(await crypto.subtle.decrypt(RSA_OAEP, privateKey, fromBase64(sealed.wrapped_key)));
  const aesKey = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]);
  rawKey.fill(0);
  return new Uint8Array(await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(sealed.iv), additionalData: encoder.encode(aad) },
    aesKey, fromBase64(sealed.ciphertext)));
}

export const sealJson = (publicKey, value, aad) => seal(publicKey, JSON.stringify(value), aad);
export async function unsealJson(privateKey, sealed, aad) {
  return JSON.parse(decoder.decode(await unseal(privateKey, sealed, aad)));
}

/** A practitioner's reader key pair on this device; the private half is only kept wrapped. */
export function generateReaderKeys() {
  return crypto.subtle.generateKey(
    { ...RSA_OAEP, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true, ["encrypt", "decrypt"]);
}

/**
 * The key that wraps the reader private key: PBKDF2(PIN) stretched, then HKDF over the
 * stretched PIN *and* the device secret the server handed over. Without the device secret
 * no number of PIN guesses helps; with it, each guess still costs the PBKDF2 iterations.
 */
export async function deriveWrappingKey(pin, deviceSecret, salt, iterations = PBKDF2_ITERATIONS) {
  const pinKey = await crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveBits"]);
  const stretched = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations }, pinKey, 256);
  const material = concat(stretched, deviceSecret);
  const hkdfKey = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
  material.fill(0);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode(WRAP_INFO) },
    hkdfKey, { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

export async function wrapPrivateKey(privateKey, wrappingKey, aad) {
  const iv = randomBytes(12);
  const data = await crypto.subtle.wrapKey("pkcs8", privateKey, wrappingKey,
    { name: "AES-GCM", iv, additionalData: encoder.encode(aad) });
  return { iv, data: new Uint8Array(data) };
}

/** The reader private key, usable but never extractable; throws on a wrong PIN. */
export function unwrapPrivateKey(wrapped, wrappingKey, aad) {
  return crypto.subtle.unwrapKey("pkcs8", wrapped.data, wrappingKey,
    { name: "AES-GCM", iv: wrapped.iv, additionalData: encoder.encode(aad) },
    RSA_OAEP, false, ["decrypt"]);
}

/** This device's own key: AES-GCM, non-extractable, kept in IndexedDB. */
export function generateDeviceKey() {
  return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

export async function encryptWith(key, bytes, aad) {
  const iv = randomBytes(12);
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(aad) }, key, bytes);
  return { iv, data: new Uint8Array(data) };
}

export async function decryptWith(key, box, aad) {
  return new Uint8Array(await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: box.iv, additionalData: encoder.encode(aad) }, key, box.data));
}
