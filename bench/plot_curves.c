/* plot_curves.c - the loss curves of several training runs on one chart.
 *
 * usage: plot_curves OUT.png TITLE LABEL1 RUN1/metrics.csv [LABEL2 RUN2/metrics.csv ...]
 * Reads the step and loss columns (the first two) of each metrics.csv written by `recad train`
 * and draws loss against step, one line per run (base/plot.h). Also prints, per run, the mean
 * loss over the last 50 logged steps.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/plot.h"
#include "base/util.h"

enum { MAXR = 8 };

static int read_csv(const char *path, double **x, double **y, int *n) {
    FILE *f = fopen(path, "r");
    if (!f) return ut_fail("%s: cannot open", path);
    char line[512];
    int cap = 0;
    *n = 0;
    *x = *y = NULL;
    if (!fgets(line, sizeof line, f)) { /* header */
        fclose(f);
        return ut_fail("%s: empty", path);
    }
    double s, l;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lf,%lf", &s, &l) == 2) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 256;
                *x = ut_realloc(*x, sizeof(double) * (size_t)cap);
                *y = ut_realloc(*y, sizeof(double) * (size_t)cap);
            }
            (*x)[*n] = s;
            (*y)[(*n)++] = l;
        }
    fclose(f);
    return *n ? 0 : ut_fail("%s: no rows", path);
}

int main(int argc, char **argv) {
    if (argc < 5 || (argc - 3) % 2 || (argc - 3) / 2 > MAXR) {
        fprintf(stderr, "usage: plot_curves OUT.png TITLE LABEL metrics.csv [LABEL metrics.csv ...] (at most %d)\n", MAXR);
        return 2;
    }
    plot_series s[MAXR];
    int ns = (argc - 3) / 2;
    for (int i = 0; i < ns; i++) {
        double *x = NULL, *y = NULL;
        int n = 0;
        if (read_csv(argv[4 + 2 * i], &x, &y, &n)) {
            fprintf(stderr, "plot_curves: %s\n", ut_error());
            return 1;
        }
        s[i] = (plot_series){argv[3 + 2 * i], x, y, n, {0, 0, 0}};
        double m = 0.0;
        int k = n < 50 ? n : 50;
        for (int j = n - k; j < n; j++) m += y[j];
        printf("%s: %d rows, last loss %.4f, mean of the last %d %.4f\n", argv[3 + 2 * i], n, y[n - 1], k, m / k);
    }
    plot_opts o = {argv[2], "step", "training loss", 0, 0};
    if (plot_lines(argv[1], &o, s, ns)) {
        fprintf(stderr, "plot_curves: %s\n", ut_error());
        return 1;
    }
    for (int i = 0; i < ns; i++) {
        free((void *)s[i].x);
        free((void *)s[i].y);
    }
    return 0;
}
