/**
 * Files in and out. Files dropped on the page or picked are sent with every run as
 * `data/<name>`; the files a run produced are listed with download links (Blob URLs), and
 * PNG/SVG images shown inline — an SVG always through <img> from a Blob, never as markup in
 * this document (an <img> runs no script and loads nothing).
 */
import type { ExecuteRequestInput } from "@wasmbox/client";

type RequestFiles = NonNullable<ExecuteRequestInput["files"]>;

/** The most a dropped file may hold; request bodies are capped by the server anyway. */
const MAX_INPUT_FILE_BYTES = 32 * 1024 * 1024;

export class InputFiles {
  readonly #files = new Map<string, Uint8Array>();
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  /** Add files; a file too big is refused with a message naming it, the rest still added. */
  async add(files: Iterable<File>): Promise<string[]> {
    const problems: string[] = [];
    for (const file of files) {
      if (file.size > MAX_INPUT_FILE_BYTES) {
        problems.push(`${file.name} is ${file.size} bytes; files up to ${MAX_INPUT_FILE_BYTES} bytes can be sent`);
        continue;
      }
      // A name is one path segment under data/: a name with slashes keeps its last part.
      const name = file.name.split(/[\\/]/).pop() || "file";
      this.#files.set(`data/${name}`, new Uint8Array(await file.arrayBuffer()));
    }
    this.#onChange();
    return problems;
  }

  set(path: string, bytes: Uint8Array): void {
    this.#files.set(path, bytes);
    this.#onChange();
  }

  remove(path: string): void {
    this.#files.delete(path);
    this.#onChange();
  }

  list(): { path: string; bytes: number }[] {
    return [...this.#files].map(([path, b]) => ({ path, bytes: b.byteLength }));
  }

  /** The request's `files`: bytes as base64 (every file, text or not, arrives exact). */
  toRequestFiles(): RequestFiles | undefined {
    if (this.#files.size === 0) return undefined;
    return Object.fromEntries([...this.#files].map(([path, b]) => [path, { encoding: "base64" as const, content: toBase64(b) }]));
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export interface ProducedFile {
  path: string;
  mime: string;
  bytes: Uint8Array;
}

const INLINE_IMAGE_TYPES = new Set(["image/png", "image/svg+xml"]);

/** Shows a run's files in `list`; the Blob URLs of the previous run are revoked. */
export class OutputFiles {
  #urls: string[] = [];

  constructor(private readonly list: HTMLElement) {}

  clear(): void {
    for (const url of this.#urls) URL.revokeObjectURL(url);
    this.#urls = [];
    this.list.replaceChildren();
    this.list.hidden = true;
  }

  show(files: ProducedFile[]): void {
    this.clear();
    if (files.length === 0) return;
    const heading = document.createElement("h2");
    heading.textContent = "Files the run produced";
    const ul = document.createElement("ul");
    for (const file of files) {
      const url = URL.createObjectURL(new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mime }));
      this.#urls.push(url);
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = url;
      a.download = file.path.split("/").pop() ?? file.path;
      a.textContent = `${file.path} (${formatBytes(file.bytes.byteLength)})`;
      li.append(a);
      if (INLINE_IMAGE_TYPES.has(file.mime)) {
        const img = document.createElement("img");
        img.src = url;
        img.alt = `image ${file.path}`;
        img.className = "produced-image";
        li.append(img);
      }
      ul.append(li);
    }
    this.list.append(heading, ul);
    this.list.hidden = false;
  }
}
