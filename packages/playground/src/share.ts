/**
 * Share links: the code and its language in the URL fragment, which never leaves the browser
 * (nothing is uploaded). `#lang=python&z=<base64url of raw deflate>`; `code=<base64url of
 * UTF-8>` is read too, for links written by hand or by tools without a deflate.
 */
import { PLAYGROUND_LANGUAGES, type PlaygroundLanguage } from "./examples.js";

export interface Shared {
  language: PlaygroundLanguage;
  code: string;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The fragment (with its `#`) that {@link readShareFragment} turns back into `shared`. */
export async function shareFragment(shared: Shared): Promise<string> {
  const packed = await pipe(new TextEncoder().encode(shared.code), new CompressionStream("deflate-raw"));
  return `#lang=${shared.language}&z=${toBase64Url(packed)}`;
}

/**
 * What a fragment shares, or null when it shares nothing. A fragment that is broken (cut
 * short, unknown language) throws an Error that says what is wrong with the link.
 */
export async function readShareFragment(hash: string): Promise<Shared | null> {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const lang = params.get("lang");
  const z = params.get("z");
  const plain = params.get("code");
  if (lang === null && z === null && plain === null) return null;
  if (!(PLAYGROUND_LANGUAGES as readonly string[]).includes(lang ?? "")) {
    throw new Error(`this link names the language ${JSON.stringify(lang)}; the playground knows ${PLAYGROUND_LANGUAGES.join(", ")}`);
  }
  try {
    const bytes = z !== null ? await pipe(fromBase64Url(z), new DecompressionStream("deflate-raw")) : fromBase64Url(plain ?? "");
    return { language: lang as PlaygroundLanguage, code: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    throw new Error("this link's code is damaged (cut short or changed); ask for the link again");
  }
}
