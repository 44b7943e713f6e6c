/* imgret.c - nearest training picture by the L2 distance of 32x32 ink features (see imgret.h). */
#include "data/imgret.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define IR_CELLS (IR_SIDE * IR_SIDE)

struct ir_index {
    unsigned char *f; /* n * IR_CELLS */
    int n, cap;
};

ir_index *ir_new(void) { return ut_calloc(1, sizeof(ir_index)); }

void ir_free(ir_index *x) {
    if (!x) return;
    free(x->f);
    free(x);
}

int ir_count(const ir_index *x) { return x->n; }

/* the overlap of [a, b) with the pixel [k, k + 1) */
static double ir_overlap(double a, double b, int k) {
    double o = fmin(b, k + 1.0) - fmax(a, (double)k);
    return o > 0 ? o : 0;
}

int ir_feature(const pic_gray *p, unsigned char *f) {
    if (!p->v || p->w < 1 || p->h < 1) return ut_fail("no picture");
    double sx = (double)p->w / IR_SIDE, sy = (double)p->h / IR_SIDE;
    for (int j = 0; j < IR_SIDE; j++) {
        double y0 = j * sy, y1 = y0 + sy;
        for (int i = 0; i < IR_SIDE; i++) {
            double x0 = i * sx, x1 = x0 + sx, s = 0, ws = 0;
            for (int y = (int)floor(y0); y < (int)ceil(y1) && y < p->h; y++) {
                double wy = ir_overlap(y0, y1, y);
                for (int x = (int)floor(x0); x < (int)ceil(x1) && x < p->w; x++) {
                    double w = wy * ir_overlap(x0, x1, x);
                    s += w * (1.0 - p->v[(size_t)y * p->w + x]);
                    ws += w;
                }
            }
            double ink = ws > 0 ? s / ws : 0;
            f[j * IR_SIDE + i] = (unsigned char)lround(255 * (ink < 0 ? 0 : ink > 1 ? 1 : ink));
        }
    }
    return 0;
}

static long ir_d2(const unsigned char *a, const unsigned char *b) {
    long s = 0;
    for (int k = 0; k < IR_CELLS; k++) {
        int d = (int)a[k] - (int)b[k];
        s += d * d;
    }
    return s;
}

double ir_distance(const unsigned char *a, const unsigned char *b) {
    return (double)ir_d2(a, b) / (255.0 * 255.0 * IR_CELLS);
}

int ir_add(ir_index *x, const pic_gray *framed) {
    unsigned char f[IR_CELLS];
    if (ir_feature(framed, f)) return -1;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        x->f = ut_realloc(x->f, (size_t)x->cap * IR_CELLS);
    }
    memcpy(x->f + (size_t)x->n * IR_CELLS, f, IR_CELLS);
    return x->n++;
}

int ir_query(const ir_index *x, const pic_gray *framed, double *dist) {
    unsigned char f[IR_CELLS];
    if (dist) *dist = INFINITY;
    if (!x->n || ir_feature(framed, f)) return -1;
    int best = -1;
    long bd = 0;
    for (int i = 0; i < x->n; i++) {
        long d = ir_d2(f, x->f + (size_t)i * IR_CELLS);
        if (best < 0 || d < bd) best = i, bd = d;
    }
    if (dist) *dist = (double)bd / (255.0 * 255.0 * IR_CELLS);
    return best;
}
