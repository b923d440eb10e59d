/* Read measurements from a CSV file, report statistics, and exit with the number of bad rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    FILE *f = fopen("data/readings.csv", "r");
    if (!f) { perror("data/readings.csv"); return 2; }
    char line[256];
    double sum = 0, sumsq = 0, min = INFINITY, max = -INFINITY;
    int n = 0, bad = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1) continue;
        line[strcspn(line, "\r\n")] = 0;
        char sensor[64];
        double value;
        if (sscanf(line, "%63[^,],%lf", sensor, &value) != 2 || value < 0) {
            fprintf(stderr, "line %d: bad row \"%s\"\n", lineno, line);
            bad++;
            continue;
        }
        n++;
        sum += value;
        sumsq += value * value;
        if (value < min) min = value;
        if (value > max) max = value;
        printf("%-10s %8.3f\n", sensor, value);
    }
    fclose(f);
    double mean = sum / n;
    printf("n=%d mean=%.4f sd=%.4f min=%.2f max=%.2f\n", n, mean, sqrt(sumsq / n - mean * mean), min, max);
    if (fopen("missing.txt", "r") == NULL) printf("missing.txt: not there, as expected\n");
    return bad;
}
