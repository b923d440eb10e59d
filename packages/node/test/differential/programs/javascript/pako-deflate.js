// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: deflate, gzip and inflate a text with pako (zlib ported to JavaScript).
const pako = load("lib/pako.js");
const text = fs.readFileSync("input.txt", "utf8").repeat(20);
const deflated = pako.deflate(text, { level: 9 });
const raw = pako.deflateRaw(text, { level: 1 });
const gz = pako.gzip(text, { header: { time: 0, os: 3 } });
const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
console.log("input chars:", text.length);
console.log("deflate level 9:", deflated.length, "bytes, head", hex(deflated.subarray(0, 16)));
console.log("deflateRaw level 1:", raw.length, "bytes, tail", hex(raw.subarray(raw.length - 12)));
console.log("gzip:", gz.length, "bytes, trailer", hex(gz.subarray(gz.length - 8)));
let sum = 0;
for (const b of deflated) sum = (sum * 31 + b) >>> 0;
console.log("checksum of deflated bytes:", sum);
const back = pako.inflate(deflated, { to: "string" });
console.log("round trip equal:", back === text, "first line:", back.split("\n")[0]);
console.log("ungzip equal:", pako.ungzip(gz, { to: "string" }) === text);
