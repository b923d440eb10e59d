/* printf conversions and flags (Rosetta Code: Formatted numeric output, String interpolation). */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

int main(void) {
    printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42, 42);
    printf("[%x] [%X] [%#x] [%o] [%#o] [%08.3f]\n", 255, 255, 255, 8, 8, 3.14159);
    printf("[%e] [%.2E] [%g] [%g] [%g] [%G]\n", 12345.678, 0.000123, 0.0001, 1e-5, 123456789.0, 1e100);
    printf("[%.0f] [%.0f] [%.0f] [%.1f] [%.3f]\n", 0.5, 1.5, 2.5, 0.05, 1.0005);
    printf("[%10.4s] [%-10s] [%.*s] [%c%c]\n", "abcdefgh", "left", 3, "truncate", 'o', 'k');
    printf("[%lld] [%llu] [%" PRId64 "] [%" PRIx64 "]\n", LLONG_MIN, ULLONG_MAX, INT64_MAX, (uint64_t)-1);
    printf("[%zu] [%hhd] [%hd] [%ld]\n", sizeof(int32_t), (signed char)200, (short)70000, -1L);
    printf("[%f] [%f] [%f] [%e]\n", 1.0 / 0.0, -1.0 / 0.0, (double)NAN, -0.0);
    printf("[%.17g] [%.17g] [%.20f]\n", 0.1, 1.0 / 3.0, 0.1);
    printf("[%a] [%a] [%.3a]\n", 1.0, 0.1, 3.14159);
    printf("[%5.1f%%] [%s]\n", 99.44, "done");
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%s-%04d-%.2f", "id", 7, 2.675);
    printf("snprintf wrote %d: %s\n", n, buf);
    n = snprintf(buf, 8, "%s", "overflowing string");
    printf("truncated to 8: %d \"%s\"\n", n, buf);
    return 0;
}
