// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: minimist's own example/parse.js (console.log of the parsed object), with a
// second parse using its options.
const parse = load("lib/minimist.js");
console.log(parse(process.argv.slice(2)));
const opts = parse(process.argv.slice(2), { boolean: ["v"], string: ["name"], alias: { n: "name" }, default: { level: 3 } });
console.log(JSON.stringify(opts));
