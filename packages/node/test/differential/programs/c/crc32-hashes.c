/* CRC-32, Adler-32, FNV-1a and bit tricks (Rosetta Code: CRC-32, Bitwise operations, Population count). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t crc32(const unsigned char *s, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t r = i;
            for (int j = 0; j < 8; j++) r = (r & 1) ? (r >> 1) ^ 0xEDB88320u : r >> 1;
            table[i] = r;
        }
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) crc = table[(crc ^ *s++) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}
static uint32_t adler32(const unsigned char *s, size_t n) {
    uint32_t a = 1, b = 0;
    while (n--) { a = (a + *s++) % 65521; b = (b + a) % 65521; }
    return b << 16 | a;
}
static uint64_t fnv1a64(const char *s) {
    uint64_t h = 14695981039346656037ull;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ull; }
    return h;
}
static uint32_t rotl(uint32_t x, int k) { return x << k | x >> (32 - k); }

int main(void) {
    const char *inputs[] = {"", "a", "The quick brown fox jumps over the lazy dog", "Wikipedia", "héllo wörld"};
    for (int i = 0; i < 5; i++) {
        const unsigned char *s = (const unsigned char *)inputs[i];
        size_t n = strlen(inputs[i]);
        printf("%-44s crc32=%08x adler32=%08x fnv1a64=%016llx\n", inputs[i], crc32(s, n), adler32(s, n), (unsigned long long)fnv1a64(inputs[i]));
    }
    int a = 255, b = -2;
    printf("a&b=%d a|b=%d a^b=%d ~a=%d a<<3=%d b>>1=%d (unsigned)b>>28=%u\n", a & b, a | b, a ^ b, ~a, a << 3, b >> 1, (unsigned)b >> 28);
    for (uint32_t x = 1; x < 2000000000u; x = x * 7 + 3)
        printf("x=%10u popcount=%2d clz=%2d ctz=%2d rotl13=%08x parity=%d\n", x, __builtin_popcount(x), __builtin_clz(x), __builtin_ctz(x), rotl(x, 13), __builtin_parity(x));
    return 0;
}
