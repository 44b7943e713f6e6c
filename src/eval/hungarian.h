/* hungarian.h - minimum-cost assignment (the Hungarian algorithm, O(n^2 m)).
 *
 *   double cost[n*m];          row-major: cost[i*m + j] = cost of giving row i column j
 *   int col[n];
 *   double total = hu_solve(cost, n, m, col);
 *
 * Every row gets a distinct column when n <= m; when n > m every column gets a distinct row and
 * the n - m rows left over get col[i] = -1. The assignment minimises the sum of the chosen costs
 * (exactly, by shortest augmenting paths with row/column potentials). Costs must be finite.
 * n = 0 or m = 0 is allowed (every col[i] = -1, total 0).
 */
#ifndef RECAD_HUNGARIAN_H
#define RECAD_HUNGARIAN_H

double hu_solve(const double *cost, int n, int m, int *col);

#endif
