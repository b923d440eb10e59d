/**
 * Judge0 CE's catalogue as wasmbox offers it: its statuses (ids and names as Judge0 has them)
 * and its language ids for the languages wasmbox runs, each named for what really runs it.
 */
import type { Language, RuntimeInfo } from "@wasmbox/node";

/** Judge0's statuses, ids and names as Judge0 CE has them (app/enumerations/status.rb). */
export const JUDGE0_STATUSES = [
  { id: 1, description: "In Queue" },
  { id: 2, description: "Processing" },
  { id: 3, description: "Accepted" },
  { id: 4, description: "Wrong Answer" },
  { id: 5, description: "Time Limit Exceeded" },
  { id: 6, description: "Compilation Error" },
  { id: 7, description: "Runtime Error (SIGSEGV)" },
  { id: 8, description: "Runtime Error (SIGXFSZ)" },
  { id: 9, description: "Runtime Error (SIGFPE)" },
  { id: 10, description: "Runtime Error (SIGABRT)" },
  { id: 11, description: "Runtime Error (NZEC)" },
  { id: 12, description: "Runtime Error (Other)" },
  { id: 13, description: "Internal Error" },
  { id: 14, description: "Exec Format Error" },
] as const;
export type StatusId = (typeof JUDGE0_STATUSES)[number]["id"];
export const status = (id: StatusId) => JUDGE0_STATUSES.find((s) => s.id === id)!;

/**
 * Judge0 CE's language ids (db/languages/active.rb) that wasmbox can serve, and what it runs
 * for them: every GCC and Clang C id runs wasmbox's C (clang to WASI), and so on. Judge0's
 * name for the id is kept in `judge0` for the OpenAPI description and the languages' details.
 */
const IDS: ReadonlyArray<{ id: number; language: Language; judge0: string }> = [
  { id: 48, language: "c", judge0: "C (GCC 7.4.0)" },
  { id: 49, language: "c", judge0: "C (GCC 8.3.0)" },
  { id: 50, language: "c", judge0: "C (GCC 9.2.0)" },
  { id: 75, language: "c", judge0: "C (Clang 7.0.1)" },
  { id: 52, language: "cpp", judge0: "C++ (GCC 7.4.0)" },
  { id: 53, language: "cpp", judge0: "C++ (GCC 8.3.0)" },
  { id: 54, language: "cpp", judge0: "C++ (GCC 9.2.0)" },
  { id: 76, language: "cpp", judge0: "C++ (Clang 7.0.1)" },
  { id: 63, language: "javascript", judge0: "JavaScript (Node.js 12.14.0)" },
  { id: 71, language: "python", judge0: "Python (3.8.1)" },
  { id: 74, language: "typescript", judge0: "TypeScript (3.7.4)" },
];

const LABELS: Record<string, string> = { c: "C", cpp: "C++", javascript: "JavaScript", python: "Python", typescript: "TypeScript" };
const SOURCE_FILES: Record<string, string> = { c: "main.c", cpp: "main.cpp", javascript: "script.js", python: "script.py", typescript: "script.ts" };

export interface Judge0Language {
  id: number;
  name: string;
  language: Language;
  judge0: string;
}

/** The languages offered, each named for what really runs it, e.g. "Python (3.14.2, Pyodide 314.0.7)". */
export function judge0Languages(runtimes: RuntimeInfo[]): Judge0Language[] {
  return IDS.flatMap(({ id, language, judge0 }) => {
    const info = runtimes.find((r) => r.language === language);
    if (!info) return [];
    const what = language === "python" ? `${info.version}, ${info.runtime}` : info.runtime;
    return [{ id, name: `${LABELS[language]} (${what})`, language, judge0 }];
  }).sort((a, b) => a.id - b.id);
}

/** `GET /languages/:id`: Judge0's details of one language, with wasmbox's commands in words. */
export function languageDetail(l: Judge0Language) {
  const compiled = l.language === "c" || l.language === "cpp";
  return {
    id: l.id,
    name: l.name,
    is_archived: false,
    source_file: SOURCE_FILES[l.language],
    compile_cmd: compiled ? `wasmbox: clang to wasm32-wasi (for Judge0's ${l.judge0})` : null,
    run_cmd: `wasmbox: ${l.language} in a WebAssembly sandbox (for Judge0's ${l.judge0})`,
  };
}
