import {
  GUEST_BUFFER_SOURCE,
  GUEST_INSPECT_SOURCE,
  GUEST_NODE_LIB_SOURCE,
  GUEST_PRIMORDIALS_SOURCE,
} from "./guest-sources.generated.js";

/**
 * Guest-side JavaScript evaluated inside QuickJS before user code: console (with
 * Node-like formatting), timers, `process`, `require`, and an `fs` module over the
 * request's in-memory files. It runs *inside* the sandbox, so formatting a hostile value
 * (a Proxy whose getter loops) is bounded by the interrupt handler like any guest code.
 *
 * It is a function expression called once with the host bindings and `lib`, what the
 * guest modules evaluated before it made (guest/primordials.js, guest/inspect.js, the
 * vendored Buffer); guest/node-lib.js runs after it with the same `lib`. It returns the
 * internals the host keeps (and the guest never sees): fireTimer, serialize, describeError.
 * Written without template literals because it is embedded in one.
 *
 * Guest code runs in this realm after the prelude and may replace any built-in. What the
 * host relies on — path normalisation (every fs path the host sees comes from it), the
 * module table, the internals the host keeps — uses only built-ins captured here, before
 * guest code exists, called in a way no later change can redirect (uncurried, never looked
 * up on a receiver), and plain string operations (indexing, concatenation) on primitives.
 */
const PRELUDE_CORE_SOURCE = String.raw`(function (host, lib) {
"use strict";
var uncurry = Function.prototype.bind.bind(Function.prototype.call);
var stringify = JSON.stringify;
var parseJson = JSON.parse;
var objectKeys = Object.keys;
var getProto = Object.getPrototypeOf;
var createObject = Object.create;
var isArray = Array.isArray;
var toStr = String;
var hasOwn = uncurry(Object.prototype.hasOwnProperty);
var strSlice = uncurry(String.prototype.slice);
var strIndexOf = uncurry(String.prototype.indexOf);
var arrConcat = uncurry(Array.prototype.concat);
var applyFn = uncurry(Function.prototype.apply);
var arrSlice = uncurry(Array.prototype.slice);
var URLClass = typeof URL === "undefined" ? undefined : URL;
var WORKDIR = host.workdir;

// ---------- inspect / format: Node's own (guest/inspect.js) ----------
// The big guest modules (inspect, Buffer, the Node library) are compiled on first use: a
// program that prints numbers and strings pays for none of them.
var defineProp = Object.defineProperty;
function lazy(target, name, make) {
  defineProp(target, name, {
    configurable: true,
    get: function () { var v = make(); defineProp(target, name, { value: v, writable: true, configurable: true }); return v; }
  });
}
lazy(lib, "inspect", function () { return host.loadGuestModule("inspect")(lib.primordials, lib.internals); });
lazy(lib, "buffer", function () {
  var m = host.loadGuestModule("buffer")();
  // Node's own Buffer inspect (the package's differs past INSPECT_MAX_BYTES and for extra keys).
  m.Buffer.prototype[Symbol.for("nodejs.util.inspect.custom")] = function inspectBuffer(recurseTimes, ctx) {
    var max = m.INSPECT_MAX_BYTES;
    var actualMax = Math.min(max, this.length);
    var remaining = this.length - max;
    var str = m.Buffer.prototype.toString.call(this, "hex", 0, actualMax).replace(/(.{2})/g, "$1 ").trim();
    if (remaining > 0) str += " ... " + remaining + " more byte" + (remaining > 1 ? "s" : "");
    if (ctx) {
      var extras = false;
      var obj = createObject(null);
      var keys = lib.internals.getOwnNonIndexProperties(this, ctx.showHidden ? 0 : 2);
      for (var i = 0; i < keys.length; i++) { extras = true; obj[keys[i]] = this[keys[i]]; }
      if (extras) {
        if (this.length !== 0) str += ", ";
        str += inspect(obj, Object.assign({}, ctx, { breakLength: Infinity, compact: true })).slice(27, -2);
      }
    }
    return "<" + this.constructor.name + " " + str + ">";
  };
  return m;
});
lazy(lib, "nodeLib", function () { return host.loadGuestModule("node-lib")(host, lib); });
function inspect(v, options) { return lib.inspect.inspect(v, options); }
var NO_OPTIONS = {};
/** What console.log prints for primitives alone, without Node's inspect (the same text); else undefined. */
function formatPrimitives(args) {
  var s = "";
  for (var i = 0; i < args.length; i++) {
    var a = args[i], t = typeof a, piece;
    if (t === "string") { if (i === 0 && args.length > 1 && strIndexOf(a, "%") >= 0) return undefined; piece = a; }
    else if (t === "number") { if (a === 0 && 1 / a < 0) return undefined; piece = toStr(a); }
    else if (t === "boolean" || t === "undefined" || a === null) piece = toStr(a);
    else if (t === "bigint") piece = toStr(a) + "n";
    else return undefined;
    s += (i > 0 ? " " : "") + piece;
  }
  return s;
}
function format(args) {
  var quick = formatPrimitives(args);
  if (quick !== undefined) return quick;
  return applyFn(lib.inspect.formatWithOptions, undefined, arrConcat([NO_OPTIONS], arrSlice(args)));
}
function getBuffer() { return lib.buffer.Buffer; }

// ---------- console ----------
var groupIndent = "";
function emitText(fd, text) {
  if (groupIndent) text = groupIndent + text.replace(/\n/g, "\n" + groupIndent);
  host.write(fd, text + "\n");
}
function emit(fd, args) { emitText(fd, format(args)); }
var counts = createObject(null), timersByLabel = createObject(null);
var console = {
  log: function () { emit(1, arguments); },
  info: function () { emit(1, arguments); },
  debug: function () { emit(1, arguments); },
  warn: function () { emit(2, arguments); },
  error: function () { emit(2, arguments); },
  dir: function (v, options) { emitText(1, inspect(v, Object.assign({ customInspect: false }, options))); },
  trace: function () { var e = new Error(format(arguments)); emitText(2, "Trace: " + e.message + "\n" + String(e.stack || "").replace(/\n$/, "")); },
  assert: function (cond) { if (!cond) { var rest = Array.prototype.slice.call(arguments, 1); emit(2, ["Assertion failed" + (rest.length ? ": " + format(rest) : "")]); } },
  count: function (label) { label = label === undefined ? "default" : String(label); counts[label] = (counts[label] || 0) + 1; emitText(1, label + ": " + counts[label]); },
  countReset: function (label) { counts[label === undefined ? "default" : String(label)] = 0; },
  time: function (label) { timersByLabel[label === undefined ? "default" : String(label)] = Date.now(); },
  timeEnd: function (label) { label = label === undefined ? "default" : String(label); var t = timersByLabel[label]; if (t !== undefined) { delete timersByLabel[label]; emitText(1, label + ": " + (Date.now() - t) + "ms"); } },
  timeLog: function (label) { label = label === undefined ? "default" : String(label); var t = timersByLabel[label]; if (t !== undefined) emitText(1, label + ": " + (Date.now() - t) + "ms"); },
  group: function () { if (arguments.length) emit(1, arguments); groupIndent += "  "; },
  groupEnd: function () { groupIndent = groupIndent.slice(2); },
  table: function (data) { emit(1, [data]); }
};
console.groupCollapsed = console.group;
globalThis.console = console;

// ---------- timers ----------
var timers = new Map();
var nextTimerId = 1;
function addTimer(fn, ms, args, repeat) {
  if (typeof fn !== "function") throw new TypeError("The \"callback\" argument must be of type function");
  var id = nextTimerId++;
  var delay = Math.max(0, Number(ms) || 0);
  timers.set(id, { fn: fn, args: args, repeat: repeat, ms: delay });
  host.setTimer(id, delay);
  return id;
}
function clearTimer(id) { if (timers.delete(id)) host.clearTimer(id); }
globalThis.setTimeout = function (fn, ms) { return addTimer(fn, ms, Array.prototype.slice.call(arguments, 2), false); };
globalThis.setInterval = function (fn, ms) { return addTimer(fn, ms, Array.prototype.slice.call(arguments, 2), true); };
globalThis.setImmediate = function (fn) { return addTimer(fn, 0, Array.prototype.slice.call(arguments, 1), false); };
globalThis.clearTimeout = clearTimer;
globalThis.clearInterval = clearTimer;
globalThis.clearImmediate = clearTimer;
lib.setImmediate = function (fn) { return addTimer(fn, 0, [], false); };
lib.nextTick = function (fn) { var a = Array.prototype.slice.call(arguments, 1); queueMicrotask(function () { fn.apply(undefined, a); }); };
function fireTimer(id) {
  var t = timers.get(id);
  if (!t) return;
  if (t.repeat) host.setTimer(id, t.ms); else timers.delete(id);
  t.fn.apply(undefined, t.args);
}

// ---------- text ----------
function utf8Encode(s) { return new Uint8Array(host.encodeUtf8(String(s))); }
function utf8Decode(u8) { return host.decodeUtf8(u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength)); }
if (typeof globalThis.TextEncoder === "undefined") {
  globalThis.TextEncoder = function TextEncoder() {};
  globalThis.TextEncoder.prototype.encode = function (s) { return utf8Encode(s === undefined ? "" : s); };
  globalThis.TextEncoder.prototype.encoding = "utf-8";
  globalThis.TextDecoder = function TextDecoder() {};
  globalThis.TextDecoder.prototype.decode = function (b) {
    if (b === undefined) return "";
    var u8 = b instanceof Uint8Array ? b : ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b);
    return utf8Decode(u8);
  };
  globalThis.TextDecoder.prototype.encoding = "utf-8";
}

// ---------- path ----------
// Captured built-ins and primitive string operations only (see the note at the top): the
// fs functions below hand the host exactly what these return.
function normalize(p) {
  p = typeof p === "string" ? p : toStr(p);
  var isAbs = p.length > 0 && p[0] === "/";
  var segs = createObject(null), n = 0, seg = "", i, c;
  for (i = 0; i <= p.length; i++) {
    c = i < p.length ? p[i] : "/";
    if (c !== "/") { seg += c; continue; }
    if (seg === "..") {
      if (n > 0 && segs[n - 1] !== "..") n--;
      else if (!isAbs) segs[n++] = "..";
    } else if (seg !== "" && seg !== ".") segs[n++] = seg;
    seg = "";
  }
  var s = isAbs ? "/" : "";
  for (i = 0; i < n; i++) s += (i > 0 ? "/" : "") + segs[i];
  return s || ".";
}
/** The position of the last "/" in s, or -1. */
function lastSlash(s) {
  for (var i = s.length - 1; i >= 0; i--) if (s[i] === "/") return i;
  return -1;
}
function resolvePath(args) {
  var r = "";
  for (var i = args.length - 1; i >= 0 && r[0] !== "/"; i--) {
    var a = toStr(args[i]);
    if (a !== "") r = a + (r ? "/" + r : "");
  }
  if (r[0] !== "/") r = WORKDIR + "/" + r;
  return normalize(r);
}
/** The segments of an absolute normalised path, as a null-prototype list. */
function segmentsOf(abs) {
  var out = createObject(null), n = 0, seg = "";
  for (var i = 1; i <= abs.length; i++) {
    var c = i < abs.length ? abs[i] : "/";
    if (c !== "/") { seg += c; continue; }
    if (seg !== "") out[n++] = seg;
    seg = "";
  }
  out.length = n;
  return out;
}
var path = {
  sep: "/",
  delimiter: ":",
  normalize: normalize,
  join: function () {
    var s = "";
    for (var i = 0; i < arguments.length; i++) {
      var a = toStr(arguments[i]);
      if (a !== "") s = s === "" ? a : s + "/" + a;
    }
    return normalize(s);
  },
  resolve: function () { return resolvePath(arguments); },
  dirname: function (p) { var n = normalize(p); var i = lastSlash(n); return i < 0 ? "." : i === 0 ? "/" : strSlice(n, 0, i); },
  basename: function (p, ext) {
    var n = normalize(p);
    var b = strSlice(n, lastSlash(n) + 1);
    if (ext) {
      ext = toStr(ext);
      if (ext.length <= b.length && strSlice(b, b.length - ext.length) === ext) return strSlice(b, 0, b.length - ext.length);
    }
    return b;
  },
  extname: function (p) {
    var n = normalize(p);
    var b = strSlice(n, lastSlash(n) + 1);
    for (var i = b.length - 1; i > 0; i--) if (b[i] === ".") return strSlice(b, i);
    return "";
  },
  isAbsolute: function (p) { return toStr(p)[0] === "/"; },
  relative: function (from, to) {
    var a = segmentsOf(resolvePath([from])), b = segmentsOf(resolvePath([to]));
    var i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    var s = "";
    for (var j = i; j < a.length; j++) s += (s ? "/" : "") + "..";
    for (var k = i; k < b.length; k++) s += (s ? "/" : "") + b[k];
    return s;
  }
};
path.parse = function (p) {
  var s = toStr(p);
  var root = s[0] === "/" ? "/" : "";
  var end = s.length;
  while (end > 1 && s[end - 1] === "/") end--;
  var trimmed = strSlice(s, 0, end);
  var slash = lastSlash(trimmed);
  var base = strSlice(trimmed, slash + 1);
  var dir = slash < 0 ? "" : slash === 0 ? "/" : strSlice(trimmed, 0, slash);
  var dot = -1;
  for (var i = base.length - 1; i > 0; i--) if (base[i] === ".") { dot = i; break; }
  var ext = dot > 0 && base !== ".." ? strSlice(base, dot) : "";
  return { root: root, dir: dir, base: base, ext: ext, name: ext ? strSlice(base, 0, base.length - ext.length) : base };
};
path.format = function (o) {
  var dir = o.dir || o.root;
  var base = o.base || (o.name || "") + (o.ext ? (o.ext[0] === "." ? "" : ".") + o.ext : "");
  if (!dir) return base;
  return dir === o.root ? dir + base : dir + "/" + base;
};
path.toNamespacedPath = function (p) { return p; };
path.posix = path;

// ---------- fs (in-memory, over the request's files) ----------
function toBytes(data, encoding) {
  if (typeof data === "string") return encoding && encoding !== "utf8" && encoding !== "utf-8" ? getBuffer().from(data, encoding) : utf8Encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return utf8Encode(String(data));
}
function encodingOf(options) { return typeof options === "string" ? options : options && options.encoding; }
function abs(p) {
  if (URLClass !== undefined && typeof p === "object" && p !== null && p instanceof URLClass) p = p.pathname;
  if (typeof p !== "string") throw new TypeError("The \"path\" argument must be of type string");
  return resolvePath([p]);
}
// Node returns a Buffer without an encoding, a string with one; fd 0 and /dev/stdin are the request's stdin.
function readFileSync(p, options) {
  var enc = encodingOf(options);
  var raw = p === 0 || p === "/dev/stdin" ? host.stdin() : host.fsRead(abs(p));
  if (enc === "utf8" || enc === "utf-8") return utf8Decode(new Uint8Array(raw));
  var buf = getBuffer().from(raw);
  return enc ? buf.toString(enc) : buf;
}
function writeFileSync(p, data, options) {
  if (p === 1 || p === "/dev/stdout") { process.stdout.write(data, encodingOf(options)); return; }
  if (p === 2 || p === "/dev/stderr") { process.stderr.write(data, encodingOf(options)); return; }
  var u8 = toBytes(data, encodingOf(options));
  host.fsWrite(abs(p), u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength), false);
}
function appendFileSync(p, data, options) {
  var u8 = toBytes(data, encodingOf(options));
  host.fsWrite(abs(p), u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength), true);
}
function statSync(p) {
  var s = host.fsStat(abs(p));
  return {
    size: s.size, mtimeMs: s.mtimeMs, mtime: new Date(s.mtimeMs),
    isFile: function () { return s.type === "file"; },
    isDirectory: function () { return s.type === "dir"; },
    isSymbolicLink: function () { return false; }
  };
}
var fs = {
  readFileSync: readFileSync,
  writeFileSync: writeFileSync,
  appendFileSync: appendFileSync,
  existsSync: function (p) { try { host.fsStat(abs(p)); return true; } catch (e) { return false; } },
  statSync: statSync,
  lstatSync: statSync,
  readdirSync: function (p, options) {
    var names = host.fsList(abs(p));
    if (options && options.withFileTypes) {
      var dir = abs(p);
      return names.map(function (n) { var s = statSync(dir + "/" + n); return { name: n, isFile: s.isFile, isDirectory: s.isDirectory }; });
    }
    return names;
  },
  mkdirSync: function (p, options) { host.fsMkdir(abs(p), !!(options && options.recursive)); },
  unlinkSync: function (p) { host.fsUnlink(abs(p), false); },
  rmSync: function (p, options) { host.fsUnlink(abs(p), !!(options && options.recursive), !!(options && options.force)); },
  copyFileSync: function (a, b) { writeFileSync(b, readFileSync(a)); },
  renameSync: function (a, b) { writeFileSync(b, readFileSync(a)); host.fsUnlink(abs(a), false); }
};
fs.promises = {};
objectKeys(fs).forEach(function (k) {
  if (typeof fs[k] !== "function" || !/Sync$/.test(k)) return;
  var sync = fs[k];
  var name = k.slice(0, -4);
  fs.promises[name] = function () { var a = arguments; return new Promise(function (res) { res(sync.apply(undefined, a)); }); };
  fs[name] = function () {
    var a = Array.prototype.slice.call(arguments);
    var cb = typeof a[a.length - 1] === "function" ? a.pop() : null;
    var r, err = null;
    try { r = sync.apply(undefined, a); } catch (e) { err = e; }
    if (cb) setImmediate(function () { cb(err, r); });
  };
});

// ---------- process, require ----------
// stdin, stdout and stderr are streams made by guest/node-lib.js, anew for every run.
var process = {
  title: "node",
  argv: [],
  argv0: "node",
  execArgv: [],
  execPath: "/usr/local/bin/node",
  env: {},
  pid: 1,
  ppid: 0,
  platform: "linux",
  arch: "wasm32",
  version: "v0.0.0-quickjs",
  versions: {},
  release: { name: "node" },
  config: { variables: {} },
  features: {},
  exitCode: undefined,
  cwd: function () { return WORKDIR; },
  chdir: function () { var e = new Error("process.chdir() is not supported in wasmbox"); e.code = "ERR_WORKER_UNSUPPORTED_OPERATION"; throw e; },
  umask: function () { return 18; },
  uptime: function () { return performance.now() / 1000; },
  getuid: function () { return 1000; },
  getgid: function () { return 1000; },
  geteuid: function () { return 1000; },
  getegid: function () { return 1000; },
  abort: function () { host.exit(134); throw new Error("process.abort()"); },
  exit: function (code) {
    var c = code === undefined ? (process.exitCode === undefined ? 0 : process.exitCode) : code;
    host.exit(Number(c) | 0);
    throw new Error("process.exit(" + c + ")");
  },
  nextTick: function (fn) { var a = Array.prototype.slice.call(arguments, 1); queueMicrotask(function () { fn.apply(undefined, a); }); },
  hrtime: Object.assign(function () { var t = performance.now(); return [Math.floor(t / 1e3), Math.floor((t % 1e3) * 1e6)]; }, { bigint: function () { return BigInt(Math.floor(performance.now() * 1e6)); } }),
  memoryUsage: Object.assign(function () { return { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }; }, { rss: function () { return 0; } }),
  cpuUsage: function () { var us = Math.floor(performance.now() * 1000); return { user: us, system: 0 }; },
  resourceUsage: function () { return {}; }
};
globalThis.process = process;
var BUILTINS = createObject(null);
BUILTINS.fs = fs;
BUILTINS["fs/promises"] = fs.promises;
BUILTINS.path = path;
BUILTINS["path/posix"] = path;
lib.BUILTINS = BUILTINS;
lib.process = process;
lib.fs = fs;
lib.path = path;
function requireModule(name) {
  var bare = toStr(name);
  if (strSlice(bare, 0, 5) === "node:") bare = strSlice(bare, 5);
  if (hasOwn(BUILTINS, bare)) return BUILTINS[bare];
  var err = new Error("Cannot find module '" + bare + "': wasmbox's JavaScript sandbox provides " + objectKeys(BUILTINS).sort().join(", ") + ", and no npm packages, network or child processes");
  err.code = "MODULE_NOT_FOUND";
  throw err;
}
globalThis.require = requireModule;
if (typeof globalThis.performance === "undefined") {
  var t0 = Date.now();
  globalThis.performance = { now: function () { return Date.now() - t0; }, timeOrigin: t0 };
}
globalThis.global = globalThis;
defineProp(globalThis, "Buffer", {
  configurable: true,
  get: function () { return getBuffer(); },
  set: function (v) { defineProp(globalThis, "Buffer", { value: v, writable: true, configurable: true }); }
});
// process.stdin/stdout/stderr, process.on and the Node modules come with the Node library.
["stdin", "stdout", "stderr"].forEach(function (name) {
  defineProp(process, name, { configurable: true, enumerable: true, get: function () { lib.nodeLib; return process[name]; } });
});
["on", "once", "off", "addListener", "removeListener", "removeAllListeners", "emit", "listeners", "listenerCount", "prependListener", "emitWarning"].forEach(function (name) {
  process[name] = function () { lib.nodeLib; return applyFn(process[name], process, arguments); };
});
["events", "string_decoder", "readline", "readline/promises", "os", "util", "assert", "assert/strict", "timers", "timers/promises", "buffer", "perf_hooks", "process"].forEach(function (name) {
  defineProp(BUILTINS, name, { configurable: true, enumerable: true, get: function () { lib.nodeLib; return BUILTINS[name]; } });
});
["createReadStream", "createWriteStream"].forEach(function (name) {
  fs[name] = function () { lib.nodeLib; return applyFn(fs[name], fs, arguments); };
});
globalThis.btoa = function (s) {
  s = toStr(s);
  for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) throw new DOMException("Invalid character", "InvalidCharacterError");
  return getBuffer().from(s, "latin1").toString("base64");
};
globalThis.atob = function (s) {
  s = toStr(s).replace(/[\t\n\f\r ]/g, "");
  if (s.length % 4 === 0) s = s.replace(/==?$/, "");
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  return getBuffer().from(s, "base64").toString("latin1");
};
Object.defineProperty(globalThis, Symbol.for("wasmbox.require"), { value: requireModule });

// ---------- what the host keeps ----------
function serialize(v, limit) {
  if (v === undefined) return "null";
  var seen = [];
  var s;
  try {
    s = stringify(v, function (k, x) {
      if (typeof x === "bigint") return String(x);
      if (typeof x === "function" || typeof x === "symbol") return undefined;
      // Not JSON, and JSON.stringify would silently turn them into {}: give their inspect() text.
      if (x instanceof Map || x instanceof Set || (ArrayBuffer.isView(x) && !(x instanceof DataView))) return inspect(x);
      if (x !== null && typeof x === "object") { if (seen.indexOf(x) >= 0) return "[Circular]"; seen.push(x); }
      return x;
    });
  } catch (e) {
    s = undefined;
  }
  if (s === undefined) s = stringify(inspect(v));
  if (typeof s !== "string") s = "null";
  if (s.length > limit) s = stringify(strSlice(s, 0, limit));
  return s;
}
function describeError(e) {
  var isErr = e instanceof Error || (e !== null && typeof e === "object" && "message" in e && "name" in e);
  var name = isErr ? toStr(e.name) : "Error";
  var message = isErr ? toStr(e.message) : "Uncaught " + toStr(inspect(e));
  var raw = isErr && typeof e.stack === "string" ? e.stack : "";
  // Drop the prelude's own frames (line by line, with captured built-ins only).
  var stack = "", start = 0;
  while (start <= raw.length) {
    var end = strIndexOf(raw, "\n", start);
    if (end < 0) end = raw.length;
    var line = strSlice(raw, start, end);
    if (strIndexOf(line, "wasmbox:") < 0) stack += (stack ? "\n" : "") + line;
    start = end + 1;
  }
  while (stack.length && stack[stack.length - 1] === "\n") stack = strSlice(stack, 0, stack.length - 1);
  return stringify({ name: name, message: message, stack: stack });
}
// Per run (a session runs several programs in one context): argv, env and exit state.
function configure(filename, argsJson, envJson) {
  process.argv = arrConcat(["wasmbox", WORKDIR + "/" + filename], parseJson(argsJson));
  process.env = parseJson(envJson);
  process.exitCode = undefined;
  // The streams are made anew for each run (a session's runs each have their own stdin).
  for (var i = 0; i < lib.onConfigure.length; i++) lib.onConfigure[i]();
}
return { fireTimer: fireTimer, serialize: serialize, describeError: describeError, configure: configure };
})`;

/**
 * Everything evaluated in a fresh context before guest code, as one function expression
 * called with the host bindings: the guest modules in dependency order, then the prelude,
 * then the Node library over them. It returns the prelude's internals for the host.
 */
export const PRELUDE_SOURCE =
  `(function (host) {\n"use strict";\n` +
  `var base = (${GUEST_PRIMORDIALS_SOURCE})(host);\n` +
  `var lib = Object.create(null);\n` +
  `lib.primordials = base.primordials;\nlib.internals = base.internals;\nlib.onConfigure = [];\n` +
  `return (${PRELUDE_CORE_SOURCE})(host, lib);\n})`;

/** The guest modules compiled on first use (see `lazy` in the prelude), by name. */
export const LAZY_GUEST_SOURCES: Readonly<Record<string, string>> = {
  inspect: GUEST_INSPECT_SOURCE,
  buffer: GUEST_BUFFER_SOURCE,
  "node-lib": GUEST_NODE_LIB_SOURCE,
};

/** Named exports of each built-in module, for `import { x } from "node:…"`. */
const MODULE_EXPORTS: Record<string, string[]> = {
  fs: [
    "readFileSync", "writeFileSync", "appendFileSync", "existsSync", "statSync", "lstatSync", "readdirSync",
    "mkdirSync", "unlinkSync", "rmSync", "copyFileSync", "renameSync", "promises", "readFile", "writeFile",
    "appendFile", "stat", "readdir", "mkdir", "unlink", "rm", "copyFile", "rename", "createReadStream", "createWriteStream",
  ],
  "fs/promises": ["readFile", "writeFile", "appendFile", "stat", "readdir", "mkdir", "unlink", "rm", "copyFile", "rename"],
  path: ["join", "resolve", "dirname", "basename", "extname", "normalize", "relative", "isAbsolute", "sep", "delimiter", "posix", "parse", "format"],
  events: ["EventEmitter", "once", "on", "errorMonitor", "defaultMaxListeners", "getEventListeners"],
  readline: ["createInterface", "Interface", "clearLine", "clearScreenDown", "cursorTo", "moveCursor", "emitKeypressEvents", "promises"],
  "readline/promises": ["createInterface", "Interface"],
  string_decoder: ["StringDecoder"],
  os: [
    "EOL", "devNull", "platform", "type", "release", "version", "machine", "arch", "hostname", "homedir", "tmpdir", "endianness",
    "uptime", "loadavg", "cpus", "availableParallelism", "totalmem", "freemem", "networkInterfaces", "userInfo", "constants",
  ],
  util: [
    "format", "formatWithOptions", "inspect", "isDeepStrictEqual", "promisify", "callbackify", "inherits", "deprecate", "types",
    "stripVTControlCharacters", "TextEncoder", "TextDecoder", "debuglog", "styleText",
  ],
  assert: [
    "ok", "equal", "notEqual", "strictEqual", "notStrictEqual", "deepEqual", "notDeepEqual", "deepStrictEqual", "notDeepStrictEqual",
    "throws", "doesNotThrow", "rejects", "doesNotReject", "match", "doesNotMatch", "fail", "ifError", "AssertionError", "strict",
  ],
  timers: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "promises"],
  "timers/promises": ["setTimeout", "setImmediate", "setInterval", "scheduler"],
  buffer: ["Buffer", "SlowBuffer", "kMaxLength", "INSPECT_MAX_BYTES", "atob", "btoa", "constants"],
  perf_hooks: ["performance"],
  process: ["argv", "env", "exit", "stdin", "stdout", "stderr", "cwd", "nextTick", "platform", "hrtime"],
};
MODULE_EXPORTS["path/posix"] = MODULE_EXPORTS["path"]!;
MODULE_EXPORTS["assert/strict"] = MODULE_EXPORTS["assert"]!;

/** The built-in modules' names, as the guest's `require` knows them. */
export const BUILTIN_MODULE_NAMES = Object.keys(MODULE_EXPORTS).sort();

/** Sources of the ES modules `import`able from guest code, keyed by specifier. */
export function builtinModuleSource(specifier: string): string | undefined {
  const bare = specifier.replace(/^node:/, "");
  const exported = Object.hasOwn(MODULE_EXPORTS, bare) ? MODULE_EXPORTS[bare] : undefined;
  if (!exported) return undefined;
  return (
    `const m = globalThis[Symbol.for("wasmbox.require")](${JSON.stringify(bare)});\n` +
    `export default m;\n` +
    `export const { ${exported.join(", ")} } = m;\n`
  );
}
