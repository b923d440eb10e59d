/* Count lines, words and bytes of stdin, and letter frequencies (Rosetta Code: Letter frequency). */
#include <ctype.h>
#include <stdio.h>

int main(void) {
    long lines = 0, words = 0, bytes = 0, letters[26] = {0};
    int c, in_word = 0;
    while ((c = getchar()) != EOF) {
        bytes++;
        if (c == '\n') lines++;
        if (isspace(c)) in_word = 0;
        else if (!in_word) { in_word = 1; words++; }
        if (isalpha(c)) letters[tolower(c) - 'a']++;
    }
    printf("%7ld %7ld %7ld\n", lines, words, bytes);
    for (int i = 0; i < 26; i++)
        if (letters[i]) printf("%c %3ld %s\n", 'a' + i, letters[i], "##########################################" + (42 - (letters[i] > 42 ? 42 : letters[i])));
    return 0;
}
