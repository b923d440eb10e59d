// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: load a YAML document, print it as JSON, then dump it back as YAML.
const yaml = load("lib/js-yaml.js");
const doc = yaml.load(fs.readFileSync("config.yaml", "utf8"));
console.log(JSON.stringify(doc, null, 2));
console.log(yaml.dump(doc, { sortKeys: true, lineWidth: 60 }));
try { yaml.load("a: [1, 2\nb: 3"); } catch (e) { console.log(e.name + ": " + e.reason + " at line " + (e.mark.line + 1)); }
