/**
 * Base64 (RFC 4648, standard alphabet, padded) to and from bytes, for every part of core:
 * request files, `wasm` modules sent as code, output bytes that are not UTF-8. Global
 * `atob`/`btoa` only: Node, browsers and workers alike.
 */

/** Bytes as base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // String.fromCharCode takes its bytes as arguments: a step bounds the argument count.
  const STEP = 0x8000;
  for (let i = 0; i < bytes.byteLength; i += STEP) {
    binary += String.fromCharCode(...bytes.subarray(i, i + STEP));
  }
  return btoa(binary);
}

/**
 * Base64 as bytes. ASCII whitespace is ignored (as `atob` does).
 * @throws DOMException `InvalidCharacterError` when the text is not base64.
 */
export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
