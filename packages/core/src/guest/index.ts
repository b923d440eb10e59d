/**
 * What runs inside a sandbox (a locked-down Node process's worker, or a Web Worker):
 * the runtimes and the output ring. Deliberately free of validation code (zod), so a
 * sandbox loads as little as possible.
 */
export { buildPythonSnapshot, compilerKindFor, RUNTIMES, sandboxKindFor } from "../runtimes/index.js";
export {
  createOutputRingBuffer,
  OutputRingReader,
  OutputRingWriter,
  type OutputChunk,
  type OutputRingWriterOptions,
} from "./output-ring.js";
export { truncateUtf8, utf8Length } from "./utf8.js";
export { base64ToBytes, bytesToBase64 } from "../base64.js";
export {
  concatBytes,
  outputFields,
  OutputRecorder,
  outputText,
  Utf8ChunkDecoder,
  utf8CutPoint,
  type OutputFields,
  type OutputText,
} from "../output-bytes.js";
export { capWasmMemory } from "./memory-cap.js";
export { outcomeWithinLimits } from "./outcome-limits.js";
export { collectChangedFiles, OUTPUT_FILE_CAPS, type OutputFileCaps } from "./files.js";
export type {
  GuestIO,
  GuestOutcome,
  GuestRunInput,
  GuestRunMode,
  GuestStream,
  LanguageDescription,
  LoadedRuntime,
  PackageWheel,
  RuntimeAssets,
  RuntimeDescriptor,
  RuntimeLoadOptions,
  RuntimeVersions,
  SandboxKind,
} from "../runtime.js";
export { GUEST_WORKDIR, VALUE_MAX_BYTES } from "../runtime.js";
export { capRichOutputs, droppedOutputsNote, RICH_OUTPUT_CAPS, richOutputBytes, type CappedRichOutputs, type RichOutputCaps } from "./rich-outputs.js";
