import type { GuestError } from "@wasmbox/contract";

/** Strips TypeScript types with sucrase, keeping every line where it was. */
export async function transpileTypeScript(code: string, filename: string): Promise<{ code: string } | { error: GuestError }> {
  const { transform } = await import("sucrase");
  try {
    return { code: transform(code, { transforms: ["typescript"], filePath: filename, disableESTransforms: true }).code };
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    const message = err.message.replace(/\s*\(\d+:\d+\)$/, "");
    const line = err.loc?.line ?? null;
    return {
      error: {
        name: "SyntaxError",
        message,
        traceback: `SyntaxError: ${message}\n    at ${filename}:${line ?? "?"}${err.loc ? `:${err.loc.column + 1}` : ""}\n`,
        line,
      },
    };
  }
}

