/**
 * Where wasmbox keeps its caches (snapshots, compiled modules, packages, V8's compile cache),
 * with nothing else imported: the CLI reads it before it loads the engine.
 */
import { chmodSync, mkdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** `WASMBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/wasmbox`, else `~/.cache/wasmbox`. */
export function defaultCacheDir(): string {
  if (process.env.WASMBOX_CACHE_DIR) return process.env.WASMBOX_CACHE_DIR;
  if (process.env.XDG_CACHE_HOME?.startsWith("/")) return join(process.env.XDG_CACHE_HOME, "wasmbox");
  const home = homedir();
  return home ? join(home, ".cache", "wasmbox") : join(tmpdir(), `wasmbox-cache-${process.getuid?.() ?? "user"}`);
}

/** Create a cache directory only its owner can enter (0700). */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
