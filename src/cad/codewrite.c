/* codewrite.c - see codewrite.h. */
#include "cad/codewrite.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"
#include "base/util.h"

/* ---- numbers ---- */

/* "1e-07" -> "1e-7", "1e+20" -> "1e20" */
static void cw_tidy_exponent(char *s) {
    char *e = strchr(s, 'e');
    if (!e) return;
    char *src = e + 1, *dst = e + 1;
    if (*src == '+') src++;
    else if (*src == '-') *dst++ = *src++;
    while (*src == '0' && src[1]) src++;
    memmove(dst, src, strlen(src) + 1);
}

/* shortest "%.*g" text that reads back to exactly v */
static void cw_exact(double v, char *out, size_t size) {
    for (int p = 1; p <= 17; p++) {
        snprintf(out, size, "%.*g", p, v);
        if (strtod(out, NULL) == v) break;
    }
    cw_tidy_exponent(out);
}

/* v rounded to d decimals, trailing zeros and a bare "." dropped */
static void cw_grid(double v, int d, char *out, size_t size) {
    snprintf(out, size, "%.*f", d, v);
    char *dot = strchr(out, '.');
    if (!dot) return;
    char *end = out + strlen(out);
    while (end > dot + 1 && end[-1] == '0') *--end = 0;
    if (end == dot + 1) *dot = 0;
}

static int cw_sig_digits(const char *s) {
    int n = 0, lead = 1;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9') continue;
        if (lead && *s == '0') continue;
        lead = 0;
        n++;
    }
    return n;
}

int cw_number(double v, double tol, char *buf, size_t size) {
    if (!isfinite(v)) return -1;
    char exact[64], grid[400] = "";
    cw_exact(v, exact, sizeof exact);
    const char *s = exact;
    if (tol > 0 && fabs(v) < 1e15) {
        /* the decimal grid 10^-d with half a step <= tol: printing is idempotent, noise vanishes */
        int d = (int)ceil(log10(0.5 / tol));
        d = d < 0 ? 0 : d > 17 ? 17 : d;
        cw_grid(v, d, grid, sizeof grid);
        /* the grid text unless it carries more digits than a double holds and the exact is shorter */
        if (cw_sig_digits(grid) <= 17 || strlen(grid) <= strlen(exact)) s = grid;
    }
    if (strcmp(s, "-0") == 0) s = "0";
    snprintf(buf, size, "%s", s);
    return (int)strlen(buf);
}

double cw_model_scale(const cad_model *m) {
    double s = 0;
    for (int i = 0; i < m->ncurves; i++)
        for (int k = 0; k < 6; k++) s = fmax(s, fabs(m->curves[i].p[k]));
    for (int i = 0; i < m->nsketches; i++)
        for (int k = 0; k < 3; k++) s = fmax(s, fabs(m->sketches[i].plane.origin[k]));
    for (int i = 0; i < m->nextrudes; i++) s = fmax(s, fmax(fabs(m->extrudes[i].d1), fabs(m->extrudes[i].d2)));
    return isfinite(s) && s > 0 ? s : 1;
}

/* ---- text buffer ---- */

typedef struct {
    char *s;
    int n, cap;
    double tol; /* coordinate tolerance */
    int bad;    /* a non-finite number was met */
} cw_buf;

static void cw_puts(cw_buf *b, const char *s) {
    int len = (int)strlen(s);
    ut_grow((void **)&b->s, &b->cap, b->n + len + 1, 1);
    memcpy(b->s + b->n, s, (size_t)len + 1);
    b->n += len;
}

static void cw_num(cw_buf *b, double v, double tol) {
    char t[64];
    if (cw_number(v, tol, t, sizeof t) < 0) {
        b->bad = 1;
        return;
    }
    cw_puts(b, t);
}

/* "x,y" */
static void cw_point(cw_buf *b, double x, double y) {
    cw_num(b, x, b->tol);
    cw_puts(b, ",");
    cw_num(b, y, b->tol);
}

static void cw_curve(cw_buf *b, const cad_curve *c) {
    const double *p = c->p;
    if (c->kind == CAD_LINE) {
        cw_puts(b, "Line(");
        cw_point(b, p[0], p[1]);
        cw_puts(b, ", ");
        cw_point(b, p[2], p[3]);
    } else if (c->kind == CAD_ARC) {
        cw_puts(b, "Arc(");
        cw_point(b, p[0], p[1]);
        cw_puts(b, ", ");
        cw_point(b, p[2], p[3]);
        cw_puts(b, ", ");
        cw_point(b, p[4], p[5]);
    } else {
        cw_puts(b, "Circle(");
        cw_point(b, p[0], p[1]);
        cw_puts(b, ", ");
        cw_num(b, p[2], b->tol);
    }
    cw_puts(b, ")");
}

/* "Name(" or "Name(table.unpack{" for n > CW_MAX_ARGS, and the matching close */
static void cw_open(cw_buf *b, const char *name, int n) {
    cw_puts(b, name);
    cw_puts(b, n > CW_MAX_ARGS ? "(table.unpack{" : "(");
}
static void cw_close(cw_buf *b, int n) { cw_puts(b, n > CW_MAX_ARGS ? "})" : ")"); }

static void cw_vec(cw_buf *b, const double v[3], double tol) {
    cw_puts(b, "{");
    for (int k = 0; k < 3; k++) {
        if (k) cw_puts(b, ", ");
        cw_num(b, v[k], tol);
    }
    cw_puts(b, "}");
}

static int cw_same_plane(const cad_plane *a, const cad_plane *b) {
    for (int k = 0; k < 3; k++)
        if (a->origin[k] != b->origin[k] || a->x[k] != b->x[k] || a->y[k] != b->y[k] || a->n[k] != b->n[k]) return 0;
    return 1;
}

static void cw_plane(cw_buf *b, const cad_plane *p) {
    cad_plane std[3];
    static const char *names[3] = {"XY", "XZ", "YZ"};
    cad_plane_xy(&std[0]);
    cad_plane_xz(&std[1]);
    cad_plane_yz(&std[2]);
    for (int i = 0; i < 3; i++)
        if (cw_same_plane(p, &std[i])) {
            cw_puts(b, names[i]);
            return;
        }
    cw_puts(b, "Plane(");
    cw_vec(b, p->origin, b->tol);
    cw_puts(b, ", ");
    cw_vec(b, p->x, TOL_DIR);
    cw_puts(b, ", ");
    cw_vec(b, p->n, TOL_DIR);
    cw_puts(b, ")");
}

static int cw_check_refs(const cad_model *m) {
    if (m->nextrudes <= 0) return ut_fail("the model has no extrude");
    for (int i = 0; i < m->nextrudes; i++) {
        const cad_extrude *e = &m->extrudes[i];
        if (e->sketch < 0 || e->sketch >= m->nsketches) return ut_fail("extrude %d refers to a missing sketch", i + 1);
        if ((unsigned)e->kind > CAD_EXT_SYM || (unsigned)e->op > CAD_INTERSECT)
            return ut_fail("extrude %d has an unknown extent kind or op", i + 1);
    }
    for (int i = 0; i < m->nsketches; i++) {
        const cad_sketch *s = &m->sketches[i];
        if (s->n <= 0 || s->first < 0 || s->first + s->n > m->nfaces) return ut_fail("sketch %d has no valid faces", i + 1);
    }
    for (int i = 0; i < m->nfaces; i++) {
        const cad_face *f = &m->faces[i];
        if (f->n <= 0 || f->first < 0 || f->first + f->n > m->nloops) return ut_fail("face %d has no valid loops", i + 1);
    }
    for (int i = 0; i < m->nloops; i++) {
        const cad_loop *l = &m->loops[i];
        if (l->n <= 0 || l->first < 0 || l->first + l->n > m->ncurves) return ut_fail("loop %d has no valid curves", i + 1);
    }
    for (int i = 0; i < m->ncurves; i++)
        if ((unsigned)m->curves[i].kind > CAD_CIRCLE) return ut_fail("curve %d has an unknown kind", i + 1);
    return 0;
}

static void cw_extrude(cw_buf *b, const cad_model *m, const cad_extrude *e) {
    const cad_sketch *s = &m->sketches[e->sketch];
    cw_puts(b, "Extrude(Sketch(");
    cw_plane(b, &s->plane);
    cw_puts(b, s->n > CW_MAX_ARGS ? ", table.unpack{" : ",");
    for (int fi = 0; fi < s->n; fi++) {
        const cad_face *f = &m->faces[s->first + fi];
        cw_puts(b, fi ? ",\n  " : "\n  ");
        cw_open(b, "Face", f->n);
        for (int li = 0; li < f->n; li++) {
            const cad_loop *l = &m->loops[f->first + li];
            cw_puts(b, li ? ",\n    " : "\n    ");
            cw_open(b, "Loop", l->n);
            for (int ci = 0; ci < l->n; ci++) {
                if (ci) cw_puts(b, ", ");
                cw_curve(b, &m->curves[l->first + ci]);
            }
            cw_close(b, l->n);
        }
        cw_close(b, f->n);
    }
    cw_puts(b, s->n > CW_MAX_ARGS ? "}),\n  " : "),\n  ");
    if (e->kind == CAD_EXT_ONE) {
        cw_num(b, e->d1, b->tol);
    } else if (e->kind == CAD_EXT_TWO) {
        cw_puts(b, "{");
        cw_num(b, e->d1, b->tol);
        cw_puts(b, ", ");
        cw_num(b, e->d2, b->tol);
        cw_puts(b, "}");
    } else {
        cw_puts(b, "{sym = ");
        cw_num(b, e->d1, b->tol);
        cw_puts(b, "}");
    }
    cw_puts(b, ", \"");
    cw_puts(b, cad_op_name(e->op));
    cw_puts(b, "\")\n");
}

char *cw_program(const cad_model *m) {
    if (cw_check_refs(m) < 0) return NULL;
    cw_buf b = {0};
    b.tol = tol_len(cw_model_scale(m));
    for (int i = 0; i < m->nextrudes; i++) cw_extrude(&b, m, &m->extrudes[i]);
    if (b.bad) {
        free(b.s);
        ut_fail("the model holds a non-finite number");
        return NULL;
    }
    return b.s;
}

int cw_write_file(const cad_model *m, const char *path) {
    char *s = cw_program(m);
    if (!s) return -1;
    int rc = ut_write_atomic(path, s, strlen(s));
    free(s);
    return rc;
}
