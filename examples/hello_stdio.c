// The seeds' Emscripten "hello_stdio", as a WASI program: stdout, stderr and stdin.
//   echo World | npx wasmbox run examples/hello_stdio.c --stdin -
#include <stdio.h>
#include <string.h>

int main(void) {
  char name[128] = "stranger";
  printf("Hello from C compiled to WebAssembly!\n");
  if (fgets(name, sizeof name, stdin)) name[strcspn(name, "\n")] = '\0';
  printf("Nice to meet you, %s.\n", name);
  fprintf(stderr, "(this line went to stderr)\n");
  return 0;
}
