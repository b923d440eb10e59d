import type { RuntimeVersions } from "@wasmbox/core";

declare global {
  /** Inlined by build.mjs: the sandbox frame's one script, and its CSP hash. */
  const __WASMBOX_FRAME_SCRIPT__: string;
  const __WASMBOX_FRAME_SCRIPT_SHA256__: string;
  /** Inlined by build.mjs: the versions of the packages the runtimes come from. */
  const __WASMBOX_VERSIONS__: RuntimeVersions;
}
