// Guest-side source: evaluated inside QuickJS, never imported by the host (see generate.mjs).
// The file is one function expression, which the host calls.
/* eslint-disable @typescript-eslint/no-unused-expressions */
//
// Node's own library code is written against "primordials": the built-ins captured before
// any user code runs, with prototype methods uncurried (`ArrayPrototypePush(arr, x)`), so
// that a program replacing `Array.prototype.push` cannot change how Node formats or parses.
// The guest modules (inspect.js is Node's util.inspect, nearly verbatim) are written the
// same way, and this builds the same table, named by Node's rules, before guest code exists.
//
// The second half is what Node's inspect takes from its C++ bindings (internalBinding('util'))
// and internal modules (internal/util/types, validators), rebuilt from brand checks on the
// captured built-ins. What QuickJS cannot tell (a Proxy from its target, an iterator's
// entries) is answered the way Node answers with showProxy off.
(function (host) {
  "use strict";
  const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
  const applyBind = (fn) => (thisArg, args) => Reflect.apply(fn, thisArg, args);
  const ReflectOwnKeys = Reflect.ownKeys;
  const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
  const ReflectDefineProperty = Reflect.defineProperty;
  const primordials = Object.create(null);

  const varargsMethods = [
    "ArrayOf", "ArrayPrototypePush", "ArrayPrototypeUnshift", "MathHypot", "MathMax", "MathMin",
    "StringFromCharCode", "StringFromCodePoint", "StringPrototypeConcat", "TypedArrayOf",
  ];
  function getNewKey(key) {
    return typeof key === "symbol"
      ? "Symbol" + key.description[7].toUpperCase() + key.description.slice(8)
      : key[0].toUpperCase() + key.slice(1);
  }
  function copyAccessor(dest, prefix, key, desc) {
    if (desc.get) ReflectDefineProperty(dest, prefix + "Get" + key, { value: uncurryThis(desc.get) });
    if (desc.set) ReflectDefineProperty(dest, prefix + "Set" + key, { value: uncurryThis(desc.set) });
  }
  function copyPropsRenamed(src, dest, prefix) {
    for (const key of ReflectOwnKeys(src)) {
      if (typeof key === "string" && key.length === 0) continue;
      const newKey = getNewKey(key);
      const desc = ReflectGetOwnPropertyDescriptor(src, key);
      if ("get" in desc) copyAccessor(dest, prefix, newKey, desc);
      else {
        const name = prefix + newKey;
        ReflectDefineProperty(dest, name, { value: desc.value });
        if (varargsMethods.includes(name)) ReflectDefineProperty(dest, name + "Apply", { value: applyBind(desc.value, src) });
      }
    }
  }
  function copyPrototype(src, dest, prefix) {
    for (const key of ReflectOwnKeys(src)) {
      if (typeof key === "string" && key.length === 0) continue;
      const newKey = getNewKey(key);
      const desc = ReflectGetOwnPropertyDescriptor(src, key);
      if ("get" in desc) copyAccessor(dest, prefix, newKey, desc);
      else {
        const name = prefix + newKey;
        const value = typeof desc.value === "function" ? uncurryThis(desc.value) : desc.value;
        ReflectDefineProperty(dest, name, { value });
        if (varargsMethods.includes(name)) {
          const fn = desc.value;
          ReflectDefineProperty(dest, name + "Apply", { value: (self, args) => Reflect.apply(fn, self, args) });
        }
      }
    }
  }

  for (const name of ["Proxy", "globalThis"]) primordials[name] = globalThis[name];
  primordials.JSONStringify = JSON.stringify;
  primordials.JSONParse = JSON.parse;
  for (const [name, value] of [["JSON", JSON], ["Math", Math], ["Reflect", Reflect]]) copyPropsRenamed(value, primordials, name);
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const constructors = [
    "AggregateError", "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array", "Boolean", "DataView",
    "Date", "Error", "EvalError", "Float32Array", "Float64Array", "Function", "Int16Array", "Int32Array",
    "Int8Array", "Map", "Number", "Object", "RangeError", "ReferenceError", "RegExp", "Set", "String",
    "Symbol", "SyntaxError", "TypeError", "URIError", "Uint16Array", "Uint32Array", "Uint8Array",
    "Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet", "Promise",
  ];
  for (const name of constructors) {
    const original = globalThis[name];
    if (original === undefined) continue;
    primordials[name] = original;
    copyPropsRenamed(original, primordials, name);
    if (original.prototype) {
      if (!(name + "Prototype" in primordials)) primordials[name + "Prototype"] = original.prototype;
      copyPrototype(original.prototype, primordials, name + "Prototype");
    }
  }
  primordials.TypedArray = TypedArray;
  primordials.TypedArrayPrototype = TypedArray.prototype;
  copyPropsRenamed(TypedArray, primordials, "TypedArray");
  copyPrototype(TypedArray.prototype, primordials, "TypedArrayPrototype");
  primordials.uncurryThis = uncurryThis;
  primordials.applyBind = applyBind;

  // Collections whose methods are the captured ones, whatever the guest does to Map.prototype.
  function makeSafe(unsafe, safe) {
    for (const key of ReflectOwnKeys(unsafe.prototype)) {
      if (key === "constructor") continue;
      const desc = ReflectGetOwnPropertyDescriptor(unsafe.prototype, key);
      ReflectDefineProperty(safe.prototype, key, desc);
    }
    Object.setPrototypeOf(safe.prototype, null);
    return safe;
  }
  primordials.SafeMap = makeSafe(Map, class SafeMap extends Map {});
  primordials.SafeSet = makeSafe(Set, class SafeSet extends Set {});
  primordials.SafeWeakMap = makeSafe(WeakMap, class SafeWeakMap extends WeakMap {});
  Object.freeze(primordials);

  // ---------- what Node's inspect gets from C++ and internal modules ----------
  const P = primordials;
  const objectToString = P.ObjectPrototypeToString;
  const tagOf = (v) => P.StringPrototypeSlice(objectToString(v), 8, -1);
  const brand = (fn) => (v) => {
    if (v === null || (typeof v !== "object" && typeof v !== "function")) return false;
    try { fn(v); return true; } catch { return false; }
  };
  const isTypedArray = (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) !== undefined;
  const isDate = brand(P.DatePrototypeGetTime);
  const isMap = brand(P.MapPrototypeGetSize);
  const isSet = brand(P.SetPrototypeGetSize);
  const isWeakMap = brand((v) => P.WeakMapPrototypeHas(v, P.ObjectPrototype));
  const isWeakSet = brand((v) => P.WeakSetPrototypeHas(v, P.ObjectPrototype));
  const isArrayBuffer = brand(P.ArrayBufferPrototypeGetByteLength);
  const isSharedArrayBuffer = typeof SharedArrayBuffer === "function"
    ? brand(uncurryThis(ReflectGetOwnPropertyDescriptor(SharedArrayBuffer.prototype, "byteLength").get))
    : () => false;
  const isDataView = brand(P.DataViewPrototypeGetByteLength);
  const regexpSource = uncurryThis(ReflectGetOwnPropertyDescriptor(RegExp.prototype, "source").get);
  const isRegExp = (v) => v !== P.RegExpPrototype && brand(regexpSource)(v);
  const isNumberObject = (v) => typeof v === "object" && brand(P.NumberPrototypeValueOf)(v);
  const isStringObject = (v) => typeof v === "object" && brand(P.StringPrototypeValueOf)(v);
  const isBooleanObject = (v) => typeof v === "object" && brand(P.BooleanPrototypeValueOf)(v);
  const isBigIntObject = (v) => typeof v === "object" && brand(P.BigIntPrototypeValueOf)(v);
  const isSymbolObject = (v) => typeof v === "object" && brand(P.SymbolPrototypeValueOf)(v);
  const isBoxedPrimitive = (v) => isNumberObject(v) || isStringObject(v) || isBooleanObject(v) || isBigIntObject(v) || isSymbolObject(v);
  const promiseState = host.promiseState;
  const isPromise = (v) => v !== null && typeof v === "object" && promiseState(v) !== undefined;
  const ErrorClass = Error;
  const isNativeError = (v) => v !== null && typeof v === "object" && (v instanceof ErrorClass || tagOf(v) === "Error");
  const kPending = 0, kFulfilled = 1, kRejected = 2;
  const types = {
    isAnyArrayBuffer: (v) => isArrayBuffer(v) || isSharedArrayBuffer(v),
    isArrayBuffer,
    isSharedArrayBuffer,
    isArrayBufferView: (v) => isTypedArray(v) || isDataView(v),
    isArgumentsObject: (v) => v !== null && typeof v === "object" && tagOf(v) === "Arguments",
    isAsyncFunction: (v) => typeof v === "function" && (tagOf(v) === "AsyncFunction" || tagOf(v) === "AsyncGeneratorFunction"),
    isGeneratorFunction: (v) => typeof v === "function" && (tagOf(v) === "GeneratorFunction" || tagOf(v) === "AsyncGeneratorFunction"),
    isGeneratorObject: (v) => v !== null && typeof v === "object" && tagOf(v) === "Generator",
    isBoxedPrimitive,
    isNumberObject, isStringObject, isBooleanObject, isBigIntObject, isSymbolObject,
    isDataView,
    isDate,
    isExternal: () => false,
    isMap, isSet, isWeakMap, isWeakSet,
    isMapIterator: (v) => v !== null && typeof v === "object" && tagOf(v) === "Map Iterator",
    isSetIterator: (v) => v !== null && typeof v === "object" && tagOf(v) === "Set Iterator",
    isModuleNamespaceObject: (v) => v !== null && typeof v === "object" && Object.getPrototypeOf(v) === null && tagOf(v) === "Module",
    isNativeError,
    isPromise,
    isProxy: () => false,
    isRegExp,
    isTypedArray,
    isUint8Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Uint8Array",
    isUint8ClampedArray: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Uint8ClampedArray",
    isUint16Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Uint16Array",
    isUint32Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Uint32Array",
    isInt8Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Int8Array",
    isInt16Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Int16Array",
    isInt32Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Int32Array",
    isFloat32Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Float32Array",
    isFloat64Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "Float64Array",
    isBigInt64Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "BigInt64Array",
    isBigUint64Array: (v) => P.TypedArrayPrototypeGetSymbolToStringTag(v) === "BigUint64Array",
    isWeakRef: (v) => v !== null && typeof v === "object" && tagOf(v) === "WeakRef",
  };
  const numberRegExp = /^(0|[1-9][0-9]*)$/;
  // eslint-disable-next-line no-control-regex -- the ANSI escapes are control characters
  const ansi = /(?:\u001B\][\s\S]*?(?:\u0007|\u001B\u005C|\u009C))|[\u001B\u009B][[\]()#;?]*(?:\d{1,4}(?:[;:]\d{0,4})*)?[\dA-PR-TZcf-nq-uy=><~]/g;
  function validateObject(value, name) {
    if (value === null || typeof value !== "object") {
      const err = new TypeError("The \"" + name + "\" argument must be of type object." + (value === null ? " Received null" : ""));
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
  }
  function validateString(value, name) {
    if (typeof value !== "string") {
      const err = new TypeError("The \"" + name + "\" argument must be of type string. Received " + (value === null ? "null" : typeof value));
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
  }
  const internals = {
    ALL_PROPERTIES: 0,
    ONLY_ENUMERABLE: 2,
    kPending, kFulfilled, kRejected,
    /** Own keys that are not array indices (symbols included), enumerable ones unless ALL_PROPERTIES. */
    getOwnNonIndexProperties(value, filter) {
      const out = [];
      for (const key of ReflectOwnKeys(value)) {
        if (typeof key === "string" && P.RegExpPrototypeExec(numberRegExp, key) !== null && +key < 4294967295) continue;
        if (filter === 2 && !P.ObjectPrototypePropertyIsEnumerable(value, key)) continue;
        P.ArrayPrototypePush(out, key);
      }
      return out;
    },
    getPromiseDetails(value) {
      const s = promiseState(value);
      if (s === undefined || s[0] === "pending") return [kPending, undefined];
      return [s[0] === "rejected" ? kRejected : kFulfilled, s[1]];
    },
    getProxyDetails: () => undefined,
    previewEntries: (value, isIterator) => (isIterator ? [[], false] : []),
    getConstructorName(value) {
      const t = tagOf(value);
      return t === "Arguments" || t === "Module" ? "Object" : t;
    },
    getExternalValue: () => 0,
    customInspectSymbol: Symbol.for("nodejs.util.inspect.custom"),
    isError: (v) => isNativeError(v),
    join(output, separator) {
      let str = "";
      if (output.length !== 0) {
        const lastIndex = output.length - 1;
        for (let i = 0; i < lastIndex; i++) str += output[i] + separator;
        str += output[lastIndex];
      }
      return str;
    },
    removeColors: (str) => P.RegExpPrototypeSymbolReplace(ansi, String(str), ""),
    isStackOverflowError: (err) => err !== null && typeof err === "object" && (err.name === "InternalError" || err.name === "RangeError") && /stack/i.test(String(err.message)),
    types,
    validateObject,
    validateString,
    kValidateObjectAllowArray: 1,
    /** The host's working directory as the guest sees it, for stack colouring. */
    cwd: () => host.workdir,
  };
  return { primordials, internals };
})
