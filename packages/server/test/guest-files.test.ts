/**
 * Guest content is never served as the server's own: every file a run produced comes with
 * `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`, the type its
 * name gives (never one sniffed from the bytes), and as an attachment — except a plain
 * image the client asks to see inline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, lines, openEvents, removeDataDirs, show, startServer, type TestServer } from "./helpers.js";

let t: TestServer;
let runId: string;

const HTML = "<!doctype html><script>fetch('/v1/runs').then(r => r.text()).then(t => parent.postMessage(t, '*'))</script>";
const SVG = "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(document.domain)</script></svg>";
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0];

beforeAll(async () => {
  t = await startServer({ poolPython: 0, poolJs: 1 });
  const res = await api(t.url).post("/v1/execute", {
    language: "javascript",
    code: lines(
      "const fs = require('fs');",
      `fs.writeFileSync('page.html', ${JSON.stringify(HTML)});`,
      `fs.writeFileSync('pic.svg', ${JSON.stringify(SVG)});`,
      "fs.writeFileSync('app.js', 'alert(1)');",
      `fs.writeFileSync('plot.png', new Uint8Array(${JSON.stringify(PNG)}));`,
      // HTML bytes under names that say otherwise: the name decides, the bytes never do.
      `fs.writeFileSync('notes.txt', ${JSON.stringify(HTML)});`,
      `fs.writeFileSync('blob', ${JSON.stringify(HTML)});`,
      `fs.writeFileSync('fake.png', ${JSON.stringify(HTML)});`,
    ),
  });
  expect(res.status, show(res)).toBe(200);
  expect(res.body.status, JSON.stringify(res.body.error)).toBe("ok");
  runId = res.body.id;
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

async function download(path: string, query = "") {
  const res = await fetch(`${t.url}/v1/runs/${runId}/files/${path}${query}`);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe("files a run produced", () => {
  const cases: Array<[path: string, type: string]> = [
    ["page.html", "text/html"],
    ["pic.svg", "image/svg+xml"],
    ["app.js", "text/javascript"],
    ["notes.txt", "text/plain"],
    ["blob", "application/octet-stream"],
    ["fake.png", "image/png"],
    ["plot.png", "image/png"],
  ];

  it.each(cases)("%s: type %s from its name, nosniff, CSP sandbox, an attachment", async (path, type) => {
    const res = await download(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toMatch(/(^|;\s*)sandbox(\s*;|$)/);
    expect(res.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="${path.replace(".", "\\.")}"`));
  });

  it("asking for inline shows a plain image inline, and nothing else", async () => {
    const png = await download("plot.png", "?inline=1");
    expect(png.headers.get("content-disposition")).toMatch(/^inline; filename="plot\.png"/);
    expect(png.headers.get("content-security-policy")).toContain("sandbox");
    expect(png.headers.get("x-content-type-options")).toBe("nosniff");
    expect(png.bytes.equals(Buffer.from(PNG))).toBe(true);
    for (const path of ["page.html", "pic.svg", "app.js", "notes.txt", "blob"]) {
      const res = await download(path, "?inline=1");
      expect(res.headers.get("content-disposition"), path).toMatch(/^attachment;/);
    }
    // A "png" that is really HTML is inline as image/png, never as HTML: with nosniff a browser cannot render it as a page.
    const fake = await download("fake.png", "?inline=1");
    expect(fake.headers.get("content-type")).toBe("image/png");
    expect(fake.bytes.toString()).toBe(HTML);
  });

  it("the bytes are served as stored", async () => {
    expect((await download("page.html")).bytes.toString()).toBe(HTML);
    expect((await download("pic.svg")).bytes.toString()).toBe(SVG);
  });

  it("guest output in the event stream and in JSON answers is not sniffable either", async () => {
    const conn = await openEvents(t.url, runId);
    expect(conn.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(conn.headers.get("x-content-type-options")).toBe("nosniff");
    conn.close();
    const run = await api(t.url).get(`/v1/runs/${runId}`);
    expect(run.headers.get("content-type")).toMatch(/^application\/json/);
    expect(run.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
