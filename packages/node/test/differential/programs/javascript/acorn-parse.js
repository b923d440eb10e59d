// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: parse a small ES2022 program and print the shape of its syntax tree.
const acorn = load("lib/acorn.js");
const source = fs.readFileSync("input.js", "utf8");
const ast = acorn.parse(source, { ecmaVersion: 2022, sourceType: "module", locations: true });
const counts = {};
(function walk(node) {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) { node.forEach(walk); return; }
  if (typeof node.type === "string") counts[node.type] = (counts[node.type] || 0) + 1;
  for (const key of Object.keys(node)) if (key !== "loc") walk(node[key]);
})(ast);
for (const [type, n] of Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
  console.log(type.padEnd(28, ".") + String(n).padStart(4));
}
console.log(JSON.stringify(ast.body[0], (k, v) => (k === "loc" ? undefined : v)).slice(0, 400));
const tokens = [...acorn.tokenizer(source, { ecmaVersion: 2022, sourceType: "module" })];
console.log("tokens:", tokens.length, "last:", tokens[tokens.length - 1].type.label);
try {
  acorn.parse("let x = (1 + ;", { ecmaVersion: 2022 });
} catch (e) {
  console.log("SyntaxError:", e.message, e.pos);
}
