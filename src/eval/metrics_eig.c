/* mt_eig.c - symmetric 3x3 eigen-decomposition by cyclic Jacobi rotations (see metrics.h). */
#include <math.h>
#include <string.h>

#include "eval/metrics.h"

static double mt_mat3_det(const double A[9]) {
    return A[0] * (A[4] * A[8] - A[5] * A[7]) - A[1] * (A[3] * A[8] - A[5] * A[6]) + A[2] * (A[3] * A[7] - A[4] * A[6]);
}

void mt_eig_sym3(const double Ain[9], double ev[3], double V[9]) {
    double A[9];
    memcpy(A, Ain, sizeof A);
    for (int i = 0; i < 9; i++) V[i] = (i % 4 == 0);
    double scale = 0;
    for (int i = 0; i < 9; i++) scale += A[i] * A[i];
    for (int sweep = 0; sweep < 64; sweep++) {
        double off = A[1] * A[1] + A[2] * A[2] + A[5] * A[5];
        if (off <= 1e-32 * scale || off == 0) break;
        for (int p = 0; p < 2; p++)
            for (int q = p + 1; q < 3; q++) {
                double apq = A[3 * p + q];
                if (apq == 0) continue;
                /* rotation J in the (p, q) plane that zeroes A[p][q]: A <- J^T A J, V <- V J */
                double theta = (A[3 * q + q] - A[3 * p + p]) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < 3; k++) { /* columns p, q of A J */
                    double akp = A[3 * k + p], akq = A[3 * k + q];
                    A[3 * k + p] = c * akp - s * akq;
                    A[3 * k + q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; k++) { /* rows p, q of J^T (A J) */
                    double apk = A[3 * p + k], aqk = A[3 * q + k];
                    A[3 * p + k] = c * apk - s * aqk;
                    A[3 * q + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; k++) {
                    double vkp = V[3 * k + p], vkq = V[3 * k + q];
                    V[3 * k + p] = c * vkp - s * vkq;
                    V[3 * k + q] = s * vkp + c * vkq;
                }
            }
    }
    int idx[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++) /* sort decreasing (3 elements: insertion) */
        for (int j = i; j > 0 && A[4 * idx[j]] > A[4 * idx[j - 1]]; j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    double W[9];
    for (int k = 0; k < 3; k++) {
        ev[k] = A[4 * idx[k]];
        for (int r = 0; r < 3; r++) W[3 * r + k] = V[3 * r + idx[k]];
    }
    if (mt_mat3_det(W) < 0)
        for (int r = 0; r < 3; r++) W[3 * r + 2] = -W[3 * r + 2];
    memcpy(V, W, sizeof W);
}

