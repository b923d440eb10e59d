// Reads a CSV from the request's files and writes a report file back.
//   npx wasmbox run examples/csv_report.c --file data/sales.csv=examples/sales.csv --out-dir out
// then: cat out/report.txt
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REGIONS 32

struct region { char name[64]; int orders; double revenue; };

int main(void) {
  FILE *in = fopen("data/sales.csv", "r");
  if (!in) { perror("data/sales.csv"); return 2; }
  struct region regions[MAX_REGIONS];
  int count = 0;
  char line[256];
  fgets(line, sizeof line, in); // header: region,product,quantity,unit_price
  while (fgets(line, sizeof line, in)) {
    char region[64], product[64];
    int quantity;
    double price;
    if (sscanf(line, "%63[^,],%63[^,],%d,%lf", region, product, &quantity, &price) != 4) continue;
    int i = 0;
    while (i < count && strcmp(regions[i].name, region) != 0) i++;
    if (i == count) {
      if (count == MAX_REGIONS) continue;
      strcpy(regions[count].name, region);
      regions[count].orders = 0;
      regions[count].revenue = 0;
      count++;
    }
    regions[i].orders++;
    regions[i].revenue += quantity * price;
  }
  fclose(in);

  FILE *out = fopen("report.txt", "w");
  if (!out) { perror("report.txt"); return 3; }
  double total = 0;
  fprintf(out, "%-10s %6s %12s\n", "region", "orders", "revenue");
  for (int i = 0; i < count; i++) {
    fprintf(out, "%-10s %6d %12.2f\n", regions[i].name, regions[i].orders, regions[i].revenue);
    total += regions[i].revenue;
  }
  fprintf(out, "%-10s %6s %12.2f\n", "total", "", total);
  fclose(out);
  printf("wrote report.txt: %d regions, total revenue %.2f\n", count, total);
  return 0;
}
