import variantModule from "@jitl/quickjs-ng-wasmfile-release-sync";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import { PRELUDE_SOURCE } from "./dist/runtimes/javascript/prelude.js";
const variant = variantModule.default ?? variantModule;
const mod = await newQuickJSWASMModuleFromVariant(variant);
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  const rt = mod.newRuntime(); const vm = rt.newContext();
  const r = vm.evalCode(PRELUDE_SOURCE, "wasmbox:prelude", { compileOnly: true });
  console.log("context+compile", (performance.now() - t).toFixed(2), "ms", PRELUDE_SOURCE.length);
  r.value?.dispose(); r.error?.dispose(); vm.dispose(); rt.dispose();
}
