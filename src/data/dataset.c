/* dataset.c - the training dataset builder (see dataset.h). */
#define _GNU_SOURCE /* syncfs */
#include "data/dataset.h"

#include <dirent.h>
#include <fcntl.h>
#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/hmap.h"
#include "base/plot.h"
#include "base/util.h"
#include "data/describe.h"
#include "data/import.h"
#include "data/trainimg.h"
#include "geom/solid.h"
#include "model/level.h"

static const char *const db_split_name[3] = {"train", "val", "test"};

void db_default_opts(db_opts *o) {
    memset(o, 0, sizeof *o);
    o->parts = 1000;
    o->seed = 1;
    gn_default_options(&o->gen);
    o->abstract = 1;
    o->detailed = 2;
    o->val_share = 0.02;
    o->test_share = 0.02;
    o->image_side = PIC_SIDE;
}

/* ---- signatures and twins ---- */

int db_sig_of(const cad_model *m, db_sig *s) {
    lv_info li;
    s->level = (int)lv_classify(m, &li);
    s->curves = li.curves;
    sd_solid *sol = sd_build(m);
    if (!sol) return -1;
    double lo[3], hi[3];
    int rc = sd_bbox(sol, lo, hi);
    s->volume = sd_volume(sol);
    sd_free(sol);
    if (rc || !(s->volume > 0)) return ut_fail("the part's solid is empty");
    for (int k = 0; k < 3; k++) s->ext[k] = hi[k] - lo[k];
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (s->ext[j] > s->ext[i]) {
                double t = s->ext[i];
                s->ext[i] = s->ext[j];
                s->ext[j] = t;
            }
    return 0;
}

static int db_close(double a, double b) {
    double hi = fmax(fabs(a), fabs(b));
    return hi == 0 || fabs(a - b) <= DB_TWIN_TOL * hi;
}

int db_twins(const db_sig *a, const db_sig *b) {
    if (a->level != b->level || a->curves != b->curves) return 0;
    for (int k = 0; k < 3; k++)
        if (!db_close(a->ext[k], b->ext[k])) return 0;
    return db_close(a->volume, b->volume);
}

/* grid cell of a signature: log-size bins wider than the twin tolerance, so twins are in the same
 * or a neighbouring cell along each of the four axes */
static void db_cell(const db_sig *s, long c[4]) {
    double w = log(1 + 2 * DB_TWIN_TOL);
    for (int k = 0; k < 3; k++) c[k] = (long)floor(log(fmax(s->ext[k], 1e-9)) / w);
    c[3] = (long)floor(log(fmax(s->volume, 1e-27)) / w);
}

static uint64_t db_cell_key(const db_sig *s, const long c[4]) {
    uint64_t h = 1469598103934665603ULL;
    long v[6] = {s->level, s->curves, c[0], c[1], c[2], c[3]};
    for (int i = 0; i < 6; i++) h = (h ^ (uint64_t)v[i]) * 1099511628211ULL, h ^= h >> 29;
    return h;
}

static int db_find(int *parent, int i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

/* groups of twins: root[i] = the lowest index of i's group */
static void db_group(const db_sig *sig, const int *ok, int n, int *root) {
    int *parent = ut_malloc(sizeof(int) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) parent[i] = i;
    /* cell -> first part of a chain of parts in that cell (next[]) */
    hm_map cells;
    hm_init(&cells, (size_t)n * 2 + 16);
    int *next = ut_malloc(sizeof(int) * (size_t)(n ? n : 1));
    long (*cell)[4] = ut_malloc(sizeof *cell * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        next[i] = -1;
        if (!ok[i]) continue;
        db_cell(&sig[i], cell[i]);
        int added;
        int64_t *head = hm_upsert(&cells, db_cell_key(&sig[i], cell[i]), i, &added);
        if (!added) next[i] = (int)*head, *head = i;
    }
    for (int i = 0; i < n; i++) {
        if (!ok[i]) continue;
        for (int d = 0; d < 81; d++) {
            long c[4];
            for (int k = 0, q = d; k < 4; k++, q /= 3) c[k] = cell[i][k] + q % 3 - 1;
            int64_t h;
            if (!hm_get(&cells, db_cell_key(&sig[i], c), &h)) continue;
            for (int j = (int)h; j >= 0; j = next[j]) {
                if (j == i || !db_twins(&sig[i], &sig[j])) continue;
                int a = db_find(parent, i), b = db_find(parent, j);
                if (a != b) parent[a > b ? a : b] = a < b ? a : b;
            }
        }
    }
    for (int i = 0; i < n; i++) root[i] = db_find(parent, i);
    hm_free(&cells);
    free(next);
    free(cell);
    free(parent);
}

/* ---- one part ---- */

typedef struct {
    char *id, *source;
    const char *family;
    int level, curves, ok;
    char *answer;
    char *prompt[16];
    int kind[16], nprompt;
    rp_reason rew;
    db_sig sig;
    int nimage;           /* image samples written (OUT/images/ID-iK.png, K < nimage) */
    long image_bytes;     /* their PNG bytes */
    int image_failed;
} db_part;

static void db_part_free(db_part *p) {
    free(p->id);
    free(p->source);
    free(p->answer);
    for (int k = 0; k < p->nprompt; k++) free(p->prompt[k]);
}

static uint64_t db_mix(uint64_t a, uint64_t b) {
    uint64_t x = (a ^ 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL + b;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 29;
    return x;
}

/* a picture's file, written to a temporary name and renamed (readers never see half a file);
   durability comes from one syncfs of the folder before the records are committed (db_build),
   rather than an fsync per picture */
static int db_write_image(const char *path, const unsigned char *png, size_t len) {
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return ut_fail("cannot write %s", tmp);
    int ok = fwrite(png, 1, len, f) == len;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path)) {
        remove(tmp);
        return ut_fail("cannot write %s", path);
    }
    return 0;
}

/* the part's image samples: picture k of view k mod 5, written to OUT/images/ID-iK.png */
static void db_images(const db_opts *o, const char *out, const cad_model *m, uint64_t pseed, db_part *p) {
    ms_mesh mesh = {0};
    if (ti_mesh(m, &mesh)) {
        p->image_failed = 1;
        return;
    }
    ti_opts to;
    ti_default_opts(&to);
    to.side = o->image_side;
    for (int k = 0; k < o->images; k++) {
        pic_gray g;
        unsigned char *png = NULL;
        size_t len = 0;
        char path[4400];
        snprintf(path, sizeof path, "%s/images/%s-i%d.png", out, p->id, k);
        int rc = ti_render(&mesh, (ti_view)(k % TI_NVIEWS), &to, db_mix(pseed, 0x494D47ULL), (uint64_t)k, &g);
        if (!rc) rc = pic_png_encode(&g, &png, &len);
        if (!rc) rc = db_write_image(path, png, len);
        pic_free(&g);
        free(png);
        if (rc) {
            p->image_failed = 1;
            break;
        }
        p->nimage++;
        p->image_bytes += (long)len;
    }
    ms_free(&mesh);
}

/* everything of one model: answer (think + program), prompts, signature; pictures when asked */
static void db_describe_model(const db_opts *o, const char *out, const cad_model *m, const ds_hint *hint, uint64_t pseed,
                              db_part *p) {
    ds_part dp;
    if (ds_analyze(m, &dp)) return;
    if (db_sig_of(m, &p->sig)) {
        ds_part_free(&dp);
        return;
    }
    rp_result rr;
    char *prog = rp_parametric(m, &rr);
    char *plan = ds_think_part(&dp, hint);
    if (prog && plan) {
        size_t n = strlen(prog) + strlen(plan) + 32;
        p->answer = ut_malloc(n);
        snprintf(p->answer, n, "<think>\n%s\n</think>\n%s", plan, prog);
        p->rew = rr.reason;
        int ok = 1;
        for (int k = 0; k < o->abstract + o->detailed && k < 16 && ok; k++) {
            ds_kind kind = k < o->abstract ? DS_ABSTRACT : DS_DETAILED;
            char *t = NULL;
            if (ds_describe_part(&dp, hint, db_mix(pseed, (uint64_t)k), kind, &t)) ok = 0;
            else p->prompt[p->nprompt] = t, p->kind[p->nprompt++] = kind;
        }
        p->ok = ok && p->nprompt > 0;
        lv_info li;
        p->level = (int)lv_classify(m, &li);
        p->curves = li.curves;
        if (p->ok && o->images > 0) db_images(o, out, m, pseed, p);
    }
    free(prog);
    free(plan);
    ds_part_free(&dp);
}

/* the generator's families that name the part as a noun; the others (mirrored, pads, random, ...)
 * are described from the geometry alone, with no hint */
static int db_noun_family(const char *f) {
    static const char *const nouns[] = {"plate", "washer", "spacer", "tube", "flange", "bracket", "shaft", NULL};
    for (int i = 0; nouns[i]; i++)
        if (!strcmp(f, nouns[i])) return 1;
    return 0;
}

static void db_make_gen(const db_opts *o, const char *out, long i, db_part *p) {
    gn_part g;
    char id[32], src[64];
    snprintf(id, sizeof id, "g%08ld", i);
    snprintf(src, sizeof src, "gen:%llu:%ld", (unsigned long long)o->seed, i);
    p->id = ut_strdup(id);
    p->source = ut_strdup(src);
    if (gn_make(&o->gen, o->seed, i, &g)) return;
    ds_hint hint = {g.family, 0, {{0}}};
    int noun = db_noun_family(g.family);
    if (!noun) hint.family = NULL;
    for (int k = 0; noun && k < g.nparams && hint.nparams < DS_MAX_PARAMS; k++)
        if (!g.params[k].text && isfinite(g.params[k].value))
            hint.params[hint.nparams++] = (ds_param){g.params[k].name, g.params[k].value};
    p->family = g.family;
    db_describe_model(o, out, &g.model, noun ? &hint : NULL, db_mix(o->seed, (uint64_t)i), p);
    gn_part_free(&g);
}

static void db_make_real(const db_opts *o, const char *out, const char *path, db_part *p) {
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".json")) n -= 5;
    char stem[256];
    snprintf(stem, sizeof stem, "%.*s", (int)(n < 200 ? n : 200), base);
    cad_model m;
    im_report rep;
    int rc = im_load(path, NULL, &m, &rep);
    if (!rc) rc = im_validate(&m, &rep);
    char id[300], src[300];
    snprintf(id, sizeof id, "r-%s", stem);
    snprintf(src, sizeof src, "%s:%s", rc ? "real" : im_format_name(rep.format), stem);
    p->id = ut_strdup(id);
    p->source = ut_strdup(src);
    p->family = "real";
    if (!rc) {
        uint64_t h = 1469598103934665603ULL;
        for (const char *c = stem; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        db_describe_model(o, out, &m, NULL, db_mix(o->seed, h), p);
    }
    cad_free(&m);
    im_report_free(&rep);
}

/* ---- real files ---- */

static int db_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* the .json files of the folders / files in o->real, sorted per folder */
static int db_real_files(const db_opts *o, char ***out, int *n) {
    int cap = 0;
    *out = NULL;
    *n = 0;
    for (int r = 0; r < o->nreal; r++) {
        if (!ut_is_dir(o->real[r])) {
            if (access(o->real[r], R_OK)) return ut_fail("%s: cannot read it", o->real[r]);
            if (*n == cap) *out = ut_realloc(*out, sizeof(char *) * (size_t)(cap = 2 * cap + 16));
            (*out)[(*n)++] = ut_strdup(o->real[r]);
            continue;
        }
        DIR *d = opendir(o->real[r]);
        if (!d) return ut_fail("%s: cannot read the folder", o->real[r]);
        int first = *n;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len < 6 || strcmp(e->d_name + len - 5, ".json")) continue;
            if (*n == cap) *out = ut_realloc(*out, sizeof(char *) * (size_t)(cap = 2 * cap + 16));
            size_t k = strlen(o->real[r]) + len + 2;
            char *p = ut_malloc(k);
            snprintf(p, k, "%s/%s", o->real[r], e->d_name);
            (*out)[(*n)++] = p;
        }
        closedir(d);
        qsort(*out + first, (size_t)(*n - first), sizeof(char *), db_cmp_str);
    }
    return 0;
}

/* ---- writing ---- */

static char *db_record(const db_part *p, int k, const char *split) {
    cJSON *j = cJSON_CreateObject();
    char id[64];
    snprintf(id, sizeof id, "%.40s-%c%d", p->id, p->kind[k] == DS_ABSTRACT ? 'a' : 'd', k);
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "part", p->id);
    cJSON_AddStringToObject(j, "prompt", p->prompt[k]);
    cJSON_AddStringToObject(j, "kind", p->kind[k] == DS_ABSTRACT ? "abstract" : "detailed");
    cJSON_AddStringToObject(j, "answer", p->answer);
    cJSON_AddStringToObject(j, "level", lv_name((lv_level)p->level));
    cJSON_AddNumberToObject(j, "curves", p->curves);
    cJSON_AddStringToObject(j, "family", p->family ? p->family : "unknown");
    cJSON_AddStringToObject(j, "source", p->source);
    cJSON_AddStringToObject(j, "split", split);
    cJSON_AddStringToObject(j, "rewrite", rp_reason_name(p->rew));
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

/* the record of image sample k of a part (dataset.h) */
static char *db_image_record(const db_part *p, int k, const char *split) {
    cJSON *j = cJSON_CreateObject();
    char id[64], image[300];
    snprintf(id, sizeof id, "%.40s-i%d", p->id, k);
    snprintf(image, sizeof image, "images/%s-i%d.png", p->id, k);
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "part", p->id);
    cJSON_AddStringToObject(j, "prompt", "<|image|>");
    cJSON_AddStringToObject(j, "image", image);
    cJSON_AddStringToObject(j, "kind", "image");
    cJSON_AddStringToObject(j, "view", ti_view_name((ti_view)(k % TI_NVIEWS)));
    cJSON_AddStringToObject(j, "answer", p->answer);
    cJSON_AddStringToObject(j, "level", lv_name((lv_level)p->level));
    cJSON_AddNumberToObject(j, "curves", p->curves);
    cJSON_AddStringToObject(j, "family", p->family ? p->family : "unknown");
    cJSON_AddStringToObject(j, "source", p->source);
    cJSON_AddStringToObject(j, "split", split);
    cJSON_AddStringToObject(j, "rewrite", rp_reason_name(p->rew));
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static int db_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* stats.md and its charts */
static int db_report(const db_opts *o, const char *out, const db_part *parts, int n, const int *split, db_stats *st) {
    char path[4200];
    double *len = ut_malloc(sizeof(double) * (size_t)(n ? n : 1)), *lv = ut_malloc(sizeof(double) * (size_t)(n ? n : 1));
    int m = 0;
    for (int i = 0; i < n; i++)
        if (parts[i].ok) len[m] = (double)strlen(parts[i].answer), lv[m++] = parts[i].level;
    double sum = 0;
    for (int i = 0; i < m; i++) sum += len[i];
    qsort(len, (size_t)m, sizeof *len, db_cmp_double);
    st->answer_bytes_mean = m ? sum / m : 0;
    st->answer_bytes_p95 = m ? len[(long)(0.95 * (m - 1))] : 0;
    snprintf(path, sizeof path, "%s/answer_lengths.png", out);
    plot_opts po = {"answer length (bytes)", "bytes", "parts", 800, 400};
    int rc = plot_histogram(path, &po, len, m, 40, 0, m ? len[m - 1] + 1 : 1);
    snprintf(path, sizeof path, "%s/levels.png", out);
    plot_opts pl = {"parts per level (0 L, 1 F, 2 S, 3 SE, 4 MSE)", "level", "parts", 800, 400};
    if (!rc) rc = plot_histogram(path, &pl, lv, m, 5, -0.5, 4.5);
    free(len);
    free(lv);
    if (rc) return -1;
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    fprintf(f, "# Dataset statistics\n\n");
    fprintf(f, "- parts: %ld written (%ld generated with seed %llu, %d real files), %ld skipped\n", st->parts, o->parts,
            (unsigned long long)o->seed, n - (int)o->parts, st->skipped);
    fprintf(f, "- prompts per part: %d abstract, %d detailed\n", o->abstract, o->detailed);
    fprintf(f, "- samples: train %ld, val %ld, test %ld (parts: %ld / %ld / %ld)\n", st->samples[0], st->samples[1],
            st->samples[2], st->parts_split[0], st->parts_split[1], st->parts_split[2]);
    fprintf(f, "- twin groups (same level and curves, sizes and volume within %.0f%%): %ld parts in groups of two or "
               "more, kept in one split\n", DB_TWIN_TOL * 100, st->twin_parts);
    fprintf(f, "- answer length: mean %.0f bytes, 95th percentile %.0f bytes\n", st->answer_bytes_mean, st->answer_bytes_p95);
    if (o->images > 0)
        fprintf(f, "- image samples: %d per part, %dx%d grey PNG: train %ld, val %ld, test %ld; mean %.0f bytes; %ld parts "
                   "without pictures\n", o->images, o->image_side, o->image_side, st->images[0], st->images[1], st->images[2],
                st->image_bytes_mean, st->image_failed);
    fprintf(f, "- build time: %.1f s\n\n", st->seconds);
    fprintf(f, "| level | parts |\n|---|---|\n");
    for (int l = 0; l < 5; l++) fprintf(f, "| %s | %ld |\n", lv_name((lv_level)l), st->level[l]);
    fprintf(f, "\n![levels](levels.png)\n\n| rewrite | parts |\n|---|---|\n");
    for (int r = 0; r < RP_NREASONS; r++)
        if (st->rewrite[r]) fprintf(f, "| %s | %ld |\n", rp_reason_name((rp_reason)r), st->rewrite[r]);
    /* families */
    fprintf(f, "\n| family | parts | verified rewrites |\n|---|---|---|\n");
    const char *seen[64];
    int nseen = 0;
    for (int i = 0; i < n; i++) {
        if (!parts[i].ok) continue;
        int k = 0;
        while (k < nseen && strcmp(seen[k], parts[i].family)) k++;
        if (k < nseen || nseen == 64) continue;
        seen[nseen++] = parts[i].family;
        long c = 0, v = 0;
        for (int j = i; j < n; j++)
            if (parts[j].ok && !strcmp(parts[j].family, parts[i].family)) c++, v += parts[j].rew == RP_OK;
        fprintf(f, "| %s | %ld | %.1f%% |\n", parts[i].family, c, c ? 100.0 * v / c : 0);
    }
    fprintf(f, "\n![answer lengths](answer_lengths.png)\n");
    (void)split;
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.md", out, o->split ? (o->name ? o->name : o->split) : "stats");
    rc = ut_write_atomic(path, md, mdlen);
    free(md);
    return rc;
}

/* the splits' JSONL files, atomically; with images, also SPLIT_images.jsonl */
static int db_write(const db_opts *o, const char *out, const db_part *parts, int n, const int *split, db_stats *st) {
    char *buf[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    size_t len[6] = {0, 0, 0, 0, 0, 0};
    FILE *f[6];
    int nf = o->images > 0 ? 6 : 3;
    long bytes = 0;
    for (int s = 0; s < nf; s++) f[s] = open_memstream(&buf[s], &len[s]);
    for (int i = 0; i < n; i++) {
        if (!parts[i].ok) continue;
        int s = split[i];
        st->parts_split[s]++;
        for (int k = 0; k < parts[i].nprompt; k++) {
            char *r = db_record(&parts[i], k, db_split_name[s]);
            fprintf(f[s], "%s\n", r);
            free(r);
            st->samples[s]++;
        }
        for (int k = 0; k < parts[i].nimage && nf > 3; k++) {
            char *r = db_image_record(&parts[i], k, db_split_name[s]);
            fprintf(f[3 + s], "%s\n", r);
            free(r);
            st->images[s]++;
        }
        bytes += parts[i].image_bytes;
        st->image_failed += parts[i].image_failed;
    }
    long nimg = st->images[0] + st->images[1] + st->images[2];
    st->image_bytes_mean = nimg ? (double)bytes / (double)nimg : 0;
    int rc = 0;
    for (int s = 0; s < nf; s++) {
        fclose(f[s]);
        char path[4200];
        const char *suffix = s < 3 ? "" : "_images";
        if (o->split) {
            if (strcmp(o->split, db_split_name[s % 3])) {
                free(buf[s]);
                continue;
            }
            snprintf(path, sizeof path, "%s/%s%s.jsonl", out, o->name ? o->name : o->split, suffix);
        } else
            snprintf(path, sizeof path, "%s/%s%s.jsonl", out, db_split_name[s % 3], suffix);
        if (!rc) rc = ut_write_atomic(path, buf[s], len[s]);
        free(buf[s]);
    }
    return rc;
}

int db_build(const db_opts *o, const char *out, db_stats *st) {
    memset(st, 0, sizeof *st);
    double t0 = ut_now();
    int fixed = -1;
    if (o->split) {
        for (int s = 0; s < 3; s++)
            if (!strcmp(o->split, db_split_name[s])) fixed = s;
        if (fixed < 0) return ut_fail("unknown split '%s' (train, val or test)", o->split);
    }
    if (o->abstract < 0 || o->detailed < 0 || o->abstract + o->detailed < 1 || o->abstract + o->detailed > 16)
        return ut_fail("prompts per part: between 1 and 16 in all");
    if (o->parts < 0 || o->parts > 100000000) return ut_fail("parts: %ld out of range", o->parts);
    if (o->images < 0 || o->images > 16) return ut_fail("image samples per part: %d outside 0..16", o->images);
    if (o->images > 0 && (o->image_side < 16 || o->image_side > 1024))
        return ut_fail("image side %d outside [16, 1024]", o->image_side);
    char **files = NULL;
    int nfiles = 0;
    if (db_real_files(o, &files, &nfiles)) {
        for (int i = 0; i < nfiles; i++) free(files[i]);
        free(files);
        return -1;
    }
    char imgdir[4200];
    snprintf(imgdir, sizeof imgdir, "%s/images", out);
    if (ut_mkdirs(out) || (o->images > 0 && ut_mkdirs(imgdir))) {
        for (int i = 0; i < nfiles; i++) free(files[i]);
        free(files);
        return -1;
    }
    long n = o->parts + nfiles;
    db_part *parts = ut_calloc((size_t)(n ? n : 1), sizeof *parts);
    ut_progress pb;
    ut_progress_start(&pb, "dataset", n);
    if (o->quiet) pb.quiet = 1;
    long done = 0;
    int nth = o->threads > 0 ? o->threads : 0;
#pragma omp parallel for schedule(dynamic, 8) num_threads(nth > 0 ? nth : omp_get_max_threads())
    for (long i = 0; i < n; i++) {
        if (i < o->parts) db_make_gen(o, out, i, &parts[i]);
        else db_make_real(o, out, files[i - o->parts], &parts[i]);
        long d;
#pragma omp atomic capture
        d = ++done;
        if (d % 64 == 0 || d == n) {
#pragma omp critical(db_progress)
            ut_progress_update(&pb, d);
        }
    }
    ut_progress_finish(&pb);
    if (o->images > 0) { /* the pictures reach the disk before the records that name them */
        int fd = open(imgdir, O_RDONLY | O_DIRECTORY);
        if (fd >= 0) syncfs(fd), close(fd);
    }
    db_sig *sig = ut_calloc((size_t)(n ? n : 1), sizeof *sig);
    int *ok = ut_calloc((size_t)(n ? n : 1), sizeof(int)), *root = ut_malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *split = ut_calloc((size_t)(n ? n : 1), sizeof(int)), *gsize = ut_calloc((size_t)(n ? n : 1), sizeof(int));
    for (long i = 0; i < n; i++) sig[i] = parts[i].sig, ok[i] = parts[i].ok;
    db_group(sig, ok, (int)n, root);
    for (long i = 0; i < n; i++) {
        if (!ok[i]) {
            st->skipped++;
            continue;
        }
        st->parts++;
        gsize[root[i]]++;
        if (parts[i].level >= 0 && parts[i].level < 5) st->level[parts[i].level]++;
        st->rewrite[parts[i].rew]++;
    }
    for (long i = 0; i < n; i++) {
        if (!ok[i]) continue;
        st->groups += root[i] == i;
        st->twin_parts += gsize[root[i]] > 1;
        double u = (double)(db_mix(o->seed ^ 0x53504C4954ULL, (uint64_t)root[i]) >> 11) / 9007199254740992.0;
        split[i] = fixed >= 0 ? fixed : u < o->test_share ? 2 : u < o->test_share + o->val_share ? 1 : 0;
    }
    st->seconds = ut_now() - t0;
    int rc = db_write(o, out, parts, (int)n, split, st);
    st->seconds = ut_now() - t0;
    if (!rc) rc = db_report(o, out, parts, (int)n, split, st);
    for (long i = 0; i < n; i++) db_part_free(&parts[i]);
    free(parts), free(sig), free(ok), free(root), free(split), free(gsize);
    for (int i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    return rc;
}
