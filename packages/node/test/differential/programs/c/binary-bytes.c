/* Write every byte value 0..255 to stdout, then a Latin-1 (not UTF-8) line. */
#include <stdio.h>

int main(void) {
    for (int i = 0; i < 256; i++) putchar(i);
    fputs("\ncaf\xe9 na\xefve\n", stdout);
    return 0;
}
