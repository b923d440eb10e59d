// Loads a CommonJS/UMD library file, verbatim, the way Node's module wrapper would.
const fs = require("fs");
function load(path) {
  const module = { exports: {} };
  new Function("module", "exports", fs.readFileSync(path, "utf8"))(module, module.exports);
  return module.exports;
}

// Driver: parse IPv4/IPv6 addresses, normalise them, and match them against CIDR ranges.
const ipaddr = load("lib/ipaddr.js");
const ranges = ["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "::ffff:0:0/96"].map((r) => [r, ipaddr.parseCIDR(r)]);
for (const text of ["10.1.2.3", "192.168.1.200", "192.168.2.1", "2001:db8:0:0:1:0:0:1", "::ffff:192.168.1.5", "fe80::1%eth0", "8.8.8.8"]) {
  const addr = ipaddr.parse(text);
  const hits = ranges.filter(([, r]) => addr.kind() === r[0].kind() && addr.match(r)).map(([s]) => s);
  console.log(text.padEnd(24), addr.kind(), addr.toNormalizedString(), addr.range(), hits.join(",") || "-");
}
console.log(ipaddr.IPv4.isValid("256.1.1.1"), ipaddr.isValid("::1"), ipaddr.IPv4.subnetMaskFromPrefixLength(20).toString(), ipaddr.parse("::ffff:1.2.3.4").toIPv4Address().toString());
