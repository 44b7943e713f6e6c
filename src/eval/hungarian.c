/* hungarian.c - see hungarian.h. */
#include "eval/hungarian.h"

#include <float.h>
#include <stdlib.h>

#include "base/util.h"

/* n <= m. Potentials u (rows) and v (columns), 1-based with column 0 as the virtual start;
 * match[j] = row holding column j (0 = free). Each row is added by a Dijkstra-like search for
 * the cheapest augmenting path in reduced costs. */
static void hu_rows_le_cols(const double *cost, int n, int m, int *col) {
    double *u = ut_calloc((size_t)n + 1, sizeof *u), *v = ut_calloc((size_t)m + 1, sizeof *v);
    double *minv = ut_malloc(((size_t)m + 1) * sizeof *minv);
    int *match = ut_calloc((size_t)m + 1, sizeof *match), *way = ut_calloc((size_t)m + 1, sizeof *way);
    char *used = ut_malloc((size_t)m + 1);
    for (int i = 1; i <= n; i++) {
        match[0] = i;
        int j0 = 0;
        for (int j = 0; j <= m; j++) minv[j] = DBL_MAX, used[j] = 0;
        do {
            used[j0] = 1;
            int i0 = match[j0], j1 = 0;
            double delta = DBL_MAX;
            for (int j = 1; j <= m; j++) {
                if (used[j]) continue;
                double cur = cost[(size_t)(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) minv[j] = cur, way[j] = j0;
                if (minv[j] < delta) delta = minv[j], j1 = j;
            }
            for (int j = 0; j <= m; j++) {
                if (used[j]) u[match[j]] += delta, v[j] -= delta;
                else minv[j] -= delta;
            }
            j0 = j1;
        } while (match[j0] != 0);
        do { /* flip the augmenting path */
            int j1 = way[j0];
            match[j0] = match[j1];
            j0 = j1;
        } while (j0);
    }
    for (int i = 0; i < n; i++) col[i] = -1;
    for (int j = 1; j <= m; j++)
        if (match[j]) col[match[j] - 1] = j - 1;
    free(u), free(v), free(minv), free(match), free(way), free(used);
}

double hu_solve(const double *cost, int n, int m, int *col) {
    for (int i = 0; i < n; i++) col[i] = -1;
    if (n == 0 || m == 0) return 0.0;
    if (n <= m) {
        hu_rows_le_cols(cost, n, m, col);
    } else { /* solve the transpose: columns choose rows */
        double *ct = ut_malloc((size_t)n * m * sizeof *ct);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) ct[(size_t)j * n + i] = cost[(size_t)i * m + j];
        int *row = ut_malloc((size_t)m * sizeof *row);
        hu_rows_le_cols(ct, m, n, row);
        for (int j = 0; j < m; j++) col[row[j]] = j;
        free(row), free(ct);
    }
    double total = 0;
    for (int i = 0; i < n; i++)
        if (col[i] >= 0) total += cost[(size_t)i * m + col[i]];
    return total;
}
