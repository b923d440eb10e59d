// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: 64-bit integer arithmetic with long.js (Long.fromString, mul, div, shifts, hex).
const Long = load("lib/long.js");
const max = Long.MAX_VALUE;
console.log(max.toString(), max.add(1).toString(), Long.MIN_VALUE.toString(16));
let f = Long.ONE;
for (let i = 1; i <= 25; i++) { f = f.mul(i); console.log(String(i).padStart(2) + "! mod 2^64 = " + f.toUnsigned().toString() + " (0x" + f.toUnsigned().toString(16) + ")"); }
const a = Long.fromString("123456789012345678");
const b = Long.fromString("-987654321");
console.log(a.div(b).toString(), a.mod(b).toString(), a.shl(7).toString(), a.shru(3).toString(36), a.xor(b).toString());
console.log(Long.fromBits(0xffffffff, 0x7fffffff).equals(Long.MAX_VALUE), a.compare(b), a.toNumber(), Long.fromNumber(2 ** 53 + 1).toString());
