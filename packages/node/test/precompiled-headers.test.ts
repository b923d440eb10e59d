/**
 * C++ precompiled headers: a build that can use one compiles exactly as without it (the
 * program's macros, its own headers named like standard ones, its diagnostics), and one that
 * cannot is left alone. Real engine, real clang sandboxes, a real PCH built in the background.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pchKeyMaterial, pchPlan, standardPreamble } from "@wasmbox/core";
import { createEngine, type Engine } from "@wasmbox/node";

describe("which builds may use a PCH", () => {
  it("only the standard #include <…> lines a C++ file begins with, and only without flags that change what a header is", () => {
    expect(standardPreamble("// hi\n#include <iostream>\n\n/* c */\n#include <vector>\nint main() {}\n#include <map>\n")).toEqual(["iostream", "vector"]);
    // Anything else ends the preamble: a macro, a quoted include, a non-standard name, a pragma.
    expect(standardPreamble("#define NDEBUG\n#include <cassert>\n")).toEqual([]);
    expect(standardPreamble('#include <iostream>\n#include "string.h"\n#include <vector>\n')).toEqual(["iostream"]);
    expect(standardPreamble("#include <iostream>\n#pragma once\n#include <vector>\n")).toEqual(["iostream"]);
    expect(standardPreamble("#include <mylib>\n")).toEqual([]);
    expect(standardPreamble("// a comment \\\n#define X\n#include <vector>\n")).toEqual([]);
    expect(standardPreamble("/* a\n#define X */ #define Y\n#include <vector>\n")).toEqual([]);
    // With trigraphs (-std=c++11), `??/` ends a line comment in a backslash: the include is commented out.
    expect(standardPreamble("#include <iostream>\n// x ??/\n#include <vector>\n")).toEqual(["iostream"]);
    const code = "#include <iostream>\nint main() {}\n";
    expect(pchPlan({ language: "cpp", code })?.text).toBe("#include <iostream>\n");
    expect(pchPlan({ language: "c", code })).toBeNull();
    for (const flag of ["-I.", "-DX=1", "-UX", "-g", "-fno-rtti", "-msimd128", "-Wsystem-headers"]) expect(pchPlan({ language: "cpp", code, compile: { flags: [flag] } })).toBeNull();
    expect(pchPlan({ language: "cpp", code, compile: { flags: ["-std=c++20", "-Wall"] } })?.std).toEqual(["-std=c++20"]);
    expect(pchPlan({ language: "cpp", code, files: { "wasmbox-pch/preamble.hpp": "#define X" } })).toBeNull();
  });

  it("keys a PCH by compiler, options, headers and tenant", () => {
    const plan = pchPlan({ language: "cpp", code: "#include <iostream>\n" })!;
    const k = pchKeyMaterial(plan, "22", null);
    expect(pchKeyMaterial(plan, "23", null)).not.toBe(k);
    expect(pchKeyMaterial(plan, "22", "t1")).not.toBe(k);
    expect(pchKeyMaterial(pchPlan({ language: "cpp", code: "#include <iostream>\n", compile: { optimize: "0" } })!, "22", null)).not.toBe(k);
    expect(pchKeyMaterial(pchPlan({ language: "cpp", code: "#include <iostream>\n", compile: { flags: ["-std=c++20"] } })!, "22", null)).not.toBe(k);
    expect(pchKeyMaterial(pchPlan({ language: "cpp", code: "#include <iostream>\n#include <vector>\n" })!, "22", null)).not.toBe(k);
  });
});

describe("C++ builds with the standard headers precompiled", { timeout: 400_000 }, () => {
  let engine: Engine;
  const cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-pch-"));
  const used = () => engine.stats().precompiledHeaders.used;
  const redone = () => engine.stats().precompiledHeaders.redone;

  beforeAll(async () => {
    // A loaded machine: builds here may take far longer than they would alone.
    engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 1, clang: 1, asc: 0 }, cacheDir, compileLimits: { timeoutMs: 300_000 } });
    // The first C++ build compiles its headers and starts the shared <iostream> PCH's build.
    const first = await engine.execute({ language: "cpp", code: '#include <iostream>\nint main() { std::cout << "first\\n"; }\n' });
    expect(first.stdout).toBe("first\n");
    await engine.precompiledHeadersBuilt();
  }, 600_000);
  afterAll(async () => {
    await engine?.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("the PCH is on disk with the sha256 of its bytes, and the next <iostream> build uses it", async () => {
    expect(engine.stats().precompiledHeaders.built).toBe(1);
    const dir = join(cacheDir, "pch", "modules");
    const [pch] = readdirSync(dir).filter((f) => f.endsWith(".wasm"));
    const bytes = readFileSync(join(dir, pch!));
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("CPCH");
    expect(JSON.parse(readFileSync(join(dir, pch!.replace(/\.wasm$/, ".json")), "utf8")).sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    const before = used();
    const r = await engine.execute({ language: "cpp", code: '#include <iostream>\nint main() { std::cout << "hello " << 42 << std::endl; }\n' });
    expect(r.stdout).toBe("hello 42\n");
    expect(used()).toBe(before + 1);
  });

  it("a macro the program defines after the precompiled headers still applies to the headers it includes next", async () => {
    const before = used();
    const r = await engine.execute({ language: "cpp", code: '#include <iostream>\n#define NDEBUG\n#include <cassert>\nint main() { assert(1 + 1 == 3); std::cout << "asserts off\\n"; }\n' });
    expect(r.stdout).toBe("asserts off\n");
    expect(used()).toBe(before + 1);
  });

  it("a libc++ configuration macro defined before <iostream> takes effect (no PCH: the file does not begin with includes)", async () => {
    const code = "#define _LIBCPP_HARDENING_MODE _LIBCPP_HARDENING_MODE_EXTENSIVE\n#include <iostream>\n#include <vector>\nint main() { std::vector<int> v(1); std::cout << v[3] << '\\n'; }\n";
    const before = used();
    const r = await engine.execute({ language: "cpp", code });
    expect(r.status).toBe("error");
    // libc++'s hardening traps on v[3] of a one-element vector.
    expect(r.stderr).toMatch(/wasm trap: unreachable/);
    expect(used()).toBe(before);
  });

  it("a program's own header named like a standard one is found exactly where it would be without a PCH", async () => {
    const files = { "string.h": "#include_next <string.h>\n#define TENANT_STRING_H 7\n" };
    // Quoted: the program's file (the preamble ends before it).
    const quoted = await engine.execute({ language: "cpp", code: '#include <iostream>\n#include "string.h"\nint main() { std::cout << TENANT_STRING_H << "\\n"; }\n', files });
    expect(quoted.stdout).toBe("7\n");
    // With -I. even <string.h> is the program's: no PCH then.
    const before = used();
    const included = await engine.execute({ language: "cpp", code: '#include <string.h>\n#include <iostream>\nint main() { std::cout << TENANT_STRING_H << "\\n"; }\n', files, compile: { flags: ["-I."] } });
    expect(included.stdout).toBe("7\n");
    expect(used()).toBe(before);
    // A file called iostream (no header extension) takes no part in the build, as before.
    const named = await engine.execute({ language: "cpp", code: '#include <iostream>\nint main() { std::cout << "system\\n"; }\n', files: { iostream: '#error "the program\'s own iostream"\n' } });
    expect(named.stdout).toBe("system\n");
  });

  it("diagnostics are the plain build's, word for word: a build with a PCH that says anything is redone without it", async () => {
    const before = redone();
    const warned = await engine.execute({ language: "cpp", code: '#include <iostream>\nint main() { int unused; std::cout << "w\\n"; }\n', compile: { flags: ["-Wall"] } });
    expect(warned.stdout).toBe("w\n");
    expect(warned.compile?.output).toContain("main.cpp:2:18: warning: unused variable 'unused'");
    const failed = await engine.execute({ language: "cpp", code: "#include <iostream>\nint main() { std::cout << std::vector<int>{}; }\n" });
    expect(failed.status).toBe("compile_error");
    expect(failed.error?.message).toMatch(/vector/);
    for (const r of [warned, failed]) expect(r.compile?.output).not.toContain("wasmbox-pch");
    expect(redone()).toBe(before + 2);
  });
});
