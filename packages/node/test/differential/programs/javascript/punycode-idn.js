// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: internationalised domain names to ASCII and back, and UCS-2 helpers.
const punycode = load("lib/punycode.js");
const names = ["mañana.com", "bücher.example", "例え.テスト", "президент.рф", "☃-⌘.com", "ドメイン名例", "I❤️.ws", "abc.def"];
for (const name of names) {
  const ascii = punycode.toASCII(name);
  console.log(name + " -> " + ascii + " -> " + punycode.toUnicode(ascii));
}
console.log(punycode.encode("ü"), punycode.decode("tda"), punycode.ucs2.decode("𝌆"), punycode.ucs2.encode([0x1d306, 0x41]));
console.log("version " + punycode.version);
