// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: sort the lines of stdin in natural order (chunks read with process.stdin.on("data")).
const naturalCompare = load("lib/natural-compare.js");
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const lines = input.split("\n").filter(Boolean);
  console.log(lines.slice().sort(naturalCompare).join("\n"));
  console.log("---");
  console.log(lines.slice().sort().join("\n"));
});
