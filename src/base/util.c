/* util.c - see util.h. */
#define _POSIX_C_SOURCE 200809L
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static _Thread_local char ut_errbuf[1024];

int ut_fail(const char *fmt, ...) {
    char tmp[sizeof ut_errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(ut_errbuf, tmp, sizeof tmp);
    return -1;
}

const char *ut_error(void) { return ut_errbuf; }
void ut_clear_error(void) { ut_errbuf[0] = 0; }

static void ut_oom(size_t n) {
    fprintf(stderr, "recad: out of memory (%zu bytes)\n", n);
    abort();
}

void *ut_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) ut_oom(n);
    return p;
}

void *ut_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) ut_oom(n * size);
    return p;
}

void *ut_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) ut_oom(n);
    return q;
}

char *ut_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = ut_malloc(n);
    memcpy(d, s, n);
    return d;
}

void ut_grow(void **arr, int *cap, int need, size_t elsize) {
    if (need <= *cap) return;
    int c = *cap ? *cap : 8;
    while (c < need) c *= 2;
    *arr = ut_realloc(*arr, (size_t)c * elsize);
    *cap = c;
}

char *ut_read_file(const char *path, size_t *len) { return ut_read_file_max(path, SIZE_MAX / 2, len); }

char *ut_read_file_max(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        ut_fail("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = ut_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = ut_realloc(buf, cap *= 2);
        size_t room = cap - n - 1;
        if (room > max + 1 - n) room = max + 1 - n; /* one byte past max tells "too large" */
        size_t got = fread(buf + n, 1, room, f);
        n += got;
        if (n > max) {
            fclose(f);
            free(buf);
            ut_fail("%s is larger than the limit of %zu bytes", path, max);
            return NULL;
        }
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        ut_fail("cannot read %s", path);
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

int ut_utf8_len(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if (!n) return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
        (s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

char *ut_text_clean(const char *s, int mode) {
    size_t n = strlen(s), o = 0;
    char *out = ut_malloc(4 * n + 1); /* every byte grows to at most 4 ("\xNN" or U+FFFD) */
    while (*s) {
        int k = ut_utf8_len(s);
        unsigned char c = (unsigned char)*s;
        int control = c < 0x20 || c == 0x7f || (k == 2 && c == 0xc2 && (unsigned char)s[1] < 0xa0);
        if (mode == UT_TEXT_TERMINAL && (k == 0 || control)) {
            for (int i = 0; i < (k ? k : 1); i++) o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)s[i]);
            s += k ? k : 1;
        } else if (k == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD */
            o += 3, s++;
        } else {
            memcpy(out + o, s, (size_t)k);
            o += (size_t)k, s += k;
        }
    }
    out[o] = 0;
    return out;
}

int ut_atomic_open(ut_atomic *a, const char *path) {
    memset(a, 0, sizeof *a);
    size_t n = strlen(path);
    a->path = ut_strdup(path);
    a->tmp = ut_malloc(n + 16);
    snprintf(a->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        ut_fail("cannot create %s: %s", a->tmp, strerror(errno));
        free(a->path);
        free(a->tmp);
        a->path = a->tmp = NULL;
        return -1;
    }
    fchmod(fd, 0644);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        close(fd);
        ut_fail("cannot open %s", a->tmp);
        ut_atomic_abort(a);
        return -1;
    }
    return 0;
}

int ut_atomic_commit(ut_atomic *a) {
    int rc = 0;
    if (fflush(a->f) != 0 || ferror(a->f)) rc = ut_fail("write to %s failed: %s", a->path, strerror(errno));
    if (rc == 0 && fsync(fileno(a->f)) != 0) rc = ut_fail("fsync of %s failed: %s", a->path, strerror(errno));
    if (fclose(a->f) != 0 && rc == 0) rc = ut_fail("close of %s failed: %s", a->path, strerror(errno));
    a->f = NULL;
    if (rc == 0 && rename(a->tmp, a->path) != 0) rc = ut_fail("cannot rename to %s: %s", a->path, strerror(errno));
    if (rc != 0) remove(a->tmp);
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    return rc;
}

void ut_atomic_abort(ut_atomic *a) {
    if (a->f) fclose(a->f);
    if (a->tmp) remove(a->tmp);
    free(a->path);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

int ut_write_atomic(const char *path, const void *data, size_t len) {
    ut_atomic a;
    if (ut_atomic_open(&a, path) != 0) return -1;
    if (len && fwrite(data, 1, len, a.f) != len) {
        ut_atomic_abort(&a);
        return ut_fail("write to %s failed", path);
    }
    return ut_atomic_commit(&a);
}

int ut_mkdirs(const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return ut_fail("bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return ut_fail("cannot create directory %s: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    return 0;
}

const char *ut_path_ext(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return "";
    return dot;
}

char *ut_path_beside(const char *file, const char *path) {
    const char *slash = strrchr(file, '/');
    if (path[0] == '/' || !slash) return ut_strdup(path);
    size_t n = (size_t)(slash - file) + strlen(path) + 2;
    char *p = ut_malloc(n);
    snprintf(p, n, "%.*s/%s", (int)(slash - file), file, path);
    return p;
}

int ut_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

double ut_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- progress bar ---- */

static void ut_fmt_secs(char *out, size_t n, double s) {
    if (!(s >= 0) || s > 1e7) snprintf(out, n, "?");
    else if (s < 60) snprintf(out, n, "%.0fs", s);
    else if (s < 3600) snprintf(out, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(out, n, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

static void ut_progress_draw(ut_progress *p, int final) {
    double now = ut_now(), el = now - p->t0;
    double rate = el > 0 ? (double)p->done / el : 0;
    char eta[32], ela[32];
    ut_fmt_secs(eta, sizeof eta, rate > 0 ? (double)(p->total - p->done) / rate : -1);
    ut_fmt_secs(ela, sizeof ela, el);
    char bar[31];
    int w = 30, fill = p->total > 0 ? (int)((double)w * (double)p->done / (double)p->total) : 0;
    if (fill > w) fill = w;
    for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
    bar[w] = 0;
    fprintf(stderr, "%s%s [%s] %ld/%ld %.1f/s %s %s%s", p->tty ? "\r" : "", p->label, bar, p->done, p->total, rate,
            final ? "in" : "ETA", final ? ela : eta, (p->tty && !final) ? "\033[K" : "\n");
    if (p->tty && final) fprintf(stderr, "\033[K");
    fflush(stderr);
    p->last_draw = now;
}

void ut_progress_start(ut_progress *p, const char *label, long total) {
    memset(p, 0, sizeof *p);
    p->label = label;
    p->total = total;
    p->t0 = ut_now();
    p->tty = isatty(2);
    p->quiet = getenv("RECAD_QUIET") != NULL;
    p->last_draw = p->t0 - 100;
}

void ut_progress_update(ut_progress *p, long done) {
    p->done = done;
    if (p->quiet) return;
    double now = ut_now();
    if (now - p->last_draw < (p->tty ? 0.1 : 5.0)) return;
    ut_progress_draw(p, 0);
}

void ut_progress_finish(ut_progress *p) {
    if (p->quiet) return;
    ut_progress_draw(p, 1);
}

/* ---- random numbers: xoshiro256** ---- */

static uint64_t ut_splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void ut_rng_seed(ut_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = ut_splitmix(&seed);
}

static inline uint64_t ut_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ut_rng_u64(ut_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = ut_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ut_rotl(s[3], 45);
    return out;
}

double ut_rng_uniform(ut_rng *r) { return (double)(ut_rng_u64(r) >> 11) * 0x1.0p-53; }
float ut_rng_uniformf(ut_rng *r) { return (float)(ut_rng_u64(r) >> 40) * 0x1.0p-24f; }

double ut_rng_normal(ut_rng *r) {
    double u1 = ut_rng_uniform(r), u2 = ut_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
