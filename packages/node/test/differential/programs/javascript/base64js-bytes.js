// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: base64-js over every byte value and some UTF-8 text.
const base64 = load("lib/base64-js.js");
const all = new Uint8Array(256).map((_, i) => i);
const b64 = base64.fromByteArray(all);
console.log(b64);
console.log(base64.byteLength(b64), base64.toByteArray(b64).every((b, i) => b === i));
const text = new TextEncoder().encode("Grüße, 世界 🌍");
const t64 = base64.fromByteArray(text);
console.log(t64, new TextDecoder().decode(base64.toByteArray(t64)));
for (let n = 0; n <= 5; n++) console.log(n, base64.fromByteArray(all.subarray(250, 250 + n)) || "(empty)");
