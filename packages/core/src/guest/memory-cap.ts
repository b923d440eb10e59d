/**
 * Caps how far one WebAssembly.Memory may grow, by wrapping `Memory.prototype.grow` in
 * the sandbox's realm. Growth past the cap throws inside the runtime's allocator, which
 * reports an ordinary out-of-memory error (Python's MemoryError). This is cooperative:
 * code that reaches the JS realm could undo it, so hosts keep a hard backstop (process
 * or worker memory watchdog) as well.
 * @returns a function that removes the cap.
 */
export function capWasmMemory(memory: WebAssembly.Memory, maxBytes: number): () => void {
  const proto = WebAssembly.Memory.prototype;
  const original = proto.grow;
  const PAGE = 65536;
  function grow(this: WebAssembly.Memory, delta: number): number {
    if (this === memory && this.buffer.byteLength + delta * PAGE > maxBytes) {
      throw new RangeError(`wasmbox: memory limit of ${maxBytes} bytes reached (memoryLimitBytes)`);
    }
    return original.call(this, delta);
  }
  proto.grow = grow;
  return () => {
    if (proto.grow === grow) proto.grow = original;
  };
}
