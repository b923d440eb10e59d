/* Sieve of Eratosthenes over a 2 MB array on the stack, as many textbook programs do.
   `long long`, not `long`: long is 32-bit on wasm32 (ILP32), as on 32-bit Linux. */
#include <stdio.h>
#include <string.h>

#define N 2000000

int main(void) {
    char composite[N + 1];
    memset(composite, 0, sizeof composite);
    long long count = 0, sum = 0;
    int last = 0;
    for (long long i = 2; i <= N; i++) {
        if (composite[i]) continue;
        count++;
        sum += i;
        last = (int)i;
        for (long long j = i * i; j <= N; j += i) composite[j] = 1;
    }
    printf("primes below %d: %lld, sum %lld, largest %d\n", N, count, sum, last);
    for (int i = 2, shown = 0; shown < 20; i++) if (!composite[i]) printf("%d%s", i, ++shown < 20 ? "," : "\n");
    return 0;
}
