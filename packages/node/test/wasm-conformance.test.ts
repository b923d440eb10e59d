/**
 * The WebAssembly languages (c, cpp, assemblyscript, wasm) as a user sees them: a C or C++
 * program prints exactly what the same source built natively with gcc/g++ prints; modules
 * call granted host functions and return values; compile errors come back as diagnostics;
 * limits end runs with their status; nothing survives from one run to the next.
 *
 * The native reference needs gcc and g++ on PATH: without them these tests fail (they are
 * never skipped). Compiling in the engine boots clang-in-wasm once (~2 s; C++ with
 * <iostream> ~5 s a program); identical requests then come from the compile cache.
 *
 * Tests named "(regression)" reproduce bugs this suite found when it was written (u64 sizes,
 * out-of-bounds iovecs, unexported memories, fd_prestat_get, UTF-8 in WAT); all fixed since.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type Execution } from "@wasmbox/node";
import { MiB, lines, nonce, runMs, runNative, watToBase64 } from "./wasm-helpers.js";

let engine: Engine;

beforeAll(() => {
  engine = createEngine({ pool: { python: 0, quickjs: 0 } });
});

afterAll(async () => {
  await engine?.dispose();
});

function run(request: Record<string, unknown>): Promise<Execution> {
  return engine.execute(request);
}

/** A file of the repository's examples/ directory. */
const example = (name: string) => readFileSync(fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url)), "utf8");
const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString("utf8") : undefined);

/** Limits small enough that resource abuse ends fast. */
const SMALL = { timeoutMs: 2000, memoryLimitBytes: 64 * MiB, maxOutputBytes: 50_000 } as const;

// ---------------------------------------------------------------------------------------------
// Programs compared against a native build. Deterministic on purpose: no `long` or pointer
// sizes (wasm32 is ILP32), no rand(), no libm functions whose last digit may differ.

const C_PROGRAMS: Record<string, { source: string; stdin?: string; args?: string[] }> = {
  "integer math": {
    source: String.raw`#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t gcd(uint64_t a, uint64_t b) { while (b) { uint64_t t = a % b; a = b; b = t; } return a; }
static uint64_t modpow(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1;
  for (b %= m; e; e >>= 1, b = b * b % m) if (e & 1) r = r * b % m;
  return r;
}

int main(void) {
  static char composite[10001];
  int count = 0;
  long long sum = 0;
  for (int i = 2; i <= 10000; i++) {
    if (composite[i]) continue;
    count++;
    sum += i;
    for (int j = i * i; j <= 10000; j += i) composite[j] = 1;
  }
  printf("primes<=10000: %d, sum %lld\n", count, sum);
  uint64_t a = 0, b = 1;
  for (int i = 0; i < 90; i++) { uint64_t t = a + b; a = b; b = t; }
  printf("fib(90) = %" PRIu64 "\n", a);
  printf("gcd = %" PRIu64 "\n", gcd(1071ull * 1000003ull, 462ull * 1000003ull));
  printf("7^1000000 mod 1e9+7 = %" PRIu64 "\n", modpow(7, 1000000, 1000000007));
  printf("division: %d %d %d %d\n", -7 / 2, -7 % 2, 7 / -2, 7 % -2);
  uint32_t x = 0xdeadbeefu;
  printf("bits: %08x %08x %08x %d\n", x << 4, x >> 4, ~x, __builtin_popcount(x));
  printf("unsigned wrap: %u\n", 4000000000u + 500000000u);
  printf("int64: %" PRId64 " %" PRId64 " %" PRId64 "\n", INT64_MAX, INT64_MIN / 3, (int64_t)-1 * 1234567890123ll);
  int longest = 0, start = 0;
  for (int n = 1; n < 10000; n++) {
    uint64_t v = n;
    int steps = 0;
    while (v != 1) { v = (v & 1) ? 3 * v + 1 : v / 2; steps++; }
    if (steps > longest) { longest = steps; start = n; }
  }
  printf("collatz: %d steps from %d\n", longest, start);
  return 0;
}
`,
  },
  "printf formatting": {
    source: String.raw`#include <math.h>
#include <stdio.h>

int main(void) {
  printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42, 42);
  printf("[%x] [%X] [%#x] [%o] [%#o] [%u]\n", 255, 255, 255, 8, 8, 3000000000u);
  printf("[%lld] [%llu] [%hhd] [%hd]\n", -9000000000000000000ll, 18000000000000000000ull, 200, 70000);
  printf("[%f] [%.2f] [%10.4f] [%-10.1f] [%+.3f]\n", 3.14159265, 2.675, -1.5, 0.05, 1.0 / 3);
  printf("[%e] [%.3E] [%g] [%g] [%g] [%G]\n", 123456.789, 0.000123456, 100000.0, 1000000.0, 0.0001, 1e-10);
  printf("[%.0f] [%.0f] [%.0f] [%g] [%g]\n", 0.5, 1.5, 2.5, 1e300 * 1e10, -0.0);
  printf("[%f] [%.3f] [%.17g] [%.17g]\n", HUGE_VAL, -HUGE_VAL, 0.1, 1.0 / 3.0);
  printf("[%s] [%.3s] [%10s] [%-10s] [%c%c]\n", "hello", "hello", "right", "left", 'o', 'k');
  printf("[%*d] [%-*d] [%.*f]\n", 6, 7, 6, 7, 3, 2.0 / 3);
  printf("100%%\n");
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%08.3f|%s", 3.14159, "truncated, this is long");
  printf("[%s] %d\n", buf, n);
  printf("sqrt(2) = %.15f, pow(2, 0.5) = %.6f, floor/ceil %.1f %.1f\n", sqrt(2.0), pow(2.0, 0.5), floor(-2.5), ceil(-2.5));
  return 0;
}
`,
  },
  qsort: {
    source: String.raw`#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct person { char name[16]; int age; };

static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }
static int by_age_then_name(const void *a, const void *b) {
  const struct person *p = a, *q = b;
  if (p->age != q->age) return q->age - p->age;
  return strcmp(p->name, q->name);
}

int main(void) {
  int v[200];
  unsigned s = 12345;
  for (int i = 0; i < 200; i++) { s = s * 1103515245u + 12345u; v[i] = (int)((s >> 16) % 1000) - 500; }
  qsort(v, 200, sizeof v[0], cmp_int);
  printf("smallest:");
  for (int i = 0; i < 8; i++) printf(" %d", v[i]);
  printf("\nlargest:");
  for (int i = 192; i < 200; i++) printf(" %d", v[i]);
  printf("\nmedian: %d\n", (v[99] + v[100]) / 2);
  int key = v[57];
  int *found = bsearch(&key, v, 200, sizeof v[0], cmp_int);
  printf("bsearch(%d): %s\n", key, found && *found == key ? "found" : "missing");
  int absent = 1000;
  printf("bsearch(%d): %s\n", absent, bsearch(&absent, v, 200, sizeof v[0], cmp_int) ? "found" : "missing");
  const char *words[] = { "pear", "apple", "fig", "banana", "cherry", "date", "Apple", "elderberry" };
  qsort(words, 8, sizeof words[0], cmp_str);
  for (int i = 0; i < 8; i++) printf("%s%s", i ? ", " : "words: ", words[i]);
  printf("\n");
  struct person people[] = { { "carol", 35 }, { "alice", 30 }, { "bob", 30 }, { "dave", 25 }, { "eve", 35 } };
  qsort(people, 5, sizeof people[0], by_age_then_name);
  for (int i = 0; i < 5; i++) printf("%-6s %d\n", people[i].name, people[i].age);
  return 0;
}
`,
  },
  "string functions": {
    source: String.raw`#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char s[128] = "The quick brown fox";
  strcat(s, " jumps over the lazy dog");
  printf("len=%zu\n", strlen(s));
  printf("strchr: %s\n", strchr(s, 'q'));
  printf("strrchr: %s\n", strrchr(s, 'o'));
  printf("strstr: %s\n", strstr(s, "fox"));
  printf("strncmp: %d %d\n", strncmp("abc", "abd", 2) == 0, strncmp("abc", "abd", 3) < 0);
  char upper[128];
  strcpy(upper, s);
  for (char *p = upper; *p; p++) *p = (char)toupper((unsigned char)*p);
  printf("upper: %s\n", upper);
  char tmp[128];
  strcpy(tmp, s);
  int words = 0;
  for (char *t = strtok(tmp, " "); t; t = strtok(NULL, " ")) { words++; printf("[%s]", t); }
  printf(" words=%d\n", words);
  printf("strtol: %d %d %d\n", (int)strtol("ff", NULL, 16), (int)strtol("-0777", NULL, 8), (int)strtol("101101", NULL, 2));
  char *end;
  double d = strtod("3.25e2xyz", &end);
  printf("strtod: %.2f rest=%s\n", d, end);
  printf("atoi: %d\n", atoi("  -1234abc"));
  const char *w = "stressed";
  char rev[16];
  size_t n = strlen(w);
  for (size_t i = 0; i < n; i++) rev[i] = w[n - 1 - i];
  rev[n] = 0;
  printf("reversed: %s\n", rev);
  memmove(s + 4, s, 10);
  s[30] = 0;
  printf("memmove: %s\n", s);
  printf("memcmp: %d, strspn=%zu, strcspn=%zu\n", memcmp("abc", "abd", 3) < 0, strspn("aaabbc", "ab"), strcspn("hello, world", ", "));
  char buf[64];
  snprintf(buf, sizeof buf, "%s-%04d-%c", "id", 42, 'z');
  printf("snprintf: %s\n", buf);
  int counts[26] = { 0 };
  for (const char *p = "the quick brown fox jumps over the lazy dog"; *p; p++)
    if (isalpha((unsigned char)*p)) counts[*p - 'a']++;
  printf("repeated letters:");
  for (int i = 0; i < 26; i++) if (counts[i] > 1) printf(" %c%d", 'a' + i, counts[i]);
  printf("\n");
  return 0;
}
`,
  },
  "structs and arrays": {
    source: String.raw`#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { double x, y; } point;
typedef struct { point min, max; } rect;
typedef struct node { int value; struct node *next; } node;

static rect bounds(const point *p, int n) {
  rect r = { p[0], p[0] };
  for (int i = 1; i < n; i++) {
    if (p[i].x < r.min.x) r.min.x = p[i].x;
    if (p[i].y < r.min.y) r.min.y = p[i].y;
    if (p[i].x > r.max.x) r.max.x = p[i].x;
    if (p[i].y > r.max.y) r.max.y = p[i].y;
  }
  return r;
}

int main(void) {
  int a[3][3] = { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } }, b[3][3] = { { 9, 8, 7 }, { 6, 5, 4 }, { 3, 2, 1 } }, c[3][3] = { { 0 } };
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 3; k++) c[i][j] += a[i][k] * b[k][j];
  for (int i = 0; i < 3; i++) printf("%4d %4d %4d\n", c[i][0], c[i][1], c[i][2]);
  point pts[] = { { 0, 0 }, { 3, 4 }, { -1, 2.5 }, { 6, -8 }, { 1.5, 1.5 } };
  int n = (int)(sizeof pts / sizeof pts[0]);
  double perimeter = 0, cx = 0, cy = 0;
  for (int i = 0; i < n; i++) {
    point p = pts[i], q = pts[(i + 1) % n];
    perimeter += sqrt((q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y));
    cx += p.x / n;
    cy += p.y / n;
  }
  rect r = bounds(pts, n);
  printf("perimeter %.6f centroid (%.3f, %.3f)\n", perimeter, cx, cy);
  printf("bounds (%.1f, %.1f)-(%.1f, %.1f)\n", r.min.x, r.min.y, r.max.x, r.max.y);
  node *head = NULL;
  for (int i = 1; i <= 10; i++) {
    node *e = malloc(sizeof *e);
    e->value = i * i;
    e->next = head;
    head = e;
  }
  node *prev = NULL;
  while (head) { node *next = head->next; head->next = prev; prev = head; head = next; }
  int total = 0;
  printf("list:");
  for (node *e = prev; e;) { printf(" %d", e->value); total += e->value; node *next = e->next; free(e); e = next; }
  printf(" (sum %d)\n", total);
  int t[2][4] = { { 1, 2, 3, 4 }, { 5, 6, 7, 8 } }, tt[4][2];
  for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) tt[j][i] = t[i][j];
  for (int j = 0; j < 4; j++) printf("[%d %d]", tt[j][0], tt[j][1]);
  printf("\n");
  return 0;
}
`,
  },
  "stdin and args": {
    source: String.raw`#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) printf("arg %d: <%s>\n", i, argv[i]);
  char line[256];
  int lines = 0, numbers = 0, min = 0, max = 0;
  long long sum = 0;
  while (fgets(line, sizeof line, stdin)) {
    lines++;
    for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
      char *end;
      long v = strtol(tok, &end, 10);
      if (*end == '\0') {
        if (numbers == 0 || v < min) min = (int)v;
        if (numbers == 0 || v > max) max = (int)v;
        numbers++;
        sum += v;
      } else {
        printf("word: %s\n", tok);
      }
    }
  }
  printf("lines=%d numbers=%d sum=%lld min=%d max=%d mean=%.3f\n", lines, numbers, sum, min, max, numbers ? (double)sum / numbers : 0.0);
  return 0;
}
`,
    stdin: "alpha 10 20\n  -5 beta 7\n\n1000000 gamma\nlast-line-without-newline 3",
    args: ["first", "with space", ""],
  },
};

const CPP_PROGRAMS: Record<string, { source: string; stdin?: string; args?: string[] }> = {
  "vector, map, string and sort with iostream": {
    source: String.raw`#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

int main() {
  const std::string text = "the cat sat on the mat the dog sat on the log and the cat ran";
  std::map<std::string, int> freq;
  std::istringstream in(text);
  for (std::string w; in >> w;) ++freq[w];
  std::vector<std::pair<std::string, int>> items(freq.begin(), freq.end());
  std::sort(items.begin(), items.end(), [](const auto &a, const auto &b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  for (const auto &[word, n] : items) std::cout << std::setw(4) << word << ": " << n << '\n';
  std::vector<int> v{5, 3, 9, 1, 7, 3, 8, 1};
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  for (std::size_t i = 0; i < v.size(); ++i) std::cout << (i ? "," : "") << v[i];
  std::cout << std::endl;
  std::string s = "Hello, World";
  std::reverse(s.begin(), s.end());
  std::string upper = s;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::cout << s << " | " << upper << " | " << s.size() << " | " << s.find("dl") << " | " << s.substr(2, 3) << '\n';
  std::cout << std::fixed << std::setprecision(3) << 3.14159 << ' ' << 2.0 / 3 << '\n';
  std::cout << std::boolalpha << true << ' ' << std::hex << 255 << std::dec << ' ' << std::setw(6) << std::setfill('*') << 42 << '\n';
  std::cerr << "done" << std::endl;
  return 0;
}
`,
  },
  templates: {
    source: String.raw`#include <array>
#include <iostream>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

template <typename T>
class Stack {
 public:
  void push(T v) { items_.push_back(std::move(v)); }
  std::optional<T> pop() {
    if (items_.empty()) return std::nullopt;
    T v = items_.back();
    items_.pop_back();
    return v;
  }
  std::size_t size() const { return items_.size(); }

 private:
  std::vector<T> items_;
};

template <typename T>
T max_of(std::initializer_list<T> xs) {
  T best = *xs.begin();
  for (const T &x : xs) if (x > best) best = x;
  return best;
}

template <int N>
struct Factorial { static constexpr long long value = N * Factorial<N - 1>::value; };
template <>
struct Factorial<0> { static constexpr long long value = 1; };

template <typename T>
std::string describe(const T &) {
  if constexpr (std::is_integral_v<T>) return "integral";
  else if constexpr (std::is_floating_point_v<T>) return "floating";
  else return "other";
}

template <typename... Ts>
auto sum_all(Ts... xs) { return (xs + ...); }

template <typename T, typename F>
auto map_vec(const std::vector<T> &v, F f) {
  std::vector<decltype(f(v[0]))> out;
  for (const T &x : v) out.push_back(f(x));
  return out;
}

int main() {
  Stack<std::string> s;
  for (const char *w : {"one", "two", "three"}) s.push(w);
  std::cout << "size " << s.size() << ':';
  while (auto top = s.pop()) std::cout << ' ' << *top;
  std::cout << " | empty pop: " << (s.pop().has_value() ? "value" : "nullopt") << '\n';
  std::cout << max_of({3, 9, 4}) << ' ' << max_of({2.5, -1.0}) << ' ' << max_of<std::string>({"pear", "zebra", "apple"}) << '\n';
  static_assert(Factorial<10>::value == 3628800);
  std::cout << "20! = " << Factorial<20>::value << '\n';
  std::cout << describe(1) << ' ' << describe(1.5) << ' ' << describe(std::string("x")) << '\n';
  std::cout << sum_all(1, 2, 3) << ' ' << sum_all(1, 2.5, 3) << ' ' << sum_all(std::string("a"), std::string("b")) << '\n';
  std::vector<int> v(10);
  std::iota(v.begin(), v.end(), 1);
  auto squares = map_vec(v, [](int x) { return x * x; });
  auto halves = map_vec(v, [](int x) { return x / 2.0; });
  std::cout << std::accumulate(squares.begin(), squares.end(), 0) << ' ' << std::accumulate(halves.begin(), halves.end(), 0.0) << '\n';
  std::array<int, 4> arr{4, 3, 2, 1};
  std::cout << arr.size() << ' ' << arr.front() << ' ' << arr.back() << '\n';
  return 0;
}
`,
  },
};

describe.concurrent("C and C++ print exactly what a native build prints", () => {
  for (const [name, program] of Object.entries(C_PROGRAMS)) {
    it(`C: ${name}`, async () => {
      const [native, r] = await Promise.all([
        runNative("c", program.source, program),
        run({ language: "c", code: program.source, stdin: program.stdin, args: program.args }),
      ]);
      expect(native.exitCode, native.stderr).toBe(0);
      expect(r.status, r.stderr).toBe("ok");
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(native.stdout);
      expect(r.stderr).toBe(native.stderr);
      expect(r.compile?.compiler).toMatch(/^clang \d+/);
      expect(r.compile?.diagnostics).toEqual([]);
    });
  }
  for (const [name, program] of Object.entries(CPP_PROGRAMS)) {
    it(`C++: ${name}`, async () => {
      const [native, r] = await Promise.all([
        runNative("cpp", program.source, program),
        run({ language: "cpp", code: program.source, stdin: program.stdin, args: program.args }),
      ]);
      expect(native.exitCode, native.stderr).toBe(0);
      expect(r.status, r.stderr).toBe("ok");
      expect(r.stdout).toBe(native.stdout);
      expect(r.stderr).toBe(native.stderr);
    });
  }
});

// ---------------------------------------------------------------------------------------------

// The seeds' demos, as shipped in examples/.
const ADD_AND_LOG_WAT = example("add_and_log.wat");
const ADD_AND_LOG_C = example("add_and_log.c");

describe("C programs", () => {
  it("add_and_log: WAT and C (a library module, no main) call the granted env.log_i32 and return the sum", async () => {
    const invoke = { export: "add_and_log", args: [7, 5] };
    const [fromWat, fromC, ungranted] = await Promise.all([
      run({ language: "wasm", code: ADD_AND_LOG_WAT, wasm: { invoke, imports: ["env.log_i32"] } }),
      run({ language: "c", code: ADD_AND_LOG_C, wasm: { invoke, imports: ["env.log_i32"] } }),
      run({ language: "c", code: ADD_AND_LOG_C, wasm: { invoke } }),
    ]);
    for (const r of [fromWat, fromC]) {
      expect(r.status, `${r.stderr} ${JSON.stringify(r.error)}`).toBe("ok");
      expect(r.stdout).toBe("12\n");
      expect(r.value).toBe(12);
      expect(r.exitCode).toBe(0);
    }
    expect(ungranted.status).toBe("error");
    expect(ungranted.error?.name).toBe("LinkError");
    expect(ungranted.error?.message).toContain('grant it with wasm.imports: ["env.log_i32"]');
  });

  it("hello_stdio: printf, stderr and a line read from stdin", async () => {
    const source = example("hello_stdio.c");
    const [r, noStdin] = await Promise.all([run({ language: "c", code: source, stdin: "World\n" }), run({ language: "c", code: source })]);
    expect(r.status, r.stderr).toBe("ok");
    expect(r.stdout).toBe("Hello from C compiled to WebAssembly!\nNice to meet you, World.\n");
    expect(r.stderr).toBe("(this line went to stderr)\n");
    expect(r.stdout).toBe((await runNative("c", source, { stdin: "World\n" })).stdout);
    expect(noStdin.stdout).toBe("Hello from C compiled to WebAssembly!\nNice to meet you, stranger.\n");
  });

  it("reads a CSV from the request's files and writes report.txt (same bytes as a native run)", async () => {
    const source = example("csv_report.c");
    const csv = example("sales.csv");
    const r = await run({ language: "c", code: source, files: { "data/sales.csv": csv } });
    expect(r.status, r.stderr).toBe("ok");
    const report = lines(
      "region     orders      revenue",
      "north           2        84.97",
      "south           2        29.99",
      "east            1        36.75",
      "total                   151.71",
    );
    expect(r.stdout).toBe("wrote report.txt: 3 regions, total revenue 151.71\n");
    expect(text(r.fileContents.get("report.txt"))).toBe(report);
    // The unchanged input is not returned.
    expect(r.files).toEqual([{ path: "report.txt", size: report.length, sha256: createHash("sha256").update(report).digest("hex"), mime: "text/plain" }]);
    const native = await runNative("c", source, { files: { "data/sales.csv": csv }, collect: ["report.txt"] });
    expect(r.stdout).toBe(native.stdout);
    expect(text(r.fileContents.get("report.txt"))).toBe(native.files.get("report.txt"));
  });

  it("argv[0] is the program name, env is exactly the request's, exit(n) is the exit code", async () => {
    const [argsEnv, exit3] = await Promise.all([
      run({
        language: "c",
        code: String.raw`#include <stdio.h>
extern char **environ;
int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  for (char **e = environ; *e; e++) printf("env %s\n", *e);
  return 0;
}
`,
        args: ["--flag", "value"],
        env: { GREETING: "hi", EMPTY: "" },
      }),
      run({ language: "c", code: '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { puts("before"); exit(3); puts("after"); }\n' }),
    ]);
    expect(argsEnv.stdout).toBe(lines("argv[0]=main", "argv[1]=--flag", "argv[2]=value", "env GREETING=hi", "env EMPTY="));
    expect(exit3.status).toBe("error");
    expect(exit3.exitCode).toBe(3);
    expect(exit3.stdout).toBe("before\n");
    expect(exit3.error?.name).toBe("Exit");
  });

  it("a trap (integer division by zero) → status error, RuntimeError 'wasm trap: …'", async () => {
    // (1 / x is folded by clang into a compare; a numerator it cannot see keeps the division.)
    const r = await run({ language: "c", code: "#include <stdio.h>\nint main(int argc, char **argv) { volatile int zero = 0; printf(\"%d\\n\", argc * 1000 / zero); return 0; }\n" });
    expect(r.status).toBe("error");
    expect(r.error?.name).toBe("RuntimeError");
    expect(r.error?.message).toMatch(/^wasm trap: divide by zero/);
    expect(r.exitCode).toBe(1);
  });

  it("a syntax error → compile_error with diagnostics (file, line, column, severity), raw output in stderr", async () => {
    const r = await run({ language: "c", code: '#include <stdio.h>\nint main(void) {\n  printf("x\\n")\n  return 0;\n}\n' });
    expect(r.status).toBe("compile_error");
    expect(r.error?.name).toBe("CompileError");
    expect(r.error?.line).toBe(3);
    expect(r.error?.message).toContain("expected ';' after expression");
    expect(r.compile?.diagnostics).toEqual([{ file: "main.c", line: 3, column: 16, severity: "error", message: "expected ';' after expression" }]);
    expect(r.stderr).toContain("main.c:3:16: error: expected ';' after expression");
    expect(r.compile?.output).toBe(r.stderr);
    expect(r.stdout).toBe("");
    expect(r.exitCode).toBe(1);
  });

  it("a warning (-Wall, unused variable) → status ok and a warning diagnostic", async () => {
    const code = `#include <stdio.h>\nint main(void) {\n  int unused = 3;\n  puts("fine");\n  return 0;\n}\n/* ${nonce()} */\n`;
    const r = await run({ language: "c", code, compile: { flags: ["-Wall"] } });
    expect(r.status, r.stderr).toBe("ok");
    expect(r.stdout).toBe("fine\n");
    expect(r.compile?.diagnostics).toEqual([
      { file: "main.c", line: 3, column: 7, severity: "warning", message: "unused variable 'unused' [-Wunused-variable]" },
    ]);
    expect(r.compile?.output).toContain("warning: unused variable 'unused'");
  });

  it("C++ try/throw → compile_error saying exceptions are not supported", async () => {
    const r = await run({ language: "cpp", code: "#include <stdexcept>\nint main() {\n  try { throw std::runtime_error(\"x\"); } catch (...) { return 1; }\n}\n" });
    expect(r.status).toBe("compile_error");
    expect(r.error?.name).toBe("CompileError");
    expect(r.error?.line).toBe(3);
    expect(r.error?.message).toContain("C++ exceptions are not supported");
    expect(r.stderr).toContain("with exceptions disabled");
  });

  it("the compile cache: the same request again is cached, a changed flag is not", async () => {
    const code = `#include <stdio.h>\nint main(void) { puts("cached?"); return 0; }\n/* ${nonce()} */\n`;
    const first = await run({ language: "c", code, compile: { flags: ["-DX=1"] } });
    const second = await run({ language: "c", code, compile: { flags: ["-DX=1"] } });
    const otherFlag = await run({ language: "c", code, compile: { flags: ["-DX=2"] } });
    const otherLevel = await run({ language: "c", code, compile: { flags: ["-DX=1"], optimize: "0" } });
    for (const r of [first, second, otherFlag, otherLevel]) {
      expect(r.status, r.stderr).toBe("ok");
      expect(r.stdout).toBe("cached?\n");
    }
    expect([first, second, otherFlag, otherLevel].map((r) => r.compile?.cached)).toEqual([false, true, false, false]);
    expect(second.compile!.timeMs).toBeLessThan(first.compile!.timeMs);
  });

  it("isolation: a file written and a static counter bumped in one run are gone in the next", async () => {
    const code = String.raw`#include <stdio.h>
static int counter;
__attribute__((export_name("bump"))) int bump(void) { return ++counter; }
int main(void) {
  FILE *f = fopen("state.txt", "r");
  printf("state.txt %s\n", f ? "EXISTS" : "absent");
  counter++;
  f = fopen("state.txt", "w");
  fprintf(f, "counter=%d\n", counter);
  fclose(f);
  printf("counter=%d\n", counter);
  return 0;
}
`;
    for (let i = 0; i < 2; i++) {
      const r = await run({ language: "c", code });
      expect(r.status, r.stderr).toBe("ok");
      expect(r.stdout).toBe("state.txt absent\ncounter=1\n");
      expect(text(r.fileContents.get("state.txt"))).toBe("counter=1\n");
    }
    for (let i = 0; i < 2; i++) {
      const r = await run({ language: "c", code, wasm: { invoke: { export: "bump" } } });
      expect(r.status, r.stderr).toBe("ok");
      expect(r.value).toBe(1);
    }
  });

  it("(regression) a file opened with the raw WASI API before libc's first file call does not break libc (fd_prestat_get → EBADF)", async () => {
    // wasi-libc scans fds from 3 with fd_prestat_get until EBADF; the shim answers ENOTSUP
    // for an open regular file, and wasi-libc then exits with code 71 (EX_OSERR).
    const r = await run({
      language: "c",
      code: String.raw`#include <stdio.h>
#include <wasi/api.h>
int main(void) {
  __wasi_fd_t fd;
  printf("path_open = %d\n", __wasi_path_open(3, 0, "in.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  FILE *f = fopen("in.txt", "r");
  printf("fopen %s\n", f ? "ok" : "failed");
  return 0;
}
`,
      files: { "in.txt": "x" },
    });
    expect([r.status, r.exitCode, r.stdout]).toEqual(["ok", 0, "path_open = 0\nfopen ok\n"]);
  });
});

describe("AssemblyScript", () => {
  it("hello: console.log at top level, then main()", async () => {
    const r = await run({ language: "assemblyscript", code: 'console.log("Hello from AssemblyScript!");\nexport function main(): void {\n  console.log("main ran");\n}\n' });
    expect(r.status, r.stderr).toBe("ok");
    expect(r.stdout).toBe("Hello from AssemblyScript!\nmain ran\n");
    expect(r.compile?.compiler).toMatch(/^AssemblyScript /);
  });

  it("invoke: add(2, 3) → 5; an i64 export beyond 2^53 → a decimal string", async () => {
    const code = `export function add(a: i32, b: i32): i32 { return a + b; }
export function fib(n: i32): i64 {
  let a: i64 = 0, b: i64 = 1;
  for (let i = 0; i < n; i++) { const t = a + b; a = b; b = t; }
  return a;
}
`;
    const [add, small, big] = await Promise.all([
      run({ language: "assemblyscript", code, wasm: { invoke: { export: "add", args: [2, 3] } } }),
      run({ language: "assemblyscript", code, wasm: { invoke: { export: "fib", args: [10] } } }),
      run({ language: "assemblyscript", code, wasm: { invoke: { export: "fib", args: [90] } } }),
    ]);
    expect([add.status, add.value]).toEqual(["ok", 5]);
    expect([small.status, small.value]).toEqual(["ok", 55]);
    expect([big.status, big.value]).toEqual(["ok", "2880067194370816120"]);
  });

  it("a type mismatch → compile_error with its line", async () => {
    const r = await run({ language: "assemblyscript", code: 'let x: i32 = 1;\nlet y: string = x;\nconsole.log(y);\n' });
    expect(r.status).toBe("compile_error");
    expect(r.error?.name).toBe("CompileError");
    expect(r.error?.line).toBe(2);
    expect(r.compile?.diagnostics[0]).toMatchObject({ file: "main.ts", line: 2, column: 17, severity: "error" });
    expect(r.compile?.diagnostics[0]?.message).toContain("not assignable");
  });

  it("assert(false, 'boom') → status error, AbortError with the message", async () => {
    const r = await run({ language: "assemblyscript", code: 'console.log("before");\nassert(false, "boom");\n' });
    expect(r.status).toBe("error");
    expect(r.error?.name).toBe("AbortError");
    expect(r.error?.message).toContain("boom");
    expect(r.error?.line).toBe(2);
    expect(r.stdout).toBe("before\n");
  });
});

const WASI_HELLO_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from a binary module\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 27))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

const MATH_WAT = `(module
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "scale") (param i64 f64) (result f64) (f64.mul (f64.convert_i64_s (local.get 0)) (local.get 1)))
  (func (export "hypot") (param f64 f64) (result f64)
    (f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 0)) (f64.mul (local.get 1) (local.get 1))))))`;

describe("wasm modules", () => {
  it("a base64 binary module runs as a WASI command", async () => {
    const r = await run({ language: "wasm", code: await watToBase64(WASI_HELLO_WAT) });
    expect(r.status, r.stderr).toBe("ok");
    expect(r.stdout).toBe("hello from a binary module\n");
    expect(r.exitCode).toBe(0);
  });

  it("invoke with i64 and f64 parameters; i64 results beyond 2^53 come back as decimal strings", async () => {
    const code = await watToBase64(MATH_WAT);
    const call = (exportName: string, args: (number | string)[]) => run({ language: "wasm", code, wasm: { invoke: { export: exportName, args } } });
    const results = await Promise.all([
      call("add_i64", [40, 2]),
      call("add_i64", ["9007199254740993", 2]),
      call("add_i64", ["9223372036854775807", 1]),
      call("scale", ["10000000000", 0.25]),
      call("hypot", [3, 4]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(results.map((r) => r.value)).toEqual([42, "9007199254740995", "-9223372036854775808", 2500000000, 5]);
  });

  it("a wrong argument count → TypeError with the signature; a missing export → an error naming the exports", async () => {
    const code = await watToBase64(MATH_WAT);
    const [wrongCount, missing, noEntry] = await Promise.all([
      run({ language: "wasm", code, wasm: { invoke: { export: "hypot", args: [3] } } }),
      run({ language: "wasm", code, wasm: { invoke: { export: "nope", args: [] } } }),
      run({ language: "wasm", code }),
    ]);
    expect(wrongCount.status).toBe("error");
    expect(wrongCount.error?.name).toBe("TypeError");
    expect(wrongCount.error?.message).toBe("hypot(f64, f64) -> f64 takes 2 arguments, but 1 was given");
    expect(missing.status).toBe("error");
    expect(missing.error?.message).toContain('no function "nope"');
    expect(missing.error?.message).toContain("add_i64(i64, i64) -> i64, scale(i64, f64) -> f64, hypot(f64, f64) -> f64");
    expect(noEntry.status).toBe("error");
    expect(noEntry.error?.name).toBe("NoEntryPoint");
    expect(noEntry.error?.message).toContain("no _start export");
  });

  it("host functions: log_i64, log_f64, log_str and now_ms write to stdout", async () => {
    const r = await run({
      language: "wasm",
      code: `(module
  (import "env" "log_i64" (func $i64 (param i64)))
  (import "env" "log_f64" (func $f64 (param f64)))
  (import "env" "log_str" (func $str (param i32 i32)))
  (import "env" "now_ms" (func $now (result f64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "from memory")
  (func (export "_start")
    (call $i64 (i64.const -9007199254740993))
    (call $f64 (f64.const 0.1))
    (call $str (i32.const 0) (i32.const 11))
    (call $i64 (i64.trunc_f64_s (f64.div (call $now) (f64.const 1e12))))))`,
      wasm: { imports: ["env.log_i64", "env.log_f64", "env.log_str", "env.now_ms"] },
    });
    expect(r.status, r.stderr).toBe("ok");
    // now_ms / 1e12 is 1 until 2033: the clock is the wall clock in milliseconds.
    expect(r.stdout).toBe(lines("-9007199254740993", "0.1", "from memory", "1"));
  });

  it("(regression) WAT string literals are UTF-8: (data \"héllo 🌍\") prints as written", async () => {
    // The product hands wabt a JS string, which wabt.js encodes one byte per UTF-16 unit.
    const r = await run({
      language: "wasm",
      code: `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "héllo 🌍\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`,
    });
    expect(r.stdout).toBe("héllo 🌍\n");
  });
});

/** One program per limit and language; each must end with that limit's status. */
const LIMIT_PROGRAMS: Record<"c" | "assemblyscript" | "wasm", Record<"timeout" | "memory_limit" | "output_limit", string>> = {
  c: {
    timeout: "int main(void) { for (;;); }\n",
    memory_limit: String.raw`#include <stdlib.h>
#include <string.h>
char *volatile keep;
int main(void) { for (;;) { char *p = malloc(1 << 20); if (!p) abort(); memset(p, 7, 1 << 20); keep = p; } }
`,
    output_limit: '#include <stdio.h>\nint main(void) { for (;;) puts("flood flood flood flood"); }\n',
  },
  assemblyscript: {
    timeout: "export function main(): void { let i: i32 = 0; while (true) { i++; } }\n",
    memory_limit: "const keep = new Array<Uint8Array>();\nexport function main(): void { while (true) keep.push(new Uint8Array(1 << 20)); }\n",
    output_limit: 'export function main(): void { while (true) console.log("flood flood flood flood"); }\n',
  },
  wasm: {
    timeout: `(module (func (export "_start") (loop br 0)))`,
    memory_limit: `(module (memory (export "memory") 1)
  (func (export "_start") (loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable))`,
    output_limit: `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "flood flood flood flood\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 24))
    (loop $again (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $again))))`,
  },
};

describe("limits", () => {
  for (const [language, programs] of Object.entries(LIMIT_PROGRAMS)) {
    it(`${language}: an endless loop → timeout, memory growth → memory_limit, an output flood → output_limit`, async () => {
      const [timeout, memory, output] = await Promise.all([
        run({ language, code: programs.timeout, limits: SMALL }),
        // Time to reach the cap on a busy machine (AssemblyScript's GC runs on every
        // allocation), so only the limit under test can end these two.
        run({ language, code: programs.memory_limit, limits: { ...SMALL, timeoutMs: 20_000 } }),
        run({ language, code: programs.output_limit, limits: { ...SMALL, timeoutMs: 20_000 } }),
      ]);
      expect(timeout.status, JSON.stringify(timeout.error)).toBe("timeout");
      expect(timeout.error?.name).toBe("TimeoutError");
      expect(runMs(timeout)).toBeLessThan(SMALL.timeoutMs * 1.5);
      expect(memory.status, JSON.stringify(memory.error)).toBe("memory_limit");
      expect(memory.error?.name).toBe("MemoryLimitError");
      expect(output.status, JSON.stringify(output.error)).toBe("output_limit");
      expect(output.stdout.length).toBe(SMALL.maxOutputBytes);
      expect(output.stdout.startsWith("flood flood flood flood\n")).toBe(true);
    });
  }
});

describe("start functions", () => {
  it("a module's start function can already print through WASI (its memory is the host's from the start)", async () => {
    const r = await run({
      language: "wasm",
      code: `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 16) "from start\\n")
  (func $init
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 11))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (start $init)
  (func (export "_start")))`,
    });
    expect(r.status, JSON.stringify(r.error)).toBe("ok");
    expect(r.stdout).toBe("from start\n");
  });
});
