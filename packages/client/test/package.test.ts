/**
 * What a user of @wasmbox/client really installs: the client and contract packages packed as
 * npm would publish them, installed into an empty folder. It must bring zod and nothing that
 * runs code (no Pyodide, clang, binaryen, AssemblyScript, QuickJS), and the installed client
 * must work there, types included.
 *
 * Needs a build first (`npm run build`). Offline: zod comes from the npm cache `npm ci` filled.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
/** The wasm runtimes and compilers core depends on: none may come with the client. */
const RUNTIME_PACKAGES = ["pyodide", "@yowasp/clang", "binaryen", "assemblyscript", "wabt", "@jitl/quickjs-ng-wasmfile-release-sync", "@bjorn3/browser_wasi_shim", "@wasmbox/core"];

let work: string;
let app: string;

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
}

/** Every package under a node_modules folder, scoped ones as `@scope/name`. */
function installedPackages(nodeModules: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) for (const sub of readdirSync(join(nodeModules, entry))) names.push(`${entry}/${sub}`);
    else names.push(entry);
  }
  return names.sort();
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "wasmbox-pack-"));
  app = join(work, "app");
  mkdirSync(app);
  const packed = JSON.parse(npm(["pack", "./packages/contract", "./packages/client", "--pack-destination", work, "--ignore-scripts", "--json"], ROOT)) as { filename: string }[];
  const tarballs = packed.map((p) => join(work, p.filename));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "client-user", private: true, type: "module" }));
  // The cache holds zod's tarball (the lockfile's version), not its registry metadata: name
  // the tarball, so --offline can resolve it. The contract's own range for zod must accept it.
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
  const zodVersion = lock.packages["node_modules/zod"]!.version;
  const registry = npm(["config", "get", "registry"], ROOT).trim().replace(/\/$/, "");
  const install = (mode: string, extra: string[]) => npm(["install", ...tarballs, ...extra, mode, "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"], app);
  try {
    install("--offline", [`${registry}/zod/-/zod-${zodVersion}.tgz`]);
  } catch (error) {
    if (!String((error as { stderr?: string }).stderr).includes("ENOTCACHED")) throw error;
    install("--prefer-offline", []);
  }
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed client, installed into an empty folder", () => {
  it("brings the client, the contract and zod: no wasm runtime", () => {
    const installed = installedPackages(join(app, "node_modules"));
    const sizeKiB = Number(execFileSync("du", ["-sk", join(app, "node_modules")], { encoding: "utf8" }).split("\t")[0]);
    console.log(`installed: ${installed.join(", ")} — ${(sizeKiB / 1024).toFixed(1)} MiB in node_modules`);
    expect(installed).toEqual(["@wasmbox/client", "@wasmbox/contract", "zod"]);
    for (const name of RUNTIME_PACKAGES) expect(existsSync(join(app, "node_modules", name)), name).toBe(false);
    expect(installed.some((name) => name.startsWith("quickjs-emscripten"))).toBe(false);
    // zod is the whole weight (~9 MiB unpacked); today's core drags ~220 MB.
    expect(sizeKiB).toBeLessThan(20 * 1024);
    const contractPkg = JSON.parse(readFileSync(join(app, "node_modules/@wasmbox/contract/package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(contractPkg.dependencies)).toEqual(["zod"]);
  });

  it("constructs a WasmboxClient and gives a piece's exact bytes", () => {
    const script = [
      'import { WasmboxClient, outputBytes } from "@wasmbox/client";',
      'const client = new WasmboxClient({ baseUrl: "http://127.0.0.1:1/" });',
      'const bytes = outputBytes({ text: "\\uFFFD", base64: "/wA=" });',
      'const text = outputBytes({ text: "héllo" });',
      "console.log(JSON.stringify({ client: client.constructor.name, runs: typeof client.runs.create, bytes: [...bytes], text: [...text] }));",
    ].join("\n");
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({
      client: "WasmboxClient",
      runs: "function",
      bytes: [0xff, 0x00],
      text: [...Buffer.from("héllo", "utf8")],
    });
  });

  it("type-checks a program against the installed packages alone", () => {
    writeFileSync(
      join(app, "check.ts"),
      [
        'import { WasmboxClient, type ClientErrorCode, type ExecuteResult, type RunEvent } from "@wasmbox/client";',
        'import { ExecuteRequestSchema, type ExecuteRequest } from "@wasmbox/contract";',
        'const client: WasmboxClient = new WasmboxClient({ baseUrl: "http://127.0.0.1:1" });',
        "export function describe(event: RunEvent): string {",
        '  if (event.type === "result") { const result: ExecuteResult = event.data; return result.status; }',
        '  return event.type === "status" ? event.data.status : event.data.text;',
        "}",
        'export const code: ClientErrorCode = "NOT_FOUND";',
        // Types that resolved to `any` (a package missing) would accept these: they must not.
        "// @ts-expect-error not an event type",
        'export const bad: RunEvent = { type: "exit", id: "1", data: {} };',
        "// @ts-expect-error not an error code",
        'export const badCode: ClientErrorCode = "NO_SUCH_CODE";',
        'export const request: ExecuteRequest = ExecuteRequestSchema.parse({ language: "python", code: "print(1)" });',
        "export { client };",
        "",
      ].join("\n"),
    );
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2023", "dom"], types: [], skipLibCheck: true }, files: ["check.ts"] }));
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    let output = "";
    try {
      output = execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    expect(output).toBe("");
  });
});
