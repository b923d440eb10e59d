/**
 * WebAssembly text (WAT) to a binary module, with wabt (loaded on first use only).
 */
import wabtInit from "wabt";

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | undefined;

/** All post-MVP features wabt knows, so text using them assembles. */
const FEATURES = {
  exceptions: true,
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  simd: true,
  threads: true,
  multi_value: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
  extended_const: true,
};

/** @throws Error with wabt's message (`file:line:col: error: …`) when the text is invalid. */
export async function watToWasm(text: string, filename: string): Promise<Uint8Array> {
  const w = await (wabt ??= wabtInit());
  // As UTF-8 bytes: given a JS string, wabt would store one byte per UTF-16 unit.
  const module = w.parseWat(filename.replace(/\.wasm$/, ".wat"), new TextEncoder().encode(text), FEATURES);
  try {
    module.resolveNames();
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}
