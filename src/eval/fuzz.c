/* fuzz.c - see fuzz.h. */
#include "eval/fuzz.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cad/exec.h"
#include "data/import.h"
#include "geom/mesh.h"
#include "geom/solid.h"

/* ---------------------------------------------------------------- text building */

typedef struct {
    char *s;
    size_t n, cap;
} fz_buf;

static void fz_put(fz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fz_put(fz_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = 2 * (b->n + (size_t)k + 1);
        b->s = ut_realloc(b->s, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static double fz_uni(ut_rng *r, double lo, double hi) { return lo + (hi - lo) * ut_rng_uniform(r); }
static int fz_int(ut_rng *r, int n) { return (int)(ut_rng_u64(r) % (uint64_t)n); } /* [0, n) */
static int fz_chance(ut_rng *r, double p) { return ut_rng_uniform(r) < p; }

/* ---------------------------------------------------------------- programs */

/* damage kinds: one program in five gets one */
enum { FZ_D_NONE, FZ_D_OPEN, FZ_D_BOWTIE, FZ_D_HOLE_OUT, FZ_D_ZERO, FZ_D_NEG_SYM, FZ_D_NAN, FZ_D_HUGE, FZ_D_OP,
       FZ_D_TYPE, FZ_D_COUNT };

/* a loop of a profile centred at (cx, cy) of half size h, into b; damage may open or cross it */
static void fz_outer_loop(fz_buf *b, ut_rng *r, double cx, double cy, double h, int damage) {
    int kind = fz_int(r, 5);
    if (damage == FZ_D_OPEN) {
        fz_put(b, "Loop(Line(%.17g,%.17g,%.17g,%.17g),Line(%.17g,%.17g,%.17g,%.17g))", cx - h, cy - h, cx + h, cy - h, cx + h,
               cy - h, cx + h, cy + h);
        return;
    }
    if (damage == FZ_D_BOWTIE) {
        fz_put(b, "Loop(Line(%.17g,%.17g,%.17g,%.17g),Line(%.17g,%.17g,%.17g,%.17g),Line(%.17g,%.17g,%.17g,%.17g),"
                  "Line(%.17g,%.17g,%.17g,%.17g))",
               cx - h, cy - h, cx + h, cy + h, cx + h, cy + h, cx + h, cy - h, cx + h, cy - h, cx - h, cy + h, cx - h, cy + h,
               cx - h, cy - h);
        return;
    }
    double w = h * fz_uni(r, 0.4, 1), t = h * fz_uni(r, 0.4, 1);
    if (kind == 0) { /* rectangle */
        fz_put(b, "Loop(Line(%.17g,%.17g,%.17g,%.17g),Line(%.17g,%.17g,%.17g,%.17g),Line(%.17g,%.17g,%.17g,%.17g),"
                  "Line(%.17g,%.17g,%.17g,%.17g))",
               cx - w, cy - t, cx + w, cy - t, cx + w, cy - t, cx + w, cy + t, cx + w, cy + t, cx - w, cy + t, cx - w, cy + t,
               cx - w, cy - t);
    } else if (kind == 1) { /* regular polygon */
        int n = 3 + fz_int(r, 6);
        double a0 = fz_uni(r, 0, 2 * M_PI);
        fz_put(b, "Loop(");
        for (int i = 0; i < n; i++) {
            double a = a0 + 2 * M_PI * i / n, c = a0 + 2 * M_PI * (i + 1) / n;
            fz_put(b, "%sLine(%.17g,%.17g,%.17g,%.17g)", i ? "," : "", cx + h * cos(a), cy + h * sin(a), cx + h * cos(c),
                   cy + h * sin(c));
        }
        fz_put(b, ")");
    } else if (kind == 2) { /* circle */
        fz_put(b, "Loop(Circle(%.17g,%.17g,%.17g))", cx, cy, h);
    } else if (kind == 3) { /* slot: two lines and two half circles */
        double rr = t;
        fz_put(b, "Loop(Line(%.17g,%.17g,%.17g,%.17g),Arc(%.17g,%.17g,%.17g,%.17g,%.17g,%.17g),"
                  "Line(%.17g,%.17g,%.17g,%.17g),Arc(%.17g,%.17g,%.17g,%.17g,%.17g,%.17g))",
               cx - w, cy - rr, cx + w, cy - rr, cx + w, cy - rr, cx + w + rr, cy, cx + w, cy + rr, cx + w, cy + rr, cx - w,
               cy + rr, cx - w, cy + rr, cx - w - rr, cy, cx - w, cy - rr);
    } else { /* rounded rectangle: corner radius rr */
        double rr = fmin(w, t) * fz_uni(r, 0.1, 0.9), k = rr * (1 - M_SQRT1_2);
        double x0 = cx - w, x1 = cx + w, y0 = cy - t, y1 = cy + t;
        fz_put(b, "Loop(Line(%.17g,%.17g,%.17g,%.17g),Arc(%.17g,%.17g,%.17g,%.17g,%.17g,%.17g),", x0 + rr, y0, x1 - rr, y0,
               x1 - rr, y0, x1 - k, y0 + k, x1, y0 + rr);
        fz_put(b, "Line(%.17g,%.17g,%.17g,%.17g),Arc(%.17g,%.17g,%.17g,%.17g,%.17g,%.17g),", x1, y0 + rr, x1, y1 - rr, x1,
               y1 - rr, x1 - k, y1 - k, x1 - rr, y1);
        fz_put(b, "Line(%.17g,%.17g,%.17g,%.17g),Arc(%.17g,%.17g,%.17g,%.17g,%.17g,%.17g),", x1 - rr, y1, x0 + rr, y1,
               x0 + rr, y1, x0 + k, y1 - k, x0, y1 - rr);
        fz_put(b, "Line(%.17g,%.17g,%.17g,%.17g),Arc(%.17g,%.17g,%.17g,%.17g,%.17g,%.17g))", x0, y1 - rr, x0, y0 + rr, x0,
               y0 + rr, x0 + k, y0 + k, x0 + rr, y0);
    }
}

/* a plane: a named one, or an offset, tilted frame (axes printed in full precision) */
static void fz_plane(fz_buf *b, ut_rng *r, double size) {
    int k = fz_int(r, 6);
    if (k < 3) {
        fz_put(b, "%s", k == 0 ? "XY" : k == 1 ? "XZ" : "YZ");
        return;
    }
    double n[3], x[3], o[3];
    if (k == 3) { /* a slight tilt of Z */
        n[0] = fz_uni(r, -0.3, 0.3), n[1] = fz_uni(r, -0.3, 0.3), n[2] = 1;
    } else {
        for (int i = 0; i < 3; i++) n[i] = ut_rng_normal(r);
    }
    double nn = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (int i = 0; i < 3; i++) n[i] /= nn, x[i] = ut_rng_normal(r), o[i] = fz_chance(r, 0.5) ? fz_uni(r, -size, size) : 0;
    double d = x[0] * n[0] + x[1] * n[1] + x[2] * n[2];
    for (int i = 0; i < 3; i++) x[i] -= d * n[i];
    double xn = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    for (int i = 0; i < 3; i++) x[i] /= xn;
    fz_put(b, "Plane({%.17g,%.17g,%.17g},{%.17g,%.17g,%.17g},{%.17g,%.17g,%.17g})", o[0], o[1], o[2], x[0], x[1], x[2], n[0],
           n[1], n[2]);
}

static void fz_extent(fz_buf *b, ut_rng *r, double size, int damage) {
    double d = size * fz_uni(r, 0.05, 1);
    if (damage == FZ_D_ZERO) fz_put(b, "0");
    else if (damage == FZ_D_NEG_SYM) fz_put(b, "{sym = %.17g}", -d);
    else if (damage == FZ_D_NAN) fz_put(b, "0/0");
    else if (damage == FZ_D_HUGE) fz_put(b, "1e300");
    else if (damage == FZ_D_TYPE) fz_put(b, "'thick'");
    else {
        int k = fz_int(r, 3);
        if (k == 0) fz_put(b, "%.17g", fz_chance(r, 0.2) ? -d : d);
        else if (k == 1) fz_put(b, "{%.17g, %.17g}", d, size * fz_uni(r, -0.02, 0.5));
        else fz_put(b, "{sym = %.17g}", d);
    }
}

char *fz_program(uint64_t seed, int max_extrudes) {
    ut_rng r;
    ut_rng_seed(&r, seed);
    fz_buf b = {0};
    double size = pow(10, fz_uni(&r, -3, 4)); /* mm */
    int ne = fz_chance(&r, 0.05) ? 7 + fz_int(&r, 34) : 1 + fz_int(&r, 6);
    if (max_extrudes > 0 && ne > max_extrudes) ne = 1 + (ne - 1) % max_extrudes;
    int damage = fz_chance(&r, 0.2) ? 1 + fz_int(&r, FZ_D_COUNT - 1) : FZ_D_NONE, at = fz_int(&r, ne);
    static const char *ops[] = {"new", "join", "cut", "intersect"};
    fz_put(&b, "-- fuzz program %llu: %d extrudes, size %.3g mm, damage %d\n", (unsigned long long)seed, ne, size, damage);
    for (int e = 0; e < ne; e++) {
        int dmg = e == at ? damage : FZ_D_NONE, nf = 1 + (fz_chance(&r, 0.3) ? fz_int(&r, 3) : 0);
        fz_put(&b, "Extrude(Sketch(");
        fz_plane(&b, &r, size);
        for (int f = 0; f < nf; f++) {
            double h = size * fz_uni(&r, 0.1, 0.5), cx = (f - 0.5 * (nf - 1)) * 2.5 * size + fz_uni(&r, -0.3, 0.3) * size;
            double cy = fz_uni(&r, -0.3, 0.3) * size;
            fz_put(&b, ", Face(");
            fz_outer_loop(&b, &r, cx, cy, h, dmg);
            int nh = dmg == FZ_D_HOLE_OUT ? 1 : fz_chance(&r, 0.4) ? 1 + fz_int(&r, 2) : 0;
            for (int k = 0; k < nh; k++) {
                double hr = 0.12 * h, hx = cx + (k ? 0.3 : -0.3) * h * (nh > 1), hy = cy;
                if (dmg == FZ_D_HOLE_OUT) hx = cx + 3 * h;
                fz_put(&b, ", Loop(Circle(%.17g,%.17g,%.17g))", hx, hy, hr);
            }
            fz_put(&b, ")");
        }
        fz_put(&b, "), ");
        fz_extent(&b, &r, size, dmg);
        const char *op = e == 0 ? "new" : ops[fz_chance(&r, 0.5) ? 1 : fz_int(&r, 4)];
        if (dmg == FZ_D_OP) op = "merge";
        fz_put(&b, ", '%s')\n", op);
    }
    return b.s;
}

/* ---------------------------------------------------------------- JSON mutants */

/* every node of the tree, depth first */
static void fz_nodes(cJSON *j, cJSON ***v, int *n, int *cap) {
    for (; j; j = j->next) {
        *UT_PUSH(*v, *n, *cap) = j;
        fz_nodes(j->child, v, n, cap);
    }
}

static void fz_replace(cJSON *parent, cJSON *old, cJSON *with) { cJSON_ReplaceItemViaPointer(parent, old, with); }

/* the parent of node x in root (NULL for the root) */
static cJSON *fz_parent(cJSON *root, cJSON *x) {
    for (cJSON *c = root->child; c; c = c->next) {
        if (c == x) return root;
        cJSON *p = fz_parent(c, x);
        if (p) return p;
    }
    return NULL;
}

static void fz_mutate_once(cJSON *root, ut_rng *r) {
    cJSON **v = NULL;
    int n = 0, cap = 0;
    fz_nodes(root->child, &v, &n, &cap);
    if (n == 0) return free(v);
    cJSON *x = v[fz_int(r, n)], *p = fz_parent(root, x);
    free(v);
    if (!p) return;
    switch (fz_int(r, 6)) {
    case 0: cJSON_Delete(cJSON_DetachItemViaPointer(p, x)); break; /* delete */
    case 1:                                                        /* type swap */
        if (cJSON_IsNumber(x)) fz_replace(p, x, cJSON_CreateString("12.5"));
        else if (cJSON_IsString(x)) fz_replace(p, x, cJSON_CreateNumber(fz_uni(r, -1e3, 1e3)));
        else if (cJSON_IsObject(x)) fz_replace(p, x, cJSON_CreateArray());
        else if (cJSON_IsArray(x)) fz_replace(p, x, cJSON_CreateObject());
        else fz_replace(p, x, cJSON_CreateTrue());
        break;
    case 2: { /* huge or tiny numbers */
        static const double vals[] = {1e308, -1e308, 1e-320, 4.9e-324, 1e15, -0.0};
        fz_replace(p, x, cJSON_CreateNumber(vals[fz_int(r, 6)]));
        break;
    }
    case 3: { /* NaN-like */
        int k = fz_int(r, 3);
        fz_replace(p, x, k == 0 ? cJSON_CreateString("NaN") : k == 1 ? cJSON_CreateNull() : cJSON_CreateString("1e999"));
        break;
    }
    case 4: { /* deep nesting */
        cJSON *d = cJSON_Duplicate(x, 1);
        int depth = 100 + fz_int(r, 900);
        for (int i = 0; i < depth; i++) {
            cJSON *a = cJSON_CreateArray();
            cJSON_AddItemToArray(a, d);
            d = a;
        }
        fz_replace(p, x, d);
        break;
    }
    default: /* a number nudged (a curve no longer closes) */
        if (cJSON_IsNumber(x)) cJSON_SetNumberValue(x, x->valuedouble * (1 + fz_uni(r, -0.1, 0.1)) + fz_uni(r, -1e-3, 1e-3));
        break;
    }
}

char *fz_mutate_json(const char *text, uint64_t seed) {
    ut_rng r;
    ut_rng_seed(&r, seed);
    cJSON *root = cJSON_Parse(text);
    char *out;
    if (!root) {
        out = ut_strdup(text);
    } else {
        int k = 1 + fz_int(&r, 4);
        for (int i = 0; i < k; i++) fz_mutate_once(root, &r);
        char *s = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        out = ut_strdup(s ? s : "{}");
        free(s);
    }
    if (fz_chance(&r, 0.25)) out[fz_int(&r, (int)strlen(out) + 1)] = 0; /* truncation */
    return out;
}

/* ---------------------------------------------------------------- checks */

static fz_outcome fz_failed(fz_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static fz_outcome fz_failed(fz_result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->fail, sizeof r->fail, fmt, ap);
    va_end(ap);
    return r->outcome = FZ_FAIL;
}

static fz_outcome fz_refused(fz_result *r, const char *why) {
    snprintf(r->fail, sizeof r->fail, "%s", why);
    if (!*why) return fz_failed(r, "refused without an error message");
    return r->outcome = FZ_REFUSED;
}

static fz_outcome fz_budget(fz_result *r) {
    snprintf(r->fail, sizeof r->fail, "%s", ut_error());
    if (!strstr(r->fail, "exceeded the geometry budget")) return fz_failed(r, "budget stop without its message: %s", r->fail);
    return r->outcome = FZ_BUDGET;
}

/* samples on the boundary: inside just behind the normal, outside just in front */
static int fz_samples_bad(const sd_solid *s, const sd_props *p) {
    double pts[3 * FZ_SAMPLES], nrm[3 * FZ_SAMPLES], d[3];
    for (int i = 0; i < 3; i++) d[i] = p->hi[i] - p->lo[i];
    double eps = 1e-7 * sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    int n = sd_sample_surface(s, FZ_SAMPLES, 12345, pts, nrm), bad = 0;
    if (n != FZ_SAMPLES) return -1;
    for (int k = 0; k < n; k++) {
        double qi[3], qo[3];
        for (int i = 0; i < 3; i++) qi[i] = pts[3 * k + i] - eps * nrm[3 * k + i], qo[i] = pts[3 * k + i] + eps * nrm[3 * k + i];
        bad += !(sd_contains(s, qi) && !sd_contains(s, qo));
    }
    return bad;
}

/* the checks of a loaded, validated model (under the current budget) */
static fz_outcome fz_check_model(const cad_model *m, fz_result *r) {
    sd_solid *s = sd_build(m);
    if (!s) return fz_failed(r, "a validated model gives no solid: %s", ut_error());
    sd_props p;
    if (sd_mass_props(s, &p) != 0) {
        sd_free(s);
        return bg_exceeded() ? fz_budget(r) : fz_failed(r, "a validated model has no mass properties: %s", ut_error());
    }
    r->volume = p.volume;
    int bad = fz_samples_bad(s, &p);
    sd_free(s);
    if (bad < 0) return bg_exceeded() ? fz_budget(r) : fz_failed(r, "surface sampling failed: %s", ut_error());
    r->samples_bad = bad;
    if (bad > FZ_SAMPLES / 50) return fz_failed(r, "%d of %d surface samples are not on the boundary", bad, FZ_SAMPLES);
    ms_mesh mesh;
    if (ms_from_model(m, MS_DEFAULT_TOL, &mesh) != 0) {
        if (bg_exceeded()) return fz_budget(r);
        if (!*ut_error()) return fz_failed(r, "meshing refused without an error message");
        r->mesh_refused = 1;
        snprintf(r->fail, sizeof r->fail, "meshing refused: %s", ut_error());
        return r->outcome = FZ_OK;
    }
    r->mesh_volume = ms_volume(&mesh);
    ms_free(&mesh);
    if (!(fabs(r->mesh_volume - r->volume) <= FZ_MESH_REL * r->volume)) {
        r->mesh_off = 1;
        return fz_failed(r, "mesh volume %.9g vs exact %.9g (%.3g %%)", r->mesh_volume, r->volume,
                         100 * (r->mesh_volume - r->volume) / r->volume);
    }
    return r->outcome = FZ_OK;
}

static void fz_init(fz_result *r) {
    memset(r, 0, sizeof *r);
    r->volume = r->mesh_volume = NAN;
}

/* the time check, and the budget ended */
static fz_outcome fz_finish(fz_result *r, bg_budget *b, double t0, double max_seconds) {
    bg_end(b);
    r->seconds = ut_now() - t0;
    if (max_seconds <= 0) max_seconds = FZ_MAX_SECONDS;
    if (r->seconds > max_seconds && r->outcome != FZ_FAIL) fz_failed(r, "took %.2f s", r->seconds);
    return r->outcome;
}

fz_outcome fz_check_program(const char *src, const char *name, const bg_limits *lim, double max_seconds, fz_result *r) {
    fz_init(r);
    double t0 = ut_now();
    ex_limits el;
    ex_default_limits(&el);
    if (lim) el.geometry = *lim;
    bg_budget b;
    cad_model m;
    ut_clear_error();
    if (ex_run_budget(src, strlen(src), name, &el, &m, NULL, &b) != 0) {
        if (bg_exceeded()) fz_budget(r);
        else fz_refused(r, ut_error());
        return fz_finish(r, &b, t0, max_seconds);
    }
    fz_check_model(&m, r);
    cad_free(&m);
    return fz_finish(r, &b, t0, max_seconds);
}

fz_outcome fz_check_json(const char *text, const char *name, const bg_limits *lim, double max_seconds, fz_result *r) {
    fz_init(r);
    double t0 = ut_now();
    bg_budget b;
    bg_begin(&b, lim);
    cad_model m;
    im_report rep;
    ut_clear_error();
    if (im_parse(text, name, NULL, &m, &rep) != 0 || im_validate(&m, &rep) != 0) {
        if (bg_exceeded()) fz_budget(r);
        else fz_refused(r, ut_error());
    } else {
        fz_check_model(&m, r);
    }
    cad_free(&m);
    im_report_free(&rep);
    return fz_finish(r, &b, t0, max_seconds);
}
