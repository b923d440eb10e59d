/* qsort and bsearch over records with several keys (Rosetta Code: Sort using a custom comparator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct employee { const char *name; const char *dept; int salary; double rating; };

static int by_dept_salary_name(const void *a, const void *b) {
    const struct employee *x = a, *y = b;
    int c = strcmp(x->dept, y->dept);
    if (c) return c;
    if (x->salary != y->salary) return x->salary < y->salary ? 1 : -1;
    return strcmp(x->name, y->name);
}
static int by_rating(const void *a, const void *b) {
    double d = ((const struct employee *)a)->rating - ((const struct employee *)b)->rating;
    return (d > 0) - (d < 0);
}
static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
    struct employee staff[] = {
        {"Tyler Bennett", "D101", 32000, 4.1}, {"John Rappl", "D202", 47000, 3.9}, {"George Woltman", "D101", 53500, 4.7},
        {"Adam Smith", "D202", 18000, 2.5}, {"Claire Buckman", "D202", 27800, 4.4}, {"David McClellan", "D101", 41500, 3.3},
        {"Rich Holcomb", "D202", 49500, 4.0}, {"Nathan Adams", "D190", 21900, 3.1}, {"Richard Potter", "D101", 15900, 2.9},
        {"David Motsinger", "D202", 19250, 3.6}, {"Tim Sampair", "D190", 27000, 4.9}, {"Kim Arlich", "D190", 57000, 3.0},
    };
    size_t n = sizeof staff / sizeof staff[0];
    qsort(staff, n, sizeof staff[0], by_dept_salary_name);
    for (size_t i = 0; i < n; i++) printf("%-5s %-16s %6d %4.1f\n", staff[i].dept, staff[i].name, staff[i].salary, staff[i].rating);
    qsort(staff, n, sizeof staff[0], by_rating);
    printf("lowest rated: %s, highest: %s\n", staff[0].name, staff[n - 1].name);

    int nums[200];
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) { seed = seed * 1103515245u + 12345u; nums[i] = (int)(seed >> 16) % 1000 - 500; }
    qsort(nums, 200, sizeof nums[0], cmp_int);
    for (int i = 0; i < 200; i += 20) printf("%5d", nums[i]);
    printf("\n");
    int key = nums[137];
    int *hit = bsearch(&key, nums, 200, sizeof nums[0], cmp_int);
    printf("bsearch %d: %s\n", key, hit && *hit == key ? "found" : "missing");

    char *words[] = {"pear", "Apple", "banana", "apple", "Banana", "cherry", "123", "_x"};
    qsort(words, 8, sizeof words[0], cmp_str);
    for (int i = 0; i < 8; i++) printf("%s%s", words[i], i < 7 ? " " : "\n");
    return 0;
}
