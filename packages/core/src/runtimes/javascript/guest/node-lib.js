// Guest-side source: evaluated inside QuickJS, never imported by the host (see generate.mjs).
// The file is one function expression, which the host calls.
/* eslint-disable @typescript-eslint/no-unused-expressions */
//
// The Node modules programs use for input and output, over the request's stdin and files
// (never the host's): events, process.stdin / stdout / stderr as streams, readline (and
// readline/promises), string_decoder, os, util, assert, timers, and fs streams. Evaluated
// after the prelude; `lib` holds what the earlier guest modules made (primordials, inspect,
// Buffer, the prelude's process, module table and timers). Each behaves as Node does for
// the cases programs use; what is not here says so with Node's error, not a silent no-op.
(function (host, lib) {
  "use strict";
  const P = lib.primordials;
  const inspect = (v, o) => lib.inspect.inspect(v, o);
  const format = (...a) => lib.inspect.format(...a);
  const formatWithOptions = (...a) => lib.inspect.formatWithOptions(...a);
  const stripVTControlCharacters = (s) => lib.inspect.stripVTControlCharacters(s);
  inspect.custom = Symbol.for("nodejs.util.inspect.custom");
  Object.defineProperty(inspect, "defaultOptions", { get: () => lib.inspect.inspectDefaultOptions, set: (o) => { lib.inspect.inspect.defaultOptions = o; } });
  // Buffer is compiled on first use too (see the prelude's lazy modules).
  const Buffer = {
    from: (...a) => lib.buffer.Buffer.from(...a),
    alloc: (...a) => lib.buffer.Buffer.alloc(...a),
    concat: (...a) => lib.buffer.Buffer.concat(...a),
  };
  const { process, BUILTINS, setImmediate, nextTick, fs } = lib;
  const types = lib.internals.types;
  const { ArrayPrototypePush, ArrayPrototypeSlice, ArrayPrototypeSplice, ObjectKeys, ObjectDefineProperty, ObjectGetPrototypeOf, ObjectIs, ReflectApply, ReflectOwnKeys, StringPrototypeSlice, StringPrototypeToLowerCase, FunctionPrototypeCall, SafeMap, SafeSet } = P;

  const PromiseResolve = (v) => Promise.resolve(v);
  function codeError(Ctor, code, message) {
    const err = new Ctor(message);
    err.code = code;
    return err;
  }
  function invalidArgType(name, expected, actual) {
    let received;
    if (actual == null) received = " Received " + actual;
    else if (typeof actual === "function") received = " Received function " + (actual.name || "<anonymous>");
    else if (typeof actual === "object") received = actual.constructor && actual.constructor.name ? " Received an instance of " + actual.constructor.name : " Received " + inspect(actual, { depth: -1 });
    else {
      let shown = inspect(actual, { colors: false });
      if (shown.length > 28) shown = StringPrototypeSlice(shown, 0, 25) + "...";
      received = " Received type " + typeof actual + " (" + shown + ")";
    }
    return codeError(TypeError, "ERR_INVALID_ARG_TYPE", "The \"" + name + "\" argument must be " + expected + "." + received);
  }

  // ---------- events ----------
  // The prelude's stand-ins for process.on etc. (which load this module) give way to EventEmitter's.
  for (const name of ["on", "once", "off", "addListener", "removeListener", "removeAllListeners", "emit", "listeners", "listenerCount", "prependListener", "emitWarning"]) delete process[name];
  for (const name of ["createReadStream", "createWriteStream"]) delete fs[name];
  const kCapture = Symbol("kCapture");
  function EventEmitter(opts) {
    EventEmitter.init.call(this, opts);
  }
  EventEmitter.prototype._events = undefined;
  EventEmitter.prototype._eventsCount = 0;
  EventEmitter.prototype._maxListeners = undefined;
  EventEmitter.defaultMaxListeners = 10;
  EventEmitter.errorMonitor = Symbol("events.errorMonitor");
  EventEmitter.captureRejectionSymbol = Symbol.for("nodejs.rejection");
  EventEmitter.init = function (opts) {
    if (this._events === undefined || this._events === ObjectGetPrototypeOf(this)._events) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    }
    this._maxListeners = this._maxListeners || undefined;
    this[kCapture] = !!(opts && opts.captureRejections);
  };
  function checkListener(listener) {
    if (typeof listener !== "function") throw invalidArgType("listener", "of type function", listener);
  }
  function addListener(target, type, listener, prepend) {
    checkListener(listener);
    let events = target._events;
    if (events === undefined) {
      events = target._events = Object.create(null);
      target._eventsCount = 0;
    } else if (events.newListener !== undefined) {
      target.emit("newListener", type, listener.listener ? listener.listener : listener);
      events = target._events;
    }
    const existing = events[type];
    if (existing === undefined) {
      events[type] = listener;
      ++target._eventsCount;
    } else if (typeof existing === "function") {
      events[type] = prepend ? [listener, existing] : [existing, listener];
    } else if (prepend) P.ArrayPrototypeUnshift(existing, listener);
    else ArrayPrototypePush(existing, listener);
    return target;
  }
  function onceWrapper() {
    if (!this.fired) {
      this.target.removeListener(this.type, this.wrapFn);
      this.fired = true;
      return ReflectApply(this.listener, this.target, arguments);
    }
  }
  function onceWrap(target, type, listener) {
    const state = { fired: false, wrapFn: undefined, target, type, listener };
    const wrapped = onceWrapper.bind(state);
    wrapped.listener = listener;
    state.wrapFn = wrapped;
    return wrapped;
  }
  EventEmitter.prototype.setMaxListeners = function (n) { this._maxListeners = n; return this; };
  EventEmitter.prototype.getMaxListeners = function () { return this._maxListeners === undefined ? EventEmitter.defaultMaxListeners : this._maxListeners; };
  EventEmitter.prototype.emit = function (type, ...args) {
    const events = this._events;
    if (type === "error" && events !== undefined && events[EventEmitter.errorMonitor] !== undefined) this.emit(EventEmitter.errorMonitor, ...args);
    const handler = events === undefined ? undefined : events[type];
    if (handler === undefined) {
      if (type === "error") {
        const er = args[0];
        if (er instanceof Error) throw er;
        const err = codeError(Error, "ERR_UNHANDLED_ERROR", "Unhandled error. (" + inspect(er) + ")");
        err.context = er;
        throw err;
      }
      return false;
    }
    if (typeof handler === "function") ReflectApply(handler, this, args);
    else {
      const listeners = ArrayPrototypeSlice(handler);
      for (let i = 0; i < listeners.length; ++i) ReflectApply(listeners[i], this, args);
    }
    return true;
  };
  EventEmitter.prototype.addListener = function (type, listener) { return addListener(this, type, listener, false); };
  EventEmitter.prototype.on = EventEmitter.prototype.addListener;
  EventEmitter.prototype.prependListener = function (type, listener) { return addListener(this, type, listener, true); };
  EventEmitter.prototype.once = function (type, listener) { checkListener(listener); this.on(type, onceWrap(this, type, listener)); return this; };
  EventEmitter.prototype.prependOnceListener = function (type, listener) { checkListener(listener); this.prependListener(type, onceWrap(this, type, listener)); return this; };
  EventEmitter.prototype.removeListener = function (type, listener) {
    checkListener(listener);
    const events = this._events;
    if (events === undefined) return this;
    const list = events[type];
    if (list === undefined) return this;
    if (list === listener || list.listener === listener) {
      if (--this._eventsCount === 0) this._events = Object.create(null);
      else delete events[type];
      if (events.removeListener) this.emit("removeListener", type, list.listener || listener);
    } else if (typeof list !== "function") {
      let position = -1;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i] === listener || list[i].listener === listener) { position = i; break; }
      }
      if (position < 0) return this;
      const removed = list[position];
      ArrayPrototypeSplice(list, position, 1);
      if (list.length === 1) events[type] = list[0];
      if (events.removeListener !== undefined) this.emit("removeListener", type, removed.listener || listener);
    }
    return this;
  };
  EventEmitter.prototype.off = EventEmitter.prototype.removeListener;
  EventEmitter.prototype.removeAllListeners = function (type) {
    const events = this._events;
    if (events === undefined) return this;
    if (arguments.length === 0) {
      for (const key of ReflectOwnKeys(events)) if (key !== "removeListener") this.removeAllListeners(key);
      this.removeAllListeners("removeListener");
      this._events = Object.create(null);
      this._eventsCount = 0;
      return this;
    }
    const listeners = events[type];
    if (typeof listeners === "function") this.removeListener(type, listeners);
    else if (listeners !== undefined) for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
    return this;
  };
  function listenersOf(target, type, unwrap) {
    const events = target._events;
    if (events === undefined || events[type] === undefined) return [];
    const l = events[type];
    if (typeof l === "function") return unwrap ? [l.listener || l] : [l];
    return l.map((x) => (unwrap ? x.listener || x : x));
  }
  EventEmitter.prototype.listeners = function (type) { return listenersOf(this, type, true); };
  EventEmitter.prototype.rawListeners = function (type) { return listenersOf(this, type, false); };
  EventEmitter.prototype.listenerCount = function (type, listener) {
    const all = listenersOf(this, type, true);
    return listener === undefined ? all.length : all.filter((l) => l === listener).length;
  };
  EventEmitter.prototype.eventNames = function () { return this._eventsCount > 0 ? ReflectOwnKeys(this._events) : []; };
  EventEmitter.listenerCount = (emitter, type) => emitter.listenerCount(type);
  EventEmitter.once = function (emitter, name) {
    return new Promise((resolve, reject) => {
      const onError = (err) => { emitter.removeListener(name, onEvent); reject(err); };
      const onEvent = (...args) => { if (name !== "error") emitter.removeListener("error", onError); resolve(args); };
      emitter.once(name, onEvent);
      if (name !== "error") emitter.once("error", onError);
    });
  };
  EventEmitter.on = function (emitter, name, options) {
    const closeEvents = (options && options.close) || [];
    const queue = [];
    const waiting = [];
    let error = null, done = false;
    const onEvent = (...args) => { if (waiting.length) waiting.shift().resolve({ value: args, done: false }); else queue.push(args); };
    const onError = (err) => { done = true; if (waiting.length) waiting.shift().reject(err); else error = err; cleanup(); };
    const onClose = () => { done = true; cleanup(); while (waiting.length) waiting.shift().resolve({ value: undefined, done: true }); };
    function cleanup() {
      emitter.removeListener(name, onEvent);
      emitter.removeListener("error", onError);
      for (const c of closeEvents) emitter.removeListener(c, onClose);
    }
    emitter.on(name, onEvent);
    if (name !== "error") emitter.on("error", onError);
    for (const c of closeEvents) emitter.on(c, onClose);
    return {
      next() {
        if (queue.length) return PromiseResolve({ value: queue.shift(), done: false });
        if (error) { const e = error; error = null; return Promise.reject(e); }
        if (done) return PromiseResolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      },
      return() { done = true; cleanup(); return PromiseResolve({ value: undefined, done: true }); },
      throw(err) { error = err; cleanup(); return Promise.reject(err); },
      [Symbol.asyncIterator]() { return this; },
    };
  };
  EventEmitter.EventEmitter = EventEmitter;
  EventEmitter.usingDomains = false;
  EventEmitter.getEventListeners = (emitter, type) => emitter.listeners(type);
  EventEmitter.setMaxListeners = () => {};

  // ---------- string_decoder ----------
  function normalizeEncoding(enc) {
    const e = StringPrototypeToLowerCase(String(enc === undefined || enc === null ? "utf8" : enc));
    switch (e) {
      case "utf8": case "utf-8": case "": return "utf8";
      case "ucs2": case "ucs-2": case "utf16le": case "utf-16le": return "utf16le";
      case "latin1": case "binary": return "latin1";
      case "base64": case "base64url": case "hex": case "ascii": return e;
      default: return undefined;
    }
  }
  function StringDecoder(encoding) {
    const enc = normalizeEncoding(encoding);
    if (enc === undefined) throw codeError(TypeError, "ERR_UNKNOWN_ENCODING", "Unknown encoding: " + encoding);
    this.encoding = enc;
    this.pending = Buffer.alloc(0);
  }
  /** How many bytes at the end of `buf` start a UTF-8 sequence that is not complete yet. */
  function incompleteUtf8Tail(buf) {
    const n = buf.length;
    for (let back = 1; back <= 3 && back <= n; back++) {
      const b = buf[n - back];
      if ((b & 0xc0) === 0x80) continue;
      const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
      return need > back ? back : 0;
    }
    return 0;
  }
  StringDecoder.prototype.write = function (chunk) {
    if (typeof chunk === "string") return chunk;
    if (!ArrayBuffer.isView(chunk)) throw invalidArgType("buf", "an instance of Buffer, TypedArray, or DataView", chunk);
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pending.length) buf = Buffer.concat([this.pending, buf]);
    let keep = 0;
    if (this.encoding === "utf8") keep = incompleteUtf8Tail(buf);
    else if (this.encoding === "utf16le") {
      keep = buf.length % 2;
      if (keep === 0 && buf.length >= 2) {
        const last = buf[buf.length - 2] | (buf[buf.length - 1] << 8);
        if (last >= 0xd800 && last <= 0xdbff) keep = 2;
      }
    } else if (this.encoding === "base64" || this.encoding === "base64url") keep = buf.length % 3;
    this.pending = Buffer.from(buf.subarray(buf.length - keep));
    return buf.toString(this.encoding, 0, buf.length - keep);
  };
  StringDecoder.prototype.end = function (chunk) {
    let out = chunk === undefined ? "" : this.write(chunk);
    if (this.pending.length) {
      out += this.encoding === "utf8" ? "\ufffd" : this.pending.toString(this.encoding);
      this.pending = Buffer.alloc(0);
    }
    return out;
  };
  StringDecoder.prototype.text = function (buf, offset) { return this.write(buf.subarray(offset)); };
  ObjectDefineProperty(StringDecoder.prototype, "lastNeed", { get() { return this.pending.length ? 1 : 0; } });

  // ---------- streams over bytes: process.stdin, fs.createReadStream ----------
  const CHUNK_BYTES = 65536;
  function ByteReadable(getBytes, fd) {
    EventEmitter.call(this);
    this._getBytes = getBytes;
    this._bytes = null;
    this._pos = 0;
    this._decoder = null;
    this._flowing = null;
    this._scheduled = false;
    this._ended = false;
    this._endEmitted = false;
    this.fd = fd;
    this.readable = true;
    this.destroyed = false;
  }
  ByteReadable.prototype = Object.create(EventEmitter.prototype);
  ByteReadable.prototype.constructor = ByteReadable;
  ObjectDefineProperty(ByteReadable.prototype, "readableFlowing", { get() { return this._flowing; } });
  ObjectDefineProperty(ByteReadable.prototype, "readableEnded", { get() { return this._endEmitted; } });
  ObjectDefineProperty(ByteReadable.prototype, "readableEncoding", { get() { return this._decoder ? this._decoder.encoding : null; } });
  ByteReadable.prototype._source = function () {
    if (this._bytes === null) this._bytes = this._getBytes();
    return this._bytes;
  };
  ByteReadable.prototype._nextChunk = function (max) {
    const src = this._source();
    if (this._pos >= src.length) return null;
    const end = Math.min(src.length, this._pos + (max === undefined ? CHUNK_BYTES : max));
    const raw = Buffer.from(src.subarray(this._pos, end));
    this._pos = end;
    return raw;
  };
  ByteReadable.prototype._decode = function (raw) { return this._decoder ? this._decoder.write(raw) : raw; };
  ByteReadable.prototype._schedule = function () {
    if (this._scheduled || this._endEmitted || this.destroyed) return;
    this._scheduled = true;
    setImmediate(() => {
      this._scheduled = false;
      this._tick();
    });
  };
  ByteReadable.prototype._finish = function () {
    if (this._endEmitted) return;
    this._ended = true;
    if (this._decoder) {
      const rest = this._decoder.end();
      if (rest) this.emit("data", rest);
    }
    this._endEmitted = true;
    this.readable = false;
    this.emit("end");
    setImmediate(() => this.emit("close"));
  };
  ByteReadable.prototype._tick = function () {
    if (this.destroyed) return;
    if (this._flowing === true) {
      const raw = this._nextChunk();
      if (raw === null) return this._finish();
      const chunk = this._decode(raw);
      if (chunk.length) this.emit("data", chunk);
      this._schedule();
    } else if (this._readableWanted) {
      this._readableWanted = false;
      if (this._pos >= this._source().length) this._ended = true;
      this.emit("readable");
      if (this._ended && !this._endEmitted && this._flowing !== true) this._finish();
    }
  };
  ByteReadable.prototype.on = function (type, listener) {
    const r = EventEmitter.prototype.on.call(this, type, listener);
    if (type === "data" && this._flowing !== false) this.resume();
    else if (type === "readable") { this._readableWanted = true; this._flowing = false; this._schedule(); }
    return r;
  };
  ByteReadable.prototype.addListener = ByteReadable.prototype.on;
  ByteReadable.prototype.resume = function () {
    this._flowing = true;
    this._schedule();
    return this;
  };
  ByteReadable.prototype.pause = function () {
    this._flowing = false;
    return this;
  };
  ByteReadable.prototype.isPaused = function () { return this._flowing === false; };
  ByteReadable.prototype.setEncoding = function (enc) {
    this._decoder = new StringDecoder(enc);
    return this;
  };
  ByteReadable.prototype.read = function (size) {
    const raw = this._nextChunk(size === undefined ? Infinity : size);
    if (raw === null) {
      this._ended = true;
      if (!this._endEmitted) setImmediate(() => this._finish());
      return null;
    }
    if (this._pos < this._source().length) { this._readableWanted = true; this._schedule(); }
    else { this._ended = true; if (!this._endEmitted) setImmediate(() => this._finish()); }
    return this._decode(raw);
  };
  ByteReadable.prototype.pipe = function (dest, options) {
    this.on("data", (chunk) => dest.write(chunk));
    if (!options || options.end !== false) this.on("end", () => { if (dest !== process.stdout && dest !== process.stderr) dest.end(); });
    return dest;
  };
  ByteReadable.prototype.unpipe = function () { return this; };
  ByteReadable.prototype.destroy = function (err) {
    if (this.destroyed) return this;
    this.destroyed = true;
    setImmediate(() => { if (err) this.emit("error", err); this.emit("close"); });
    return this;
  };
  ByteReadable.prototype.ref = function () { return this; };
  ByteReadable.prototype.unref = function () { return this; };
  ByteReadable.prototype[Symbol.asyncIterator] = async function* () {
    this._flowing = false;
    for (;;) {
      if (this.destroyed) return;
      const raw = this._nextChunk();
      if (raw === null) break;
      const chunk = this._decode(raw);
      if (chunk.length) yield chunk;
    }
    if (this._decoder) { const rest = this._decoder.end(); this._decoder = null; if (rest) yield rest; }
    this._finish();
  };

  // ---------- writable streams: process.stdout / stderr, fs.createWriteStream ----------
  /** Bytes or text for `sink`, with Node's rules for chunk and encoding. */
  function writeChunk(sink, chunk, encoding) {
    if (typeof chunk === "string") {
      const enc = normalizeEncoding(encoding);
      if (enc === undefined) throw codeError(TypeError, "ERR_UNKNOWN_ENCODING", "Unknown encoding: " + encoding);
      if (enc === "utf8") sink(chunk);
      else sink(Buffer.from(chunk, enc));
    } else if (ArrayBuffer.isView(chunk)) sink(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    else throw invalidArgType("chunk", "of type string or an instance of Buffer, TypedArray, or DataView", chunk);
  }
  function Writable(sink, fd) {
    EventEmitter.call(this);
    this._sink = sink;
    this.fd = fd;
    this.writable = true;
    this.writableEnded = false;
    this.writableFinished = false;
    this.destroyed = false;
    this.writableLength = 0;
    this.writableHighWaterMark = 16384;
  }
  Writable.prototype = Object.create(EventEmitter.prototype);
  Writable.prototype.constructor = Writable;
  Writable.prototype.write = function (chunk, encoding, cb) {
    if (typeof encoding === "function") { cb = encoding; encoding = undefined; }
    if (chunk === null) throw codeError(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream");
    if (this.writableEnded) {
      const err = codeError(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end");
      nextTick(() => { if (typeof cb === "function") cb(err); this.emit("error", err); });
      return false;
    }
    writeChunk(this._sink, chunk, encoding);
    if (typeof cb === "function") nextTick(cb, null);
    return true;
  };
  Writable.prototype.end = function (chunk, encoding, cb) {
    if (typeof chunk === "function") { cb = chunk; chunk = undefined; }
    else if (typeof encoding === "function") { cb = encoding; encoding = undefined; }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (!this.writableEnded) {
      this.writableEnded = true;
      nextTick(() => {
        this.writableFinished = true;
        this.emit("finish");
        if (typeof cb === "function") cb();
        if (this._closeOnEnd) this.emit("close");
      });
    } else if (typeof cb === "function") nextTick(cb);
    return this;
  };
  Writable.prototype.cork = function () {};
  Writable.prototype.uncork = function () {};
  Writable.prototype.setDefaultEncoding = function () { return this; };
  Writable.prototype.destroy = function () { this.destroyed = true; return this; };
  Writable.prototype.ref = function () { return this; };
  Writable.prototype.unref = function () { return this; };
  Writable.prototype.hasColors = function () { return false; };
  Writable.prototype.getColorDepth = function () { return 1; };

  const toArrayBuffer = (u8) => P.ArrayBufferPrototypeSlice(P.TypedArrayPrototypeGetBuffer(u8), P.TypedArrayPrototypeGetByteOffset(u8), P.TypedArrayPrototypeGetByteOffset(u8) + P.TypedArrayPrototypeGetByteLength(u8));
  const hostWrite = host.write;
  const sinkFor = (fd) => (data) => hostWrite(fd, typeof data === "string" ? data : toArrayBuffer(data));

  // Per run: stdin is the request's, read once from the host when first wanted.
  let stdinBytes = null;
  function requestStdin() {
    if (stdinBytes === null) stdinBytes = new Uint8Array(host.stdin());
    return stdinBytes;
  }
  lib.requestStdin = requestStdin;
  function resetStreams() {
    stdinBytes = null;
    const stdin = new ByteReadable(requestStdin, 0);
    stdin.isRaw = false;
    stdin.setRawMode = undefined;
    const stdout = new Writable(sinkFor(1), 1);
    const stderr = new Writable(sinkFor(2), 2);
    for (const [name, value] of [["stdin", stdin], ["stdout", stdout], ["stderr", stderr]]) {
      ObjectDefineProperty(process, name, { value, configurable: true, enumerable: true, writable: true });
    }
  }
  lib.onConfigure.push(resetStreams);
  resetStreams();
  lib.resetStreams = resetStreams;

  // fs streams, over the same in-memory files as fs.readFileSync / writeFileSync.
  fs.createReadStream = function (p, options) {
    const enc = typeof options === "string" ? options : options && options.encoding;
    const start = (options && options.start) || 0;
    const end = options && options.end !== undefined ? options.end + 1 : undefined;
    const s = new ByteReadable(() => {
      const all = p === 0 || p === "/dev/stdin" ? requestStdin() : fs.readFileSync(p);
      return all.subarray(start, end);
    }, null);
    s.path = p;
    if (enc) s.setEncoding(enc);
    setImmediate(() => { if (!s.destroyed) s.emit("open", 3); s.emit("ready"); });
    return s;
  };
  fs.createWriteStream = function (p, options) {
    const flags = (options && options.flags) || "w";
    if (flags[0] !== "a") fs.writeFileSync(p, "");
    const w = new Writable((data) => fs.appendFileSync(p, data), null);
    w.path = p;
    w._closeOnEnd = true;
    return w;
  };

  // ---------- readline ----------
  const lineEnding = /\r?\n|\r(?!\n)/g;
  function Interface(input, output, completer, terminal) {
    if (!(this instanceof Interface)) return new Interface(input, output, completer, terminal);
    EventEmitter.call(this);
    let crlfDelay = 100, prompt = "> ";
    if (input && input.input) {
      output = input.output;
      terminal = input.terminal;
      if (input.crlfDelay !== undefined) crlfDelay = Math.max(100, input.crlfDelay);
      if (input.prompt !== undefined) prompt = input.prompt;
      input = input.input;
    }
    this.input = input;
    this.output = output;
    this.terminal = !!terminal;
    this.crlfDelay = crlfDelay;
    this.line = "";
    this.cursor = 0;
    this.history = [];
    this.closed = false;
    this.paused = false;
    this._prompt = prompt;
    this._lineBuffer = null;
    this._sawReturnAt = 0;
    this._decoder = new StringDecoder("utf8");
    this._questionCallback = null;
    this._ondata = (data) => this._normalWrite(data);
    this._onend = () => {
      if (typeof this._lineBuffer === "string" && this._lineBuffer.length > 0) this.emit("line", this._lineBuffer);
      this.close();
    };
    if (input) {
      input.on("data", this._ondata);
      input.on("end", this._onend);
      if (typeof input.resume === "function") input.resume();
    }
  }
  Interface.prototype = Object.create(EventEmitter.prototype);
  Interface.prototype.constructor = Interface;
  Interface.prototype._normalWrite = function (b) {
    if (b === undefined) return;
    let string = this._decoder.write(typeof b === "string" ? Buffer.from(b) : b);
    if (this._sawReturnAt && Date.now() - this._sawReturnAt <= this.crlfDelay) {
      if (string.codePointAt(0) === 10) string = StringPrototypeSlice(string, 1);
      this._sawReturnAt = 0;
    }
    lineEnding.lastIndex = 0;
    let newPartContainsEnding = P.RegExpPrototypeExec(lineEnding, string);
    if (newPartContainsEnding !== null) {
      if (this._lineBuffer) {
        string = this._lineBuffer + string;
        this._lineBuffer = null;
        lineEnding.lastIndex = 0;
        newPartContainsEnding = P.RegExpPrototypeExec(lineEnding, string);
      }
      this._sawReturnAt = P.StringPrototypeEndsWith(string, "\r") ? Date.now() : 0;
      const indexes = [0, newPartContainsEnding.index, lineEnding.lastIndex];
      let nextMatch;
      while ((nextMatch = P.RegExpPrototypeExec(lineEnding, string)) !== null) ArrayPrototypePush(indexes, nextMatch.index, lineEnding.lastIndex);
      const lastIndex = indexes.length - 1;
      this._lineBuffer = StringPrototypeSlice(string, indexes[lastIndex]);
      for (let i = 1; i < lastIndex; i += 2) {
        this._onLine(StringPrototypeSlice(string, indexes[i - 1], indexes[i]));
        if (this.closed) break;
      }
    } else if (string) {
      this._lineBuffer = this._lineBuffer ? this._lineBuffer + string : string;
    }
  };
  Interface.prototype._onLine = function (line) {
    if (this._questionCallback) {
      const cb = this._questionCallback;
      this._questionCallback = null;
      this.setPrompt(this._oldPrompt);
      cb(line);
    } else this.emit("line", line);
  };
  Interface.prototype._writeToOutput = function (s) {
    if (this.output !== null && this.output !== undefined) this.output.write(s);
  };
  Interface.prototype.setPrompt = function (p) { this._prompt = p; };
  Interface.prototype.getPrompt = function () { return this._prompt; };
  Interface.prototype.prompt = function () {
    if (this.paused) this.resume();
    this._writeToOutput(this._prompt);
  };
  Interface.prototype.question = function (query, options, cb) {
    cb = typeof options === "function" ? options : cb;
    if (this.closed) throw codeError(Error, "ERR_USE_AFTER_CLOSE", "readline was closed");
    if (typeof cb !== "function") return;
    if (this._questionCallback) this.prompt();
    else {
      this._oldPrompt = this._prompt;
      this.setPrompt(query);
      this._questionCallback = cb;
      this.prompt();
    }
  };
  Interface.prototype.write = function (d) {
    if (this.closed) throw codeError(Error, "ERR_USE_AFTER_CLOSE", "readline was closed");
    if (this.paused) this.resume();
    this._normalWrite(d);
  };
  Interface.prototype.pause = function () {
    if (this.paused) return;
    if (this.input && typeof this.input.pause === "function") this.input.pause();
    this.paused = true;
    this.emit("pause");
    return this;
  };
  Interface.prototype.resume = function () {
    if (!this.paused) return;
    if (this.input && typeof this.input.resume === "function") this.input.resume();
    this.paused = false;
    this.emit("resume");
    return this;
  };
  Interface.prototype.close = function () {
    if (this.closed) return;
    this.pause();
    if (this.input) {
      this.input.removeListener("data", this._ondata);
      this.input.removeListener("end", this._onend);
    }
    this.closed = true;
    this.emit("close");
  };
  Interface.prototype.getCursorPos = function () { return { rows: 0, cols: this.cursor }; };
  Interface.prototype[Symbol.asyncIterator] = function () {
    if (this._lineIterator === undefined) {
      const it = EventEmitter.on(this, "line", { close: ["close"] });
      this._lineIterator = {
        next: () => it.next().then((r) => (r.done ? r : { value: r.value[0], done: false })),
        return: () => { this.close(); return it.return(); },
        [Symbol.asyncIterator]() { return this; },
      };
      if (this.closed) it.return();
    }
    return this._lineIterator;
  };
  Interface.prototype[Symbol.dispose] = function () { this.close(); };
  const readline = {
    Interface,
    createInterface: (input, output, completer, terminal) => new Interface(input, output, completer, terminal),
    clearLine: (stream, dir, cb) => { if (stream) stream.write(dir < 0 ? "\x1b[1K" : dir > 0 ? "\x1b[0K" : "\x1b[2K", cb); return true; },
    clearScreenDown: (stream, cb) => { if (stream) stream.write("\x1b[0J", cb); return true; },
    cursorTo: (stream, x, y, cb) => { if (stream && typeof x === "number") stream.write(typeof y === "number" ? "\x1b[" + (y + 1) + ";" + (x + 1) + "H" : "\x1b[" + (x + 1) + "G", cb); return true; },
    moveCursor: (stream, dx, dy, cb) => {
      let s = "";
      if (dx < 0) s += "\x1b[" + -dx + "D"; else if (dx > 0) s += "\x1b[" + dx + "C";
      if (dy < 0) s += "\x1b[" + -dy + "A"; else if (dy > 0) s += "\x1b[" + dy + "B";
      if (stream && s) stream.write(s, cb);
      return true;
    },
    emitKeypressEvents: () => {},
  };
  function PromisesInterface(input, output, completer, terminal) {
    Interface.call(this, input, output, completer, terminal);
  }
  PromisesInterface.prototype = Object.create(Interface.prototype);
  PromisesInterface.prototype.constructor = PromisesInterface;
  PromisesInterface.prototype.question = function (query, options) {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(codeError(Error, "ERR_USE_AFTER_CLOSE", "readline was closed"));
      Interface.prototype.question.call(this, query, options, resolve);
    });
  };
  const readlinePromises = {
    Interface: PromisesInterface,
    createInterface: (input, output, completer, terminal) => new PromisesInterface(input, output, completer, terminal),
  };
  readline.promises = readlinePromises;

  // ---------- os (nothing from the host: a fixed, plausible Linux machine) ----------
  const cpu = { model: "wasmbox virtual CPU", speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };
  const os = {
    EOL: "\n",
    devNull: "/dev/null",
    platform: () => "linux",
    type: () => "Linux",
    release: () => "6.0.0-wasmbox",
    version: () => "#1 SMP wasmbox",
    machine: () => "x86_64",
    arch: () => process.arch,
    hostname: () => "wasmbox",
    homedir: () => process.env.HOME || "/home/user",
    tmpdir: () => "/tmp",
    endianness: () => "LE",
    uptime: () => Math.floor(performance.now() / 1000),
    loadavg: () => [0, 0, 0],
    cpus: () => [{ model: cpu.model, speed: cpu.speed, times: Object.assign({}, cpu.times) }],
    availableParallelism: () => 1,
    totalmem: () => host.memoryLimitBytes(),
    freemem: () => host.memoryLimitBytes(),
    networkInterfaces: () => ({}),
    userInfo: () => ({ uid: 1000, gid: 1000, username: "user", homedir: "/home/user", shell: null }),
    getPriority: () => 0,
    setPriority: () => {},
    constants: { signals: { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }, errno: {}, priority: {} },
  };

  // ---------- util ----------
  const kCustomPromisify = Symbol.for("nodejs.util.promisify.custom");
  function promisify(original) {
    if (typeof original !== "function") throw invalidArgType("original", "of type function", original);
    if (original[kCustomPromisify]) return original[kCustomPromisify];
    function fn(...args) {
      return new Promise((resolve, reject) => {
        FunctionPrototypeCall(original, this, ...args, (err, ...values) => {
          if (err) return reject(err);
          resolve(values.length > 1 ? values : values[0]);
        });
      });
    }
    Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
    ObjectDefineProperty(fn, kCustomPromisify, { value: fn });
    return Object.defineProperties(fn, Object.getOwnPropertyDescriptors(original));
  }
  promisify.custom = kCustomPromisify;
  function callbackify(original) {
    if (typeof original !== "function") throw invalidArgType("original", "of type function", original);
    return function (...args) {
      const cb = args.pop();
      if (typeof cb !== "function") throw invalidArgType("last argument", "of type function", cb);
      ReflectApply(original, this, args).then((v) => nextTick(cb, null, v), (e) => {
        if (!e) { const w = codeError(Error, "ERR_FALSY_VALUE_REJECTION", "Promise was rejected with falsy value"); w.reason = e; e = w; }
        nextTick(cb, e);
      });
    };
  }
  function inherits(ctor, superCtor) {
    if (ctor === undefined || ctor === null) throw invalidArgType("ctor", "of type function", ctor);
    if (superCtor === undefined || superCtor === null) throw invalidArgType("superCtor", "of type function", superCtor);
    if (superCtor.prototype === undefined) throw invalidArgType("superCtor.prototype", "of type object", superCtor.prototype);
    ObjectDefineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
    Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  }
  const warned = new SafeSet();
  function deprecate(fn, msg, code) {
    return function (...args) {
      const key = code || msg;
      if (!warned.has(key)) {
        warned.add(key);
        process.emitWarning(msg, "DeprecationWarning", code);
      }
      return new.target ? Reflect.construct(fn, args, new.target) : ReflectApply(fn, this, args);
    };
  }

  /** Node's isDeepStrictEqual: same prototypes, own enumerable keys, Object.is on primitives. */
  function isDeepStrictEqual(a, b) { return deepEqual(a, b, true, new SafeMap()); }
  function isDeepLooseEqual(a, b) { return deepEqual(a, b, false, new SafeMap()); }
  function ownEnumerable(o, strict) {
    const keys = ObjectKeys(o);
    if (strict) for (const s of Object.getOwnPropertySymbols(o)) if (P.ObjectPrototypePropertyIsEnumerable(o, s)) keys.push(s);
    return keys;
  }
  function deepEqual(a, b, strict, memo) {
    if (strict ? ObjectIs(a, b) : a == b || (a !== a && b !== b)) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
      return false;
    }
    if (strict && ObjectGetPrototypeOf(a) !== ObjectGetPrototypeOf(b)) return false;
    const tagA = P.ObjectPrototypeToString(a);
    if (tagA !== P.ObjectPrototypeToString(b)) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const seen = memo.get(a);
    if (seen !== undefined && seen === b) return true;
    memo.set(a, b);
    if (types.isDate(a)) { if (P.DatePrototypeGetTime(a) !== P.DatePrototypeGetTime(b)) return false; }
    else if (types.isRegExp(a)) { if (String(a) !== String(b) || a.lastIndex !== b.lastIndex) return false; }
    else if (types.isBoxedPrimitive(a)) { if (!ObjectIs(a.valueOf(), b.valueOf())) return false; }
    else if (a instanceof Error) { if (a.message !== b.message || a.name !== b.name) return false; }
    if (ArrayBuffer.isView(a)) {
      if (a.byteLength !== b.byteLength) return false;
      if (types.isTypedArray(a) && a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], strict, memo)) return false;
      if (!types.isTypedArray(a)) {
        const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
      }
    }
    if (types.isMap(a)) {
      if (a.size !== b.size) return false;
      outer: for (const [k, v] of a) {
        if (b.has(k)) { if (deepEqual(v, b.get(k), strict, memo)) continue; if (typeof k !== "object" || k === null) return false; }
        for (const [k2, v2] of b) if (deepEqual(k, k2, strict, memo) && deepEqual(v, v2, strict, memo)) continue outer;
        return false;
      }
    } else if (types.isSet(a)) {
      if (a.size !== b.size) return false;
      outer: for (const v of a) {
        if (b.has(v)) continue;
        if (typeof v !== "object" || v === null) return false;
        for (const w of b) if (deepEqual(v, w, strict, memo)) continue outer;
        return false;
      }
    }
    const keysA = ownEnumerable(a, strict), keysB = ownEnumerable(b, strict);
    if (keysA.length !== keysB.length) return false;
    for (const k of keysA) {
      if (!P.ObjectPrototypePropertyIsEnumerable(b, k)) return false;
      if (ArrayBuffer.isView(a) && typeof k === "string" && /^\d+$/.test(k)) continue;
      if (!deepEqual(a[k], b[k], strict, memo)) return false;
    }
    return true;
  }

  const util = {
    format,
    formatWithOptions,
    inspect,
    isDeepStrictEqual,
    promisify,
    callbackify,
    inherits,
    deprecate,
    types,
    stripVTControlCharacters,
    TextEncoder: globalThis.TextEncoder,
    TextDecoder: globalThis.TextDecoder,
    isArray: Array.isArray,
    debuglog: () => Object.assign(() => {}, { enabled: false }),
    debug: () => Object.assign(() => {}, { enabled: false }),
    styleText: (fmt, text) => { if (typeof text !== "string") throw invalidArgType("text", "of type string", text); return text; },
    toUSVString: (s) => String(s).toWellFormed(),
    getSystemErrorName: (n) => "Unknown system error " + n,
    aborted: () => new Promise(() => {}),
  };

  // ---------- assert ----------
  class AssertionError extends Error {
    constructor(options) {
      const { message, actual, expected, operator } = options;
      super(message);
      this.generatedMessage = !options.userMessage;
      this.code = "ERR_ASSERTION";
      this.actual = actual;
      this.expected = expected;
      this.operator = operator;
    }
    get name() { return "AssertionError"; }
    toString() { return "AssertionError [ERR_ASSERTION]: " + this.message; }
  }
  const show = (v) => inspect(v, { depth: 1000, compact: false, sorted: true, getters: true, customInspect: false });
  function fail(actual, expected, message, operator, generated) {
    if (message instanceof Error) throw message;
    throw new AssertionError({ message: message !== undefined ? String(message) : generated, userMessage: message !== undefined, actual, expected, operator });
  }
  function ok(value, message) {
    if (arguments.length === 0) fail(undefined, true, undefined, "==", "No value argument passed to `assert.ok()`");
    if (!value) fail(value, true, message, "==", "The expression evaluated to a falsy value:\n\n  assert.ok(" + inspect(value) + ")\n");
  }
  function assert(value, message) {
    if (arguments.length === 0) fail(undefined, true, undefined, "==", "No value argument passed to `assert.ok()`");
    if (!value) fail(value, true, message, "==", "The expression evaluated to a falsy value:\n\n  assert(" + inspect(value) + ")\n");
  }
  const pair = (head, a, op, b) => head + "\n\n" + show(a) + " " + op + " " + show(b) + "\n";
  const deepMessage = (head, a, b) => head + "\n\n" + show(a) + "\n\nshould " + (head.includes("not") ? "not " : "") + "equal\n\n" + show(b);
  assert.ok = ok;
  assert.AssertionError = AssertionError;
  assert.fail = (message) => fail(undefined, undefined, message === undefined ? "Failed" : message, "fail", "Failed");
  assert.equal = (a, b, m) => { if (!(a == b || (a !== a && b !== b))) fail(a, b, m, "==", pair("Expected values to be loosely equal:", a, "!=", b)); };
  assert.notEqual = (a, b, m) => { if (a == b || (a !== a && b !== b)) fail(a, b, m, "!=", "Expected \"actual\" to be loosely unequal to: " + show(b)); };
  assert.strictEqual = (a, b, m) => { if (!ObjectIs(a, b)) fail(a, b, m, "strictEqual", typeof a === "object" && a !== null && typeof b === "object" && b !== null ? deepMessage("Expected \"actual\" to be reference-equal to \"expected\":", a, b) : pair("Expected values to be strictly equal:", a, "!==", b)); };
  assert.notStrictEqual = (a, b, m) => { if (ObjectIs(a, b)) fail(a, b, m, "notStrictEqual", "Expected \"actual\" to be strictly unequal to: " + show(b)); };
  assert.deepEqual = (a, b, m) => { if (!isDeepLooseEqual(a, b)) fail(a, b, m, "deepEqual", deepMessage("Expected values to be loosely deep-equal:", a, b)); };
  assert.notDeepEqual = (a, b, m) => { if (isDeepLooseEqual(a, b)) fail(a, b, m, "notDeepEqual", deepMessage("Expected \"actual\" not to be loosely deep-equal to:", a, b)); };
  assert.deepStrictEqual = (a, b, m) => { if (!isDeepStrictEqual(a, b)) fail(a, b, m, "deepStrictEqual", deepMessage("Expected values to be strictly deep-equal:", a, b)); };
  assert.notDeepStrictEqual = (a, b, m) => { if (isDeepStrictEqual(a, b)) fail(a, b, m, "notDeepStrictEqual", deepMessage("Expected \"actual\" not to be strictly deep-equal to:", a, b)); };
  function matchesExpected(err, expected) {
    if (expected === undefined) return true;
    if (typeof expected === "function") {
      if (expected.prototype !== undefined && err instanceof expected) return true;
      if (P.ObjectPrototypeIsPrototypeOf(Error, expected) || expected === Error) return false;
      return expected.call({}, err) === true;
    }
    if (types.isRegExp(expected)) return expected.test(String(err));
    if (typeof expected === "object" && expected !== null) {
      for (const k of ObjectKeys(expected)) {
        const want = expected[k];
        if (types.isRegExp(want) && typeof err[k] === "string" ? !want.test(err[k]) : !isDeepStrictEqual(err[k], want)) return false;
      }
      return true;
    }
    return true;
  }
  assert.throws = (fn, expected, message) => {
    if (typeof expected === "string") { message = expected; expected = undefined; }
    let threw = false, err;
    try { fn(); } catch (e) { threw = true; err = e; }
    if (!threw) fail(undefined, expected, message, "throws", "Missing expected exception" + (message ? ": " + message : "."));
    if (!matchesExpected(err, expected)) throw err;
  };
  assert.doesNotThrow = (fn, expected, message) => {
    try { fn(); } catch (e) { fail(e, expected, typeof expected === "string" ? expected : message, "doesNotThrow", "Got unwanted exception.\nActual message: \"" + (e && e.message) + "\""); }
  };
  assert.rejects = async (p, expected, message) => {
    if (typeof expected === "string") { message = expected; expected = undefined; }
    let threw = false, err;
    try { await (typeof p === "function" ? p() : p); } catch (e) { threw = true; err = e; }
    if (!threw) fail(undefined, expected, message, "rejects", "Missing expected rejection" + (message ? ": " + message : "."));
    if (!matchesExpected(err, expected)) throw err;
  };
  assert.doesNotReject = async (p, expected, message) => {
    try { await (typeof p === "function" ? p() : p); } catch (e) { fail(e, expected, typeof expected === "string" ? expected : message, "doesNotReject", "Got unwanted rejection.\nActual message: \"" + (e && e.message) + "\""); }
  };
  assert.match = (s, re, m) => { if (typeof s !== "string" || !re.test(s)) fail(s, re, m, "match", "The input did not match the regular expression " + inspect(re) + ". Input:\n\n" + inspect(s) + "\n"); };
  assert.doesNotMatch = (s, re, m) => { if (typeof s === "string" && re.test(s)) fail(s, re, m, "doesNotMatch", "The input was expected to not match the regular expression " + inspect(re) + ". Input:\n\n" + inspect(s) + "\n"); };
  assert.ifError = (v) => { if (v !== null && v !== undefined) { if (v instanceof Error) throw v; fail(v, null, undefined, "ifError", "ifError got unwanted exception: " + inspect(v)); } };
  const strict = Object.assign(function strict(value, message) { return ok.apply(undefined, arguments.length ? [value, message] : []); }, assert, {
    equal: assert.strictEqual, notEqual: assert.notStrictEqual, deepEqual: assert.deepStrictEqual, notDeepEqual: assert.notDeepStrictEqual,
  });
  strict.strict = strict;
  assert.strict = strict;

  // ---------- timers ----------
  const timers = {
    setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval,
    setImmediate: globalThis.setImmediate, clearImmediate: globalThis.clearImmediate,
  };
  const timersPromises = {
    setTimeout: (ms, value) => new Promise((resolve) => timers.setTimeout(() => resolve(value), ms)),
    setImmediate: (value) => new Promise((resolve) => timers.setImmediate(() => resolve(value))),
    setInterval: async function* (ms, value) { for (;;) yield await timersPromises.setTimeout(ms, value); },
    scheduler: { wait: (ms) => timersPromises.setTimeout(ms), yield: () => timersPromises.setImmediate() },
  };
  timers.promises = timersPromises;

  // ---------- process additions ----------
  Object.setPrototypeOf(process, EventEmitter.prototype);
  EventEmitter.init.call(process);
  process.emitWarning = function (warning, type, code) {
    if (typeof type === "object" && type !== null) { code = type.code; type = type.type; }
    const name = typeof warning === "object" && warning !== null ? warning.name : type || "Warning";
    const message = typeof warning === "object" && warning !== null ? warning.message : String(warning);
    process.stderr.write("(node:" + process.pid + ") " + (code ? "[" + code + "] " : "") + name + ": " + message + "\n");
  };

  // ---------- the module table ----------
  ObjectDefineProperty(BUILTINS, "buffer", { configurable: true, enumerable: true, get() {
    const value = Object.assign({}, lib.buffer, { atob: globalThis.atob, btoa: globalThis.btoa });
    ObjectDefineProperty(BUILTINS, "buffer", { value, configurable: true, enumerable: true, writable: true });
    return value;
  } });
  for (const [name, value] of [
    ["events", EventEmitter], ["string_decoder", { StringDecoder }], ["readline", readline], ["readline/promises", readlinePromises],
    ["os", os], ["util", util], ["assert", assert], ["assert/strict", strict], ["timers", timers], ["timers/promises", timersPromises],
    ["perf_hooks", { performance: globalThis.performance }], ["process", process],
  ]) ObjectDefineProperty(BUILTINS, name, { value, configurable: true, enumerable: true, writable: true });
  return { EventEmitter };
})
