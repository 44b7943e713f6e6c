/* occt.c - see occt.h. */
#define _GNU_SOURCE /* pipe2: close-on-exec from the start, so concurrent spawns never inherit it */
#include "eval/occt.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

extern char **environ;

#define OC_MISSING "occt-draw is not installed (apt-get install occt-draw libocct-draw-dev libocct-data-exchange-dev)"
#define OC_MAX_OUTPUT (64u << 20) /* bytes of interpreter output kept */

/* ------------------------------------------------------------------------------------------ */
/* growing string                                                                               */

typedef struct {
    char *s;
    size_t n, cap;
} oc_buf;

static void oc_printf(oc_buf *b, const char *fmt, ...) UT_PRINTF(2, 3);
static void oc_printf(oc_buf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->s = ut_realloc(b->s, b->cap);
    }
}

char *oc_tcl_quote(const char *s) {
    oc_buf b = {0};
    oc_printf(&b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            free(b.s);
            ut_fail("path '%s' contains a control character", s);
            return NULL;
        }
        if (strchr("\\\"$[]{}", *p)) oc_printf(&b, "\\");
        oc_printf(&b, "%c", *p);
    }
    oc_printf(&b, "\"");
    return b.s;
}

/* ------------------------------------------------------------------------------------------ */
/* loops: chaining, snapping and orientation in sketch coordinates                              */

typedef struct {
    cad_curve_kind kind;
    double a[2], b[2]; /* start, end (LINE, ARC) */
    double m[2];       /* a point on the arc (ARC) */
    double c[3];       /* cx cy r (CIRCLE) */
} oc_seg;

static void oc_curve_ends(const cad_curve *c, double a[2], double b[2]) {
    a[0] = c->p[0];
    a[1] = c->p[1];
    int k = c->kind == CAD_ARC ? 4 : 2;
    b[0] = c->p[k];
    b[1] = c->p[k + 1];
}

static double oc_dist(const double a[2], const double b[2]) { return hypot(a[0] - b[0], a[1] - b[1]); }

static void oc_seg_reverse(oc_seg *s) {
    double t[2] = {s->a[0], s->a[1]};
    s->a[0] = s->b[0];
    s->a[1] = s->b[1];
    s->b[0] = t[0];
    s->b[1] = t[1];
}

/* Chains the loop's curves greedily from curve 0 (each next curve is the one with an endpoint
 * nearest the current end), flips curves as needed, drops zero-length lines, and snaps: the end
 * of each segment becomes the start of the next. segs: room for loop->n. Returns the count.
 * Deliberately not geo2d's g2_chain_order: the oracle keeps its own code (occt.h). */
static int oc_chain(const cad_model *m, const cad_loop *lp, double scale, oc_seg *segs) {
    if (lp->n <= 0) return ut_fail("empty loop");
    const cad_curve *cv = m->curves + lp->first;
    if (lp->first < 0 || lp->first + lp->n > m->ncurves) return ut_fail("loop refers to missing curves");
    for (int i = 0; i < lp->n; i++)
        if (cv[i].kind == CAD_CIRCLE && lp->n > 1) return ut_fail("line %d: a circle must be alone in its loop", cv[i].line);
    if (cv[0].kind == CAD_CIRCLE) {
        if (!(cv[0].p[2] > 0)) return ut_fail("line %d: circle radius must be positive", cv[0].line);
        segs[0].kind = CAD_CIRCLE;
        memcpy(segs[0].c, cv[0].p, sizeof segs[0].c);
        return 1;
    }
    if (lp->n < 2 && cv[0].kind == CAD_LINE) return ut_fail("line %d: a single line cannot close a loop", cv[0].line);
    double tiny = 1e-12 * scale;
    int *used = ut_calloc((size_t)lp->n, sizeof *used), left = lp->n;
    for (int i = 0; i < lp->n; i++) { /* zero-length lines first: the chain ignores them */
        double a[2], b[2];
        oc_curve_ends(&cv[i], a, b);
        if (cv[i].kind == CAD_LINE && oc_dist(a, b) <= tiny) used[i] = 1, left--;
    }
    int ns = 0;
    for (int step = 0; step < left; step++) {
        int best = -1, flip = 0;
        double bd = INFINITY;
        for (int i = 0; i < lp->n; i++) {
            if (used[i]) continue;
            if (step == 0) { /* the chain starts with the first remaining curve, as given */
                best = i;
                break;
            }
            double a[2], b[2];
            oc_curve_ends(&cv[i], a, b);
            double da = oc_dist(a, segs[ns - 1].b), db = oc_dist(b, segs[ns - 1].b);
            if (da < bd) bd = da, best = i, flip = 0;
            if (db < bd) bd = db, best = i, flip = 1;
        }
        if (step > 0 && bd > 1e-5 * scale) {
            free(used);
            return ut_fail("line %d: loop does not close (gap %.3g)", cv[best].line, bd);
        }
        used[best] = 1;
        oc_seg *s = &segs[ns++];
        s->kind = cv[best].kind;
        oc_curve_ends(&cv[best], s->a, s->b);
        if (s->kind == CAD_ARC) {
            s->m[0] = cv[best].p[2];
            s->m[1] = cv[best].p[3];
        }
        if (flip) oc_seg_reverse(s);
    }
    free(used);
    if (ns > 0 && oc_dist(segs[ns - 1].b, segs[0].a) > 1e-5 * scale)
        return ut_fail("line %d: loop does not close (gap %.3g)", cv[0].line, oc_dist(segs[ns - 1].b, segs[0].a));
    if (ns == 0 || (ns == 1 && segs[0].kind == CAD_LINE)) return ut_fail("line %d: degenerate loop", cv[0].line);
    for (int i = 0; i < ns; i++) { /* snap: end of i := start of i+1 */
        const oc_seg *nx = &segs[(i + 1) % ns];
        segs[i].b[0] = nx->a[0];
        segs[i].b[1] = nx->a[1];
    }
    return ns;
}

/* Circle through the arc's start, middle and end: centre, radius, start angle, signed sweep. */
static int oc_arc(const oc_seg *s, double *cx, double *cy, double *r, double *a0, double *sw) {
    double p[6] = {s->a[0], s->a[1], s->m[0], s->m[1], s->b[0], s->b[1]};
    if (cad_arc_geom(p, cx, cy, r, a0, sw) != 0) return ut_fail("arc through (%g, %g) (%g, %g) (%g, %g) has collinear points", p[0], p[1], p[2], p[3], p[4], p[5]);
    return 0;
}

/* A three-point arc whose points are collinear with the middle point between the ends: the
 * straight segment it degenerates to (Text2CAD's quantised arcs produce these). */
static int oc_is_chord(const oc_seg *s) {
    double dx = s->b[0] - s->a[0], dy = s->b[1] - s->a[1], l2 = dx * dx + dy * dy;
    if (!(l2 > 0)) return 0;
    double t = ((s->m[0] - s->a[0]) * dx + (s->m[1] - s->a[1]) * dy) / l2;
    return t > 0 && t < 1;
}

/* Signed area enclosed by the chain (counter-clockwise positive); deliberately not geo2d's
 * g2_loop_area (occt.h). */
static double oc_loop_area(const oc_seg *segs, int ns) {
    if (segs[0].kind == CAD_CIRCLE) return M_PI * segs[0].c[2] * segs[0].c[2];
    double area = 0;
    for (int i = 0; i < ns; i++) {
        const oc_seg *s = &segs[i];
        area += 0.5 * (s->a[0] * s->b[1] - s->b[0] * s->a[1]);
        double cx, cy, r, a0, sw;
        if (s->kind == CAD_ARC && oc_arc(s, &cx, &cy, &r, &a0, &sw) == 0) area += 0.5 * r * r * (sw - sin(sw));
    }
    return area;
}

static void oc_chain_reverse(oc_seg *segs, int ns) {
    for (int i = 0, j = ns - 1; i < j; i++, j--) {
        oc_seg t = segs[i];
        segs[i] = segs[j];
        segs[j] = t;
    }
    for (int i = 0; i < ns; i++) oc_seg_reverse(&segs[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* script generation                                                                            */

typedef struct {
    oc_buf b;
    int id; /* counter for unique DRAW names */
    const cad_plane *pl;
    double w0;
} oc_gen;

#define G17 "%.17g"

static void oc_world(const oc_gen *g, double u, double v, double out[3]) { cad_plane_to_world(g->pl, u, v, g->w0, out); }

/* Emits one loop as wire "rw<id>"; outer loops counter-clockwise about n, holes clockwise. */
static int oc_emit_loop(oc_gen *g, const cad_model *m, const cad_loop *lp, int hole, double scale) {
    oc_seg *segs = ut_malloc((size_t)(lp->n > 0 ? lp->n : 1) * sizeof *segs);
    int ns = oc_chain(m, lp, scale, segs);
    if (ns < 0) {
        free(segs);
        return -1;
    }
    const double *n = g->pl->n, *xd = g->pl->x;
    int wire = ++g->id;
    if (segs[0].kind == CAD_CIRCLE) {
        double c[3], s = hole ? -1 : 1;
        oc_world(g, segs[0].c[0], segs[0].c[1], c);
        oc_printf(&g->b, "circle rc%d " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 "\n", wire, c[0], c[1],
                  c[2], s * n[0], s * n[1], s * n[2], xd[0], xd[1], xd[2], segs[0].c[2]);
        oc_printf(&g->b, "mkedge re%d rc%d\nwire rw%d re%d\n", wire, wire, wire, wire);
        free(segs);
        return wire;
    }
    double area = oc_loop_area(segs, ns);
    if ((area < 0) != (hole != 0)) oc_chain_reverse(segs, ns);
    int v0 = g->id + 1;
    for (int i = 0; i < ns; i++) {
        double p[3];
        oc_world(g, segs[i].a[0], segs[i].a[1], p);
        oc_printf(&g->b, "vertex rv%d " G17 " " G17 " " G17 "\n", v0 + i, p[0], p[1], p[2]);
    }
    g->id += ns;
    int e0 = g->id + 1;
    for (int i = 0; i < ns; i++) {
        int va = v0 + i, vb = v0 + (i + 1) % ns, e = e0 + i;
        if (segs[i].kind == CAD_LINE) {
            oc_printf(&g->b, "edge re%d rv%d rv%d\n", e, va, vb);
            continue;
        }
        double cx, cy, r, a0, sw, c[3], sx[3];
        if (oc_arc(&segs[i], &cx, &cy, &r, &a0, &sw) < 0) {
            if (oc_is_chord(&segs[i])) { /* the limit of an arc of infinite radius */
                oc_printf(&g->b, "edge re%d rv%d rv%d\n", e, va, vb);
                continue;
            }
            free(segs);
            return -1;
        }
        oc_world(g, cx, cy, c);
        double s = sw > 0 ? 1 : -1; /* the circle's axis: +n for counter-clockwise arcs */
        for (int k = 0; k < 3; k++) sx[k] = cos(a0) * xd[k] + sin(a0) * g->pl->y[k];
        oc_printf(&g->b, "circle rc%d " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 " " G17 "\n", e, c[0], c[1], c[2],
                  s * n[0], s * n[1], s * n[2], sx[0], sx[1], sx[2], r);
        oc_printf(&g->b, "mkedge re%d rc%d rv%d 0 rv%d " G17 "\n", e, e, va, vb, fabs(sw));
    }
    g->id += ns;
    oc_printf(&g->b, "wire rw%d", wire);
    for (int i = 0; i < ns; i++) oc_printf(&g->b, " re%d", e0 + i);
    oc_printf(&g->b, "\n");
    free(segs);
    return wire;
}

/* Emits the prism of one face as shape `name`. */
static int oc_emit_prism(oc_gen *g, const cad_model *m, const cad_face *f, double w0, double w1, double scale, const char *name) {
    if (f->n <= 0 || f->first < 0 || f->first + f->n > m->nloops) return ut_fail("face refers to missing loops");
    g->w0 = w0;
    int outer = oc_emit_loop(g, m, &m->loops[f->first], 0, scale);
    if (outer < 0) return -1;
    int face = ++g->id;
    oc_printf(&g->b, "mkplane rf%d rw%d 1\n", face, outer);
    for (int h = 1; h < f->n; h++) {
        int w = oc_emit_loop(g, m, &m->loops[f->first + h], 1, scale);
        if (w < 0) return -1;
        oc_printf(&g->b, "add rw%d rf%d\n", w, face);
    }
    const double *n = g->pl->n;
    double d = w1 - w0;
    oc_printf(&g->b, "prism %s rf%d " G17 " " G17 " " G17 "\n", name, face, d * n[0], d * n[1], d * n[2]);
    return 0;
}

/* Largest absolute coordinate of the model (plus 1), the scale of its tolerances. */
static double oc_model_scale(const cad_model *m) {
    double s = 1;
    for (int i = 0; i < m->ncurves; i++)
        for (int k = 0; k < 6; k++) s = fmax(s, fabs(m->curves[i].p[k]));
    for (int i = 0; i < m->nsketches; i++)
        for (int k = 0; k < 3; k++) s = fmax(s, fabs(m->sketches[i].plane.origin[k]));
    for (int i = 0; i < m->nextrudes; i++) s = fmax(s, fmax(fabs(m->extrudes[i].d1), fabs(m->extrudes[i].d2)));
    return s;
}

static int oc_check_finite(const cad_model *m) {
    for (int i = 0; i < m->ncurves; i++)
        for (int k = 0; k < 6; k++)
            if (!isfinite(m->curves[i].p[k])) return ut_fail("line %d: non-finite coordinate", m->curves[i].line);
    for (int i = 0; i < m->nsketches; i++) {
        const cad_plane *p = &m->sketches[i].plane;
        for (int k = 0; k < 3; k++)
            if (!isfinite(p->origin[k]) || !isfinite(p->x[k]) || !isfinite(p->y[k]) || !isfinite(p->n[k]))
                return ut_fail("line %d: non-finite sketch plane", m->sketches[i].line);
    }
    for (int i = 0; i < m->nextrudes; i++)
        if (!isfinite(m->extrudes[i].d1) || !isfinite(m->extrudes[i].d2)) return ut_fail("line %d: non-finite extent", m->extrudes[i].line);
    return 0;
}

/* The union of one extrude's prisms as shape `name`. */
static int oc_emit_extrude(oc_gen *g, const cad_model *m, int k, double scale, const char *name) {
    const cad_extrude *e = &m->extrudes[k];
    if (e->sketch < 0 || e->sketch >= m->nsketches) return ut_fail("line %d: extrude refers to a missing sketch", e->line);
    const cad_sketch *sk = &m->sketches[e->sketch];
    if (sk->n <= 0 || sk->first < 0 || sk->first + sk->n > m->nfaces) return ut_fail("line %d: sketch has no faces", sk->line);
    double w0, w1;
    cad_extrude_slab(e, &w0, &w1);
    if (!(w1 - w0 > 1e-12 * scale)) return ut_fail("line %d: zero extent", e->line);
    g->pl = &sk->plane;
    oc_printf(&g->b, "# extrude %d (%s), line %d\n", k, cad_op_name(e->op), e->line);
    if (sk->n == 1) return oc_emit_prism(g, m, &m->faces[sk->first], w0, w1, scale, name);
    /* one general fuse of all the prisms (pairwise bfuse chains gave invalid shapes on
     * quantised sketches whose faces touch) */
    char pn[32];
    for (int j = 0; j < sk->n; j++) {
        snprintf(pn, sizeof pn, "rp%d_%d", k, j);
        if (oc_emit_prism(g, m, &m->faces[sk->first + j], w0, w1, scale, pn) < 0) return -1;
    }
    oc_printf(&g->b, "bclearobjects\nbcleartools\nbaddobjects rp%d_0\nbaddtools", k);
    for (int j = 1; j < sk->n; j++) oc_printf(&g->b, " rp%d_%d", k, j);
    oc_printf(&g->b, "\nbfillds\nbbop %s 1\n", name);
    return 0;
}

static void oc_measure_tail(oc_buf *b, const char *r);

/* The script: build, optionally measure, optionally write STEP; always complete and runnable. */
static char *oc_script_ex(const cad_model *m, const char *result, const char *step_tmp, int measure) {
    if (m->nextrudes <= 0) {
        ut_fail("the model has no extrude");
        return NULL;
    }
    if (oc_check_finite(m) < 0) return NULL;
    double scale = oc_model_scale(m);
    oc_gen g = {0};
    oc_printf(&g.b, "# generated by recad: the model's sketch-extrude operations in OpenCASCADE\n");
    oc_printf(&g.b, "if {[catch {\npload MODELING%s\n", step_tmp ? " DATAEXCHANGE" : ""); /* STEP needs the translators */
    char prev[32] = "", name[32], ext[32];
    for (int k = 0; k < m->nextrudes; k++) {
        int last = k == m->nextrudes - 1;
        if (last) snprintf(name, sizeof name, "%s", result);
        else snprintf(name, sizeof name, "rb%d", k);
        if (k == 0) {
            if (oc_emit_extrude(&g, m, k, scale, name) < 0) goto fail;
        } else {
            snprintf(ext, sizeof ext, "rx%d", k);
            if (oc_emit_extrude(&g, m, k, scale, ext) < 0) goto fail;
            cad_op op = m->extrudes[k].op;
            const char *cmd = op == CAD_CUT ? "bcut" : op == CAD_INTERSECT ? "bcommon" : "bfuse";
            oc_printf(&g.b, "%s %s %s %s\n", cmd, name, prev, ext);
        }
        snprintf(prev, sizeof prev, "%s", name);
    }
    if (step_tmp) {
        char *q = oc_tcl_quote(step_tmp);
        if (!q) goto fail;
        oc_printf(&g.b, "stepwrite a %s %s\nputs \"@@STEP written\"\n", result, q);
        free(q);
    }
    if (measure) oc_measure_tail(&g.b, result);
    oc_printf(&g.b, "} recad_err]} { puts \"@@ERROR $recad_err\" }\nputs \"@@END\"\nexit\n");
    return g.b.s;
fail:
    free(g.b.s);
    return NULL;
}

char *oc_script(const cad_model *m, const char *result, const char *step_tmp) { return oc_script_ex(m, result, step_tmp, 0); }

/* The measuring commands (inside the script's catch). */
static void oc_measure_tail(oc_buf *b, const char *r) {
    oc_printf(b, "puts \"@@VPROPS\"\nputs [vprops %s closed -full]\n", r);
    oc_printf(b, "puts \"@@SPROPS\"\nputs [sprops %s -full]\n", r);
    oc_printf(b, "puts \"@@BBOX [bounding -optimal -noTriangulation %s]\"\n", r);
    oc_printf(b, "puts \"@@CHECK\"\nputs [checkshape %s]\n", r);
    oc_printf(b, "puts \"@@NBSHAPES\"\nputs [nbshapes %s]\n", r);
}

/* ------------------------------------------------------------------------------------------ */
/* running occt-draw                                                                            */

const char *oc_binary(void) {
    static _Thread_local char path[4096];
    const char *env = getenv("RECAD_OCCT_DRAW");
    if (env && *env) {
        if (access(env, X_OK) == 0) {
            snprintf(path, sizeof path, "%s", env);
            return path;
        }
        ut_fail(OC_MISSING ": RECAD_OCCT_DRAW=%s is not an executable program", env);
        return NULL;
    }
    const char *pathv = getenv("PATH");
    if (!pathv || !*pathv) pathv = "/usr/local/bin:/usr/bin:/bin";
    const char *p = pathv;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && len < sizeof path - 16) {
            snprintf(path, sizeof path, "%.*s/occt-draw", (int)len, p);
            if (access(path, X_OK) == 0) return path;
        }
        if (!colon) break;
        p = colon + 1;
    }
    ut_fail(OC_MISSING);
    return NULL;
}

static int oc_write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return ut_fail("cannot write %s: %s", path, strerror(errno));
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok &= fclose(f) == 0;
    return ok ? 0 : ut_fail("cannot write %s", path);
}

/* Reads the child's output until EOF or the deadline. 0 at EOF, 1 on timeout. */
static int oc_drain(int fd, double deadline, oc_buf *out) {
    char chunk[65536];
    for (;;) {
        double left = deadline - ut_now();
        if (left <= 0) return 1;
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return 1;
        if (r == 0) continue;
        ssize_t k = read(fd, chunk, sizeof chunk);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k <= 0) return 0;
        if (out->n + (size_t)k < OC_MAX_OUTPUT) oc_printf(out, "%.*s", (int)k, chunk);
    }
}

static int oc_spawn(const char *bin, const char *script_path, int outfd, pid_t *pid) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    posix_spawn_file_actions_adddup2(&fa, outfd, 2);
    posix_spawnattr_init(&at);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {(char *)bin, "-b", "-f", (char *)script_path, NULL};
    int rc = posix_spawn(pid, bin, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) return ut_fail("cannot start %s: %s", bin, strerror(rc));
    return 0;
}

int oc_run_script(const char *script, double timeout_s, char **output, double *seconds) {
    return oc_run_script_cpu(script, timeout_s, output, seconds, NULL);
}

int oc_run_script_cpu(const char *script, double timeout_s, char **output, double *seconds, double *cpu_seconds) {
    if (cpu_seconds) *cpu_seconds = 0;
    double t0 = ut_now();
    *output = NULL;
    const char *bin = oc_binary();
    if (!bin) return -1;
    if (timeout_s <= 0) timeout_s = OC_DEFAULT_TIMEOUT;
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/recad-occt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return ut_fail("cannot create a temporary folder in %s: %s", tmp && *tmp ? tmp : "/tmp", strerror(errno));
    snprintf(path, sizeof path, "%s/model.tcl", dir);
    int rc = -1, fds[2] = {-1, -1};
    pid_t pid = -1;
    if (oc_write_file(path, script) < 0) goto done;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        ut_fail("pipe: %s", strerror(errno));
        goto done;
    }
    if (oc_spawn(bin, path, fds[1], &pid) < 0) goto done;
    close(fds[1]);
    fds[1] = -1;
    oc_buf out = {0};
    oc_printf(&out, "%s", "");
    int timed_out = oc_drain(fds[0], t0 + timeout_s, &out);
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {
    }
    if (cpu_seconds)
        *cpu_seconds = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
                       1e-6 * (double)ru.ru_stime.tv_usec;
    *output = out.s;
    if (timed_out) ut_fail("occt-draw did not finish within %.0f s (killed)", timeout_s);
    else if (WIFSIGNALED(st)) ut_fail("occt-draw was killed by signal %d", WTERMSIG(st));
    else rc = 0;
done:
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    unlink(path);
    rmdir(dir);
    if (seconds) *seconds = ut_now() - t0;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* parsing what the script printed                                                              */

/* The text after `marker` up to the next "@@" marker (pointer into out), or NULL. */
static const char *oc_section(const char *out, const char *marker) {
    const char *s = strstr(out, marker);
    return s ? s + strlen(marker) : NULL;
}

static int oc_field(const char *sec, const char *label, double *v) {
    const char *end = strstr(sec, "@@");
    const char *s = strstr(sec, label);
    if (!s || (end && s > end)) return -1;
    s += strlen(label);
    char *e;
    *v = strtod(s, &e);
    return e == s ? -1 : 0;
}

/* The interpreter's error for the message: the caught Tcl error (every line of it, whitespace
 * collapsed) or else the first line that reports an error; at most cap - 1 characters. */
static void oc_error_text(const char *out, char *text, size_t cap) {
    const char *s = strstr(out, "@@ERROR ");
    const char *end = NULL;
    if (s) {
        s += 8;
        end = strstr(s, "@@END");
    } else {
        const char *keys[] = {"Error", "error", NULL};
        for (int i = 0; keys[i] && !s; i++) s = strstr(out, keys[i]);
        if (s) end = s + strcspn(s, "\n");
    }
    size_t n = 0;
    int space = 1;
    for (; s && *s && s != end && n + 1 < cap; s++) {
        int ws = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';
        if (ws && space) continue;
        text[n++] = ws ? ' ' : *s;
        space = ws;
    }
    while (n > 0 && text[n - 1] == ' ') n--;
    text[n] = 0;
}

static int oc_parse(const char *out, oc_props *p) {
    char err[512];
    if (!strstr(out, "@@END")) {
        oc_error_text(out, err, sizeof err);
        return ut_fail("occt-draw stopped before the end of the script%s%s", err[0] ? ": " : "", err);
    }
    if (strstr(out, "@@ERROR ")) {
        oc_error_text(out, err, sizeof err);
        return ut_fail("OpenCASCADE failed: %s", err);
    }
    const char *vp = oc_section(out, "@@VPROPS"), *sp = oc_section(out, "@@SPROPS");
    const char *bb = oc_section(out, "@@BBOX"), *ck = oc_section(out, "@@CHECK"), *nb = oc_section(out, "@@NBSHAPES");
    if (!vp || !sp || !bb || !ck || !nb) return ut_fail("unexpected occt-draw output (a measurement is missing)");
    const char *lab[3] = {"X =", "Y =", "Z ="};
    if (oc_field(vp, "Mass :", &p->volume) < 0 || oc_field(sp, "Mass :", &p->area) < 0) return ut_fail("unexpected vprops/sprops output");
    for (int k = 0; k < 3; k++)
        if (oc_field(vp, lab[k], &p->centroid[k]) < 0) return ut_fail("unexpected vprops output (centroid)");
    const char *mi = strstr(vp, "Matrix of Inertia :");
    memset(p->inertia, 0, sizeof p->inertia);
    if (mi) {
        char *s = (char *)mi + strlen("Matrix of Inertia :");
        for (int k = 0; k < 9; k++) p->inertia[k] = strtod(s, &s);
    }
    double b[6];
    char *s = (char *)bb;
    for (int k = 0; k < 6; k++) {
        char *end;
        b[k] = strtod(s, &end);
        if (end == s) return ut_fail("unexpected bounding output (is the shape empty?)");
        s = end;
    }
    for (int k = 0; k < 3; k++) {
        p->lo[k] = b[k];
        p->hi[k] = b[k + 3];
    }
    const char *ckend = strstr(ck, "@@");
    const char *valid = strstr(ck, "seems to be valid");
    p->valid = valid && (!ckend || valid < ckend);
    double ns = 0;
    p->nsolids = oc_field(nb, "SOLID     :", &ns) == 0 ? (int)ns : 0;
    if (!(p->volume > 0)) return ut_fail("OpenCASCADE's result is empty (volume %g)", p->volume);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* public entry points                                                                          */

/* A fresh temporary path next to `path` for OCCT to write (the file is created empty). */
static char *oc_step_tmp(const char *path) {
    size_t n = strlen(path) + 32;
    char *t = ut_malloc(n);
    snprintf(t, n, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(t);
    if (fd < 0) {
        ut_fail("cannot create %s: %s", t, strerror(errno));
        free(t);
        return NULL;
    }
    close(fd);
    return t;
}

/* Checks the STEP file OCCT wrote, syncs it and renames it over `path`. */
static int oc_step_commit(const char *tmp, const char *path, const char *out) {
    if (!strstr(out, "@@STEP written")) return ut_fail("OpenCASCADE did not write the STEP file");
    int fd = open(tmp, O_RDONLY);
    if (fd < 0) return ut_fail("cannot read back %s: %s", tmp, strerror(errno));
    char head[16] = {0};
    ssize_t k = read(fd, head, 12);
    int ok = k == 12 && memcmp(head, "ISO-10303-21", 12) == 0;
    if (ok) ok = fsync(fd) == 0;
    close(fd);
    if (!ok) return ut_fail("OpenCASCADE wrote no valid STEP file");
    if (rename(tmp, path) < 0) return ut_fail("cannot rename %s to %s: %s", tmp, path, strerror(errno));
    return 0;
}

int oc_measure(const cad_model *m, const oc_options *opt, oc_props *out) {
    memset(out, 0, sizeof *out);
    double timeout = opt && opt->timeout_s > 0 ? opt->timeout_s : OC_DEFAULT_TIMEOUT;
    const char *step = opt ? opt->step_path : NULL;
    if (!oc_binary()) return -1;
    char *tmp = NULL;
    if (step && !(tmp = oc_step_tmp(step))) return -1;
    char *script = oc_script_ex(m, "recad_result", tmp, 1);
    if (!script) {
        if (tmp) unlink(tmp);
        free(tmp);
        return -1;
    }
    char *output = NULL;
    int rc = oc_run_script_cpu(script, timeout, &output, &out->seconds, &out->cpu_seconds);
    if (rc == 0) rc = oc_parse(output, out);
    if (rc == 0 && tmp) rc = oc_step_commit(tmp, step, output);
    if (tmp) unlink(tmp); /* gone already after a successful rename */
    free(tmp);
    free(output);
    free(script);
    return rc;
}

int oc_write_step(const cad_model *m, const char *step_path, oc_props *props) {
    oc_props tmp;
    oc_options o = {0, step_path};
    return oc_measure(m, &o, props ? props : &tmp);
}

int oc_measure_step(const char *step_path, double timeout_s, oc_props *out) {
    memset(out, 0, sizeof *out);
    if (access(step_path, R_OK) != 0) return ut_fail("cannot read %s: %s", step_path, strerror(errno));
    char *q = oc_tcl_quote(step_path);
    if (!q) return -1;
    oc_buf b = {0};
    oc_printf(&b, "if {[catch {\npload MODELING DATAEXCHANGE\nstepread %s rs *\n", q);
    /* stepread names the roots rs_1, rs_2, ...: measure them together */
    oc_printf(&b, "set recad_roots {}\nforeach v [directory rs_*] { lappend recad_roots $v }\n");
    oc_printf(&b, "if {[llength $recad_roots] == 0} { error \"no shape in the STEP file\" }\n");
    oc_printf(&b, "eval compound $recad_roots recad_step\n");
    oc_measure_tail(&b, "recad_step");
    oc_printf(&b, "} recad_err]} { puts \"@@ERROR $recad_err\" }\nputs \"@@END\"\nexit\n");
    free(q);
    char *output = NULL;
    int rc = oc_run_script_cpu(b.s, timeout_s, &output, &out->seconds, &out->cpu_seconds);
    if (rc == 0) rc = oc_parse(output, out);
    free(output);
    free(b.s);
    return rc;
}
