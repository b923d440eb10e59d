// AssemblyScript: top-level code runs, then main() if exported.
//   npx wasmbox run examples/hello.as.ts
//   npx wasmbox run examples/hello.as.ts --invoke 'fib(30)'
console.log("Hello from AssemblyScript!");

export function fib(n: i32): i64 {
  let a: i64 = 0, b: i64 = 1;
  for (let i = 0; i < n; i++) {
    const t = a + b;
    a = b;
    b = t;
  }
  return a;
}

export function main(): void {
  console.log("fib(50) = " + fib(50).toString());
}
