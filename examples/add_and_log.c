// The seeds' minimal demo: WebAssembly computes a sum and calls back into the host.
//   npx wasmbox run examples/add_and_log.c --invoke 'add_and_log(7, 5)' --grant env.log_i32
// prints "12" (from the host callback) and then the return value, 12.

// A host function, imported from the "env" module; the run must grant it (--grant env.log_i32).
__attribute__((import_module("env"), import_name("log_i32"))) void log_i32(int value);

__attribute__((export_name("add_and_log"))) int add_and_log(int a, int b) {
  int sum = a + b;
  log_i32(sum);
  return sum;
}
