// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: the float bit patterns ieee754 writes into a Buffer (as its README shows), read back.
const ieee754 = load("lib/ieee754.js");
const values = [0, -0, 1, -1.5, 0.1, Math.PI, 1e300, 5e-324, Infinity, -Infinity, NaN, 65504];
for (const v of values) {
  const buf = Buffer.alloc(8);
  ieee754.write(buf, v, 0, false, 52, 8);
  const f32 = Buffer.alloc(4);
  ieee754.write(f32, v, 0, true, 23, 4);
  console.log(String(v).padStart(24), buf.toString("hex"), f32.toString("hex"), ieee754.read(buf, 0, false, 52, 8), ieee754.read(f32, 0, true, 23, 4));
}
