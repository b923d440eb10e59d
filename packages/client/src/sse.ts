/**
 * A Server-Sent Events parser following the WHATWG event-stream rules: lines end in LF, CR
 * or CRLF (a CRLF may be split across chunks), `data:` lines of one event are joined with
 * `\n`, `: …` lines are comments (heartbeats), `id:` sets the last event ID (kept across
 * events until changed), `retry:` sets the reconnection delay, a leading BOM is skipped and
 * an event cut off by the end of the stream is dropped. Chunks may split the stream anywhere,
 * including inside a multi-byte UTF-8 character.
 */

/** One dispatched event. */
export interface SseMessage {
  /** The `event:` field; `"message"` when the event had none. */
  event: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
  /** The last event ID when this event was dispatched (`""` if the stream never sent one). */
  id: string;
}

export interface SseParserOptions {
  /** Called with the text of each comment line (`: keep-alive` → `" keep-alive"`). */
  onComment?: (text: string) => void;
  /** Called when the stream sets a new reconnection delay with `retry:`. */
  onRetry?: (ms: number) => void;
}

/**
 * Incremental parser: feed decoded text with {@link SseParser.push}; complete events come out
 * through `onMessage`.
 * @example
 * const parser = new SseParser((m) => console.log(m.event, m.data));
 * parser.push("event: stdout\nda");
 * parser.push("ta: {\"text\":\"hi\"}\n\n"); // → stdout {"text":"hi"}
 */
export class SseParser {
  #line = "";
  #afterCR = false;
  #started = false;
  #data: string[] = [];
  #event = "";
  #lastId = "";

  constructor(
    private readonly onMessage: (message: SseMessage) => void,
    private readonly options: SseParserOptions = {},
  ) {}

  /** The last event ID seen so far (what a reconnect sends as `Last-Event-ID`). */
  get lastEventId(): string {
    return this.#lastId;
  }

  /** Feed the next piece of decoded text. */
  push(chunk: string): void {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    if (this.#afterCR) {
      // The previous chunk ended in CR: a LF at the start of this one completes that CRLF.
      if (text.length === 0) return;
      this.#afterCR = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.#line + text.slice(start, i);
      this.#line = "";
      if (c === 13) {
        if (i + 1 === text.length) this.#afterCR = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      this.#processLine(line);
    }
    this.#line += text.slice(start);
  }

  /** The stream ended: an event without its closing blank line is discarded. */
  end(): void {
    this.#line = "";
    this.#data = [];
    this.#event = "";
    this.#afterCR = false;
  }

  #processLine(line: string): void {
    if (line === "") return this.#dispatch();
    if (line.charCodeAt(0) === 58 /* : */) {
      this.options.onComment?.(line.slice(1));
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.#lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.options.onRetry?.(Number(value));
        break;
      default:
        // unknown fields are ignored
        break;
    }
  }

  #dispatch(): void {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = "";
    if (data.length === 0) return;
    this.onMessage({ event: event || "message", data: data.join("\n"), id: this.#lastId });
  }
}

/**
 * Read an event stream (e.g. a `fetch` response body) as an async sequence of events.
 * Breaking out of the loop cancels the stream.
 * @example
 * const response = await fetch(url, { headers: { accept: "text/event-stream" } });
 * for await (const message of readSse(response.body!)) console.log(message.event, message.data);
 */
export async function* readSse(body: ReadableStream<Uint8Array>, options: SseParserOptions = {}): AsyncGenerator<SseMessage, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  const pending: SseMessage[] = [];
  const parser = new SseParser((m) => pending.push(m), options);
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        parser.push(decoder.decode());
        parser.end();
        finished = true;
      } else {
        parser.push(decoder.decode(value, { stream: true }));
      }
      for (const message of pending.splice(0)) yield message;
      if (finished) return;
    }
  } finally {
    // Stopped early (break, error): cancel the stream so the connection is released.
    if (!finished) reader.cancel().catch(() => {});
  }
}
