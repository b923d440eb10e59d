/**
 * A STUB of the browser SDK, for the page-wiring test only: it answers `execute` from markers
 * in the code (`STUB:error`, `STUB:image`, `STUB:rich`, `STUB:slow`) so the test can check what the page
 * does with each kind of result. It runs nothing. The real SDK's end-to-end tests are the
 * lead's (packages/browser).
 */
export function stubSdkModule(pngBase64: string): string {
  return `
const png = Uint8Array.from(atob(${JSON.stringify(pngBase64)}), (c) => c.charCodeAt(0));
const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#cde"/><text x="10" y="35">stub svg</text><script>window.parent.__svgScriptRan = true</script></svg>');
const timings = { queuedMs: 0, startMs: 0, executionTimeMs: 1.5, totalMs: 2 };
// As the browser host measures it: wall time only.
const usage = { cpuTimeMs: null, wallTimeMs: 2.4, peakMemoryBytes: null };
function result(fields) {
  return { status: "ok", stdout: "", stderr: "", output: "", error: null, exitCode: 0, value: null, files: [], outputs: [], timings, usage, fileContents: new Map(), ...fields };
}
export function createSandbox(options = {}) {
  window.__stubRuns = [];
  return {
    async execute(request, { onStdout, onStderr, signal } = {}) {
      window.__stubRuns.push({ language: request.language, code: request.code, files: Object.keys(request.files ?? {}), firstFile: Object.values(request.files ?? {})[0] ?? null });
      const code = request.code;
      if (code.includes("STUB:slow")) {
        options.onProgress?.({ name: "python", loadedBytes: 5 * 1024 * 1024, totalBytes: 12 * 1024 * 1024, done: false });
        onStdout?.("starting\\n");
        await new Promise((resolve) => signal?.addEventListener("abort", resolve, { once: true }));
        options.onProgress?.({ name: "python", loadedBytes: 12 * 1024 * 1024, totalBytes: 12 * 1024 * 1024, done: true });
        return result({ status: "killed", exitCode: null, stdout: "starting\\n", error: { name: "Killed", message: "the run was stopped", traceback: "", line: null } });
      }
      if (code.includes("STUB:error")) {
        onStdout?.("before the error\\n");
        onStderr?.("Traceback (most recent call last):\\n  File \\"main.py\\", line 3\\nZeroDivisionError: division by zero\\n");
        return result({ status: "error", exitCode: 1, error: { name: "ZeroDivisionError", message: "division by zero", traceback: "Traceback (most recent call last):\\n  File \\"main.py\\", line 3, in <module>\\nZeroDivisionError: division by zero", line: 3 } });
      }
      if (code.includes("STUB:image")) {
        onStdout?.("wrote 2 images\\n");
        return result({
          files: [{ path: "chart.png", size: png.length, sha256: "", mime: "image/png" }, { path: "out/chart.svg", size: svg.length, sha256: "", mime: "image/svg+xml" }],
          fileContents: new Map([["chart.png", png], ["out/chart.svg", svg]]),
        });
      }
      if (code.includes("STUB:rich")) {
        onStdout?.("made 5 outputs\\n");
        const svgText = new TextDecoder().decode(svg);
        return result({
          outputs: [
            { kind: "display", data: { "image/png": ${JSON.stringify(pngBase64)}, "text/plain": "<Figure 1>" } },
            { kind: "display", data: { "image/svg+xml": svgText, "text/plain": "svg" } },
            { kind: "display", data: { "text/html": '<p id="guest">guest html</p><img src=x onerror="window.parent.__htmlScriptRan = true"><script>window.parent.__htmlScriptRan = true</script>', "text/plain": "html" } },
            { kind: "display", data: { "text/markdown": "# <b>not bold</b>", "text/plain": "md" } },
            { kind: "result", data: { "application/json": { a: [1, 2] } } },
          ],
        });
      }
      onStdout?.("ran " + request.language + ": " + code.length + " chars\\n");
      onStderr?.("a line on stderr\\n");
      onStdout?.("after stderr\\n");
      return result({ stdout: "", value: 2 });
    },
    async dispose() {},
  };
}
`;
}
