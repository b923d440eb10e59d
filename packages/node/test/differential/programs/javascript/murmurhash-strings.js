// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: MurmurHash3 (32-bit) of strings, whole and streamed in pieces.
const MurmurHash3 = load("lib/imurmurhash.js");
const words = fs.readFileSync(0, "utf8").split(/\s+/).filter(Boolean);
for (const w of words) console.log(w.padEnd(14), String(MurmurHash3(w).result()).padStart(10), MurmurHash3(w, 42).result().toString(16).padStart(8, "0"));
const streamed = MurmurHash3();
for (const w of words) streamed.hash(w);
console.log("all words streamed:", streamed.result(), "joined:", MurmurHash3(words.join("")).result());
