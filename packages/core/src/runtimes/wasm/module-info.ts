/**
 * Reads what matters about a WebAssembly module before it is instantiated: its imports,
 * exports with their signatures, and the limits of its memories and tables. It also
 * rewrites the memory section so every memory the module defines gets a maximum no larger
 * than the run's memory limit: `memory.grow` past it then returns -1 inside the guest
 * instead of taking host memory.
 *
 * Only the sections named here are decoded; everything else is copied byte for byte.
 */

export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref" | "ref";

export interface FuncSignature {
  params: ValueType[];
  results: ValueType[];
}

export interface Limits {
  min: number;
  max: number | null;
  shared: boolean;
  /** memory64 / table64: index type is i64. */
  is64: boolean;
}

export interface ModuleImport {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  /** Functions: the signature, when the type section could be read. */
  signature?: FuncSignature;
  /** Memories and tables. */
  limits?: Limits;
}

export interface ModuleExport {
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  /** Functions: the signature, when the type section could be read. */
  signature?: FuncSignature;
}

export interface ModuleInfo {
  imports: ModuleImport[];
  exports: ModuleExport[];
  /** Memories the module defines itself (not imported). */
  memories: Limits[];
  /** Tables the module defines itself (not imported). */
  tables: Limits[];
  /** Whether the module has a start function (it runs during instantiation). */
  hasStart: boolean;
  /** Its C stack, when it exports `__stack_pointer` with a constant start (null otherwise). */
  stack: StackLayout | null;
}

/**
 * Where a C/C++ module's stack lives. The stack grows down from `topBytes`; with wasm-ld's
 * `--stack-first` it spans `[0, topBytes)`, below every data segment, so running out of it
 * traps instead of overwriting data, and `topBytes` is its size.
 */
export interface StackLayout {
  /** Name of the exported mutable i32 global that holds the stack pointer. */
  exportName: string;
  /** The stack pointer's initial value. */
  topBytes: number;
  /** No data segment lies below the stack: it starts at address 0. */
  stackFirst: boolean;
}

/** Why a module cannot be read; the message is meant for the person who sent it. */
export class WasmModuleError extends Error {
  override readonly name = "WasmModuleError";
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
export const WASM_PAGE_BYTES = 65536;

const KINDS = ["function", "table", "memory", "global", "tag"] as const;

/** True when the bytes start like a WebAssembly binary (`\0asm`). */
export function looksLikeWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && WASM_MAGIC.every((b, i) => bytes[i] === b);
}

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  byte(): number {
    if (this.pos >= this.end) throw new WasmModuleError("the module is truncated (unexpected end of a section)");
    return this.bytes[this.pos++]!;
  }
  /** Unsigned LEB128, up to 64 bits, as a JS number (exact up to 2^53). */
  u(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new WasmModuleError("the module has a malformed integer");
  }
  /** Signed LEB128 of at most 32 bits, as a JS number. */
  s32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return shift < 32 && b & 0x40 ? result | (-1 << shift) : result | 0;
    }
    throw new WasmModuleError("the module has a malformed integer");
  }
  /** Signed LEB128 (s33 heap types): only its length matters here. */
  skipSigned(): void {
    for (let i = 0; i < 10; i++) if ((this.byte() & 0x80) === 0) return;
    throw new WasmModuleError("the module has a malformed integer");
  }
  name(): string {
    const len = this.u();
    if (this.pos + len > this.end) throw new WasmModuleError("the module is truncated (a name runs past its section)");
    const s = new TextDecoder("utf-8", { fatal: false }).decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
}

function valueType(r: Reader): ValueType {
  const t = r.byte();
  switch (t) {
    case 0x7f:
      return "i32";
    case 0x7e:
      return "i64";
    case 0x7d:
      return "f32";
    case 0x7c:
      return "f64";
    case 0x7b:
      return "v128";
    case 0x70:
      return "funcref";
    case 0x6f:
      return "externref";
    case 0x63:
    case 0x64:
      r.skipSigned(); // (ref null? heaptype)
      return "ref";
    default:
      if (t >= 0x69 && t <= 0x74) return "ref"; // GC abbreviations (anyref, eqref, …)
      throw new WasmModuleError(`the module uses an unknown value type 0x${t.toString(16)}`);
  }
}

function limits(r: Reader): Limits {
  const flags = r.byte();
  if (flags > 0x07) throw new WasmModuleError(`the module has malformed limits (flags 0x${flags.toString(16)})`);
  const min = r.u();
  const max = flags & 0x01 ? r.u() : null;
  return { min, max, shared: (flags & 0x02) !== 0, is64: (flags & 0x04) !== 0 };
}

function encodeU(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

interface Section {
  id: number;
  /** Offset of the id byte. */
  start: number;
  contentStart: number;
  end: number;
}

function sections(bytes: Uint8Array): Section[] {
  if (!looksLikeWasm(bytes)) throw new WasmModuleError("not a WebAssembly module: it does not start with \\0asm");
  if (bytes.length < 8) throw new WasmModuleError("the module is truncated (no version)");
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    const layer = bytes[6] === 1 ? "a WebAssembly component (component model)" : `WebAssembly binary version ${bytes[4]}`;
    throw new WasmModuleError(`this is ${layer}; only core WebAssembly modules (version 1) can run`);
  }
  const r = new Reader(bytes, 8);
  const out: Section[] = [];
  while (!r.done) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u();
    const contentStart = r.pos;
    const end = contentStart + size;
    if (end > bytes.length) throw new WasmModuleError(`the module is truncated (section ${id} runs past the end)`);
    out.push({ id, start, contentStart, end });
    r.pos = end;
  }
  return out;
}

/**
 * Read a module's imports, exports (with signatures) and memory/table limits.
 * @throws WasmModuleError when the bytes are not a readable core module.
 */
export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  const info: ModuleInfo = { imports: [], exports: [], memories: [], tables: [], hasStart: false, stack: null };
  let types: (FuncSignature | null)[] | null = [];
  let importedGlobals = 0;
  let globalInits: (number | null)[] = [];
  let lowestData: number | null = null;
  const funcTypes: number[] = [];
  const exportIndex: { name: string; kind: ModuleExport["kind"]; index: number }[] = [];
  for (const s of sections(bytes)) {
    const r = new Reader(bytes, s.contentStart, s.end);
    switch (s.id) {
      case 1: // types
        types = readTypes(r);
        break;
      case 2: {
        const count = r.u();
        for (let i = 0; i < count; i++) {
          const module = r.name();
          const name = r.name();
          const kindByte = r.byte();
          const kind = KINDS[kindByte];
          if (!kind) throw new WasmModuleError(`the module has an import of unknown kind ${kindByte}`);
          const imp: ModuleImport = { module, name, kind };
          if (kind === "function") {
            const t = r.u();
            funcTypes.push(t);
            const sig = types?.[t];
            if (sig) imp.signature = sig;
          } else if (kind === "table") {
            valueType(r);
            imp.limits = limits(r);
          } else if (kind === "memory") imp.limits = limits(r);
          else if (kind === "global") {
            importedGlobals++;
            valueType(r);
            r.byte();
          } else {
            r.byte();
            r.u();
          }
          info.imports.push(imp);
        }
        break;
      }
      case 3: {
        const count = r.u();
        for (let i = 0; i < count; i++) funcTypes.push(r.u());
        break;
      }
      case 4: {
        const count = r.u();
        for (let i = 0; i < count; i++) {
          if (bytes[r.pos] === 0x40) {
            // table with an initialiser (function-references): 0x40 0x00 tabletype expr
            r.pos += 2;
            valueType(r);
            info.tables.push(limits(r));
            break; // the init expression is not decoded; the limits we need are read
          }
          valueType(r);
          info.tables.push(limits(r));
        }
        break;
      }
      case 5: {
        const count = r.u();
        for (let i = 0; i < count; i++) info.memories.push(limits(r));
        break;
      }
      case 6:
        globalInits = readGlobalInits(r);
        break;
      case 7: {
        const count = r.u();
        for (let i = 0; i < count; i++) {
          const name = r.name();
          const kindByte = r.byte();
          const kind = KINDS[kindByte];
          if (!kind) throw new WasmModuleError(`the module has an export of unknown kind ${kindByte}`);
          exportIndex.push({ name, kind, index: r.u() });
        }
        break;
      }
      case 8:
        info.hasStart = true;
        break;
      case 11:
        lowestData = lowestDataOffset(r);
        break;
    }
  }
  const sp = exportIndex.find((e) => e.kind === "global" && e.name === "__stack_pointer");
  const top = sp ? globalInits[sp.index - importedGlobals] : undefined;
  if (sp && typeof top === "number" && top > 0) {
    info.stack = { exportName: sp.name, topBytes: top >>> 0, stackFirst: lowestData === null || lowestData >= top >>> 0 };
  }
  for (const e of exportIndex) {
    const exp: ModuleExport = { name: e.name, kind: e.kind };
    if (e.kind === "function") {
      const t = funcTypes[e.index];
      const sig = t === undefined ? null : (types?.[t] ?? null);
      if (sig) exp.signature = sig;
    }
    info.exports.push(exp);
  }
  return info;
}

/**
 * One constant expression, up to its `end`: the value of a lone `i32.const`, else null.
 * @throws WasmModuleError on an instruction a constant expression here does not use.
 */
function constExpr(r: Reader): number | null {
  let value: number | null = null;
  let count = 0;
  for (;;) {
    const op = r.byte();
    count++;
    if (op === 0x0b) return count === 2 ? value : null;
    if (op === 0x41) value = r.s32();
    else if (op === 0x42) r.skipSigned();
    else if (op === 0x43) r.pos += 4;
    else if (op === 0x44) r.pos += 8;
    else if (op === 0x23 || op === 0xd2) r.u();
    else if (op === 0xd0) r.skipSigned();
    else if (op === 0x6a || op === 0x6b || op === 0x6c || op === 0x7c || op === 0x7d || op === 0x7e) continue;
    else if (op === 0xfd && r.u() === 12) r.pos += 16;
    else throw new WasmModuleError(`the module has a constant expression with opcode 0x${op.toString(16)}`);
  }
}

/** Initial values of the module's own globals: a number for an `i32.const`, else null. */
function readGlobalInits(r: Reader): (number | null)[] {
  const out: (number | null)[] = [];
  try {
    const count = r.u();
    for (let i = 0; i < count; i++) {
      valueType(r);
      r.byte(); // mutability
      out.push(constExpr(r));
    }
  } catch (e) {
    if (!(e instanceof WasmModuleError)) throw e;
    // Globals it cannot read only mean no stack layout is known; the engine validates the module.
  }
  return out;
}

/** The lowest address an active data segment is placed at (null: none, or not a constant). */
function lowestDataOffset(r: Reader): number | null {
  let lowest: number | null = null;
  try {
    const count = r.u();
    for (let i = 0; i < count; i++) {
      const flags = r.u();
      if (flags === 2) r.u(); // memory index
      const offset = flags === 1 ? null : constExpr(r);
      if (offset !== null && (lowest === null || offset >>> 0 < lowest)) lowest = offset >>> 0;
      const size = r.u();
      r.pos += size;
    }
  } catch (e) {
    if (!(e instanceof WasmModuleError)) throw e;
    return 0; // unreadable: assume data at 0, so no stack-first layout is claimed
  }
  return lowest;
}

/** The type section; entries that are not plain function types (GC) become null. */
function readTypes(r: Reader): (FuncSignature | null)[] | null {
  try {
    const count = r.u();
    const out: (FuncSignature | null)[] = [];
    for (let i = 0; i < count; i++) {
      const form = r.byte();
      if (form !== 0x60) return null; // rec groups / GC types: signatures unknown, still runnable
      const params = Array.from({ length: r.u() }, () => valueType(r));
      const results = Array.from({ length: r.u() }, () => valueType(r));
      out.push({ params, results });
    }
    return out;
  } catch (e) {
    if (e instanceof WasmModuleError) return null;
    throw e;
  }
}

/**
 * Give every memory the module defines a maximum of at most `maxPages` (keeping a smaller
 * declared maximum). Returns the bytes unchanged when nothing needs rewriting.
 */
export function capDefinedMemories(bytes: Uint8Array, maxPages: number): Uint8Array {
  const section = sections(bytes).find((s) => s.id === 5);
  if (!section) return bytes;
  const r = new Reader(bytes, section.contentStart, section.end);
  const count = r.u();
  const body: number[] = [...encodeU(count)];
  let changed = false;
  for (let i = 0; i < count; i++) {
    const l = limits(r);
    if (l.is64) throw new WasmModuleError("the module uses a 64-bit memory (memory64), which is not supported");
    const max = l.max === null ? maxPages : Math.min(l.max, maxPages);
    if (max !== l.max) changed = true;
    body.push(0x01 | (l.shared ? 0x02 : 0), ...encodeU(l.min), ...encodeU(Math.max(max, l.min)));
  }
  if (!changed) return bytes;
  const header = [5, ...encodeU(body.length)];
  const out = new Uint8Array(section.start + header.length + body.length + (bytes.length - section.end));
  out.set(bytes.subarray(0, section.start), 0);
  out.set(header, section.start);
  out.set(body, section.start + header.length);
  out.set(bytes.subarray(section.end), section.start + header.length + body.length);
  return out;
}

/** `name(i32, i64) -> f64`, for messages. */
export function describeSignature(name: string, sig: FuncSignature | undefined): string {
  if (!sig) return name;
  const results = sig.results.length ? ` -> ${sig.results.join(", ")}` : "";
  return `${name}(${sig.params.join(", ")})${results}`;
}

/**
 * Turn the module's only defined memory into an import `wasmbox.memory` with the same limits
 * (its maximum capped at `maxPages`), so the host owns the memory from before instantiation:
 * a start function can already print, and the memory can be inspected even if it is not
 * exported. Returns null when the module defines no memory or several, or already imports one.
 */
export function importDefinedMemory(bytes: Uint8Array, maxPages: number): { bytes: Uint8Array; limits: Limits } | null {
  const all = sections(bytes);
  const memory = all.find((s) => s.id === 5);
  if (!memory) return null;
  const r = new Reader(bytes, memory.contentStart, memory.end);
  if (r.u() !== 1) return null;
  const l = limits(r);
  if (l.is64) throw new WasmModuleError("the module uses a 64-bit memory (memory64), which is not supported");
  const imports = all.find((s) => s.id === 2);
  let importCount = 0;
  let importBodyStart = 0;
  if (imports) {
    const ir = new Reader(bytes, imports.contentStart, imports.end);
    importCount = ir.u();
    importBodyStart = ir.pos;
    for (let i = 0; i < importCount; i++) {
      ir.name();
      ir.name();
      const kind = ir.byte();
      if (kind === 0x02) return null; // it imports a memory already
      if (kind === 0x00) ir.u();
      else if (kind === 0x01) {
        valueType(ir);
        limits(ir);
      } else if (kind === 0x03) {
        valueType(ir);
        ir.byte();
      } else {
        ir.byte();
        ir.u();
      }
    }
  }
  const max = Math.max(l.min, Math.min(l.max ?? maxPages, maxPages));
  const name = (s: string) => [...encodeU(s.length), ...new TextEncoder().encode(s)];
  const entry = [...name("wasmbox"), ...name("memory"), 0x02, 0x01 | (l.shared ? 0x02 : 0), ...encodeU(l.min), ...encodeU(max)];
  const importBody = imports ? [...encodeU(importCount + 1), ...bytes.subarray(importBodyStart, imports.end), ...entry] : [...encodeU(1), ...entry];
  const importSection = [2, ...encodeU(importBody.length), ...importBody];
  // Where the import section goes: in place of the old one, or right after the type section.
  const type = all.find((s) => s.id === 1);
  const insertAt = imports ? imports.start : type ? type.end : (all.find((s) => s.id !== 0)?.start ?? bytes.length);
  const parts: Uint8Array[] = [];
  let pos = 0;
  const copyUntil = (end: number) => {
    if (end > pos) parts.push(bytes.subarray(pos, end));
    pos = Math.max(pos, end);
  };
  copyUntil(insertAt);
  parts.push(Uint8Array.from(importSection));
  if (imports) pos = imports.end;
  copyUntil(memory.start);
  pos = memory.end; // the memory section goes away
  copyUntil(bytes.length);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return { bytes: out, limits: { ...l, max } };
}
