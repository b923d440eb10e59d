/**
 * The pieces of the output path that run in a sandbox and on the host, on their own: the
 * shared ring between a guest thread and its supervisor (byte-exact across wrap-arounds, in
 * write order, back-pressure with a reader in another thread, the wake-up when it fills,
 * tampering noticed), base64 of output bytes, and the result's output fields.
 */
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { OutputRecorder } from "../src/output-bytes.js";
import { bytesToBase64 } from "../src/base64.js";
import { createOutputRingBuffer, OutputRingReader, OutputRingWriter, type OutputChunk } from "../src/guest/output-ring.js";

/** Deterministic bytes (a small LCG), not valid UTF-8 in general. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const join = (chunks: OutputChunk[], stream?: "stdout" | "stderr") => Buffer.concat(chunks.filter(([s]) => !stream || s === stream).map(([, b]) => b));

describe("output ring", () => {
  it("carries writes of every size byte-exact and in order across many wrap-arounds, same-stream writes merged", () => {
    const buffer = createOutputRingBuffer(4096);
    const writer = new OutputRingWriter(buffer, { maxOutputBytes: 1 << 30, onLimit: () => {} });
    const reader = new OutputRingReader(buffer);
    const written: Array<["stdout" | "stderr", Uint8Array]> = [];
    const read: OutputChunk[] = [];
    let pending = 0;
    for (let i = 0; i < 3000; i++) {
      const size = [1, 3, 7, 100, 513, 1500][i % 6]!;
      const stream = i % 5 === 0 ? "stderr" : "stdout";
      // Drain before the ring could fill: this test has no second thread to wait for.
      if (pending + size + 5 > 4096) {
        read.push(...reader.drain());
        pending = 0;
      }
      const data = bytes(size, i);
      writer.write(stream, data);
      written.push([stream, data]);
      pending += size + 5;
    }
    read.push(...reader.drain());
    expect(reader.corrupt).toBe(false);
    expect(join(read).equals(join(written))).toBe(true);
    expect(join(read, "stderr").equals(join(written, "stderr"))).toBe(true);
    // Stream runs alternate: consecutive same-stream records come out as one chunk.
    for (let i = 1; i < read.length; i++) expect(read[i]![0] === read[i - 1]![0] && read[i]![1].buffer === read[i - 1]![1].buffer).toBe(false);
  });

  it("keeps a fast writer in another thread byte-exact: 16 MiB through a 64 KiB ring with back-pressure, drained on wake-ups alone", async () => {
    const buffer = createOutputRingBuffer(64 * 1024);
    const reader = new OutputRingReader(buffer);
    const total = 16 * 1024 * 1024;
    // The writer thread writes the same deterministic bytes, in pieces of varying size.
    const source = `
      const { workerData, parentPort } = require("node:worker_threads");
      import(workerData.ring).then(({ OutputRingWriter }) => {
      const w = new OutputRingWriter(workerData.buffer, { maxOutputBytes: 1 << 30, onLimit() {} });
      const all = new Uint8Array(workerData.total);
      let x = 7;
      for (let i = 0; i < all.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; all[i] = x >>> 24; }
      for (let at = 0, i = 0; at < all.length; i++) { const n = Math.min(all.length - at, [10, 4000, 70000, 333][i % 4]); w.write(i % 7 === 0 ? "stderr" : "stdout", all.subarray(at, at + n)); at += n; }
      parentPort.postMessage("done");
      });`;
    const hash = createHash("sha256");
    let got = 0;
    let done = false;
    const drain = () => {
      for (const [, b] of reader.drain()) {
        hash.update(b);
        got += b.byteLength;
      }
    };
    // Only the writer's wake-ups drain (no timer): a writer that waits for room must say so.
    const follow = (): void => void reader.whenFilling()!.then(() => (done ? undefined : (drain(), follow())));
    follow();
    const worker = new Worker(source, { eval: true, workerData: { buffer, total, ring: await ringModulePath() } });
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    done = true;
    drain();
    await worker.terminate();
    expect(reader.corrupt).toBe(false);
    expect(got).toBe(total);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(bytes(total, 7)).digest("hex"));
  }, 30_000);

  it("keeps tiny writes from another thread exact while a timer drains beside the wake-ups (records extended while the reader claims)", async () => {
    const buffer = createOutputRingBuffer(8 * 1024);
    const reader = new OutputRingReader(buffer);
    const source = `
      const { workerData, parentPort } = require("node:worker_threads");
      import(workerData.ring).then(({ OutputRingWriter }) => {
        const w = new OutputRingWriter(workerData.buffer, { maxOutputBytes: 1 << 30, onLimit() {} });
        for (let i = 0; i < 200000; i++) w.write(i % 97 === 0 ? "stderr" : "stdout", (i % 97 === 0 ? "E" : "o") + i + "\\n");
        parentPort.postMessage("done");
      });`;
    const got: OutputChunk[] = [];
    let done = false;
    const drain = () => got.push(...reader.drain());
    const follow = (): void => void reader.whenFilling()!.then(() => (done ? undefined : (drain(), follow())));
    follow();
    const timer = setInterval(drain, 1);
    const worker = new Worker(source, { eval: true, workerData: { buffer, ring: await ringModulePath() } });
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    done = true;
    clearInterval(timer);
    drain();
    await worker.terminate();
    expect(reader.corrupt).toBe(false);
    const expected = Array.from({ length: 200000 }, (_, i) => `${i % 97 === 0 ? "E" : "o"}${i}\n`);
    expect(join(got).toString()).toBe(expected.join(""));
    expect(join(got, "stderr").toString()).toBe(expected.filter((l) => l.startsWith("E")).join(""));
  }, 30_000);

  it("stops at maxOutputBytes on a character boundary and reports the limit once", () => {
    const buffer = createOutputRingBuffer(1024);
    let limits = 0;
    const writer = new OutputRingWriter(buffer, { maxOutputBytes: 10, onLimit: () => limits++ });
    const reader = new OutputRingReader(buffer);
    writer.write("stdout", "12345678");
    writer.write("stdout", "é!"); // 2-byte character would straddle the cap at 10 bytes: kept
    writer.write("stdout", "€"); // 3 bytes: over the cap, cut before it
    writer.write("stderr", "more");
    expect(limits).toBe(1);
    expect(writer.limited).toBe(true);
    expect(join(reader.drain()).toString()).toBe("12345678é");
  });

  it("refuses a ring a tampering writer left inconsistent, and reads nothing more from it", () => {
    const buffer = createOutputRingBuffer(1024);
    const writer = new OutputRingWriter(buffer, { maxOutputBytes: 1 << 20, onLimit: () => {} });
    const reader = new OutputRingReader(buffer);
    writer.write("stdout", "fine\n");
    expect(join(reader.drain()).toString()).toBe("fine\n");
    writer.write("stdout", "x");
    new Uint8Array(buffer, 32)[10] = 9; // that record's stream byte (after the 32-byte header): neither stdout nor stderr
    expect(reader.drain()).toEqual([]);
    expect(reader.corrupt).toBe(true);
    writer.write("stdout", "after");
    expect(reader.drain()).toEqual([]);
    // A write count past the capacity is refused too.
    const other = createOutputRingBuffer(1024);
    new Int32Array(other)[0] = 5000;
    const tampered = new OutputRingReader(other);
    expect(tampered.drain()).toEqual([]);
    expect(tampered.corrupt).toBe(true);
  });
});

describe("output bytes", () => {
  it("base64-encodes any bytes as the platform's encoder does, every length and tail", () => {
    for (let n = 0; n < 300; n++) {
      const b = bytes(n, n * 31);
      expect(bytesToBase64(b)).toBe(Buffer.from(b).toString("base64"));
    }
    const big = bytes(3 * 1024 * 1024 + 2, 5);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString("base64"));
  });

  it("gives the interleaved output as written, and the one stream's text when the other is silent", () => {
    const both = new OutputRecorder();
    both.append("stdout", Buffer.from("a\n"));
    both.append("stderr", Buffer.from("b\n"));
    both.append("stdout", Buffer.from("c\n"));
    expect(both.fields()).toEqual({ stdout: "a\nc\n", stderr: "b\n", output: "a\nb\nc\n" });
    const onlyOut = new OutputRecorder();
    onlyOut.append("stdout", new Uint8Array([0xff, 0x41]));
    expect(onlyOut.fields()).toEqual({ stdout: "\ufffdA", stderr: "", output: "\ufffdA", stdoutBase64: "/0E=", outputBase64: "/0E=" });
    // A character split across chunks, a BOM kept, and a character split by the other stream.
    const split = new OutputRecorder();
    const euro = Buffer.from("\ufeff€ok");
    split.append("stdout", euro.subarray(0, 4));
    split.append("stdout", euro.subarray(4));
    expect(split.fields()).toEqual({ stdout: "\ufeff€ok", stderr: "", output: "\ufeff€ok" });
    const torn = new OutputRecorder();
    torn.append("stdout", Buffer.from([0xe2, 0x82]));
    torn.append("stderr", Buffer.from("!"));
    torn.append("stdout", Buffer.from([0xac]));
    expect(torn.fields()).toMatchObject({ stdout: "€", stderr: "!", outputBase64: Buffer.from([0xe2, 0x82, 0x21, 0xac]).toString("base64") });
    expect(torn.fields().stdoutBase64).toBeUndefined();
    const cut = new OutputRecorder();
    cut.append("stderr", Buffer.from([0x41, 0xf0, 0x9f]));
    expect(cut.fields()).toEqual({ stdout: "", stderr: "A\ufffd", output: "A\ufffd", stderrBase64: "QfCf", outputBase64: "QfCf" });
    const onlyErr = new OutputRecorder();
    onlyErr.append("stderr", Buffer.from("err"));
    expect(onlyErr.fields()).toEqual({ stdout: "", stderr: "err", output: "err" });
  });
});

/** The built ring module, for the writer thread (a worker cannot load TypeScript sources; needs a build). */
async function ringModulePath(): Promise<string> {
  return new URL("../dist/guest/output-ring.js", import.meta.url).href;
}
