;; The same demo as add_and_log.c, written by hand in WebAssembly text.
;;   npx wasmbox run examples/add_and_log.wat --invoke 'add_and_log(7, 5)' --grant env.log_i32
(module
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (func (export "add_and_log") (param $a i32) (param $b i32) (result i32)
    (local $sum i32)
    (local.set $sum (i32.add (local.get $a) (local.get $b)))
    (call $log_i32 (local.get $sum))
    (local.get $sum)))
