// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: build a small HTML table from a CSV file, escaping every cell.
const escapeHtml = load("lib/escape-html.js");
const os = require("os");
const rows = fs.readFileSync("cells.csv", "utf8").trim().split("\n").map((l) => l.split(";"));
const html = ["<table>"];
for (const row of rows) html.push("  <tr>" + row.map((c) => "<td>" + escapeHtml(c) + "</td>").join("") + "</tr>");
html.push("</table>");
process.stdout.write(html.join(os.EOL) + os.EOL);
