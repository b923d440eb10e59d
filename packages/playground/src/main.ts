/**
 * The playground page's wiring: the editor, the pickers, Run/Stop, files, share links, the
 * runtime download progress and the service worker. Each part lives in its own module.
 */
import type { AssetProgress } from "@wasmbox/browser";
import type { ExecuteRequestInput } from "@wasmbox/client";
import { createEditor } from "./editor.js";
import { EXAMPLES, LANGUAGE_LABELS, PLAYGROUND_LANGUAGES, type PlaygroundLanguage, starterFor } from "./examples.js";
import { formatBytes, InputFiles, OutputFiles } from "./files.js";
import { OutputPanel } from "./output.js";
import { type RunTarget, Runner } from "./runner.js";
import { readShareFragment, shareFragment } from "./share.js";

/** The contract's default limits (the page sends none, so a C/C++ compile gets its own, longer cap). */
const DEFAULT_LIMITS = { timeoutMs: 10_000, memoryLimitBytes: 256 * 1024 * 1024, maxOutputBytes: 1024 * 1024 };
const STORAGE = { target: "wasmbox.playground.target", apiKey: "wasmbox.playground.apiKey" } as const;

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

const languagePicker = $<HTMLSelectElement>("language");
const examplePicker = $<HTMLSelectElement>("example");
const runButton = $<HTMLButtonElement>("run");
const stopButton = $<HTMLButtonElement>("stop");
const shareButton = $<HTMLButtonElement>("share");
const apiKeyField = $<HTMLInputElement>("api-key");
const fileInput = $<HTMLInputElement>("file-input");
const inputList = $<HTMLUListElement>("input-files");
const progress = $<HTMLProgressElement>("progress");
const progressText = $("progress-text");
const notice = $("notice");

const panel = new OutputPanel($("output"), $("status"), $("error"), $("rich-outputs"), $("usage"));
const producedFiles = new OutputFiles($("produced-files"));
const inputFiles = new InputFiles(renderInputFiles);
const assetProgress = new Map<string, AssetProgress>();
const runner = new Runner({ onProgress: showProgress, apiKey: () => apiKeyField.value });
let language: PlaygroundLanguage = "python";
let running: AbortController | null = null;

for (const lang of PLAYGROUND_LANGUAGES) languagePicker.add(new Option(LANGUAGE_LABELS[lang], lang));
for (const example of EXAMPLES) examplePicker.add(new Option(example.title, example.id));

const editor = createEditor($("editor"), { code: starterFor(language), language, label: "Code editor", onRun: () => void run() });

function say(text: string): void {
  notice.textContent = text;
}

function setLanguage(next: PlaygroundLanguage, code?: string): void {
  const wasStarter = EXAMPLES.some((e) => e.code === editor.getCode()) || editor.getCode().trim() === "";
  language = next;
  languagePicker.value = next;
  editor.setLanguage(next);
  if (code !== undefined) editor.setCode(code);
  else if (wasStarter) editor.setCode(starterFor(next));
  editor.markErrorLine(null);
}

function target(): RunTarget {
  return (document.querySelector<HTMLInputElement>('input[name="target"]:checked')?.value as RunTarget | undefined) ?? "browser";
}

function showTargetFields(): void {
  $("api-key-field").hidden = target() !== "server";
}

function renderInputFiles(): void {
  const items = inputFiles.list().map(({ path, bytes }) => {
    const li = document.createElement("li");
    const name = document.createElement("code");
    name.textContent = path;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${path}`);
    remove.addEventListener("click", () => inputFiles.remove(path));
    li.append(name, ` ${formatBytes(bytes)} `, remove);
    return li;
  });
  inputList.replaceChildren(...items);
}

function showProgress(p: AssetProgress): void {
  assetProgress.set(p.name, p);
  const all = [...assetProgress.values()];
  const pending = all.filter((a) => !a.done);
  if (pending.length === 0) {
    $("progress-box").hidden = true;
    return;
  }
  const loaded = pending.reduce((n, a) => n + a.loadedBytes, 0);
  const total = pending.reduce((n, a) => n + a.totalBytes, 0);
  $("progress-box").hidden = false;
  progress.max = Math.max(total, 1);
  progress.value = loaded;
  progressText.textContent = `Downloading ${pending.map((a) => a.name).join(", ")}: ${formatBytes(loaded)} of ${formatBytes(total)} (once; cached afterwards)`;
}

async function run(): Promise<void> {
  if (running) return;
  const controller = new AbortController();
  running = controller;
  runButton.disabled = true;
  stopButton.disabled = false;
  panel.clear();
  producedFiles.clear();
  editor.markErrorLine(null);
  const where = target() === "browser" ? "ran in this browser" : "ran on the server";
  panel.setStatus(target() === "browser" ? "running in this browser…" : "running on the server…", "running");
  const files = inputFiles.toRequestFiles();
  const request: ExecuteRequestInput = { language, code: editor.getCode(), ...(files ? { files } : {}) };
  const t0 = performance.now();
  try {
    const { result, files: produced } = await runner.run(target(), request, {
      onStdout: (text) => panel.write("stdout", text),
      onStderr: (text) => panel.write("stderr", text),
      signal: controller.signal,
    });
    panel.showResult(result, where, performance.now() - t0, DEFAULT_LIMITS);
    editor.markErrorLine(result.error?.line ?? null);
    producedFiles.show(produced);
  } catch (e) {
    panel.showFailure(e instanceof Error ? e.message : String(e));
  } finally {
    running = null;
    runButton.disabled = false;
    stopButton.disabled = true;
  }
}

async function loadExample(id: string): Promise<void> {
  const example = EXAMPLES.find((e) => e.id === id);
  if (!example) return;
  setLanguage(example.language, example.code);
  if (example.usesFleetCsv) {
    try {
      const response = await fetch("examples/fleet.csv");
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      inputFiles.set("data/fleet.csv", new Uint8Array(await response.arrayBuffer()));
    } catch (e) {
      say(`The sample CSV could not be loaded (${e instanceof Error ? e.message : String(e)}); drop your own fleet.csv in.`);
    }
  }
  say(`Loaded the example “${example.title}”. Run it with Ctrl+Enter.`);
}

async function copyLink(): Promise<void> {
  const fragment = await shareFragment({ language, code: editor.getCode() });
  history.replaceState(null, "", fragment);
  try {
    await navigator.clipboard.writeText(location.href);
    say("Link copied. The code is in the link itself: nothing was uploaded.");
  } catch {
    say("The link is in the address bar (the clipboard was not available). Nothing was uploaded.");
  }
}

// The toolbar is a form for its labels and grouping; Enter in a field must not reload the page.
$("toolbar").addEventListener("submit", (event) => event.preventDefault());
languagePicker.addEventListener("change", () => setLanguage(languagePicker.value as PlaygroundLanguage));
examplePicker.addEventListener("change", () => void loadExample(examplePicker.value));
runButton.addEventListener("click", () => void run());
stopButton.addEventListener("click", () => running?.abort());
shareButton.addEventListener("click", () => void copyLink());
fileInput.addEventListener("change", () => {
  void addFiles(fileInput.files ? [...fileInput.files] : []);
  fileInput.value = "";
});
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="target"]')) {
  radio.addEventListener("change", () => {
    localStorage.setItem(STORAGE.target, target());
    showTargetFields();
  });
}
apiKeyField.addEventListener("change", () => localStorage.setItem(STORAGE.apiKey, apiKeyField.value));
// Ctrl/Cmd+Enter from anywhere on the page (the editor handles its own and marks the event handled).
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
    event.preventDefault();
    void run();
  }
});

async function addFiles(files: File[]): Promise<void> {
  const problems = await inputFiles.add(files);
  say(problems.length ? problems.join("; ") : `Added ${files.map((f) => `data/${f.name}`).join(", ")}.`);
}
document.addEventListener("dragover", (event) => {
  event.preventDefault();
  document.body.classList.add("dragging");
});
document.addEventListener("dragleave", (event) => {
  if (event.relatedTarget === null) document.body.classList.remove("dragging");
});
document.addEventListener("drop", (event) => {
  event.preventDefault();
  document.body.classList.remove("dragging");
  void addFiles(event.dataTransfer ? [...event.dataTransfer.files] : []);
});

// Restore the saved choices, then a shared link (which wins over the starter code).
const savedTarget = localStorage.getItem(STORAGE.target);
if (savedTarget === "server") document.querySelector<HTMLInputElement>('input[name="target"][value="server"]')!.checked = true;
apiKeyField.value = localStorage.getItem(STORAGE.apiKey) ?? "";
showTargetFields();
readShareFragment(location.hash).then(
  (shared) => {
    if (shared) setLanguage(shared.language, shared.code);
  },
  (e: unknown) => say(e instanceof Error ? e.message : String(e)),
);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((e: unknown) => {
    // Offline use only; the page works without it.
    console.warn("wasmbox: the service worker did not register:", e);
  });
}
document.body.dataset["ready"] = "true";
