/**
 * The SSE parser on its own: the event-stream rules, and chunk boundaries at every position
 * (inside a field name, a CRLF, a multi-byte UTF-8 character).
 */
import { describe, expect, it } from "vitest";
import { parseRetryAfter, readSse, SseParser, type SseMessage } from "@wasmbox/client";

function parse(chunks: string[]): { messages: SseMessage[]; comments: string[]; retries: number[] } {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser((m) => messages.push(m), { onComment: (c) => comments.push(c), onRetry: (ms) => retries.push(ms) });
  for (const c of chunks) parser.push(c);
  parser.end();
  return { messages, comments, retries };
}

function streamOf(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(p);
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of readSse(body)) out.push(m);
  return out;
}

/** A stream exercising every rule at once; its parse is the expectation for all the splits below. */
const SAMPLE = [
  "\uFEFF: hello, a comment before anything\n",
  "id: 1\n",
  "event: status\n",
  'data: {"status":"queued"}\n',
  "\n",
  ": keep-alive\r\n",
  "\r\n", // a blank line with no data dispatches nothing
  "id: 2\r\n",
  "event: stdout\r\n",
  "data: first line\r\n",
  "data:second line, no space\r\n",
  "data:  two spaces keep one\r\n",
  "data\r\n", // a field without a colon: empty value
  "\r\n",
  "event: stderr\r",
  "data: héllo wörld — ✓ 😀\r",
  "retry: 2500\r",
  "\r",
  "id\n", // empty id resets the last event id
  "data: after reset\n",
  "unknown: ignored\n",
  "\n",
  "id: 4\0\n", // ids with NUL are ignored
  "data: nul id ignored\n",
  "\n",
  "data: cut off by the end of the stream, never dispatched\n",
].join("");

const EXPECTED: SseMessage[] = [
  { event: "status", data: '{"status":"queued"}', id: "1" },
  { event: "stdout", data: "first line\nsecond line, no space\n two spaces keep one\n", id: "2" },
  { event: "stderr", data: "héllo wörld — ✓ 😀", id: "2" },
  { event: "message", data: "after reset", id: "" },
  { event: "message", data: "nul id ignored", id: "" },
];

describe("SseParser", () => {
  it("follows the event-stream rules: multi-line data, comments, ids, retry, CR/LF/CRLF, BOM, cut-off event", () => {
    const { messages, comments, retries } = parse([SAMPLE]);
    expect(messages).toEqual(EXPECTED);
    expect(comments).toEqual([" hello, a comment before anything", " keep-alive"]);
    expect(retries).toEqual([2500]);
  });

  it("gives the same events wherever a chunk boundary falls (every split into two, and one character at a time)", () => {
    for (let i = 0; i <= SAMPLE.length; i++) {
      expect(parse([SAMPLE.slice(0, i), SAMPLE.slice(i)]).messages, `split at ${i}`).toEqual(EXPECTED);
    }
    expect(parse([...SAMPLE]).messages).toEqual(EXPECTED);
  });

  it("treats a CR at the end of one chunk and a LF at the start of the next as one line ending", () => {
    const { messages } = parse(["data: a\r", "\ndata: b\r", "\n\r", "\n"]);
    expect(messages).toEqual([{ event: "message", data: "a\nb", id: "" }]);
  });

  it("ignores empty pushes, even right after a CR", () => {
    const { messages } = parse(["data: x\r", "", "", "\n", "", "\n"]);
    expect(messages).toEqual([{ event: "message", data: "x", id: "" }]);
  });

  it("keeps the last event id across events until a new one arrives", () => {
    const { messages } = parse(["id: 7\ndata: a\n\ndata: b\n\nid: 9\ndata: c\n\n"]);
    expect(messages.map((m) => m.id)).toEqual(["7", "7", "9"]);
  });
});

describe("readSse", () => {
  it("decodes UTF-8 split anywhere across byte chunks, one byte at a time", async () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    const oneByOne = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(await collect(streamOf(oneByOne))).toEqual(EXPECTED);
    expect(await collect(streamOf([bytes]))).toEqual(EXPECTED);
  });

  it("yields events as they arrive, before the stream ends", async () => {
    let push!: (text: string) => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (t) => controller.enqueue(new TextEncoder().encode(t));
      },
    });
    const iterator = readSse(body)[Symbol.asyncIterator]();
    push("id: 1\ndata: one\n\n");
    expect((await iterator.next()).value).toEqual({ event: "message", data: "one", id: "1" });
    push("id: 2\nda");
    const pending = iterator.next();
    push("ta: two\n\n");
    expect((await pending).value).toEqual({ event: "message", data: "two", id: "2" });
    await iterator.return?.(); // cancels the stream
  });

  it("cancels the stream when the consumer stops early", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("data: a\n\ndata: b\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const m of readSse(body)) {
      expect(m.data).toBe("a");
      break;
    }
    expect(cancelled).toBe(true);
  });

  it("passes a broken stream's error on", async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new TextEncoder().encode("data: a\n\n"));
        else controller.error(new TypeError("terminated"));
      },
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const m of readSse(body)) seen.push(m.data);
      })(),
    ).rejects.toThrow("terminated");
    expect(seen).toEqual(["a"]);
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds and HTTP dates", () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("1")).toBe(1000);
    expect(parseRetryAfter(" 2.5 ")).toBe(2500);
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(parseRetryAfter("Tue, 01 Jan 2030 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 31 Dec 2029 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
