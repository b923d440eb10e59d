/**
 * Guest-side JavaScript evaluated inside QuickJS before user code: console (with
 * Node-like formatting), timers, `process`, `require`, and an `fs` module over the
 * request's in-memory files. It runs *inside* the sandbox, so formatting a hostile value
 * (a Proxy whose getter loops) is bounded by the interrupt handler like any guest code.
 *
 * It is a function expression called once with the host bindings; it returns the
 * internals the host keeps (and the guest never sees): fireTimer, serialize, describeError.
 * Written without template literals because it is embedded in one.
 *
 * Guest code runs in this realm after the prelude and may replace any built-in. What the
 * host relies on — path normalisation (every fs path the host sees comes from it), the
 * module table, the internals the host keeps — uses only built-ins captured here, before
 * guest code exists, called in a way no later change can redirect (uncurried, never looked
 * up on a receiver), and plain string operations (indexing, concatenation) on primitives.
 */
export const PRELUDE_SOURCE = String.raw`(function (host) {
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
var URLClass = typeof URL === "undefined" ? undefined : URL;
var WORKDIR = host.workdir;

// ---------- inspect / format (a compact util.inspect) ----------
var IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
function quote(s) {
  return "'" + String(s).replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n") + "'";
}
function fnName(f) {
  var src = "";
  try { src = Function.prototype.toString.call(f); } catch (e) {}
  if (/^class[\s{]/.test(src)) return "[class " + (f.name || "(anonymous)") + "]";
  return "[Function: " + (f.name || "(anonymous)") + "]";
}
function ctorName(o) {
  var p = getProto(o);
  if (p === null) return null;
  var c = p && p.constructor;
  return c && typeof c.name === "string" ? c.name : "";
}
function wrap(open, parts, close, indent) {
  if (parts.length === 0) return open.replace(/ $/, "") + close.replace(/^ /, "");
  var flat = open + parts.join(", ") + close;
  if (flat.length <= 72 && flat.indexOf("\n") < 0) return flat;
  var pad = "  ".repeat(indent + 1);
  return open.replace(/ $/, "") + "\n" + pad + parts.join(",\n" + pad) + "\n" + "  ".repeat(indent) + close.replace(/^ /, "");
}
function inspect(v, depth, seen, indent) {
  if (depth === undefined) depth = 2;
  seen = seen || [];
  indent = indent || 0;
  switch (typeof v) {
    case "string": return seen.length ? quote(v) : v;
    case "number": return Object.is(v, -0) ? "-0" : String(v);
    case "bigint": return String(v) + "n";
    case "boolean": return String(v);
    case "undefined": return "undefined";
    case "symbol": return v.toString();
    case "function": return fnName(v);
  }
  if (v === null) return "null";
  if (seen.indexOf(v) >= 0) return "[Circular *1]";
  if (v instanceof Error) {
    var st = typeof v.stack === "string" ? v.stack : "";
    return String(v.name) + ": " + String(v.message) + (st ? "\n" + st.replace(/\n$/, "") : "");
  }
  if (v instanceof Date) return isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (v instanceof Promise) return "Promise { <unknown> }";
  if (v instanceof WeakMap || v instanceof WeakSet) return (v instanceof WeakMap ? "WeakMap" : "WeakSet") + " { <items unknown> }";
  var inner = seen.concat([v]);
  var parts = [];
  var i, n;
  if (isArray(v)) {
    if (depth < 0) return "[Array]";
    n = Math.min(v.length, 100);
    for (i = 0; i < n; i++) parts.push(i in v ? inspect(v[i], depth - 1, inner, indent + 1) : "<empty>");
    if (v.length > 100) parts.push("... " + (v.length - 100) + " more items");
    return wrap("[ ", parts, " ]", indent);
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    n = Math.min(v.length, 100);
    for (i = 0; i < n; i++) parts.push(inspect(v[i], depth - 1, inner, indent + 1));
    if (v.length > 100) parts.push("... " + (v.length - 100) + " more items");
    return wrap(ctorName(v) + "(" + v.length + ") [ ", parts, " ]", indent);
  }
  if (v instanceof Map) {
    if (depth < 0) return "[Map]";
    v.forEach(function (val, key) { parts.push(inspect(key, depth - 1, inner, indent + 1) + " => " + inspect(val, depth - 1, inner, indent + 1)); });
    return wrap("Map(" + v.size + ") { ", parts, " }", indent);
  }
  if (v instanceof Set) {
    if (depth < 0) return "[Set]";
    v.forEach(function (val) { parts.push(inspect(val, depth - 1, inner, indent + 1)); });
    return wrap("Set(" + v.size + ") { ", parts, " }", indent);
  }
  var name = ctorName(v);
  if (depth < 0) return "[" + (name || "Object") + "]";
  var keys = objectKeys(v);
  for (i = 0; i < keys.length && i < 100; i++) {
    var k = keys[i];
    parts.push((IDENT.test(k) ? k : quote(k)) + ": " + inspect(v[k], depth - 1, inner, indent + 1));
  }
  if (keys.length > 100) parts.push("... " + (keys.length - 100) + " more properties");
  var prefix = name === null ? "[Object: null prototype] " : name && name !== "Object" ? name + " " : "";
  return prefix + wrap("{ ", parts, " }", indent);
}
function format(args) {
  var out = [];
  var start = 0;
  if (typeof args[0] === "string" && args[0].indexOf("%") >= 0) {
    var ai = 1;
    out.push(args[0].replace(/%([sdifjoOc%])/g, function (m, c) {
      if (c === "%") return "%";
      if (ai >= args.length) return m;
      var a = args[ai++];
      switch (c) {
        case "s": return typeof a === "string" ? a : inspect(a, 1, [], 0);
        case "d": case "i": return typeof a === "bigint" ? a + "n" : String(c === "i" ? parseInt(a) : Number(a));
        case "f": return String(parseFloat(a));
        case "j": try { return stringify(a); } catch (e) { return "[Circular]"; }
        case "c": return "";
        default: return inspect(a, 2, [a].slice(0, 0), 0);
      }
    }));
    start = ai;
  }
  for (var i = start; i < args.length; i++) out.push(inspect(args[i], 2, [], 0));
  return out.join(" ");
}

// ---------- console ----------
var groupIndent = "";
function emit(fd, args) {
  var text = format(args);
  if (groupIndent) text = groupIndent + text.replace(/\n/g, "\n" + groupIndent);
  host.write(fd, text + "\n");
}
var counts = createObject(null), timersByLabel = createObject(null);
var console = {
  log: function () { emit(1, arguments); },
  info: function () { emit(1, arguments); },
  debug: function () { emit(1, arguments); },
  warn: function () { emit(2, arguments); },
  error: function () { emit(2, arguments); },
  dir: function (v) { emit(1, [v]); },
  trace: function () { var e = new Error(format(arguments)); emit(2, ["Trace: " + e.message + "\n" + String(e.stack || "").replace(/\n$/, "")]); },
  assert: function (cond) { if (!cond) { var rest = Array.prototype.slice.call(arguments, 1); emit(2, ["Assertion failed" + (rest.length ? ": " + format(rest) : "")]); } },
  count: function (label) { label = label === undefined ? "default" : String(label); counts[label] = (counts[label] || 0) + 1; emit(1, [label + ": " + counts[label]]); },
  countReset: function (label) { counts[label === undefined ? "default" : String(label)] = 0; },
  time: function (label) { timersByLabel[label === undefined ? "default" : String(label)] = Date.now(); },
  timeEnd: function (label) { label = label === undefined ? "default" : String(label); var t = timersByLabel[label]; if (t !== undefined) { delete timersByLabel[label]; emit(1, [label + ": " + (Date.now() - t) + "ms"]); } },
  timeLog: function (label) { label = label === undefined ? "default" : String(label); var t = timersByLabel[label]; if (t !== undefined) emit(1, [label + ": " + (Date.now() - t) + "ms"]); },
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
path.posix = path;

// ---------- fs (in-memory, over the request's files) ----------
function toBytes(data, encoding) {
  if (typeof data === "string") {
    if (encoding === "base64") return new Uint8Array(host.fromBase64(data));
    return utf8Encode(data);
  }
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
function readFileSync(p, options) {
  var enc = encodingOf(options);
  var buf = p === 0 || p === "/dev/stdin" ? host.stdin() : host.fsRead(abs(p));
  var u8 = new Uint8Array(buf);
  if (!enc) return u8;
  if (enc === "base64") return host.toBase64(buf);
  return utf8Decode(u8);
}
function writeFileSync(p, data, options) {
  if (p === 1 || p === "/dev/stdout") { process.stdout.write(typeof data === "string" ? data : utf8Decode(toBytes(data))); return; }
  if (p === 2 || p === "/dev/stderr") { process.stderr.write(typeof data === "string" ? data : utf8Decode(toBytes(data))); return; }
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
function makeStream(fd) {
  return { write: function (s) { host.write(fd, typeof s === "string" ? s : utf8Decode(toBytes(s))); return true; }, isTTY: false };
}
var process = {
  argv: [],
  env: {},
  platform: "wasmbox",
  version: "v0.0.0-quickjs",
  versions: {},
  exitCode: undefined,
  stdout: makeStream(1),
  stderr: makeStream(2),
  cwd: function () { return WORKDIR; },
  exit: function (code) {
    var c = code === undefined ? (process.exitCode === undefined ? 0 : process.exitCode) : code;
    host.exit(Number(c) | 0);
    throw new Error("process.exit(" + c + ")");
  },
  nextTick: function (fn) { var a = Array.prototype.slice.call(arguments, 1); queueMicrotask(function () { fn.apply(undefined, a); }); },
  hrtime: Object.assign(function () { var t = performance.now(); return [Math.floor(t / 1e3), Math.floor((t % 1e3) * 1e6)]; }, { bigint: function () { return BigInt(Math.floor(performance.now() * 1e6)); } }),
  memoryUsage: function () { return { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }; },
  on: function () { return process; }
};
globalThis.process = process;
var BUILTINS = createObject(null);
BUILTINS.fs = fs;
BUILTINS["fs/promises"] = fs.promises;
BUILTINS.path = path;
BUILTINS["path/posix"] = path;
var BUILTIN_NAMES = "fs, fs/promises, path, path/posix";
function requireModule(name) {
  var bare = toStr(name);
  if (strSlice(bare, 0, 5) === "node:") bare = strSlice(bare, 5);
  if (hasOwn(BUILTINS, bare)) return BUILTINS[bare];
  throw new Error("Cannot find module '" + bare + "': wasmbox's JavaScript sandbox provides " + BUILTIN_NAMES + " and no npm packages");
}
globalThis.require = requireModule;
if (typeof globalThis.performance === "undefined") {
  var t0 = Date.now();
  globalThis.performance = { now: function () { return Date.now() - t0; }, timeOrigin: t0 };
}
globalThis.global = globalThis;
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
      if (x instanceof Map || x instanceof Set || (ArrayBuffer.isView(x) && !(x instanceof DataView))) return inspect(x, 2, [], 0);
      if (x !== null && typeof x === "object") { if (seen.indexOf(x) >= 0) return "[Circular]"; seen.push(x); }
      return x;
    });
  } catch (e) {
    s = undefined;
  }
  if (s === undefined) s = stringify(inspect(v, 2, [], 0));
  if (typeof s !== "string") s = "null";
  if (s.length > limit) s = stringify(strSlice(s, 0, limit));
  return s;
}
function describeError(e) {
  var isErr = e instanceof Error || (e !== null && typeof e === "object" && "message" in e && "name" in e);
  var name = isErr ? toStr(e.name) : "Error";
  var message = isErr ? toStr(e.message) : "Uncaught " + toStr(inspect(e, 2, [], 0));
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
}
return { fireTimer: fireTimer, serialize: serialize, describeError: describeError, configure: configure };
})`;

/** Sources of the ES modules `import`able from guest code, keyed by specifier. */
export function builtinModuleSource(specifier: string): string | undefined {
  const bare = specifier.replace(/^node:/, "");
  const names: Record<string, string[]> = {
    fs: [
      "readFileSync", "writeFileSync", "appendFileSync", "existsSync", "statSync", "lstatSync", "readdirSync",
      "mkdirSync", "unlinkSync", "rmSync", "copyFileSync", "renameSync", "promises",
    ],
    "fs/promises": ["readFile", "writeFile", "appendFile", "stat", "readdir", "mkdir", "unlink", "rm", "copyFile", "rename"],
    path: ["join", "resolve", "dirname", "basename", "extname", "normalize", "relative", "isAbsolute", "sep", "posix"],
  };
  names["path/posix"] = names["path"]!;
  const exported = names[bare];
  if (!exported) return undefined;
  return (
    `const m = globalThis[Symbol.for("wasmbox.require")](${JSON.stringify(bare)});\n` +
    `export default m;\n` +
    `export const { ${exported.join(", ")} } = m;\n`
  );
}
