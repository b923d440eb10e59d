/**
 * The byte framing of the host↔sandbox channel (a socket on fd 3 of the sandbox process).
 *
 * Guest code can write to any fd of its process (Node's permission model does not cover
 * fd-based calls), so the host reads this channel as hostile input: every frame announces
 * its size up front, a frame over the cap is refused before its bytes are buffered, and
 * anything malformed is an error the host answers by killing that sandbox alone.
 *
 * A frame: `u32 headerBytes | u32 bodyBytes | header (JSON, UTF-8) | body`. Binary values
 * (Uint8Array) travel in the body, referenced from the JSON as `{"$b":[offset,length]}`;
 * a Map as `{"$m":[[key,value],…]}`.
 */

const PREFIX_BYTES = 8;

export class FrameError extends Error {
  override readonly name = "FrameError";
}

export interface FrameCaps {
  /** Largest JSON header accepted (bytes). */
  maxHeaderBytes: number;
  /** Largest binary body accepted (bytes). */
  maxBodyBytes: number;
}

/** Deepest nesting a header may have. */
const MAX_DEPTH = 64;
/**
 * Arrays and objects a header may hold: a floor every honest message stays under (an outcome
 * lists up to 1000 files at 3 containers each; a value may be thousands of small arrays), and
 * past it one per this many header bytes. Bounds what parsing allocates: at the 8 MiB run
 * header cap, about a million containers.
 */
const MIN_CONTAINERS = 65_536;
const BYTES_PER_CONTAINER = 8;

type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

/** Bodies up to this size are copied behind the header (one write); larger ones go as they are. */
const INLINE_BODY_BYTES = 64 * 1024;

/** Encode one message as a frame. */
export function encodeFrame(message: unknown): Uint8Array {
  const parts = encodeFrameParts(message);
  if (parts.length === 1) return parts[0]!;
  const frame = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    frame.set(p, at);
    at += p.byteLength;
  }
  return frame;
}

/**
 * One message as the pieces of its frame, to be written one after another: the prefix and
 * header (with a small body copied in), then a large body's arrays as they are, so megabytes
 * of output are not copied once more just to sit behind a header.
 */
export function encodeFrameParts(message: unknown): Uint8Array[] {
  const blobs: Uint8Array[] = [];
  let bodyBytes = 0;
  const walk = (v: unknown): Encoded => {
    if (v instanceof Uint8Array) {
      blobs.push(v);
      const ref = { $b: [bodyBytes, v.byteLength] };
      bodyBytes += v.byteLength;
      return ref;
    }
    if (v instanceof Map) return { $m: [...v].map(([k, x]) => [walk(k), walk(x)]) };
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, Encoded> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    if (typeof v === "number" && !Number.isFinite(v)) return null;
    return (v ?? null) as Encoded;
  };
  const header = new TextEncoder().encode(JSON.stringify(walk(message)));
  const inline = bodyBytes <= INLINE_BODY_BYTES;
  const head = new Uint8Array(PREFIX_BYTES + header.byteLength + (inline ? bodyBytes : 0));
  const view = new DataView(head.buffer);
  view.setUint32(0, header.byteLength);
  view.setUint32(4, bodyBytes);
  head.set(header, PREFIX_BYTES);
  if (!inline) return [head, ...blobs.filter((b) => b.byteLength > 0)];
  let at = PREFIX_BYTES + header.byteLength;
  for (const b of blobs) {
    head.set(b, at);
    at += b.byteLength;
  }
  return [head];
}

/**
 * Splits a byte stream into messages. `push` returns the complete messages so far and
 * throws a {@link FrameError} on anything out of shape; after a throw, the decoder (and the
 * channel) must be abandoned.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #need: { header: number; body: number } | null = null;
  /** Bytes taken from the stream so far. */
  received = 0;

  constructor(private caps: FrameCaps) {}

  /** Change the caps for the frames to come (a frame already announced keeps its check). */
  setCaps(caps: FrameCaps): void {
    this.caps = caps;
  }

  push(chunk: Uint8Array): unknown[] {
    this.received += chunk.byteLength;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    const messages: unknown[] = [];
    for (;;) {
      if (!this.#need) {
        if (this.#buffered < PREFIX_BYTES) break;
        const prefix = this.#take(PREFIX_BYTES);
        const view = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES);
        const header = view.getUint32(0);
        const body = view.getUint32(4);
        if (header === 0 || header > this.caps.maxHeaderBytes) throw new FrameError(`a frame announced a ${header}-byte header (cap ${this.caps.maxHeaderBytes})`);
        if (body > this.caps.maxBodyBytes) throw new FrameError(`a frame announced a ${body}-byte body (cap ${this.caps.maxBodyBytes})`);
        this.#need = { header, body };
      }
      const { header, body } = this.#need;
      if (this.#buffered < header + body) break;
      this.#need = null;
      const headerBytes = this.#take(header);
      const bodyBytes = body ? this.#take(body) : new Uint8Array(0);
      messages.push(decodeMessage(headerBytes, bodyBytes));
    }
    return messages;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.#chunks[0]!;
      const part = Math.min(head.byteLength, n - at);
      out.set(head.subarray(0, part), at);
      at += part;
      if (part === head.byteLength) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(part);
    }
    this.#buffered -= n;
    return out;
  }
}

/**
 * Refuse, before parsing, a header nested deeper than {@link MAX_DEPTH} or holding more
 * containers than its size allows: JSON.parse would otherwise build all of it first.
 */
function checkShape(header: Uint8Array): void {
  let depth = 0;
  let containers = 0;
  let inString = false;
  const maxContainers = Math.max(MIN_CONTAINERS, header.byteLength / BYTES_PER_CONTAINER);
  for (let i = 0; i < header.byteLength; i++) {
    const c = header[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) throw new FrameError(`a frame nests deeper than ${MAX_DEPTH} levels`);
      if (++containers > maxContainers) throw new FrameError("a frame holds more arrays and objects than its size allows");
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

function decodeMessage(header: Uint8Array, body: Uint8Array): unknown {
  checkShape(header);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(header));
  } catch {
    throw new FrameError("a frame's header is not valid JSON");
  }
  let depth = 0;
  const walk = (v: unknown): unknown => {
    if (++depth > MAX_DEPTH + 1) throw new FrameError(`a frame nests deeper than ${MAX_DEPTH} levels`);
    try {
      if (Array.isArray(v)) return v.map(walk);
      if (v === null || typeof v !== "object") return v;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === "$b") {
        const ref = o.$b;
        if (!Array.isArray(ref) || ref.length !== 2 || !ref.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) throw new FrameError("a frame has a malformed binary reference");
        const [offset, length] = ref as [number, number];
        if (offset + length > body.byteLength) throw new FrameError("a frame's binary reference points past its body");
        return body.subarray(offset, offset + length);
      }
      if (keys.length === 1 && keys[0] === "$m") {
        if (!Array.isArray(o.$m)) throw new FrameError("a frame has a malformed map");
        const m = new Map<unknown, unknown>();
        for (const entry of o.$m) {
          if (!Array.isArray(entry) || entry.length !== 2) throw new FrameError("a frame has a malformed map entry");
          m.set(walk(entry[0]), walk(entry[1]));
        }
        return m;
      }
      // A null-prototype object: keys such as `__proto__` are plain data here.
      const out = Object.create(null) as Record<string, unknown>;
      for (const k of keys) out[k] = walk(o[k]);
      return out;
    } finally {
      depth--;
    }
  };
  return walk(json);
}
