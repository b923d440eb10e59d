/**
 * Guest output is bytes. A result carries each stream as text when its bytes are valid
 * UTF-8 (the common case), and otherwise as a lossy text (invalid bytes become U+FFFD)
 * beside the exact bytes in base64. Platform-neutral: Node, browsers and workers alike.
 */
import { bytesToBase64 } from "./base64.js";
import type { GuestStream } from "./runtime.js";

/** A piece of output as text, with its exact bytes in base64 when the text cannot hold them. */
export interface OutputText {
  text: string;
  /** Present only when the bytes are not valid UTF-8: then `text` is a lossy decoding. */
  base64?: string;
}

/** The output fields of a result, from the bytes the guest wrote. */
export interface OutputFields {
  stdout: string;
  stderr: string;
  output: string;
  stdoutBase64?: string;
  stderrBase64?: string;
  outputBase64?: string;
}

// `ignoreBOM`: a program that writes U+FEFF first gets it back, as a native pipe would.
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder("utf-8", { ignoreBOM: true });

/** Bytes as text: exact when valid UTF-8, else lossy text and the bytes in base64. */
export function outputText(bytes: Uint8Array): OutputText {
  try {
    return { text: strict.decode(bytes) };
  } catch {
    return { text: lossy.decode(bytes), base64: bytesToBase64(bytes) };
  }
}

/** A result's stdout, stderr and interleaved output; `*Base64` fields only where needed. */
export function outputFields(stdout: Uint8Array, stderr: Uint8Array, output: Uint8Array): OutputFields {
  const out = outputText(stdout);
  const err = outputText(stderr);
  // The interleaved output is often one of the streams itself (the other one silent): decode it once.
  const all = output === stdout ? out : output === stderr ? err : outputText(output);
  return {
    stdout: out.text,
    stderr: err.text,
    output: all.text,
    ...(out.base64 === undefined ? {} : { stdoutBase64: out.base64 }),
    ...(err.base64 === undefined ? {} : { stderrBase64: err.base64 }),
    ...(all.base64 === undefined ? {} : { outputBase64: all.base64 }),
  };
}

/**
 * Decodes one stream as it arrives in chunks. A character split across chunks is held until
 * it is whole; a chunk holding bytes that are not UTF-8 comes out lossy with its exact bytes
 * (and whatever was held) in base64. Concatenating, per piece, the base64 bytes or else the
 * UTF-8 of the text gives back exactly the bytes pushed.
 */
export class Utf8ChunkDecoder {
  #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  /** Bytes of an unfinished character, held from earlier chunks. */
  #held: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): OutputText | null {
    if (chunk.byteLength === 0) return null;
    try {
      const text = this.#decoder.decode(chunk, { stream: true });
      // A character left unfinished lies within the chunk's last 3 bytes: only a shorter
      // chunk needs the held bytes before it (no copy of every chunk).
      this.#held = heldTail(chunk.byteLength >= 3 ? chunk : concatBytes([this.#held, chunk]));
      return text ? { text } : null;
    } catch {
      const bytes = concatBytes([this.#held, chunk]);
      this.#held = new Uint8Array(0);
      this.#decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      return { text: lossy.decode(bytes), base64: bytesToBase64(bytes) };
    }
  }

  /** What is still held at the end of the stream (a character cut short), if anything. */
  end(): OutputText | null {
    const held = this.#held;
    this.#held = new Uint8Array(0);
    this.#decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    return held.byteLength ? { text: lossy.decode(held), base64: bytesToBase64(held) } : null;
  }
}

/** The bytes of an unfinished UTF-8 character at the end of `bytes` (at most 3), as a copy. */
function heldTail(bytes: Uint8Array): Uint8Array {
  const n = bytes.byteLength;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? bytes.slice(n - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

/** The parts one after another, as one array (a single part is returned as it is). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The largest n ≤ max such that bytes[0..n) does not end inside a UTF-8 character (backs off at most 3 bytes). */
export function utf8CutPoint(bytes: Uint8Array, max: number): number {
  if (max <= 0) return 0;
  if (max >= bytes.byteLength) return bytes.byteLength;
  let n = max;
  while (n > max - 3 && n > 0 && (bytes[n]! & 0xc0) === 0x80) n--;
  return (bytes[n]! & 0xc0) === 0x80 ? max : n;
}

/**
 * A stream decoded as its bytes arrive, so a run's megabytes are not all decoded after it
 * ended: text pieces while the bytes are valid UTF-8; null from the first invalid byte on
 * (the caller then decodes the whole stream the slow way, lossy text and base64).
 */
class TextSoFar {
  readonly #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  #pieces: string[] | null = [];

  push(bytes: Uint8Array): void {
    if (!this.#pieces) return;
    try {
      this.#pieces.push(this.#decoder.decode(bytes, { stream: true }));
    } catch {
      this.#pieces = null;
    }
  }

  /** The whole text, or null when the bytes were not valid UTF-8 (a character cut short at the end included). */
  end(): string | null {
    if (!this.#pieces) return null;
    try {
      this.#pieces.push(this.#decoder.decode());
    } catch {
      this.#pieces = null;
      return null;
    }
    const text = this.#pieces.join("");
    this.#pieces = [text];
    return text;
  }
}

/** Collects a run's output as written: each stream's bytes, and both interleaved in write order. */
export class OutputRecorder {
  readonly #chunks: Array<[GuestStream, Uint8Array]> = [];
  #bytes = 0;
  readonly #text = { stdout: new TextSoFar(), stderr: new TextSoFar() };
  /** The interleaved text, decoded once both streams have written (until then it is the one stream's). */
  #both: TextSoFar | null = null;

  get byteLength(): number {
    return this.#bytes;
  }

  append(stream: GuestStream, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const first = this.#chunks[0]?.[0];
    if (!this.#both && first !== undefined && first !== stream) {
      // The second stream's first write: the interleaved text so far is the first stream's bytes.
      this.#both = new TextSoFar();
      this.#both.push(this.bytes());
    }
    this.#chunks.push([stream, bytes]);
    this.#bytes += bytes.byteLength;
    this.#text[stream].push(bytes);
    this.#both?.push(bytes);
  }

  bytes(stream?: GuestStream): Uint8Array {
    const parts = stream ? this.#chunks.filter(([s]) => s === stream) : this.#chunks;
    return parts.length === 0 ? new Uint8Array(0) : concatBytes(parts.map(([, b]) => b));
  }

  fields(): OutputFields {
    const stdout = this.#text.stdout.end();
    const stderr = this.#text.stderr.end();
    const both = this.#both ? this.#both.end() : this.#chunks[0]?.[0] === "stderr" ? stderr : stdout;
    // Valid UTF-8 throughout (the common case): the text decoded as it came, no bytes joined.
    if (stdout !== null && stderr !== null && both !== null) return { stdout, stderr, output: both };
    const out = this.bytes("stdout");
    const err = this.bytes("stderr");
    // One stream silent: the interleaved output is the other one, not joined a second time.
    return outputFields(out, err, err.byteLength === 0 ? out : out.byteLength === 0 ? err : this.bytes());
  }
}
