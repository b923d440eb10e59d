// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: a line-oriented CLI that wraps each paragraph read from stdin (readline, as Node CLIs do).
const wrap = load("lib/word-wrap.js");
const readline = require("readline");
const rl = readline.createInterface({ input: process.stdin });
const paragraphs = [];
rl.on("line", (line) => paragraphs.push(line));
rl.on("close", () => {
  for (const p of paragraphs) {
    console.log(wrap(p, { width: 32, indent: "> " }));
    console.log(wrap(p, { width: 20, indent: "", cut: true, trim: true }));
  }
});
