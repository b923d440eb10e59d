/* 100! and 2^1000 with arrays of decimal digits (Rosetta Code: Arbitrary-precision integers, Factorial). */
#include <stdio.h>
#include <string.h>

#define MAXD 400

static int multiply(unsigned char *d, int len, int k) {
    int carry = 0;
    for (int i = 0; i < len; i++) { int v = d[i] * k + carry; d[i] = v % 10; carry = v / 10; }
    while (carry) { d[len++] = carry % 10; carry /= 10; }
    return len;
}
static void show(const char *label, const unsigned char *d, int len) {
    int sum = 0;
    printf("%s = ", label);
    for (int i = len - 1; i >= 0; i--) { putchar('0' + d[i]); sum += d[i]; }
    printf("\n  (%d digits, digit sum %d)\n", len, sum);
}

int main(void) {
    static unsigned char d[MAXD];
    memset(d, 0, sizeof d);
    d[0] = 1;
    int len = 1;
    for (int k = 2; k <= 100; k++) len = multiply(d, len, k);
    show("100!", d, len);
    memset(d, 0, sizeof d);
    d[0] = 1;
    len = 1;
    for (int k = 0; k < 1000; k++) len = multiply(d, len, 2);
    show("2^1000", d, len);
    unsigned long long fib[94] = {0, 1};
    for (int i = 2; i < 94; i++) fib[i] = fib[i - 1] + fib[i - 2];
    printf("fib(93) = %llu\n", fib[93]);
    return 0;
}
