/* level.c - see level.h. */
#include "model/level.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"

static const char *lv_names[] = {"L", "F", "S", "SE", "MSE"};

const char *lv_name(lv_level l) { return l >= LV_L && l <= LV_MSE ? lv_names[l] : "none"; }

int lv_parse(const char *s, lv_level *l) {
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, lv_names[i])) {
            *l = (lv_level)i;
            return 0;
        }
    return -1;
}

/* v is +-1 on one world axis (within TOL_AXIS) */
static int lv_axis(const double *v) {
    int ones = 0, zeros = 0;
    for (int k = 0; k < 3; k++) ones += fabs(fabs(v[k]) - 1) <= TOL_AXIS, zeros += fabs(v[k]) <= TOL_AXIS;
    return ones == 1 && zeros == 2;
}

/* largest absolute sketch coordinate or origin component: the scale of "on the plane" */
static double lv_size(const cad_model *m) {
    double s = 1e-300;
    for (int i = 0; i < m->ncurves; i++)
        for (int k = 0; k < 6; k++) s = fmax(s, fabs(m->curves[i].p[k]));
    for (int i = 0; i < m->nsketches; i++)
        for (int k = 0; k < 3; k++) s = fmax(s, fabs(m->sketches[i].plane.origin[k]));
    return s;
}

static int lv_standard_plane(const cad_plane *p, double size) {
    double off = p->origin[0] * p->n[0] + p->origin[1] * p->n[1] + p->origin[2] * p->n[2];
    return lv_axis(p->x) && lv_axis(p->n) && fabs(off) <= tol_len(size);
}

lv_level lv_classify(const cad_model *m, lv_info *info) {
    memset(info, 0, sizeof *info);
    info->extrudes = m->nextrudes;
    char *seen = calloc((size_t)(m->nsketches ? m->nsketches : 1), 1);
    for (int e = 0; e < m->nextrudes; e++) {
        int s = m->extrudes[e].sketch;
        if (s < 0 || s >= m->nsketches || !seen || seen[s]) continue;
        seen[s] = 1;
        info->sketches++;
        const cad_sketch *sk = &m->sketches[s];
        info->faces += sk->n;
        for (int f = sk->first; f < sk->first + sk->n; f++) {
            const cad_face *fc = &m->faces[f];
            info->loops += fc->n;
            info->holes += fc->n > 0 ? fc->n - 1 : 0;
            for (int l = fc->first; l < fc->first + fc->n; l++) {
                const cad_loop *lp = &m->loops[l];
                info->curves += lp->n;
                for (int c = lp->first; c < lp->first + lp->n; c++) {
                    cad_curve_kind k = m->curves[c].kind;
                    info->lines += k == CAD_LINE, info->arcs += k == CAD_ARC, info->circles += k == CAD_CIRCLE;
                }
            }
        }
    }
    free(seen);
    if (m->nextrudes == 0) info->level = LV_NONE;
    else if (m->nextrudes > 1) info->level = LV_MSE;
    else if (m->extrudes[0].sketch < 0 || m->extrudes[0].sketch >= m->nsketches) info->level = LV_NONE;
    else {
        const cad_extrude *e = &m->extrudes[0];
        const cad_sketch *sk = &m->sketches[e->sketch];
        int plain = e->kind == CAD_EXT_ONE && lv_standard_plane(&sk->plane, lv_size(m));
        if (!plain) info->level = LV_SE;
        else if (sk->n > 1) info->level = LV_S;
        else if (sk->n == 1 && m->faces[sk->first].n > 1) info->level = LV_F;
        else info->level = LV_L;
    }
    return info->level;
}
