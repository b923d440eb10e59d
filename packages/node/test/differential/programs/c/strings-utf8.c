/* String handling in C: tokenising, number parsing, case, reversal, and UTF-8 text. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t utf8_codepoints(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int main(void) {
    char line[] = "Hello,How,Are,You,Today";
    for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ",")) printf("%s.", tok);
    printf("\n");
    const char *nums[] = {"42", "-17abc", "0x1F", "0755", "1e3", "  +9  ", "zz"};
    for (int i = 0; i < 7; i++) {
        char *end;
        long v = strtol(nums[i], &end, 0);
        double d = strtod(nums[i], NULL);
        printf("%-8s strtol=%ld rest=\"%s\" strtod=%g atoi=%d\n", nums[i], v, end, d, atoi(nums[i]));
    }
    printf("base 2: %ld, base 36: %lld\n", strtol("101101", NULL, 2), strtoll("wasmbox", NULL, 36));
    char word[] = "Rosetta Code";
    for (char *p = word; *p; p++) *p = isupper((unsigned char)*p) ? tolower(*p) : toupper(*p);
    size_t n = strlen(word);
    for (size_t i = 0; i < n / 2; i++) { char t = word[i]; word[i] = word[n - 1 - i]; word[n - 1 - i] = t; }
    printf("swapped case, reversed: %s\n", word);
    const char *texts[] = {"naïve café", "日本語テキスト", "emoji 🌍🚀", "Ελληνικά"};
    for (int i = 0; i < 4; i++) printf("%s: %zu bytes, %zu code points\n", texts[i], strlen(texts[i]), utf8_codepoints(texts[i]));
    printf("strstr: %s | strchr: %s | strrchr: %s | strspn: %zu | strcspn: %zu\n", strstr("haystack needle hay", "needle"), strchr("a.b.c", '.'), strrchr("a.b.c", '.'), strspn("aaabbb", "a"), strcspn("hello world", " "));
    char buf[64];
    snprintf(buf, sizeof buf, "%s|%10s|%-10s|", "x", "right", "left");
    puts(buf);
    printf("memcmp=%d strncmp=%d\n", memcmp("abc", "abd", 3) < 0, strncmp("abcdef", "abcxyz", 3));
    return 0;
}
